"""X with OAuth 1.0a user context: the signer against X's published example, and the connector against a
fake X API that verifies every signature from the raw request it received."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import unquote

import pytest
from fakes.harness import FAST, assert_no_secret, lake_rows, run_pipeline
from fakes.oauth1 import OAuth1Keys, OAuth1Verifier
from fakes.server import Reply
from fakes.x_api import ACCOUNT_ID, FakeXApi

from socialpulse.domain import Account, Interval
from socialpulse.http import OAuth1Signer, signature_base_string
from socialpulse.networks.base import ConnectorError, Credentials
from socialpulse.networks.x import XNetwork

UTC = dt.UTC
DAY = Interval(dt.datetime(2022, 10, 7, tzinfo=UTC), dt.datetime(2022, 10, 8, tzinfo=UTC))
ACCOUNT = Account("x", ACCOUNT_ID, "@Twitter", "service", connection_id="socialpulse_x")

# The worked example of docs.x.com, "Creating a signature"
# (https://docs.x.com/fundamentals/authentication/oauth-1-0a/creating-a-signature; its source
# xdevplatform/docs fundamentals/authentication/oauth-1-0a/creating-a-signature.mdx at 93da0e8d).
# The keys are the page's own, "marked as invalid for real requests". Every expected value is copied
# from the page, not computed here.
DOC = {
    "method": "POST",
    "url": "https://api.x.com/1.1/statuses/update.json?include_entities=true",
    "body": {"status": "Hello Ladies + Gentlemen, a signed OAuth request!"},
    "consumer_key": "xvz1evFS4wEEPTGEFPHBog",
    "consumer_secret": "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
    "token": "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
    "token_secret": "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
    "nonce": "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
    "timestamp": 1318622958,
    "base_string": (
        "POST&https%3A%2F%2Fapi.x.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3D"
        "xvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3D"
        "HMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26"
        "oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521"
    ),
    "signature": "Ls93hJiZbQ3akF3HF3x1Bz8/zU4=",
}

# Recognisable test keys: the scans below look for each of them.
KEYS = {
    "api_key": "ak-SECRET-0a1-consumer-key-never-print",
    "api_key_secret": "aks-SECRET-7f3+/=&consumer secret never print",  # characters that must be percent-encoded
    "access_token": "783214-at-SECRET-5d2-access-token-never-print",
    "access_token_secret": "ats-SECRET-9c8-token-secret-never-print",
}
FAKE_KEYS = OAuth1Keys(
    KEYS["api_key"], KEYS["api_key_secret"], KEYS["access_token"], KEYS["access_token_secret"]
)


def header_params(authorization: str) -> dict[str, str]:
    return {name: unquote(value) for name, value in re.findall(r'(\w+)="([^"]*)"', authorization)}


def test_signature_matches_the_worked_example_of_xs_creating_a_signature_page():
    signer = OAuth1Signer(
        "x", "doc", DOC["consumer_key"], DOC["consumer_secret"], DOC["token"], DOC["token_secret"]
    )
    header = signer.authorization(
        DOC["method"], DOC["url"], DOC["body"], nonce=DOC["nonce"], timestamp=DOC["timestamp"]
    )

    assert header.startswith("OAuth ")
    sent = header_params(header)
    assert sent["oauth_signature"] == DOC["signature"]
    assert sent == {
        "oauth_consumer_key": DOC["consumer_key"],
        "oauth_nonce": DOC["nonce"],
        "oauth_signature": DOC["signature"],
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_timestamp": str(DOC["timestamp"]),
        "oauth_token": DOC["token"],
        "oauth_version": "1.0",
    }
    oauth = {k: v for k, v in sent.items() if k != "oauth_signature"}
    params = [("include_entities", "true"), *DOC["body"].items(), *oauth.items()]
    assert signature_base_string(DOC["method"], DOC["url"], params) == DOC["base_string"]


def test_the_fakes_verifier_accepts_the_worked_example_and_nothing_else():
    """The fake's independent check agrees with X's page, so a signer passing it signs as X expects."""
    keys = OAuth1Keys(DOC["consumer_key"], DOC["consumer_secret"], DOC["token"], DOC["token_secret"])
    header = (
        'OAuth oauth_consumer_key="xvz1evFS4wEEPTGEFPHBog", oauth_nonce="kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", '
        'oauth_signature="Ls93hJiZbQ3akF3HF3x1Bz8%2FzU4%3D", oauth_signature_method="HMAC-SHA1", '
        'oauth_timestamp="1318622958", oauth_token="370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", oauth_version="1.0"'
    )
    body = list(DOC["body"].items())

    def check(verifier, header=header, query="include_entities=true", body=body):
        return verifier.check(
            "POST", "api.x.com", "/1.1/statuses/update.json", query, header, body, now=DOC["timestamp"]
        )

    assert check(OAuth1Verifier(keys, scheme="https"))
    assert not check(OAuth1Verifier(keys, scheme="https"), query="include_entities=false")
    assert not check(OAuth1Verifier(keys, scheme="https"), header=header.replace("Ls93h", "Ls93i"))
    replay = OAuth1Verifier(keys, scheme="https")
    assert check(replay) and not check(replay) and replay.rejections == ["nonce missing or used before"]


@pytest.fixture
def api():
    fake = FakeXApi("bearer-not-accepted-here", oauth1=FAKE_KEYS).start()
    yield fake
    fake.stop()


def oauth1_credentials(**overrides) -> Credentials:
    return Credentials(secret=None, extra={**KEYS, **overrides}, conn_id="socialpulse_x_oauth1")


def test_x_signs_every_request_with_oauth1_and_reads_pages_of_tweets_mentions_and_dms(api, sleeps):
    tables = XNetwork(
        oauth1_credentials(), sleep=sleeps, base_url=api.base_url, page_size=5, direct_messages=True, **FAST
    ).extract(ACCOUNT, DAY)

    assert api.oauth1.rejections == []
    assert (
        len(api.calls(r"/tweets$")) == 2
        and len(api.calls(r"/mentions$")) == 2
        and len(api.calls(r"/2/dm_events$")) == 2
    )
    assert api.calls(r"/mentions$")[1].query[
        "pagination_token"
    ]  # the second pages were signed with their token
    headers = [r.headers["Authorization"] for r in api.requests]
    assert all(h.startswith("OAuth ") for h in headers)
    assert (
        len({header_params(h)["oauth_nonce"] for h in headers}) == len(api.requests) == 7
    )  # user, 2 + 2 + 2 pages
    messages = tables["messages"].to_pylist()
    assert len(messages) == 16 + 9 and sum(m["channel"] == "direct_message" for m in messages) == 9
    assert sleeps == []


def test_x_oauth1_connection_through_the_pipeline_keeps_every_key_out_of_the_lake(api, tmp_path, caplog):
    account = {
        "network": "x",
        "account_id": ACCOUNT_ID,
        "handle": "@Twitter",
        "purpose": "service",
        "connection_id": "socialpulse_x",
        "options": {"base_url": api.base_url, "page_size": 5, "direct_messages": True, **FAST},
    }
    with caplog.at_level("DEBUG"):
        staged, published = run_pipeline(tmp_path, account, DAY, secret=None, extra=KEYS)[:2]
    assert staged == published and published["messages"] == 25
    lake = tmp_path / "lake"
    assert len(lake_rows(lake, "messages")) == 25
    assert_no_secret(lake, caplog.text)
    for secret in KEYS.values():
        assert secret not in caplog.text
        assert not [p for p in lake.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_x_retry_is_signed_again_with_a_new_nonce(api, sleeps):
    api.fail(r"/tweets$", Reply(503, {"title": "Service Unavailable"}))
    XNetwork(oauth1_credentials(), sleep=sleeps, base_url=api.base_url, page_size=5, **FAST).extract(
        ACCOUNT, DAY
    )
    assert len(sleeps) == 1 and api.oauth1.rejections == []  # the fake refuses a nonce it has seen


def test_x_wrong_oauth1_secret_fails_with_xs_401_naming_the_connection_and_no_key(api, sleeps):
    credentials = oauth1_credentials(access_token_secret="ats-SECRET-wrong-token-secret-never-print")
    with pytest.raises(ConnectorError) as failure:
        XNetwork(credentials, sleep=sleeps, base_url=api.base_url, **FAST).extract(ACCOUNT, DAY)
    message = str(failure.value)
    assert (
        "HTTP 401 (Unauthorized): the OAuth 1.0a signature of connection 'socialpulse_x_oauth1' was refused"
        in message
    )
    assert "access_token_secret in its extra" in message
    assert api.oauth1.rejections == ["signature mismatch"]
    for secret in [*KEYS.values(), "ats-SECRET-wrong-token-secret-never-print"]:
        assert secret not in message


def test_x_connection_with_only_some_oauth1_keys_says_which_are_missing_without_printing_the_others():
    credentials = Credentials(
        secret=None,
        extra={"api_key": KEYS["api_key"], "api_key_secret": KEYS["api_key_secret"]},
        conn_id="socialpulse_x_oauth1",
    )
    with pytest.raises(
        ConnectorError,
        match=r"connection 'socialpulse_x_oauth1' holds OAuth 1.0a keys but no access_token or "
        r"access_token_secret in its extra",
    ) as failure:
        XNetwork(credentials, base_url="http://127.0.0.1:9")
    assert all(secret not in str(failure.value) for secret in KEYS.values())


def test_x_app_without_the_direct_message_permission_skips_dms_with_a_warning(api, sleeps, caplog):
    api.dm_read = False
    with caplog.at_level("WARNING"):
        tables = XNetwork(
            oauth1_credentials(),
            sleep=sleeps,
            base_url=api.base_url,
            page_size=5,
            direct_messages=True,
            **FAST,
        ).extract(ACCOUNT, DAY)
    assert len(tables["messages"].to_pylist()) == 16
    assert (
        "may not read direct messages" in caplog.text and "permissions include Direct Messages" in caplog.text
    )
    assert all(secret not in caplog.text for secret in KEYS.values())


def test_x_without_oauth1_keys_still_sends_the_bearer_token(sleeps):
    fake = FakeXApi("tok-app-only").start()
    try:
        XNetwork(
            Credentials(secret="tok-app-only", conn_id="socialpulse_x"),
            sleep=sleeps,
            base_url=fake.base_url,
            **FAST,
        ).extract(ACCOUNT, DAY)
        assert fake.requests and all(
            r.headers["Authorization"] == "Bearer tok-app-only" for r in fake.requests
        )
    finally:
        fake.stop()
