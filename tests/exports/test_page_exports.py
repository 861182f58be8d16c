"""Facebook, LinkedIn and YouTube exports: posts with totals, and the audience per day."""

import datetime as dt

from export_files import FIXTURES

from socialpulse.exports import read_export

UTC = dt.UTC


def test_facebook_post_data_skips_the_description_line_and_reads_local_times(facebook_page):
    tables = read_export("facebook_insights", FIXTURES / "facebook_posts.csv", facebook_page)
    posts = tables["posts"].to_pylist()
    assert len(posts) == 3
    # 09:15 in Paris (summer time) is 07:15 UTC
    assert posts[0]["created_at"] == dt.datetime(2017, 10, 2, 7, 15, tzinfo=UTC)
    assert [p["kind"] for p in posts] == ["original", "original", "share"]
    assert posts[0]["links"] == ["https://example.com/hours"]


def test_facebook_post_totals_map_to_canonical_counts_and_blank_cells_stay_null(facebook_page):
    metrics = read_export("facebook_insights", FIXTURES / "facebook_posts.csv", facebook_page)
    rows = metrics["post_metrics_daily"].to_pylist()
    assert (rows[0]["impressions"], rows[0]["likes"], rows[0]["replies"], rows[0]["shares"]) == (
        6033,
        164,
        12,
        19,
    )
    assert rows[0]["link_clicks"] == 121
    assert rows[1]["link_clicks"] is None  # blank in the export: unknown, not zero
    assert rows[0]["video_views"] is None and rows[0]["saves"] is None


def test_facebook_page_data_gives_the_leaky_bucket_per_day(facebook_page):
    tables = read_export("facebook_insights", FIXTURES / "facebook_page.csv", facebook_page)
    assert list(tables) == ["audience_daily"]
    first = tables["audience_daily"].to_pylist()[0]
    assert (first["date"], first["followers_total"], first["followers_gained"], first["followers_lost"]) == (
        dt.date(2017, 10, 1),
        12840,
        14,
        3,
    )


def test_linkedin_content_uses_the_update_urn_or_a_stable_digest_as_post_id(linkedin_page):
    tables = read_export("linkedin_analytics", FIXTURES / "linkedin_content.csv", linkedin_page)
    posts = tables["posts"].to_pylist()
    assert posts[0]["post_id"] == "urn:li:activity:7075581044785639424"
    assert posts[2]["post_id"] == "urn:li:ugcPost:7077012558291431424"
    assert posts[3]["post_id"].startswith("linkedin-")  # no link in the export
    again = read_export("linkedin_analytics", FIXTURES / "linkedin_content.csv", linkedin_page)
    assert again["posts"].column("post_id").to_pylist()[3] == posts[3]["post_id"]
    assert posts[0]["created_at"] == dt.datetime(2023, 6, 12, tzinfo=UTC)


def test_linkedin_content_totals(linkedin_page):
    rows = read_export("linkedin_analytics", FIXTURES / "linkedin_content.csv", linkedin_page)[
        "post_metrics_daily"
    ]
    first, video = rows.to_pylist()[0], rows.to_pylist()[2]
    assert (
        first["impressions"],
        first["likes"],
        first["replies"],
        first["shares"],
        first["link_clicks"],
    ) == (
        5210,
        97,
        14,
        11,
        188,
    )
    assert first["video_views"] is None and video["video_views"] == 1310


def test_linkedin_followers_total_beside_its_breakdown_is_new_followers(linkedin_page):
    rows = read_export("linkedin_analytics", FIXTURES / "linkedin_followers.csv", linkedin_page)[
        "audience_daily"
    ]
    first = rows.to_pylist()[2]
    assert (first["date"], first["followers_gained"]) == (dt.date(2023, 6, 14), 23)
    assert first["followers_total"] is None and first["followers_lost"] is None


def test_youtube_table_data_skips_the_total_row(youtube_channel):
    tables = read_export("youtube_analytics", FIXTURES / "youtube_table_data.csv", youtube_channel)
    posts = tables["posts"].to_pylist()
    assert [p["post_id"] for p in posts] == ["dQw4x9WgXcA", "aT2kPq9LmZ0", "k3JvN8sYw1E"]
    assert posts[0]["created_at"] == dt.datetime(2023, 3, 6, tzinfo=UTC)
    first = tables["post_metrics_daily"].to_pylist()[0]
    assert (
        first["video_views"],
        first["impressions"],
        first["likes"],
        first["replies"],
        first["shares"],
    ) == (
        9120,
        120044,
        455,
        80,
        96,
    )
    assert first["link_clicks"] is None


def test_youtube_chart_data_gives_subscribers_gained_and_lost(youtube_channel):
    rows = read_export("youtube_analytics", FIXTURES / "youtube_chart_data.csv", youtube_channel)[
        "audience_daily"
    ]
    assert rows.to_pylist()[1] == {
        "network": "youtube",
        "account_id": "UCx9demo",
        "date": dt.date(2023, 3, 7),
        "followers_total": None,
        "followers_gained": 14,
        "followers_lost": 1,
    }
