"""X (Twitter) analytics "tweet activity" CSV -> posts and post_metrics_daily.

analytics.twitter.com exported one row per tweet (tweet_activity_metrics_<handle>_<from>_<to>_en.csv)
with lifetime totals as of the download. The download day is not in the file, so the totals are
dated on the tweet's own UTC date: re-importing the same file lands on the same partitions.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from socialpulse.domain import Account
from socialpulse.exports.base import Column, posts_with_totals, read_csv_export, staff_signatures

COLUMNS = [
    Column("post_id", ("Tweet id",), required=True),
    Column("time", ("time",), required=True),
    Column("text", ("Tweet text",)),
    Column("impressions", ("impressions",)),
    Column("likes", ("likes", "favorites")),
    Column("shares", ("retweets", "reposts")),
    Column("replies", ("replies",)),
    Column("link_clicks", ("url clicks",)),
    Column("saves", ("bookmarks",)),
    # "media views" counts views of images and GIFs too, so it is not video_views: left null.
]
TIME_FORMATS = ("%Y-%m-%d %H:%M %z", "%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")
METRICS = ("impressions", "likes", "shares", "replies", "link_clicks", "saves")


def read_x_analytics(path: Path, account: Account, date_order: str | None = None) -> dict[str, pa.Table]:
    """One tweet activity export of the account -> posts and their lifetime totals."""
    _, export = read_csv_export(path, {"tweet activity": COLUMNS}, date_order)
    # the export writes times in UTC ("+0000"); a spreadsheet may have dropped the offset
    created_at = export.timestamps("time", TIME_FORMATS)
    texts = export.text("text")
    # Replies start with the handle they answer; the export has no other sign of a reply.
    is_reply = pc.fill_null(pc.starts_with(texts, "@"), False)
    return posts_with_totals(
        export,
        account,
        post_ids=export.ids("post_id"),
        created_at=created_at,
        kind=pc.if_else(is_reply, "reply", "original"),
        text=texts,
        metrics=METRICS,
        staff_member=staff_signatures(texts),
    )
