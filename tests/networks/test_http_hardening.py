"""The shared HTTP layer under attack (issue #14), each against a real server on loopback.

Redirects never carry credentials anywhere, a next page may not downgrade https to http, bodies are capped
(on the wire and once decompressed), every request has an overall deadline, secrets are scrubbed in their
URL- and form-encoded forms too, and a malformed usage header, JSON nested 200,000 deep or a 5,000-digit
integer fail with a ConnectorError naming the endpoint, never a bare ValueError or RecursionError.
"""

from __future__ import annotations

import gzip
import threading
import time
from urllib.parse import quote, quote_plus, urlencode

import pytest
from fakes.harness import FAST, TOKEN
from fakes.server import FakeApi, Reply

from socialpulse import http
from socialpulse.networks.base import ConnectorError, Credentials

SECRET = "EAAB+SECRET/4f9a==do-not-print"  # a token with characters URL and form encoding change
REFRESH = "rt-SECRET+refresh/never=print"
CLIENT_SECRET = "cs SECRET&client/never=print"


class Echo(FakeApi):
    """An API with one route, /v1/thing, answering {"ok": true}; others are added by each test."""

    def __init__(self, token: str = TOKEN):
        super().__init__(token)
        self.route(r"/v1/thing", lambda r, m: Reply(200, {"ok": True}))


@pytest.fixture
def api():
    fake = Echo().start()
    yield fake
    fake.stop()


@pytest.fixture
def elsewhere():
    fake = Echo().start()  # another host: (127.0.0.1, another port)
    yield fake
    fake.stop()


def client(fake: FakeApi, secret: str = TOKEN, **policy) -> http.ApiClient:
    settings = {**FAST, "max_attempts": 1, **policy}
    return http.ApiClient(
        "testnet",
        f"{fake.base_url}/v1/",
        Credentials(secret=secret, conn_id="socialpulse_test"),
        policy=http.RetryPolicy.from_settings(settings),
        sleep=lambda s: None,
    )


# -- redirects -------------------------------------------------------------------------------------------
def test_a_redirect_to_another_host_is_not_followed_and_its_body_never_becomes_data(api, elsewhere):
    api.fail(
        r"/v1/thing$",
        Reply(302, {"data": "the redirect's own body"}, {"Location": f"{elsewhere.base_url}/v1/thing"}),
    )
    with pytest.raises(
        ConnectorError, match=r"^testnet GET /v1/thing: HTTP 302 redirect to 127\.0\.0\.1:\d+ not followed"
    ) as error:
        client(api).get("thing")
    assert elsewhere.requests == [] and TOKEN not in str(error.value)


@pytest.mark.parametrize("status", [301, 307, 308])
def test_the_oauth_refresh_never_follows_a_redirect_with_the_refresh_token_and_client_secret(
    api, elsewhere, status
):
    elsewhere.serve_refresh("/token", REFRESH, "client", CLIENT_SECRET)
    api.fail(r"/token$", Reply(status, {}, {"Location": f"{elsewhere.base_url}/token"}))
    token = http.AccessToken(
        "testnet",
        Credentials(extra={"refresh_token": REFRESH, "client_id": "client", "client_secret": CLIENT_SECRET}),
        f"{api.base_url}/token",
        policy=http.RetryPolicy(max_attempts=1),
    )
    with pytest.raises(ConnectorError, match=rf"HTTP {status} redirect .* not followed") as error:
        token.get()
    assert elsewhere.requests == []  # the grant never reached the other host
    assert REFRESH not in str(error.value) and CLIENT_SECRET not in str(error.value)


def test_a_next_page_may_not_downgrade_https_to_http():
    secure = http.ApiClient("testnet", "https://api.example/v1/", Credentials(secret=TOKEN))
    assert secure.url("https://api.example/v1/thing?page=2") == "https://api.example/v1/thing?page=2"
    with pytest.raises(ConnectorError, match="refusing to follow an http URL from an https API") as error:
        secure.url("http://api.example/v1/thing?page=2")
    assert TOKEN not in str(error.value)


# -- caps and deadline -------------------------------------------------------------------------------------
def test_a_body_over_the_cap_fails_naming_the_endpoint(api):
    api.fail(r"/v1/thing$", Reply(200, b'{"data": "' + b"x" * 300_000 + b'"}'))
    with pytest.raises(
        ConnectorError, match=r"^testnet GET /v1/thing: the response is larger than 100000 bytes"
    ):
        client(api, max_body_bytes=100_000).get("thing")


def test_a_gzip_bomb_is_stopped_at_the_cap_once_decompressed(api):
    bomb = gzip.compress(b'{"data": "' + b"0" * 50_000_000 + b'"}')  # about 50 KiB on the wire
    assert len(bomb) < 100_000
    api.fail(r"/v1/thing$", Reply(200, bomb, {"Content-Encoding": "gzip"}))
    with pytest.raises(ConnectorError, match=r"larger than 1000000 bytes \(decompressed\)"):
        client(api, max_body_bytes=1_000_000).get("thing")


def test_a_small_gzip_body_is_read_as_usual(api):
    api.fail(r"/v1/thing$", Reply(200, gzip.compress(b'{"ok": "zipped"}'), {"Content-Encoding": "gzip"}))
    assert client(api).get("thing") == {"ok": "zipped"}


def test_a_server_dribbling_a_byte_at_a_time_fails_at_the_request_deadline(api):
    # each byte comes well inside the 2 s read timeout, so only an overall deadline stops it
    api.fail(r"/v1/thing$", Reply(200, {"data": "x" * 40}, dribble=0.2))
    started = time.monotonic()
    with pytest.raises(
        ConnectorError,
        match=r"^testnet GET /v1/thing failed after 1 attempts: no complete answer within the 1 s deadline",
    ):
        client(api, request_deadline_seconds=1).get("thing")
    assert time.monotonic() - started < 5  # the whole body would take about 10 s


