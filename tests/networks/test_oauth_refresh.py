"""OAuth refresh for YouTube (Google's token endpoint) and LinkedIn (programmatic refresh tokens), against
fakes that serve the token endpoint in its wire format: a form-encoded POST, a JSON answer."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fakes.harness import FAST, TOKEN, assert_no_secret, lake_rows, run_pipeline
from fakes.linkedin_api import FakeLinkedInApi
from fakes.server import FakeApi
from fakes.youtube_api import CHANNEL_ID, FakeYouTubeApi

from socialpulse.domain import Account, Interval
from socialpulse.networks.base import ConnectorError, Credentials
from socialpulse.networks.linkedin import LinkedInNetwork
from socialpulse.networks.youtube import YouTubeNetwork

UTC = dt.UTC
DAY = dt.date(2026, 11, 2)
INTERVAL = Interval(dt.datetime(2026, 11, 2, tzinfo=UTC), dt.datetime(2026, 11, 3, tzinfo=UTC))
REFRESH_TOKEN = "rt-SECRET-1f0c9a-refresh-never-print"
CLIENT_ID = "socialpulse-test-client"
CLIENT_SECRET = "cs-SECRET-77aa41-client-never-print"
GRANT = {"refresh_token": REFRESH_TOKEN, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}


@dataclass
class Case:
    make_fake: Callable[[], FakeApi]
    connector: type
    account: Account
    token_path: str
    paged: str  # path regex of an endpoint read in several pages


CASES = {
    "youtube": Case(
        lambda: FakeYouTubeApi(TOKEN, DAY),
        YouTubeNetwork,
        Account("youtube", CHANNEL_ID, "Pulse", "brand"),
        "/token",
        r"/playlistItems$",
    ),
    "linkedin": Case(
        lambda: FakeLinkedInApi(TOKEN, "2414183", DAY),
        LinkedInNetwork,
        Account("linkedin", "2414183", "Pulse", "brand"),
        "/oauth/v2/accessToken",
        r"/rest/posts$",
    ),
}


@pytest.fixture(params=list(CASES))
def run(request):
    case = CASES[request.param]
    fake = case.make_fake().start()
    fake.serve_refresh(case.token_path, **GRANT)
    yield case, fake
    fake.stop()


def extract(case: Case, fake: FakeApi, sleeps, secret: str | None, extra: dict) -> dict:
    credentials = Credentials(secret=secret, extra=extra, conn_id=f"socialpulse_{case.account.network}")
    connector = case.connector(
        credentials,
        sleep=sleeps,
        base_url=fake.base_url,
        token_url=fake.base_url + case.token_path,
        page_size=2,
        **FAST,
    )
    return {name: table.to_pylist() for name, table in connector.extract(case.account, INTERVAL).items()}


def secrets_of(fake: FakeApi) -> list[str]:
    return [TOKEN, REFRESH_TOKEN, CLIENT_SECRET, *fake.issued]


def test_a_connection_with_only_a_refresh_token_gets_an_access_token_before_the_first_call(run, sleeps):
    case, fake = run
    rows = extract(case, fake, sleeps, secret=None, extra=GRANT)

    first = fake.requests[0]
    assert (first.method, first.path) == ("POST", case.token_path)
    assert first.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert first.form == {"grant_type": "refresh_token", **GRANT}
    assert len(fake.issued) == 1  # one refresh for the whole run, both YouTube APIs included
    gets = [r for r in fake.requests if r.method == "GET"]
    assert gets and all(r.headers["Authorization"] == f"Bearer {fake.issued[0]}" for r in gets)
    assert rows["posts"] and rows["messages"]


def test_an_access_token_expiring_mid_pagination_is_refreshed_once_and_the_request_repeated(
    run, sleeps, caplog
):
    case, fake = run
    baseline = extract(case, fake, [], secret=TOKEN, extra=GRANT)
    assert fake.issued == []  # a valid token is used as it is
    fake.requests.clear()
    fake.expires_after = 2  # the third call, a later page, finds the token expired

    caplog.set_level(logging.DEBUG)
    assert extract(case, fake, sleeps, secret=TOKEN, extra=GRANT) == baseline
    assert len(fake.issued) == 1 and sleeps == []
    pages = [r.raw_query for r in fake.requests if r.method == "GET" and re.search(case.paged, r.path)]
    again = [q for q in pages if pages.count(q) == 2]
    assert len(again) == 2 and again[0] != pages[0]  # a later page was asked twice: expired, then refreshed
    tokens = [
        r.headers["Authorization"] for r in fake.requests if r.method == "GET" and r.raw_query == again[0]
    ]
    assert tokens == [f"Bearer {TOKEN}", f"Bearer {fake.issued[0]}"]
    assert "refreshing the access token" in caplog.text
    assert not any(secret in caplog.text for secret in secrets_of(fake))


def test_a_refused_refresh_token_fails_naming_the_connection_and_no_secret(run, sleeps, caplog):
    case, fake = run
    caplog.set_level(logging.DEBUG)
    stale = {**GRANT, "refresh_token": "rt-SECRET-revoked-0000"}
    with pytest.raises(ConnectorError) as error:
        extract(case, fake, sleeps, secret=None, extra=stale)
    message = str(error.value)
    assert (
        f"the OAuth refresh for connection 'socialpulse_{case.account.network}' was refused (HTTP 400, "
        in message
    )
    assert (
        "invalid_grant, 'Token has been expired or revoked.'"
        if case.account.network == "youtube"
        else "invalid_request"
    ) in message
    assert "authorize the app again" in message
    for secret in ("rt-SECRET-revoked-0000", CLIENT_SECRET, TOKEN):
        assert secret not in message and secret not in caplog.text
    assert [r.method for r in fake.requests] == [
        "POST"
    ] and sleeps == []  # refused at once, nothing else asked


def test_a_token_refused_again_after_a_refresh_fails_instead_of_looping(run, sleeps):
    case, fake = run
    fake.fail(
        case.paged, fake.unauthorized(), fake.unauthorized()
    )  # expired, and the refreshed token refused too
    with pytest.raises(ConnectorError, match=r"token expired or missing permission .*rotate the connection"):
        extract(case, fake, sleeps, secret=TOKEN, extra=GRANT)
    assert len(fake.issued) == 1


def test_a_token_endpoint_error_is_retried_like_any_5xx(run, sleeps):
    case, fake = run
    from fakes.server import Reply

    fake.fail(case.token_path, Reply(503, {"error": "temporarily_unavailable"}))
    extract(case, fake, sleeps, secret=None, extra=GRANT)
    assert sleeps == [0.001] and len(fake.issued) == 1


def test_a_refresh_token_without_its_client_credentials_is_refused_naming_what_is_missing(run, sleeps):
    case, fake = run
    with pytest.raises(
        ConnectorError, match=r"holds a refresh_token but no client_secret in its extra"
    ) as error:
        extract(
            case, fake, sleeps, secret=None, extra={k: v for k, v in GRANT.items() if k != "client_secret"}
        )
    assert REFRESH_TOKEN not in str(error.value) and fake.requests == []


def test_refreshed_runs_land_in_the_lake_without_any_secret(run, tmp_path):
    case, fake = run
    fake.expires_after = 3
    account = {
        "network": case.account.network,
        "account_id": case.account.account_id,
        "handle": "Pulse",
        "purpose": "brand",
        "connection_id": f"socialpulse_{case.account.network}",
        "options": {
            "base_url": fake.base_url,
            "token_url": fake.base_url + case.token_path,
            "page_size": 2,
            **FAST,
        },
    }
    staged, published, lake = run_pipeline(tmp_path, account, INTERVAL, secret=TOKEN, extra=GRANT)

    assert staged == published and published["messages"] == len(lake_rows(lake, "messages")) > 0
    assert len(fake.issued) == 1
    assert_no_secret(lake)
    for path in lake.rglob("*"):
        if path.is_file():
            assert not any(secret.encode() in path.read_bytes() for secret in secrets_of(fake)), path
