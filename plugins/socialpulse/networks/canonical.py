"""The canonical rows every connector builds the same way (see socialpulse.model)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from socialpulse import model
from socialpulse.domain import Account, Interval

COUNT_COLUMNS = frozenset(model.COUNT_COLUMNS)


def inside(moment: dt.datetime, interval: Interval) -> bool:
    return interval.start <= moment < interval.end


def account_rows(account: Account, interval: Interval) -> list[dict[str, Any]]:
    return [
        {
            "network": account.network,
            "account_id": account.account_id,
            "handle": account.handle,
            "display_name": account.display_name,
            "purpose": account.purpose,
            "time_zone": account.time_zone,
            "snapshot_date": day,
        }
        for day in interval.days()
    ]


def metric_row(
    account: Account, post_id: str, day: dt.date, counts: Mapping[str, int | None]
) -> dict[str, Any]:
    """A row of `post_metrics_daily`: a post's totals as observed on one date."""
    unknown = counts.keys() - COUNT_COLUMNS
    if unknown:
        raise ValueError(f"not canonical metrics: {sorted(unknown)}")
    return {
        "network": account.network,
        "account_id": account.account_id,
        "post_id": post_id,
        "date": day,
        **counts,
    }


def metric_rows(
    account: Account,
    interval: Interval,
    post_id: str,
    created_at: dt.datetime,
    counts: Mapping[str, int | None],
) -> list[dict[str, Any]]:
    """The totals observed now, one row per interval date on which the post already existed."""
    return [metric_row(account, post_id, day, counts) for day in interval.days() if created_at.date() <= day]


def audience_row(
    account: Account,
    day: dt.date,
    followers_total: int | None,
    followers_gained: int | None = None,
    followers_lost: int | None = None,
) -> dict[str, Any]:
    """A row of `audience_daily`; gained and lost stay null where the network does not say."""
    return {
        "network": account.network,
        "account_id": account.account_id,
        "date": day,
        "followers_total": followers_total,
        "followers_gained": followers_gained,
        "followers_lost": followers_lost,
    }


def audience_rows(
    account: Account,
    interval: Interval,
    followers_total: int | None,
    daily: Mapping[dt.date, tuple[int | None, int | None]] | None = None,
) -> list[dict[str, Any]]:
    """One row per interval date: the follower total observed now, gained/lost where the API gives them."""
    daily = daily or {}
    return [
        audience_row(account, day, followers_total, *daily.get(day, (None, None))) for day in interval.days()
    ]


def external_links(links: list[str | None], platform_hosts: tuple[str, ...]) -> list[str]:
    """The links of a post that lead to other sites: the network's own photos and posts are not links followed."""
    out = []
    for link in links:
        host = (urlsplit(link).hostname or "").lower() if link else ""
        if link and not any(host == h or host.endswith("." + h) for h in platform_hosts):
            out.append(link)
    return out


def post_row(
    account: Account,
    post_id: str,
    created_at: dt.datetime,
    text: str | None,
    kind: str = "original",
    links: list[str] | None = None,
    in_reply_to_id: str | None = None,
    staff_member: str | None = None,
) -> dict[str, Any]:
    """A row of `posts`. staff_member stays null for a real network: no API says which person wrote a post."""
    return {
        "network": account.network,
        "account_id": account.account_id,
        "post_id": post_id,
        "created_at": created_at,
        "kind": kind,
        "text": text,
        "links": links or [],
        "staff_member": staff_member,
        "in_reply_to_id": in_reply_to_id,
    }


def message_row(
    account: Account,
    *,
    message_id: str,
    thread_id: str,
    parent_id: str | None,
    post_id: str | None,
    created_at: dt.datetime,
    outbound: bool,
    channel: str,
    author_id: str,
    author_handle: str | None,
    text: str | None,
    staff_member: str | None = None,
) -> dict[str, Any]:
    """A row of `messages`: outbound when the account wrote it. intent stays null: no API classifies it."""
    return {
        "network": account.network,
        "account_id": account.account_id,
        "message_id": message_id,
        "thread_id": thread_id,
        "parent_id": parent_id,
        "post_id": post_id,
        "created_at": created_at,
        "direction": "outbound" if outbound else "inbound",
        "channel": channel,
        "author_id": author_id,
        "author_handle": author_handle,
        "staff_member": staff_member,
        "intent": None,
        "text": text,
    }


def tables(
    accounts: list,
    posts: list,
    metrics: list,
    audience: list,
    messages: list,
    source: str,
    issues: list | None = None,
) -> dict[str, Any]:
    """The canonical tables of one extraction, deduplicated on their keys (an API may repeat an item)."""
    rows = {
        "accounts": accounts,
        "posts": posts,
        "post_metrics_daily": metrics,
        "audience_daily": audience,
        "messages": messages,
        "extraction_issues": issues or [],
    }
    out = {}
    for name, items in rows.items():
        key = model.TABLES[name].key
        unique = {tuple(r[k] for k in key): r for r in items}
        out[name] = model.table_from_rows(name, unique.values(), source=source)
    return out
