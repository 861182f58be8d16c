"""Facebook Page Insights CSV exports -> posts and post_metrics_daily, or audience_daily.

Two kinds of file, told apart by their header:
- post data: one row per post ("Post ID", "Posted", ...) with lifetime totals as of the download;
  the totals are dated on the post's UTC date (the download day is not in the file).
- page data: one row per day ("Date", "Lifetime Total Likes", "Daily New Likes", "Daily Unlikes").
Both the classic Insights export and the newer Meta Business Suite export are accepted through
header aliases. The classic export's second line describes each column ("Lifetime: The number
of ..."); it is recognised and skipped.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from socialpulse.domain import Account
from socialpulse.exports.base import Column, ExportFile, audience_by_day, posts_with_totals, read_csv_export

POST_COLUMNS = [
    Column("post_id", ("Post ID",), required=True),
    Column("posted", ("Posted", "Publish time"), required=True),
    Column("text", ("Post Message", "Description", "Title")),
    Column("type", ("Type", "Post type")),
    Column("is_share", ("Is share",)),
    Column("impressions", ("Lifetime Post Total Impressions", "Impressions")),
    Column("likes", ("Reactions", "Lifetime Post Stories by action type - like")),
    Column("replies", ("Comments", "Lifetime Post Stories by action type - comment")),
    Column("shares", ("Shares", "Lifetime Post Stories by action type - share")),
    Column("link_clicks", ("Link clicks", "Lifetime Post Consumptions by type - link clicks")),
    Column("video_views", ("3-second video views", "Lifetime Total Video Views")),
]
PAGE_COLUMNS = [
    Column("date", ("Date",), required=True),
    Column("followers_total", ("Lifetime Total Likes", "Lifetime Total Follows")),
    Column("followers_gained", ("Daily New Likes", "Daily New Follows")),
    Column("followers_lost", ("Daily Unlikes", "Daily Unfollows")),
]
POST_METRICS = ("impressions", "likes", "replies", "shares", "link_clicks", "video_views")
POSTED_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S%z")
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")
_DESCRIPTION = r"(?:Lifetime|Daily|Weekly|28 Days):\s"


def read_facebook_insights(
    path: Path, account: Account, date_order: str | None = None
) -> dict[str, pa.Table]:
    """A Page's post-data export -> posts and their totals; its page-data export -> audience."""
    kind, export = read_csv_export(path, {"post data": POST_COLUMNS, "page data": PAGE_COLUMNS}, date_order)
    if len(export.frame):
        first_row = export.frame.iloc[0].astype(str).str.match(_DESCRIPTION)
        if first_row.any():
            export.drop_rows(pd.Series([True] + [False] * (len(export.frame) - 1)))
    if kind == "post data":
        return _posts(export, account)
    return audience_by_day(export, account, DATE_FORMATS)


def _posts(export: ExportFile, account: Account) -> dict[str, pa.Table]:
    # The export writes times without an offset, in the Page's local time.
    created_at = export.timestamps("posted", POSTED_FORMATS, account.time_zone)
    is_share = export.cells("type").str.contains("share", case=False) | (
        export.cells("is_share").str.casefold() == "yes"
    )
    return posts_with_totals(
        export,
        account,
        post_ids=export.required_text("post_id"),
        created_at=created_at,
        kind=pc.if_else(pa.array(is_share.to_numpy(dtype=bool)), "share", "original"),
        text=export.text("text"),
        metrics=POST_METRICS,
    )
