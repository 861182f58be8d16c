"""The X connector against a fake X API v2 serving the real recorded responses."""

from __future__ import annotations

import datetime as dt

import pytest
from fakes.harness import FAST, TOKEN, assert_no_secret, lake_rows, run_pipeline
from fakes.x_api import ACCOUNT_ID, FakeXApi, recording, snowflake_time

from socialpulse import metrics
from socialpulse.domain import Account, Interval
from socialpulse.networks.base import ConnectorError
from socialpulse.networks.x import XNetwork

UTC = dt.UTC
# The day the mentions were recorded (2022-10-07, ~22:42 UTC)
DAY = Interval(dt.datetime(2022, 10, 7, tzinfo=UTC), dt.datetime(2022, 10, 8, tzinfo=UTC))
ACCOUNT = Account("x", ACCOUNT_ID, "@Twitter", "service", connection_id="socialpulse_x")


@pytest.fixture
def api():
    fake = FakeXApi(TOKEN).start()
    yield fake
    fake.stop()


def test_x_reads_every_page_of_tweets_and_mentions_into_canonical_rows(api, credentials, sleeps):
    tables = XNetwork(credentials, sleep=sleeps, base_url=api.base_url, page_size=5, **FAST).extract(
        ACCOUNT, DAY
    )

    # several pages: the recorded next_token is sent back, then the fake's own
    mention_calls = api.calls(r"/mentions$")
    assert len(mention_calls) == 2
    assert (
        mention_calls[1].query["pagination_token"]
        == recording("get_users_mentions")["body"]["meta"]["next_token"]
    )
    assert len(api.calls(r"/tweets$")) == 2

    posts = tables["posts"].to_pylist()
    assert len(posts) == 6 and {p["kind"] for p in posts} == {"reply"}  # our six answers, all on the test day
    assert all(p["created_at"] == snowflake_time(p["post_id"]) for p in posts)

    messages = tables["messages"].to_pylist()
    inbound = [m for m in messages if m["direction"] == "inbound"]
    outbound = [m for m in messages if m["direction"] == "outbound"]
    assert len(inbound) == 10 and len(outbound) == 6
    first = next(m for m in inbound if m["message_id"] == "1578516295611748353")
    assert first["text"].startswith("@Twitter @TwitterSupport this is my ENTIRE feed")
    assert first["author_handle"] == "@Zamari97491661"  # the real user of the recorded followers page
    assert first["thread_id"] == first["post_id"] == "1577730467436138524"  # it answers our recorded tweet
    answer = next(m for m in outbound if m["parent_id"] == first["message_id"])
    assert (
        answer["thread_id"] == first["thread_id"]
        and answer["author_id"] == ACCOUNT_ID
        and answer["intent"] is None
    )
    assert {m["channel"] for m in messages} == {"mention"}

    # metrics: the six replies and the recorded tweet of 2022-10-05 (inside the 7-day lookback), not
    # the one of 2022-09-01; shares are retweets plus quotes; link clicks need non_public_metrics
    metrics = {m["post_id"]: m for m in tables["post_metrics_daily"].to_pylist()}
    assert "1577730467436138524" in metrics and "1565318587736285184" not in metrics and len(metrics) == 7
    original = next(t for t in api.timeline if t["id"] == "1577730467436138524")["public_metrics"]
    row = metrics["1577730467436138524"]
    assert row["date"] == dt.date(2022, 10, 7)
    assert row["shares"] == original["retweet_count"] + original["quote_count"]
    assert row["impressions"] == original["impression_count"] and row["saves"] == original["bookmark_count"]
    assert row["link_clicks"] is None and row["video_views"] is None

    audience = tables["audience_daily"].to_pylist()
    assert audience == [
        {
            "network": "x",
            "account_id": ACCOUNT_ID,
            "date": dt.date(2022, 10, 7),
            "followers_total": api.followers_count,
            "followers_gained": None,
            "followers_lost": None,
        }
    ]
    assert sleeps == []


def test_x_unknown_user_id_says_what_account_id_must_be(api, credentials, sleeps):
    account = Account("x", "999999999", "@nobody", "service")
    with pytest.raises(
        ConnectorError,
        match=r"no user 999999999 \(Could not find user with id: \[999999999\]\.\); account_id must be the numeric",
    ):
        XNetwork(credentials, sleep=sleeps, base_url=api.base_url, **FAST).extract(account, DAY)


def test_x_run_through_the_pipeline_lands_validated_rows_in_the_lake(api, tmp_path):
    account = {
        "network": "x",
        "account_id": ACCOUNT_ID,
        "handle": "@Twitter",
        "purpose": "service",
        "connection_id": "socialpulse_x",
        "options": {"base_url": api.base_url, "page_size": 5, **FAST},
    }
    staged, published, lake = run_pipeline(tmp_path, account, DAY)

    assert staged == published
    assert published["posts"] == 6 and published["messages"] == 16 and published["post_metrics_daily"] == 7
    assert {r["message_id"] for r in lake_rows(lake, "messages")} >= {
        "1578516295611748353",
        "1578516107798884353",
    }
    assert lake_rows(lake, "audience_daily")[0]["followers_total"] == api.followers_count
    assert all(r.headers.get("Authorization") == f"Bearer {TOKEN}" for r in api.requests)
    assert_no_secret(lake)


def dm_rows(tables) -> list[dict]:
    return [m for m in tables["messages"].to_pylist() if m["channel"] == "direct_message"]


