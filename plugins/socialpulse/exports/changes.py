"""What importing a file changes in the lake, worked out before anything is written.

An import replaces the rows the file holds and nothing else: each row replaces the account's
stored row of the same key (model.py), wherever that row sits. A post is matched by its id, so a
re-import after fixing the account's time zone moves the post to its new day instead of adding it
twice; a day of audience is matched by its date; a message by its id. Days between the file's
rows are left alone. The plan counts, per table, the rows added, replaced in place, moved to
another day and removed, and the stored days that lose rows; the import refuses a plan that takes
rows from more than MAX_DAYS_CHANGED stored days unless it is told to replace existing data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from socialpulse import model
from socialpulse.domain import Account
from socialpulse.exports.base import ExportError
from socialpulse.lake import Lake

# An import may remove or move stored rows of at most this many days without --replace-existing
# (replace_existing=True): more usually means a wrong year, day/month order or time zone.
MAX_DAYS_CHANGED = 3
# How many ids of moved or removed rows a preview names.
EXAMPLES = 5
# A message addressed to two of our accounts (a tweet mentioning both) is stored by each of them
# (docs/data-model.md); a post or its totals belong to one account only.
SHARED_ACROSS_ACCOUNTS = frozenset({"messages"})


@dataclass
class TableChange:
    """What an import does to one table."""

    table: str
    added: int = 0  # rows of keys the table does not hold
    replaced: int = 0  # rows replacing a stored row of the same key on the same day
    moved: int = 0  # rows replacing a stored row of the same key on another day
    removed: int = 0  # stored rows deleted with no row of the file in their place
    days_written: set[dt.date] = field(default_factory=set)
    days_changed: set[dt.date] = field(default_factory=set)  # stored days that lose rows
    examples: list[str] = field(default_factory=list)  # moved or removed rows, for the preview

    def describe(self) -> str:
        text = (
            f"{self.table}: {self.added} added, {self.replaced} replaced, {self.moved} moved, "
            f"{self.removed} removed; writes {_days(self.days_written)}"
        )
        if self.days_changed:
            text += f"; takes rows from {_days(self.days_changed)}"
        if self.examples:
            text += f"; e.g. {', '.join(self.examples)}"
        return text


@dataclass
class ImportPlan:
    """An export file's rows, the stored rows they displace, and what that changes per table."""

    path: Path
    account: Account
    tables: dict[str, pa.Table]
    remove: dict[str, pa.Table]  # key columns of stored rows to delete
    changes: dict[str, TableChange]

    @property
    def days_changed(self) -> set[dt.date]:
        return set().union(*(c.days_changed for c in self.changes.values()))

    def describe(self) -> list[str]:
        """The preview: one line per table the file carries."""
        return [change.describe() for change in self.changes.values()]

    def refuse_unless_allowed(self, replace_existing: bool) -> None:
        """The guard: a file that takes rows from more than MAX_DAYS_CHANGED stored days needs the flag."""
        days = sorted(self.days_changed)
        if len(days) > MAX_DAYS_CHANGED and not replace_existing:
            raise ExportError(
                f"{self.path}: importing it would remove or move stored rows of {self.account.key} on "
                f"{len(days)} days ({_days(set(days))}), more than {MAX_DAYS_CHANGED}; nothing was imported. "
                f"Check the file's dates (--dry-run shows what would change), then pass --replace-existing "
                f"(the backfill DAG's replace_existing param) to import it anyway"
            )


def plan_import(lake: Lake, path: Path, account: Account, tables: dict[str, pa.Table]) -> ImportPlan:
    """Match the file's rows against the lake: what each table gains, replaces, moves and loses."""
    con = lake.duckdb()
    try:
        con.execute("SET TimeZone = 'UTC'")
        lake.register_tables(con)
        remove: dict[str, pa.Table] = {}
        tables = dict(tables)
        if "messages" in tables:
            _replies_no_longer_absent(con, account, tables, remove)
        changes: dict[str, TableChange] = {}
        moved_posts: dict[str, dt.date] = {}  # post id -> the day it is stored on
        for name, rows in tables.items():
            change, stored = _match(con, path, account, name, rows)
            changes[name] = change
            if name == "posts":
                moved_posts = {
                    r["post_id"]: r["stored_day"] for r in stored if r["stored_day"] != r["new_day"]
                }
        if "extraction_issues" in remove:
            change = changes.setdefault("extraction_issues", TableChange("extraction_issues"))
            change.removed += remove["extraction_issues"].num_rows
        if moved_posts and "post_metrics_daily" in tables:
            remove["post_metrics_daily"] = _totals_left_behind(
                con, account, moved_posts, tables["post_metrics_daily"], changes["post_metrics_daily"]
            )
    finally:
        con.close()
    return ImportPlan(path, account, tables, remove, changes)


