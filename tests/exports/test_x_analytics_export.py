"""The X tweet activity importer: one row per tweet -> posts and their lifetime totals."""

import datetime as dt

from export_files import FIXTURES

from socialpulse.exports import read_export

UTC = dt.UTC
EXPORT = FIXTURES / "x_analytics.csv"


def test_every_tweet_becomes_a_post_with_its_time_text_and_links(spotify_cares):
    posts = read_export("x_analytics", EXPORT, spotify_cares)["posts"].to_pylist()
    assert [p["post_id"] for p in posts][:2] == ["925001374537654272", "925039116711940096"]
    first = posts[0]
    assert first["created_at"] == dt.datetime(2017, 10, 31, 14, 2, tzinfo=UTC)
    assert first["links"] == ["https://t.co/aB3dE5fG7h"]
    assert first["kind"] == "original"
    assert (
        posts[3]["text"]
        == "Weekly tip: long-press a song to add it to your queue.\nWorks on iOS and Android."
    )


def test_replies_are_recognised_and_signed_replies_name_their_author(spotify_cares):
    posts = read_export("x_analytics", EXPORT, spotify_cares)["posts"].to_pylist()
    reply = posts[1]
    assert (reply["kind"], reply["staff_member"]) == ("reply", "AY")
    assert posts[0]["staff_member"] is None


def test_totals_are_dated_on_the_tweets_day_and_unreported_metrics_are_null(spotify_cares):
    metrics = read_export("x_analytics", EXPORT, spotify_cares)["post_metrics_daily"].to_pylist()
    first = metrics[0]
    assert first["date"] == dt.date(2017, 10, 31)
    assert (
        first["impressions"],
        first["likes"],
        first["shares"],
        first["replies"],
        first["link_clicks"],
    ) == (
        48211,
        611,
        37,
        21,
        412,
    )
    # the export has no bookmarks column and its media views are not video views
    assert first["saves"] is None and first["video_views"] is None
    assert metrics[1]["link_clicks"] == 0  # a real zero stays zero


def test_a_minimal_export_leaves_the_missing_metrics_null(tmp_path, spotify_cares):
    export = tmp_path / "minimal.csv"
    export.write_text('"Tweet id","time","impressions","likes"\n"1","2020-01-02 03:04 +0000","10","-"\n')
    metrics = read_export("x_analytics", export, spotify_cares)["post_metrics_daily"].to_pylist()
    assert metrics == [
        {
            "network": "x",
            "account_id": "spotifycares",
            "post_id": "1",
            "date": dt.date(2020, 1, 2),
            "impressions": 10,
            "likes": None,
            "shares": None,
            "replies": None,
            "link_clicks": None,
            "saves": None,
            "video_views": None,
        }
    ]


def test_unknown_extra_columns_are_ignored(tmp_path, spotify_cares):
    export = tmp_path / "extra.csv"
    export.write_text(
        '"Tweet id","time","impressions","brand new metric"\n"1","2020-01-02 03:04 +0000","10","abc"\n'
    )
    assert read_export("x_analytics", export, spotify_cares)["posts"].num_rows == 1
