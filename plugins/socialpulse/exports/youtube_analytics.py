"""YouTube Studio analytics exports -> posts and post_metrics_daily, or audience_daily.

Studio's "Export current view" gives a zip with "Table data.csv" and "Chart data.csv"; import
each file on its own:
- Table data (one row per video, the "Content" report): posts with their totals over the
  exported range, dated on the publish date. The first row, "Total", sums the channel: skipped.
- Chart data (one row per day): with the "Subscribers gained/lost" metrics selected, the channel's
  audience per day. Rows of single videos (a "Content" column naming a video) are skipped: their
  daily views are day-by-day increments, not the lifetime totals post_metrics_daily holds.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from socialpulse.domain import Account
from socialpulse.exports.base import Column, ExportFile, audience_by_day, posts_with_totals, read_csv_export

CHART_COLUMNS = [
    Column("date", ("Date",), required=True),
    Column("content", ("Content",)),
    Column("followers_gained", ("Subscribers gained",)),
    Column("followers_lost", ("Subscribers lost",)),
]
TABLE_COLUMNS = [
    Column("post_id", ("Content", "Video"), required=True),
    Column("published", ("Video publish time",), required=True),
    Column("title", ("Video title",)),
    Column("video_views", ("Views",)),
    Column("impressions", ("Impressions",)),
    Column("likes", ("Likes",)),
    Column("replies", ("Comments added", "Comments")),
    Column("shares", ("Shares",)),
]
TABLE_METRICS = ("video_views", "impressions", "likes", "replies", "shares")
PUBLISHED_FORMATS = ("%b %d, %Y", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z")
DATE_FORMATS = ("%Y-%m-%d", "%b %d, %Y")


def read_youtube_analytics(
    path: Path, account: Account, date_order: str | None = None
) -> dict[str, pa.Table]:
    """A channel's Table data.csv -> videos and their totals; its Chart data.csv -> audience."""
    kind, export = read_csv_export(
        path, {"chart data": CHART_COLUMNS, "table data": TABLE_COLUMNS}, date_order
    )
    if kind == "chart data":
        content = export.cells("content").str.casefold()
        export.drop_rows(~content.isin(["", "total"]))
        return audience_by_day(export, account, DATE_FORMATS)
    return _videos(export, account)


def _videos(export: ExportFile, account: Account) -> dict[str, pa.Table]:
    export.drop_rows(export.cells("post_id").str.casefold() == "total")
    return posts_with_totals(
        export,
        account,
        post_ids=export.required_text("post_id"),
        # a date without a time: midnight UTC, so the video keeps the date Studio shows
        created_at=export.timestamps("published", PUBLISHED_FORMATS),
        kind="original",
        text=export.text("title"),
        metrics=TABLE_METRICS,
    )
