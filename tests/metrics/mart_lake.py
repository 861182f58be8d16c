"""Handcrafted lakes for the metric tests: a few rows each, published and computed for real.

A module of its own (not conftest) so that tests import it by a name no other folder uses.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from socialpulse import metrics, model
from socialpulse.classify import classify_tables
from socialpulse.domain import Account
from socialpulse.exports import covering_interval
from socialpulse.lake import Lake

UTC = dt.UTC
REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_DATA = REPO_ROOT / "tests" / "data"

CARE = Account(network="x", account_id="care", handle="@care", purpose="service")


def comparable_rows(lake: Lake, mart: str, run_id: str | None = None) -> list[tuple]:
    """A mart of a set (default: the current one) as sorted rows that compare equal when two sets
    hold the same figures: doubles to 9 digits (sums of doubles may differ in their last bits with
    the order DuckDB adds them in), and nan equal to nan."""

    def comparable(value):
        if isinstance(value, float):
            return float(f"{value:.9g}") if math.isfinite(value) else repr(value)
        return value

    table = metrics.read_mart(lake, mart, run_id)
    return sorted((tuple(comparable(v) for v in row.values()) for row in table.to_pylist()), key=repr)


def at(day: str, time: str = "00:00") -> dt.datetime:
    """An aware UTC datetime from '2026-03-02' and '09:30'."""
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=UTC)


def message(
    message_id: str,
    created_at: dt.datetime,
    direction: str = "inbound",
    *,
    thread: str | None = None,
    parent: str | None = None,
    author: str | None = None,
    intent: str | None = "question",
    channel: str = "mention",
    staff: str | None = None,
    text: str | None = None,
    account: Account = CARE,
) -> dict:
    """A canonical messages row; an outbound message is ours, signed by `staff`, without intent."""
    ours = direction == "outbound"
    return {
        "network": account.network,
        "account_id": account.account_id,
        "message_id": message_id,
        "thread_id": thread or message_id,
        "parent_id": parent,
        "created_at": created_at,
        "direction": direction,
        "channel": channel,
        "author_id": account.account_id if ours else (author or f"customer-{message_id}"),
        "author_handle": account.handle if ours else None,
        "staff_member": staff if ours else None,
        "intent": None if ours else intent,
        "text": text if text is not None else ("Thanks, we are on it" if ours else "Where is my order?"),
    }


def reply(message_id: str, to: dict, created_at: dt.datetime, staff: str = "Alice", **kwargs) -> dict:
    """Our reply to a message, in its thread."""
    return message(
        message_id,
        created_at,
        "outbound",
        thread=to["thread_id"],
        parent=to["message_id"],
        staff=staff,
        channel=to["channel"],
        **kwargs,
    )


class MartLake:
    """A lake in tmp_path: publish canonical rows per account, compute the marts, read them back."""

    def __init__(self, root: Path):
        self.lake = Lake(root)

    def publish(self, account: Account = CARE, **rows: list[dict]) -> MartLake:
        # as the pipeline does: messages are classified when they enter the lake
        tables = classify_tables(
            {name: model.table_from_rows(name, table_rows) for name, table_rows in rows.items()}
        )
        self.lake.publish(account, covering_interval(tables), tables)
        return self

    def compute(self, **kwargs) -> MartLake:
        metrics.compute_marts(self.lake, **kwargs)
        return self

    def rows(self, mart: str, where: str = "TRUE", order: str = "") -> list[dict]:
        return metrics.read_mart(self.lake, mart, where=where, order=order).to_pylist()

    def one(self, mart: str, where: str = "TRUE") -> dict:
        found = self.rows(mart, where)
        assert len(found) == 1, f"expected one {mart} row where {where}, got {found}"
        return found[0]

    def request(self, message_id: str) -> dict:
        return self.one("service_requests", f"message_id = '{message_id}'")