def test_x_direct_messages_are_read_page_by_page_as_private_threads(api, credentials, sleeps):
    tables = XNetwork(
        credentials, sleep=sleeps, base_url=api.base_url, page_size=5, direct_messages=True, **FAST
    ).extract(ACCOUNT, DAY)

    calls = api.calls(r"/2/dm_events$")
    assert [c.query.get("pagination_token") for c in calls] == [
        None,
        "dm-page-5",
    ]  # the second page reaches an older DM: stop
    assert calls[0].query["event_types"] == "MessageCreate" and calls[0].query["expansions"] == "sender_id"
    assert {"sender_id", "dm_conversation_id", "created_at"} <= set(
        calls[0].query["dm_event.fields"].split(",")
    )

    dms = dm_rows(tables)
    assert (
        len(dms) == 9
    )  # the day's messages: not the join event of the group, not the message of two days before
    inbound = [m for m in dms if m["direction"] == "inbound"]
    outbound = [m for m in dms if m["direction"] == "outbound"]
    assert len(inbound) == 5 and len(outbound) == 4
    first = api.followers[0]
    conversation = "-".join(sorted((ACCOUNT_ID, first["id"]), key=int))
    thread = sorted((m for m in dms if m["thread_id"] == conversation), key=lambda m: m["created_at"])
    assert [m["direction"] for m in thread] == ["inbound", "outbound", "inbound", "outbound"]
    assert thread[0]["author_id"] == first["id"] and thread[0]["author_handle"] == f"@{first['username']}"
    assert thread[1]["author_id"] == ACCOUNT_ID and thread[1]["author_handle"] == "@Twitter"
    assert all(m["parent_id"] is None and m["post_id"] is None and m["intent"] is None for m in dms)
    assert len(tables["messages"].to_pylist()) == 16 + 9  # mentions and replies as before


def test_x_direct_messages_are_off_unless_asked_for(api, credentials, sleeps):
    XNetwork(credentials, sleep=sleeps, base_url=api.base_url, page_size=5, **FAST).extract(ACCOUNT, DAY)
    assert api.calls(r"/2/dm_events$") == []


def test_x_token_without_dm_read_skips_direct_messages_with_a_warning(api, credentials, sleeps, caplog):
    api.dm_read = False
    with caplog.at_level("WARNING"):
        tables = XNetwork(
            credentials, sleep=sleeps, base_url=api.base_url, page_size=5, direct_messages=True, **FAST
        ).extract(ACCOUNT, DAY)
    assert (
        dm_rows(tables) == [] and len(tables["messages"].to_pylist()) == 16
    )  # the rest of the run is intact
    assert (
        "may not read direct messages" in caplog.text
        and "dm.read" in caplog.text
        and "socialpulse_test" in caplog.text
    )
    assert TOKEN not in caplog.text


def test_x_dm_events_without_their_conversation_are_skipped_naming_the_field(api, credentials, sleeps):
    api.drop_fields = {"dm_conversation_id"}
    tables = XNetwork(
        credentials, sleep=sleeps, base_url=api.base_url, page_size=5, direct_messages=True, **FAST
    ).extract(ACCOUNT, DAY)
    assert not [m for m in tables["messages"].to_pylist() if m["channel"] == "direct_message"]
    issues = [i for i in tables["extraction_issues"].to_pylist() if i["endpoint"] == "/2/dm_events"]
    assert issues and all(
        i["kind"] == "item_skipped" and "lacks the required field 'dm_conversation_id'" in i["detail"]
        for i in issues
    )


def test_x_direct_messages_count_as_service_requests_answered_in_their_conversation(api, tmp_path):
    from socialpulse import metrics
    from socialpulse.lake import Lake

    account = {
        "network": "x",
        "account_id": ACCOUNT_ID,
        "handle": "@Twitter",
        "purpose": "service",
        "connection_id": "socialpulse_x",
        "options": {"base_url": api.base_url, "page_size": 5, "direct_messages": True, **FAST},
    }
    staged, published, lake_root = run_pipeline(tmp_path, account, DAY)
    assert staged == published and published["messages"] == 25
    lake = Lake(lake_root)
    metrics.compute_marts(lake, marts=("service_requests",))
    requests = {r["message_id"]: r for r in lake_rows_of_mart(lake) if r["channel"] == "direct_message"}

    # every customer's first DM and the follow-up after our answer; the unanswered one stays open
    assert len(requests) == 5
    answered = sorted(r["response_hours"] for r in requests.values() if r["responded_at"] is not None)
    assert answered == pytest.approx(
        [1 / 3, 2 / 3, 1.0, 1.0]
    )  # 20, 40 and 60 minutes, then the follow-up after an hour
    assert sum(r["responded_at"] is None for r in requests.values()) == 1


def lake_rows_of_mart(lake) -> list[dict]:

    return metrics.read_mart(lake, "service_requests").to_pylist()


def test_x_direct_messages_rate_limited_wait_and_carry_on(api, credentials, sleeps):
    from fakes.x_api import too_many_requests

    api.fail(r"/2/dm_events$", too_many_requests(retry_after="2"))
    tables = XNetwork(
        credentials, sleep=sleeps, base_url=api.base_url, page_size=5, direct_messages=True, **FAST
    ).extract(ACCOUNT, DAY)
    assert sleeps == [2.0] and len(dm_rows(tables)) == 9
