"""LinkedIn Page analytics exports -> posts and post_metrics_daily, or audience_daily.

Two kinds of file, told apart by their header (LinkedIn downloads .xls workbooks; save the sheet
as CSV — a description line above the header is fine):
- content (the "All posts" sheet): one row per update with lifetime totals as of the download,
  dated on the update's created date.
- followers (the "New followers" sheet): one row per day of new followers.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pyarrow as pa

from socialpulse.domain import Account
from socialpulse.exports.base import (
    Column,
    ExportFile,
    audience_by_day,
    posts_with_totals,
    read_csv_export,
    strings,
)

CONTENT_COLUMNS = [
    Column("title", ("Update title",), required=True),
    Column("created", ("Created date",), required=True),
    Column("link", ("Update link",)),
    Column("impressions", ("Impressions",)),
    Column("likes", ("Reactions", "Likes")),
    Column("replies", ("Comments",)),
    Column("shares", ("Reposts", "Shares")),
    # LinkedIn's clicks include clicks on the Page name and logo, not only on links.
    Column("link_clicks", ("Clicks",)),
    Column("video_views", ("Views (excluding off-site video views)", "Video views")),
]
FOLLOWER_COLUMNS = [
    Column("date", ("Date",), required=True),
    Column("total_followers", ("Total followers",)),
    Column("organic", ("Organic followers",)),
    Column("sponsored", ("Sponsored followers",)),
    Column("followers_gained", ("New followers",)),
]
CONTENT_METRICS = ("impressions", "likes", "replies", "shares", "link_clicks", "video_views")
DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d")
_URN = r"(urn:li:(?:activity|share|ugcPost):\d+)"


def read_linkedin_analytics(
    path: Path, account: Account, date_order: str | None = None
) -> dict[str, pa.Table]:
    """A Page's content export -> posts and their totals; its followers export -> audience."""
    kind, export = read_csv_export(
        path, {"content": CONTENT_COLUMNS, "followers": FOLLOWER_COLUMNS}, date_order
    )
    if kind == "content":
        return _content(export, account)
    # Beside its organic/sponsored breakdown, "Total followers" is the day's new followers
    # (their sum), not the size of the audience.
    if export.has("organic") or export.has("sponsored"):
        export.rename("total_followers", "followers_gained")
    else:
        export.rename("total_followers", "followers_total")
    return audience_by_day(export, account, DATE_FORMATS)


def _content(export: ExportFile, account: Account) -> dict[str, pa.Table]:
    return posts_with_totals(
        export,
        account,
        post_ids=_post_ids(export),
        # a date without a time: midnight UTC, so the post keeps the date LinkedIn shows
        created_at=export.timestamps("created", DATE_FORMATS),
        kind="original",
        text=export.text("title"),
        metrics=CONTENT_METRICS,
    )


def _post_ids(export: ExportFile) -> pa.Array:
    """The update's URN from its link; without one, a stable digest of its date and title."""
    urns = export.cells("link").str.extract(_URN)[0]
    digests = [
        "linkedin-" + hashlib.sha1(f"{created}\n{title}".encode()).hexdigest()[:16]
        for created, title in zip(export.cells("created"), export.cells("title"), strict=True)
    ]
    return strings(urns.fillna(pd.Series(digests, index=urns.index)))