def _match(con, path: Path, account: Account, name: str, rows: pa.Table) -> tuple[TableChange, list[dict]]:
    """The table's change, and the stored rows of the account sharing a key with the file's rows."""
    spec = model.TABLES[name]
    ids = [c for c in spec.key if c != "network"]
    new_days = _days_of(rows, spec)
    keys = rows.select(ids).append_column("new_day", new_days)
    change = TableChange(name, days_written=set(new_days.to_pylist()))
    if not rows.num_rows:
        return change, []
    con.register("file_keys", keys)
    same_key = " AND ".join(f"t.{c} IS NOT DISTINCT FROM f.{c}" for c in ids)
    stored = _records(
        con.execute(
            f"SELECT t.account_id AS stored_account, {', '.join(f'f.{c}' for c in ids)}, f.new_day, "
            f"CAST(t.{spec.date_column} AS DATE) AS stored_day "
            f"FROM {name} t JOIN file_keys f ON {same_key} WHERE t.network = ?",
            [account.network],
        )
    )
    con.unregister("file_keys")
    others = [r for r in stored if r["stored_account"] != account.account_id]
    stored = [r for r in stored if r["stored_account"] == account.account_id]
    if others and name not in SHARED_ACROSS_ACCOUNTS:
        first = others[0]
        raise ExportError(
            f"{path}: {len(others)} {name} row(s) have the key of rows stored for another account of "
            f"{account.network}, e.g. {_key_text(first, ids)} of account {first['stored_account']}; "
            f"ids are unique per network. Is this the export of {account.key}? Nothing was imported"
        )
    change.replaced = sum(r["stored_day"] == r["new_day"] for r in stored)
    moved = [r for r in stored if r["stored_day"] != r["new_day"]]
    change.moved = len(moved)
    change.added = rows.num_rows - len(stored)
    change.days_changed = {r["stored_day"] for r in moved}
    change.examples = [
        f"{_key_text(r, ids)} moved {r['stored_day']} -> {r['new_day']}" for r in moved[:EXAMPLES]
    ]
    return change, stored


def _replies_no_longer_absent(
    con, account: Account, tables: dict[str, pa.Table], remove: dict[str, pa.Table]
) -> None:
    """Keep extraction_issues' reply_absent rows true: a reply the lake holds is not absent.

    The file's own rows for replies an earlier import brought are dropped, and the stored rows
    for replies this file brings are removed (resolved, not lost: no stored day counts for it).
    """
    con.register("file_messages", tables["messages"].select(["message_id"]))
    resolved = _records(
        con.execute(
            "SELECT date, kind, endpoint, object_id, metric FROM extraction_issues "
            "WHERE network = ? AND account_id = ? AND kind = ? "
            "AND object_id IN (SELECT message_id FROM file_messages)",
            [account.network, account.account_id, model.REPLY_ABSENT],
        )
    )
    con.unregister("file_messages")
    if resolved:
        remove["extraction_issues"] = pa.Table.from_pylist(resolved)
    issues = tables.get("extraction_issues")
    if issues is None or not issues.num_rows:
        return
    con.register("listed_replies", issues.select(["object_id"]))
    held = {
        row[0]
        for row in con.execute(
            "SELECT message_id FROM messages WHERE network = ? AND account_id = ? "
            "AND message_id IN (SELECT object_id FROM listed_replies)",
            [account.network, account.account_id],
        ).fetchall()
    }
    con.unregister("listed_replies")
    if held:
        still_absent = pc.invert(pc.is_in(issues.column("object_id"), pa.array(sorted(held), pa.string())))
        tables["extraction_issues"] = issues.filter(still_absent)
        if not tables["extraction_issues"].num_rows:
            del tables["extraction_issues"]


def _totals_left_behind(
    con, account: Account, moved_posts: dict[str, dt.date], totals: pa.Table, change: TableChange
) -> pa.Table:
    """A moved post's totals dated on its old day (the earlier import's) go with it: their keys."""
    written = set(zip(totals.column("post_id").to_pylist(), totals.column("date").to_pylist(), strict=True))
    old = pa.table({"post_id": list(moved_posts), "date": pa.array(list(moved_posts.values()), pa.date32())})
    con.register("old_totals", old)
    stored = _records(
        con.execute(
            "SELECT t.post_id, t.date FROM post_metrics_daily t JOIN old_totals o USING (post_id, date) "
            "WHERE t.network = ? AND t.account_id = ?",
            [account.network, account.account_id],
        )
    )
    con.unregister("old_totals")
    gone = [r for r in stored if (r["post_id"], r["date"]) not in written]
    change.removed += len(gone)
    change.days_changed |= {r["date"] for r in gone}
    change.examples += [f"post_id {r['post_id']} removed from {r['date']}" for r in gone[:EXAMPLES]]
    return pa.Table.from_pylist(gone, schema=pa.schema([("post_id", pa.string()), ("date", pa.date32())]))


def _records(result) -> list[dict]:
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def _days_of(rows: pa.Table, spec: model.CanonicalTable) -> pa.Array:
    column = rows.column(spec.date_column)
    if pa.types.is_timestamp(column.type):
        column = pc.cast(column, pa.date32())  # timestamps are UTC: their UTC date
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _key_text(row: dict, ids: list[str]) -> str:
    return ", ".join(f"{c} {row[c]}" for c in ids if c != "account_id" and row[c] is not None)


def _days(days: set[dt.date]) -> str:
    if not days:
        return "no days"
    first, last = min(days), max(days)
    span = first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"
    return f"{len(days)} day(s) ({span})"
