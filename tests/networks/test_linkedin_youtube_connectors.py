"""The LinkedIn Pages and YouTube connectors against their fake APIs."""

from __future__ import annotations

import datetime as dt

import pytest
from fakes.harness import FAST, TOKEN, assert_no_secret, lake_rows, run_pipeline
from fakes.linkedin_api import FakeLinkedInApi
from fakes.youtube_api import CHANNEL_ID, FakeYouTubeApi

from socialpulse.domain import Account, Interval
from socialpulse.networks.linkedin import LinkedInNetwork
from socialpulse.networks.youtube import YouTubeNetwork

UTC = dt.UTC
DAY = dt.date(2026, 11, 2)
INTERVAL = Interval(dt.datetime(2026, 11, 2, tzinfo=UTC), dt.datetime(2026, 11, 3, tzinfo=UTC))
ORG_ID = "2414183"
ORG = f"urn:li:organization:{ORG_ID}"


@pytest.fixture
def linkedin():
    fake = FakeLinkedInApi(TOKEN, ORG_ID, DAY).start()
    yield fake
    fake.stop()


@pytest.fixture
def youtube():
    fake = FakeYouTubeApi(TOKEN, DAY).start()
    yield fake
    fake.stop()


def test_linkedin_reads_posts_statistics_comments_and_replies(linkedin, credentials, sleeps):
    account = Account("linkedin", ORG_ID, "Pulse", "brand")
    tables = LinkedInNetwork(
        credentials, sleep=sleeps, base_url=linkedin.base_url, page_size=2, **FAST
    ).extract(account, INTERVAL)

    # newest first, two per page: the third page reaches a post older than the lookback and reading stops
    post_calls = linkedin.calls(r"/rest/posts$")
    assert [c.query["start"] for c in post_calls] == ["0", "2", "4"]
    assert all(
        c.headers["X-Restli-Protocol-Version"] == "2.0.0" and c.headers["LinkedIn-Version"]
        for c in linkedin.requests
    )

    posts = {p["post_id"]: p for p in tables["posts"].to_pylist()}
    share, ugc = "urn:li:share:7000000000000000000", "urn:li:ugcPost:7000000000000000001"
    assert set(posts) == {share, ugc}
    assert posts[share]["kind"] == "original" and posts[share]["links"] == ["https://example.com/report"]
    assert posts[ugc]["kind"] == "share"  # a reshare of another post

    metrics = {m["post_id"]: m for m in tables["post_metrics_daily"].to_pylist()}
    assert len(metrics) == 5  # one post is 40 days old
    assert (
        metrics[share]["impressions"],
        metrics[share]["likes"],
        metrics[share]["shares"],
        metrics[share]["replies"],
        metrics[share]["link_clicks"],
        metrics[share]["saves"],
    ) == (1500, 60, 3, 2, 25, None)

    messages = {m["message_id"]: m for m in tables["messages"].to_pylist()}
    assert len(messages) == 10
    question = messages["urn:li:comment:(urn:li:activity:7100000000000000002,201)"]
    answer = messages["urn:li:comment:(urn:li:activity:7100000000000000002,202)"]
    assert question["direction"] == "inbound" and question["author_id"] == "urn:li:person:member2"
    assert (
        answer["direction"] == "outbound"
        and answer["author_id"] == ORG
        and answer["staff_member"] == "urn:li:person:staffAda"
    )
    assert answer["parent_id"] == answer["thread_id"] == question["message_id"]
    assert question["parent_id"] == question["post_id"] == "urn:li:share:7000000000000000002"

    assert tables["audience_daily"].to_pylist() == [
        {
            "network": "linkedin",
            "account_id": ORG_ID,
            "date": DAY,
            "followers_total": 10_234,
            "followers_gained": 13,
            "followers_lost": None,
        }
    ]


def test_youtube_reads_uploads_statistics_threads_all_replies_and_subscribers(youtube, credentials, sleeps):
    account = Account("youtube", CHANNEL_ID, "Pulse", "brand")
    tables = YouTubeNetwork(
        credentials, sleep=sleeps, base_url=youtube.base_url, page_size=2, **FAST
    ).extract(account, INTERVAL)

    assert [c.query.get("pageToken") for c in youtube.calls(r"/playlistItems$")] == [None, "CA2QAA", "CA4QAA"]
    posts = {p["post_id"]: p for p in tables["posts"].to_pylist()}
    assert set(posts) == {"vid00000000xx", "vid00000001xx"} and posts["vid00000000xx"]["text"] == "Video 0"

    metrics = {m["post_id"]: m for m in tables["post_metrics_daily"].to_pylist()}
    assert len(metrics) == 4  # the 60-day-old video is outside the lookback
    assert (
        metrics["vid00000000xx"]["video_views"],
        metrics["vid00000000xx"]["likes"],
        metrics["vid00000000xx"]["replies"],
    ) == (1500, 80, 3)
    assert metrics["vid00000001xx"]["likes"] is None  # hidden by the owner: unknown, not zero
    assert metrics["vid00000000xx"]["impressions"] is None

    messages = {m["message_id"]: m for m in tables["messages"].to_pylist()}
    # five threads of four messages (the third reply comes from comments.list): commentThreads covers
    # the whole channel, so today's thread under the 60-day-old video counts too
    assert len(messages) == 20
    assert youtube.calls(r"/youtube/v3/comments$")
    ours = messages["Ugz000002thread.r0"]
    assert ours["direction"] == "outbound" and ours["parent_id"] == ours["thread_id"] == "Ugz000002thread"
    assert (
        messages["Ugz000002thread"]["parent_id"] == messages["Ugz000002thread"]["post_id"] == "vid00000002xx"
    )
    assert messages["Ugz000002thread.r2"]["author_handle"] == "@helper"

    assert tables["audience_daily"].to_pylist() == [
        {
            "network": "youtube",
            "account_id": CHANNEL_ID,
            "date": DAY,
            "followers_total": 48_700,
            "followers_gained": 14,
            "followers_lost": 3,
        }
    ]


@pytest.mark.parametrize("network", ["linkedin", "youtube"])
def test_linkedin_and_youtube_run_through_the_pipeline_into_the_lake(network, linkedin, youtube, tmp_path):
    fake, account_id = (linkedin, ORG_ID) if network == "linkedin" else (youtube, CHANNEL_ID)
    account = {
        "network": network,
        "account_id": account_id,
        "handle": "Pulse",
        "purpose": "brand",
        "connection_id": f"socialpulse_{network}",
        "options": {"base_url": fake.base_url, "page_size": 2, **FAST},
    }
    staged, published, lake = run_pipeline(tmp_path, account, INTERVAL)

    assert staged == published and published["posts"] == 2
    assert published["messages"] == (10 if network == "linkedin" else 20) == len(lake_rows(lake, "messages"))
    assert lake_rows(lake, "audience_daily")[0]["followers_gained"] == (13 if network == "linkedin" else 14)
    assert_no_secret(lake)
