"""The Facebook Pages and Instagram connectors against fake Graph API hosts."""

from __future__ import annotations

import datetime as dt

import pytest
from fakes.graph_api import VERSION, FakeFacebookApi, FakeInstagramApi
from fakes.harness import FAST, TOKEN, assert_no_secret, lake_rows, run_pipeline

from socialpulse.domain import Account, Interval
from socialpulse.networks.facebook import FacebookNetwork
from socialpulse.networks.instagram import InstagramNetwork

UTC = dt.UTC
DAY = dt.date(2026, 11, 2)
INTERVAL = Interval(dt.datetime(2026, 11, 2, tzinfo=UTC), dt.datetime(2026, 11, 3, tzinfo=UTC))
PAGE_ID = "1122334455"
IG_USER_ID = "17841400000000001"


@pytest.fixture
def facebook():
    fake = FakeFacebookApi(TOKEN, PAGE_ID, DAY).start()
    yield fake
    fake.stop()


@pytest.fixture
def instagram():
    fake = FakeInstagramApi(TOKEN, IG_USER_ID, DAY).start()
    yield fake
    fake.stop()


def test_facebook_reads_every_page_of_posts_and_comments_into_canonical_rows(facebook, credentials, sleeps):
    account = Account("facebook", PAGE_ID, "Pulse Care", "service")
    tables = FacebookNetwork(
        credentials, sleep=sleeps, base_url=facebook.base_url, page_size=2, **FAST
    ).extract(account, INTERVAL)

    # three pages of posts followed through paging.next, comments of each post over two pages
    assert len(facebook.calls(rf"/{VERSION}/{PAGE_ID}/posts$")) == 3
    assert len(facebook.calls(rf"/{PAGE_ID}_9003/comments$")) == 2

    posts = {p["post_id"]: p for p in tables["posts"].to_pylist()}
    assert set(posts) == {f"{PAGE_ID}_9000", f"{PAGE_ID}_9001"}
    assert posts[f"{PAGE_ID}_9000"]["links"] == ["https://example.com/launch"]
    assert posts[f"{PAGE_ID}_9000"]["created_at"] == dt.datetime(2026, 11, 2, 15, tzinfo=UTC)

    # metrics of the six posts of the 7-day lookback, none of the month-old one
    metrics = {m["post_id"]: m for m in tables["post_metrics_daily"].to_pylist()}
    assert len(metrics) == 6 and f"{PAGE_ID}_9006" not in metrics
    first, second = metrics[f"{PAGE_ID}_9000"], metrics[f"{PAGE_ID}_9001"]
    assert (
        first["impressions"],
        first["likes"],
        first["shares"],
        first["replies"],
        first["link_clicks"],
    ) == (1000, 40, 5, 3, 7)
    assert second["shares"] is None  # Graph left `shares` out: not a zero we may invent
    assert first["saves"] is None and first["video_views"] == 0

    messages = tables["messages"].to_pylist()
    assert (
        len(messages) == 12
    )  # a question and our answer under each of the six posts, nothing from the day before
    answer = next(m for m in messages if m["message_id"] == f"{PAGE_ID}_9003_c2")
    assert (
        answer["direction"] == "outbound"
        and answer["author_id"] == PAGE_ID
        and answer["author_handle"] == "Pulse Care"
    )
    assert (
        answer["parent_id"] == answer["thread_id"] == f"{PAGE_ID}_9003_c1"
        and answer["post_id"] == f"{PAGE_ID}_9003"
    )
    question = next(m for m in messages if m["message_id"] == f"{PAGE_ID}_9003_c1")
    assert (
        question["direction"] == "inbound"
        and question["parent_id"] == f"{PAGE_ID}_9003"
        and question["channel"] == "comment"
    )

    assert tables["audience_daily"].to_pylist() == [
        {
            "network": "facebook",
            "account_id": PAGE_ID,
            "date": DAY,
            "followers_total": 48_210,
            "followers_gained": 32,
            "followers_lost": 5,
        }
    ]
    # the token went as ?access_token= on every call, including the followed next URLs
    assert all(r.query.get("access_token") == TOKEN for r in facebook.requests)


def test_instagram_reads_media_comments_replies_and_new_followers(instagram, credentials, sleeps):
    account = Account("instagram", IG_USER_ID, "@pulse_care", "brand")
    tables = InstagramNetwork(
        credentials, sleep=sleeps, base_url=instagram.base_url, page_size=2, **FAST
    ).extract(account, INTERVAL)

    assert len(instagram.calls(rf"/{IG_USER_ID}/media$")) == 2
    posts = tables["posts"].to_pylist()
    assert sorted(p["post_id"] for p in posts) == ["179000000000000", "179000000000001"]
    metrics = {m["post_id"]: m for m in tables["post_metrics_daily"].to_pylist()}
    assert len(metrics) == 4  # the media of the lookback window, not the one of 20 days ago
    reel, image = metrics["179000000000001"], metrics["179000000000000"]
    assert (reel["impressions"], reel["likes"], reel["shares"], reel["saves"], reel["video_views"]) == (
        3001,
        121,
        5,
        10,
        3001,
    )
    assert image["video_views"] is None and image["link_clicks"] is None

    messages = {m["message_id"]: m for m in tables["messages"].to_pylist()}
    assert len(messages) == 8  # a question and our reply on each of the four media; older comments left out
    reply = messages["180100000000002"]
    assert reply["direction"] == "outbound" and reply["parent_id"] == reply["thread_id"] == "180000000000002"
    assert (
        messages["180000000000002"]["author_handle"] == "@fan2"
        and messages["180000000000002"]["parent_id"] == "179000000000002"
    )

    assert tables["audience_daily"].to_pylist() == [
        {
            "network": "instagram",
            "account_id": IG_USER_ID,
            "date": DAY,
            "followers_total": 12_873,
            "followers_gained": 23,
            "followers_lost": None,
        }
    ]


@pytest.mark.parametrize("network", ["facebook", "instagram"])
def test_graph_networks_run_through_the_pipeline_into_the_lake(network, facebook, instagram, tmp_path):
    fake, account_id = (facebook, PAGE_ID) if network == "facebook" else (instagram, IG_USER_ID)
    account = {
        "network": network,
        "account_id": account_id,
        "handle": "@pulse_care",
        "purpose": "service",
        "connection_id": f"socialpulse_{network}",
        "options": {"base_url": fake.base_url, "page_size": 2, **FAST},
    }
    staged, published, lake = run_pipeline(tmp_path, account, INTERVAL)

    assert (
        staged == published
        and published["posts"] == 2
        and published["messages"] == (12 if network == "facebook" else 8)
    )
    assert {r["date"] for r in lake_rows(lake, "post_metrics_daily")} == {DAY}
    assert len(lake_rows(lake, "messages")) == published["messages"]
    assert_no_secret(lake)
