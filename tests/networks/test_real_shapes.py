"""What the real APIs send that the connectors once died on (issue #14), through the pipeline's own task path.

Each shape was found in a recorded response of the real API: a Facebook comment without `id` and `from`
(the token's person lacks the MODERATE task), post insights asked without `period` (each metric twice,
lifetime then day), a retired insights metric (`(#100) The value must be a valid insights metric`), an
Instagram media whose insights Graph refuses (error 100 / 2108006 with an `error_user_msg`), a LinkedIn
comment without `commentUrn`, a negative LinkedIn follower gain, a 403 on LinkedIn comments, photo
attachments among the links, and YouTube's videos.list refusing `maxResults` beside `id`. Each run must
succeed with the right rows, the right nulls, and an extraction_issues row saying what is missing.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from fakes.graph_api import FakeFacebookApi, FakeInstagramApi
from fakes.harness import FAST, TOKEN, assert_no_secret, lake_rows, run_pipeline
from fakes.linkedin_api import FakeLinkedInApi
from fakes.x_api import ACCOUNT_ID as X_ACCOUNT_ID
from fakes.x_api import FakeXApi
from fakes.youtube_api import CHANNEL_ID, FakeYouTubeApi

from socialpulse import metrics
from socialpulse.domain import Interval

UTC = dt.UTC
DAY = dt.date(2026, 11, 2)
INTERVAL = Interval(dt.datetime(2026, 11, 2, tzinfo=UTC), dt.datetime(2026, 11, 3, tzinfo=UTC))
NEXT = Interval(dt.datetime(2026, 11, 3, tzinfo=UTC), dt.datetime(2026, 11, 4, tzinfo=UTC))
# a week: the own tweets with urls are a few days older than the replies of the 7th
X_INTERVAL = Interval(dt.datetime(2022, 10, 1, tzinfo=UTC), dt.datetime(2022, 10, 8, tzinfo=UTC))
PAGE_ID = "1122334455"
IG_USER_ID = "17841400000000001"
ORG_ID = "2414183"


@pytest.fixture
def fake(request):
    made = request.param().start()
    yield made
    made.stop()


def account(network: str, account_id: str, fake, **options) -> dict:
    return {
        "network": network,
        "account_id": account_id,
        "handle": "Pulse Care",
        "purpose": "service",
        "connection_id": f"socialpulse_{network}",
        "options": {"base_url": fake.base_url, "page_size": 2, **FAST, **options},
    }


def issues(lake, kind: str | None = None) -> list[dict]:
    return [i for i in lake_rows(lake, "extraction_issues") if kind is None or i["kind"] == kind]


def metrics_of(lake) -> dict[str, dict]:
    return {m["post_id"]: m for m in lake_rows(lake, "post_metrics_daily")}


facebook = pytest.mark.parametrize("fake", [lambda: FakeFacebookApi(TOKEN, PAGE_ID, DAY)], indirect=True)
instagram = pytest.mark.parametrize("fake", [lambda: FakeInstagramApi(TOKEN, IG_USER_ID, DAY)], indirect=True)
linkedin = pytest.mark.parametrize("fake", [lambda: FakeLinkedInApi(TOKEN, ORG_ID, DAY)], indirect=True)


# -- 1. Facebook comments without id and from ------------------------------------------------------------
@facebook
def test_facebook_comments_without_id_are_skipped_and_the_run_keeps_posts_and_metrics(fake, tmp_path, caplog):
    fake.moderate = False  # the token's person may ANALYZE but not MODERATE: Meta hides id and from
    with caplog.at_level(logging.WARNING):
        staged, published, lake = run_pipeline(tmp_path, account("facebook", PAGE_ID, fake), INTERVAL)
    assert published["posts"] == 2 and published["post_metrics_daily"] == 6 and published["messages"] == 0
    skipped = issues(lake, "item_skipped")
    assert skipped and all("MODERATE task" in i["detail"] for i in skipped)
    [result] = (lake / "validation" / "facebook" / PAGE_ID).glob("*/result.html")
    assert f"Items skipped: {staged['extraction_issues']}." in result.read_text()
    assert {i["endpoint"] for i in skipped} >= {f"/v24.0/{PAGE_ID}_9000/comments"}
    assert any(
        r.getMessage().startswith(f"facebook GET /v24.0/{PAGE_ID}_9000/comments:")
        and "left out" in r.getMessage()
        for r in caplog.records
    )
    assert_no_secret(lake, caplog.text)


# -- 2. post insights: period=lifetime, and the lifetime entry whatever the order ---------------------------
@facebook
def test_facebook_post_insights_ask_for_the_lifetime_period_and_keep_the_lifetime_total(fake, tmp_path):
    fake.post_insights[f"{PAGE_ID}_9000"]["post_video_views"] = 5_000
    _, _, lake = run_pipeline(tmp_path, account("facebook", PAGE_ID, fake), INTERVAL)
    asked = fake.calls(rf"/{PAGE_ID}_9000/insights$")
    assert asked and all(c.query.get("period") == "lifetime" for c in asked)
    assert metrics_of(lake)[f"{PAGE_ID}_9000"]["video_views"] == 5_000


def test_insight_values_pick_the_lifetime_entry_whatever_the_order():
    from socialpulse import http
    from socialpulse.networks.base import Credentials
    from socialpulse.networks.graph import insight_values

    fields = http.ApiClient("facebook", "https://graph.example/v24.0/", Credentials(secret="t")).fields(
        "1_2/insights", "insights"
    )

    def entry(period, value):
        return {"name": "post_video_views", "period": period, "values": [{"value": value}]}

    lifetime_first = {"data": [entry("lifetime", 5000), entry("day", 500)]}
    day_first = {"data": [entry("day", 500), entry("lifetime", 5000)]}
    assert (
        insight_values(fields, lifetime_first)
        == insight_values(fields, day_first)
        == {"post_video_views": 5000}
    )
    assert insight_values(fields, {"data": [entry("day", 500)]}) == {"post_video_views": 500}


# -- 3. a retired metric: left out, recorded, skipped on later runs, null in the marts -----------------------
@facebook
def test_a_retired_facebook_metric_is_left_null_recorded_and_not_asked_for_again(fake, tmp_path, caplog):
    fake.retired = {"post_video_views", "page_daily_unfollows_unique"}
    options = account("facebook", PAGE_ID, fake)
    with caplog.at_level(logging.WARNING):
        _, published, lake = run_pipeline(tmp_path, options, INTERVAL)
    assert published["posts"] == 2 and published["messages"] == 12
    rows = metrics_of(lake)
    assert all(m["video_views"] is None for m in rows.values())  # never a zero
    assert rows[f"{PAGE_ID}_9000"]["impressions"] == 1000 and rows[f"{PAGE_ID}_9000"]["link_clicks"] == 7
    audience = lake_rows(lake, "audience_daily")
    assert audience[0]["followers_gained"] == 32 and audience[0]["followers_lost"] is None
    unavailable = issues(lake, "metric_unavailable")
    assert {(i["metric"], i["object_id"]) for i in unavailable} == {
        ("post_video_views", None),
        ("page_daily_unfollows_unique", None),
    }
    assert all("valid insights metric" in i["detail"] for i in unavailable)
    assert "metric post_video_views unavailable" in caplog.text
    [result] = (lake / "validation" / "facebook" / PAGE_ID).glob("*/result.html")
    page = result.read_text()
    assert "Metrics unavailable (null, never zero): page_daily_unfollows_unique, post_video_views" in page

    # the next day's run does not ask for the retired names at all, and says again they are missing
    fake.requests.clear()
    _, _, lake = run_pipeline(tmp_path, options, NEXT)
    asked = {m for c in fake.requests if c.path.endswith("/insights") for m in c.query["metric"].split(",")}
    assert asked and not asked & fake.retired
    later = [i for i in issues(lake, "metric_unavailable") if i["date"] == NEXT.start.date()]
    assert {i["metric"] for i in later} == fake.retired
    assert all("refused since 2026-11-02" in i["detail"] for i in later)


@instagram
def test_a_retired_instagram_metric_leaves_only_its_column_null(fake, tmp_path):
    fake.retired = {"saved"}
    _, published, lake = run_pipeline(tmp_path, account("instagram", IG_USER_ID, fake), INTERVAL)
    assert published["posts"] == 2
    rows = metrics_of(lake)
    assert all(m["saves"] is None for m in rows.values())
    assert all(m["impressions"] is not None and m["shares"] is not None for m in rows.values())
    assert [(i["metric"], i["object_id"]) for i in issues(lake, "metric_unavailable")] == [("saved", None)]


# -- 4. one media's insights refused: that media's insights null, Meta's explanation kept --------------------
@instagram
def test_an_instagram_media_whose_insights_are_refused_gets_null_metrics_and_metas_explanation(
    fake, tmp_path, caplog
):
    media_id = fake.media[1]["id"]
    fake.insights_refused = {media_id}
    with caplog.at_level(logging.WARNING):
        _, published, lake = run_pipeline(tmp_path, account("instagram", IG_USER_ID, fake), INTERVAL)
    assert published["posts"] == 2 and published["messages"] == 8
    rows = metrics_of(lake)
    refused = rows[media_id]
    assert refused["impressions"] is None and refused["saves"] is None and refused["shares"] is None
    assert refused["likes"] == 121  # the media's own fields are still read
    assert all(m["impressions"] is not None for k, m in rows.items() if k != media_id)
    found = issues(lake, "metric_unavailable")
    assert {i["object_id"] for i in found} == {media_id} and {i["metric"] for i in found} == {
        "views",
        "shares",
        "saved",
    }
    assert all("posted before the most recent time" in i["detail"] for i in found)
    assert (
        "Media posted before".lower() in caplog.text.lower() or "posted before the most recent" in caplog.text
    )


# -- 5, 6, 8. LinkedIn: comments without commentUrn, negative gains, a 403 on comments --------------------------
@linkedin
@pytest.mark.parametrize("named_as", ["$URN", "object+id"])
def test_linkedin_comments_without_comment_urn_keep_their_urn(fake, tmp_path, named_as):
    fake.comment_urn_as = named_as
    _, published, lake = run_pipeline(tmp_path, account("linkedin", ORG_ID, fake), INTERVAL)
    assert published["messages"] == 10 and not issues(lake)
    ids = {m["message_id"] for m in lake_rows(lake, "messages")}
    assert all(i.startswith("urn:li:comment:(urn:li:activity:") and i.endswith(")") for i in ids)
    replies = [m for m in lake_rows(lake, "messages") if m["parent_id"] in ids]
    assert replies and all(r["thread_id"] == r["parent_id"] for r in replies)


@linkedin
def test_linkedin_negative_follower_gain_is_kept_as_a_loss(fake, tmp_path):
    fake.follower_gain = -4  # organic -4, paid +1: three members more left than joined
    _, _, lake = run_pipeline(tmp_path, account("linkedin", ORG_ID, fake), INTERVAL)
    [day] = lake_rows(lake, "audience_daily")
    assert (day["followers_gained"], day["followers_lost"]) == (0, 3)


@linkedin
def test_a_403_on_linkedin_comments_warns_and_keeps_posts_statistics_and_followers(fake, tmp_path, caplog):
    fake.comments_forbidden = True
    with caplog.at_level(logging.WARNING):
        _, published, lake = run_pipeline(tmp_path, account("linkedin", ORG_ID, fake), INTERVAL)
    assert published["posts"] == 2 and published["post_metrics_daily"] > 0 and published["messages"] == 0
    assert lake_rows(lake, "audience_daily")[0]["followers_total"] == fake.followers
    skipped = issues(lake, "item_skipped")
    assert skipped and all("ADMINISTRATOR" in i["detail"] and "HTTP 403" in i["detail"] for i in skipped)
    assert "DIRECT_SPONSORED_CONTENT_POSTER" in caplog.text
    assert_no_secret(lake, caplog.text)


# -- 7. links: only links to other sites ------------------------------------------------------------------------
@facebook
def test_a_facebook_photo_attachment_is_not_a_link(fake, tmp_path):
    _, _, lake = run_pipeline(tmp_path, account("facebook", PAGE_ID, fake), INTERVAL)
    posts = {p["post_id"]: p for p in lake_rows(lake, "posts")}
    assert posts[f"{PAGE_ID}_9001"]["links"] == []  # its attachment is a facebook.com photo
    assert posts[f"{PAGE_ID}_9000"]["links"] == ["https://example.com/launch"]


@pytest.mark.parametrize("fake", [lambda: FakeXApi(TOKEN)], indirect=True)
def test_an_x_attached_photo_is_not_a_link(fake, tmp_path):
    _, _, lake = run_pipeline(tmp_path, account("x", X_ACCOUNT_ID, fake, page_size=5), X_INTERVAL)
    with_urls = [p for p in lake_rows(lake, "posts") if p["kind"] == "original"]
    assert with_urls and all(p["links"] == ["https://example.com/status-page"] for p in with_urls)


# -- 8. YouTube videos.list without maxResults beside id -------------------------------------------------------
@pytest.mark.parametrize("fake", [lambda: FakeYouTubeApi(TOKEN, DAY)], indirect=True)
def test_youtube_videos_list_is_asked_by_id_without_max_results(fake, tmp_path):
    _, published, _ = run_pipeline(tmp_path, account("youtube", CHANNEL_ID, fake), INTERVAL)
    calls = fake.calls(r"/youtube/v3/videos$")
    assert calls and all("maxResults" not in c.query for c in calls)
    assert published["posts"] == 2


# -- the report says what is missing, per account and month -----------------------------------------------------
@facebook
def test_the_reports_data_quality_section_lists_items_skipped_and_metrics_unavailable(fake, tmp_path):
    from socialpulse import metrics, report
    from socialpulse.lake import Lake
    from socialpulse.networks.base import Account

    fake.retired = {"post_video_views"}
    fake.moderate = False
    _, _, root = run_pipeline(tmp_path, account("facebook", PAGE_ID, fake), INTERVAL)
    lake = Lake(root)
    metrics.compute_marts(lake)
    [month] = [r for r in read_mart(lake) if r["month"] == "2026-11"]
    assert month["metrics_unavailable"] == ["post_video_views"] and month["items_skipped"] > 0

    [row] = report.data_quality(lake, [Account("facebook", PAGE_ID, "Pulse Care", "service")], "2026-11")
    assert (
        row["metrics_unavailable"] == ["post_video_views"] and row["items_skipped"] == month["items_skipped"]
    )
    html = report.environment().get_template("sections/quality.html.j2").render(quality=[row])
    assert "post_video_views" in html and f'<td class="num">{row["items_skipped"]}</td>' in html
    # the metric stays null in the marts, never a zero
    assert all(m["video_views"] is None for m in lake_rows(root, "post_metrics_daily"))


def read_mart(lake) -> list[dict]:

    return metrics.read_mart(lake, "extraction_issues_monthly").to_pylist()
