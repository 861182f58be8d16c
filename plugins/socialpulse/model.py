"""The canonical tables, declared once.

Every network connector and every export importer yields rows of these tables; the lake,
the expectation suites, the metric SQL and the tests all read these definitions. A metric a
network does not report is null, never zero. All timestamps are UTC.

Each table also declares what its values must satisfy: a field that is not nullable must not be
null, the key is unique, the date column lies in the extracted interval, and `allowed`, `ranges`
and `lengths` bound single columns. quality.py turns exactly these into the Great Expectations
suites of the gate, so each check has one place; conform() only casts.

See docs/data-model.md for the meaning of every column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import pyarrow as pa

UTC_TS = pa.timestamp("us", tz="UTC")

PURPOSES = ("service", "promotions", "brand", "community")
POST_KINDS = ("original", "reply", "share")
DIRECTIONS = ("inbound", "outbound")
CHANNELS = ("comment", "mention", "direct_message")
INTENTS = ("question", "complaint", "thanks", "praise", "other")
# reply_absent: a reply an imported export lists (twcs response_tweet_id) but does not hold
REPLY_ABSENT = "reply_absent"
ISSUE_KINDS = ("metric_unavailable", "item_skipped", REPLY_ABSENT)
COUNT_COLUMNS = (
    "impressions",
    "likes",
    "shares",
    "replies",
    "link_clicks",
    "saves",
    "video_views",
)


@dataclass(frozen=True)
class CanonicalTable:
    """A canonical table: its Arrow schema, its key, the column that dates a row, and its value rules."""

    name: str
    schema: pa.Schema
    key: tuple[str, ...]
    date_column: str
    description: str
    allowed: Mapping[str, tuple[str, ...]] = dataclass_field(
        default_factory=dict
    )  # the values a column may hold
    ranges: Mapping[str, tuple[float | None, float | None]] = dataclass_field(
        default_factory=dict
    )  # inclusive
    lengths: Mapping[str, int] = dataclass_field(default_factory=dict)  # the length of every value


ACCOUNTS = CanonicalTable(
    name="accounts",
    schema=pa.schema(
        [
            pa.field("network", pa.string(), nullable=False),
            pa.field("account_id", pa.string(), nullable=False),
            pa.field("handle", pa.string(), nullable=False),
            pa.field("display_name", pa.string()),
            pa.field("purpose", pa.string(), nullable=False),
            pa.field("time_zone", pa.string(), nullable=False),
            pa.field("snapshot_date", pa.date32(), nullable=False),
        ]
    ),
    key=("network", "account_id", "snapshot_date"),
    date_column="snapshot_date",
    description="One row per account per extraction day: who we are on each network and why.",
    allowed={"purpose": PURPOSES},
)

POSTS = CanonicalTable(
    name="posts",
    schema=pa.schema(
        [
            pa.field("network", pa.string(), nullable=False),
            pa.field("account_id", pa.string(), nullable=False),
            pa.field("post_id", pa.string(), nullable=False),
            pa.field("created_at", UTC_TS, nullable=False),
            pa.field("kind", pa.string(), nullable=False),
            pa.field("text", pa.string()),
            pa.field("links", pa.list_(pa.string())),
            pa.field("staff_member", pa.string()),
            pa.field("in_reply_to_id", pa.string()),
        ]
    ),
    key=("network", "post_id"),
    date_column="created_at",
    description="Our own content: originals, replies that join a conversation, shares.",
    allowed={"kind": POST_KINDS},
)

POST_METRICS_DAILY = CanonicalTable(
    name="post_metrics_daily",
    schema=pa.schema(
        [
            pa.field("network", pa.string(), nullable=False),
            pa.field("account_id", pa.string(), nullable=False),
            pa.field("post_id", pa.string(), nullable=False),
            pa.field("date", pa.date32(), nullable=False),
            *(pa.field(name, pa.int64()) for name in COUNT_COLUMNS),
        ]
    ),
    key=("network", "post_id", "date"),
    date_column="date",
    description=(
        "Lifetime totals of a post as observed at the end of `date` (UTC). Connectors re-read "
        "recent posts for a lookback window because these numbers keep changing."
    ),
    ranges={name: (0, None) for name in COUNT_COLUMNS},
)

AUDIENCE_DAILY = CanonicalTable(
    name="audience_daily",
    schema=pa.schema(
        [
            pa.field("network", pa.string(), nullable=False),
            pa.field("account_id", pa.string(), nullable=False),
            pa.field("date", pa.date32(), nullable=False),
            pa.field("followers_total", pa.int64()),
            pa.field("followers_gained", pa.int64()),
            pa.field("followers_lost", pa.int64()),
        ]
    ),
    key=("network", "account_id", "date"),
    date_column="date",
    description="The leaky bucket, one row per account per day.",
    ranges={name: (0, None) for name in ("followers_total", "followers_gained", "followers_lost")},
)

MESSAGES = CanonicalTable(
    name="messages",
    schema=pa.schema(
        [
            pa.field("network", pa.string(), nullable=False),
            pa.field("account_id", pa.string(), nullable=False),
            pa.field("message_id", pa.string(), nullable=False),
            pa.field("thread_id", pa.string(), nullable=False),
            pa.field("parent_id", pa.string()),
            pa.field("post_id", pa.string()),
            pa.field("created_at", UTC_TS, nullable=False),
            pa.field("direction", pa.string(), nullable=False),
            pa.field("channel", pa.string(), nullable=False),
            pa.field("author_id", pa.string(), nullable=False),
            pa.field("author_handle", pa.string()),
            pa.field("staff_member", pa.string()),
            pa.field("intent", pa.string()),
            pa.field("text", pa.string()),
            # derived from the text when the message enters the lake (socialpulse.classify);
            # null on our own (outbound) messages
            pa.field("network_intent", pa.string()),
            pa.field("is_request", pa.bool_()),
            pa.field("sentiment", pa.float64()),
            pa.field("is_negative", pa.bool_()),
            pa.field("language", pa.string()),
            pa.field("classifier_version", pa.string()),
        ]
    ),
    key=("network", "message_id"),
    date_column="created_at",
    description=(
        "Conversation messages: inbound from customers and community, outbound from our staff. "
        "parent_id links a reply to the message (or post) it answers; thread_id groups a thread."
    ),
    allowed={"direction": DIRECTIONS, "channel": CHANNELS, "intent": INTENTS, "network_intent": INTENTS},
    ranges={"sentiment": (-1, 1)},
    lengths={"language": 2},  # ISO 639-1
)

EXTRACTION_ISSUES = CanonicalTable(
    name="extraction_issues",
    schema=pa.schema(
        [
            pa.field("network", pa.string(), nullable=False),
            pa.field("account_id", pa.string(), nullable=False),
            pa.field("date", pa.date32(), nullable=False),  # the first day of the extracted interval
            pa.field("interval_start", UTC_TS, nullable=False),
            pa.field("interval_end", UTC_TS, nullable=False),
            pa.field("kind", pa.string(), nullable=False),
            pa.field("endpoint", pa.string(), nullable=False),
            pa.field("object_id", pa.string()),
            pa.field("metric", pa.string()),
            pa.field("detail", pa.string(), nullable=False),
        ]
    ),
    key=("network", "account_id", "date", "kind", "endpoint", "object_id", "metric"),
    date_column="date",
    description=(
        "What an extraction could not read: a metric the network refused (metric_unavailable: its "
        "column stays null), an item it skipped (item_skipped), or a reply an imported export "
        "lists but does not hold (reply_absent: object_id is the reply), with the endpoint and why."
    ),
    allowed={"kind": ISSUE_KINDS},
)

TABLES: dict[str, CanonicalTable] = {
    t.name: t for t in (ACCOUNTS, POSTS, POST_METRICS_DAILY, AUDIENCE_DAILY, MESSAGES, EXTRACTION_ISSUES)
}


class RowError(ValueError):
    """A row that does not fit its canonical table; the message names the table, row and field."""


def table_from_rows(
    table: str | CanonicalTable, rows: Iterable[Mapping[str, Any]], source: str = ""
) -> pa.Table:
    """Build an Arrow table of a canonical table from dict rows, naming any bad row and field."""
    spec = TABLES[table] if isinstance(table, str) else table
    rows = list(rows)
    columns: dict[str, list[Any]] = {f.name: [] for f in spec.schema}
    where = f" from {source}" if source else ""
    for index, row in enumerate(rows):
        unknown = set(row) - set(columns)
        if unknown:
            raise RowError(f"{spec.name} row {index}{where}: unknown field(s) {sorted(unknown)}")
        for column in spec.schema:
            # a required field left None is the gate's to reject (quality.py), naming the column
            columns[column.name].append(row.get(column.name))
    try:
        return pa.Table.from_pydict(columns, schema=spec.schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise RowError(f"{spec.name}{where}: {exc}") from exc


def conform(table: str | CanonicalTable, data: pa.Table) -> pa.Table:
    """Cast an Arrow table to its canonical schema (column order and types), or say which column is off.

    Nulls in a required column pass: the gate's not-null expectations reject them (quality.py),
    and a Delta table refuses them on write.
    """
    spec = TABLES[table] if isinstance(table, str) else table
    missing = [f.name for f in spec.schema if f.name not in data.column_names and not f.nullable]
    if missing:
        raise RowError(f"{spec.name}: missing required column(s) {missing}")
    arrays = []
    for field in spec.schema:
        if field.name in data.column_names:
            try:
                arrays.append(data.column(field.name).cast(field.type))
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
                raise RowError(
                    f"{spec.name}: column '{field.name}' cannot be read as {field.type}: {exc}"
                ) from exc
        else:
            arrays.append(pa.nulls(data.num_rows, field.type))
    return pa.Table.from_arrays(arrays, schema=spec.schema)


def empty(table: str) -> pa.Table:
    return TABLES[table].schema.empty_table()