HEAD_PADDING = {"X-Padding": "x" * 100}  # with the rest, about 180 header bytes: 18 s at 0.1 s a byte


def our_threads() -> set[threading.Thread]:
    """Live threads but the fake server's (its handler may still be writing into the cut connection)."""
    return {t for t in threading.enumerate() if "process_request_thread" not in t.name}


def test_a_server_dribbling_its_status_line_and_headers_fails_at_the_request_deadline(api):
    # requests' read timeout (2 s) bounds each byte, never the whole head: only the watchdog stops this
    api.fail(r"/v1/thing$", Reply(200, {"ok": True}, HEAD_PADDING, dribble_head=0.1))
    before = our_threads()
    started = time.monotonic()
    with pytest.raises(
        ConnectorError,
        match=r"^testnet GET /v1/thing failed after 1 attempts: no complete answer within the 1 s deadline",
    ):
        client(api, request_deadline_seconds=1).get("thing")
    assert time.monotonic() - started < 9  # the whole head would take about 18 s
    assert our_threads() == before  # the watchdog's timer ended with its request


def test_a_request_cut_at_its_deadline_is_retried_like_any_timeout(api):
    api.fail(r"/v1/thing$", Reply(200, {"ok": True}, HEAD_PADDING, dribble_head=0.1))
    started = time.monotonic()
    assert client(api, request_deadline_seconds=1, max_attempts=2).get("thing") == {"ok": True}
    assert len(api.calls(r"/v1/thing$")) == 2 and time.monotonic() - started < 9


def test_a_token_endpoint_dribbling_its_headers_fails_at_the_request_deadline(api):
    api.serve_refresh("/token", REFRESH, "client", CLIENT_SECRET)
    api.fail(r"/token$", Reply(200, {"access_token": "tok"}, HEAD_PADDING, dribble_head=0.1))
    token = http.AccessToken(
        "testnet",
        Credentials(extra={"refresh_token": REFRESH, "client_id": "client", "client_secret": CLIENT_SECRET}),
        f"{api.base_url}/token",
        policy=http.RetryPolicy(max_attempts=1, request_deadline_seconds=1),
    )
    started = time.monotonic()
    with pytest.raises(ConnectorError, match=r"after 1 attempts: no complete answer within the 1 s deadline"):
        token.get()
    assert time.monotonic() - started < 9


# -- secrets in their encoded forms ------------------------------------------------------------------------------
def test_a_token_echoed_url_encoded_or_form_encoded_is_scrubbed():
    token = http.AccessToken("testnet", Credentials(secret=SECRET))
    for form in (SECRET, quote(SECRET, safe=""), quote(SECRET), quote_plus(SECRET), urlencode({"t": SECRET})):
        assert SECRET not in token.scrub(form) and "SECRET" not in token.scrub(form), form


def test_a_token_endpoint_echoing_the_form_body_leaks_nothing(api):
    grant = {"refresh_token": REFRESH, "client_id": "client", "client_secret": CLIENT_SECRET}

    def echo(request, match):
        body = urlencode({"grant_type": "refresh_token", **grant})
        return Reply(400, {"error": "invalid_grant", "error_description": f"bad request body: {body}"})

    api._post_routes.append((__import__("re").compile("/token$"), echo))
    token = http.AccessToken(
        "testnet", Credentials(extra=grant), f"{api.base_url}/token", policy=http.RetryPolicy(max_attempts=1)
    )
    with pytest.raises(ConnectorError, match="was refused") as error:
        token.get()
    text = str(error.value)
    assert "SECRET" not in text, text


def test_an_api_echoing_the_url_encoded_token_in_its_error_leaks_nothing(api):
    api.fail(
        r"/v1/thing$",
        Reply(
            400,
            {
                "error": {
                    "message": f"bad token {quote(SECRET, safe='')} in access_token={quote_plus(SECRET)}"
                }
            },
        ),
    )
    with pytest.raises(ConnectorError) as error:
        client(api, secret=SECRET).get("thing")
    assert "SECRET" not in str(error.value), str(error.value)


# -- answers that crash parsers -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "usage",
    [
        '{"call_count": "lots"}',
        '{"call_count": [1, 2]}',
        '{"123": [{"call_count": {"a": 1}}]}',
        "not json",
        "[" * 5000,
    ],
)
def test_a_malformed_meta_usage_header_fails_naming_the_endpoint(api, usage):
    api.add_headers(r"/v1/thing$", {"X-App-Usage": usage})
    with pytest.raises(ConnectorError, match=r"^testnet GET /v1/thing: the X-App-Usage header is not"):
        client(api).get("thing")


@pytest.mark.parametrize(
    "body, why",
    [
        (b"[" * 200_000 + b"]" * 200_000, "nested too deep"),
        (b'{"data": ' + b"9" * 5_000 + b"}", "not valid JSON"),
        (b'{"data": {"count": ' + b"7" * 4_000 + b"}}", None),  # parses: a field reader then refuses it
    ],
)
def test_json_that_crashes_parsers_fails_with_a_connector_error_naming_the_endpoint(api, body, why):
    api.fail(r"/v1/thing$", Reply(200, body))
    c = client(api)
    if why is None:
        answer = c.get("thing")
        with pytest.raises(ConnectorError, match=r"should be a count .*not the number 7{10}"):
            c.fields("thing", "thing").count(answer, "data.count")
        return
    with pytest.raises(ConnectorError, match=rf"^testnet GET /v1/thing: .*{why}"):
        c.get("thing")
