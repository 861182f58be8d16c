"""Incremental mart runs: which account-months a run must recompute, and what each mart reads for them.

A run compares the Delta versions of the current mart set's manifest with today's: the rows of
the data files added and removed between them (one snapshot's file list against the other's; a
table only compacted or vacuumed since has changed no row, and a compaction's actions are left
out when new data came with it: changed_files) give the changed account-months, each with its
source (the table changed, or the clock). Each account is then recomputed from its earliest
changed month on (`from_month`), each mart from the earliest month of its own sources' changes
(use_window): later months depend on earlier ones (month-over-month changes, 28- and 30-day
windows), never the reverse. The reach-back that widens it, documented in docs/metrics.md
("Incremental runs"):

- a changed message changes every month of its thread: the first month of the thread is where
  the account's recompute starts (a request answered in April changes March);
- a changed post_metrics_daily row changes its post's month of publication (totals keep changing
  for the connectors' lookback window);
- a changed time zone changes every request's SLA clock: the whole account;
- include/sql/reach/<mart>.sql names the previous set's account-months a run recomputes whatever
  changed: months whose rows, as read, the moving clock (as_of) changes (requests still open or
  pending), for the month marts that read them;
- daily marts run to the account's last message: when new messages follow a last one that came
  before its month's end, the rest of that month gets its days.

The windowed tables (messages, posts, post_metrics_daily) are then restricted, per account, to
what the recomputed months read: messages from from_month's first day (the spike baseline's
marts from the month before, and back to the last inbound and the last outbound message before
the 28 days before that day; whole threads are only the thread marts' to read); posts and post
metrics are the post marts' only (below). A month-over-month change needs no earlier messages:
a month mart stores each month's own figures, and its read SQL (include/sql/read/) adds the
changes from the month before, whose stored rows the run keeps. A mart that reads a windowed
table is stored in month parts (metrics._write_mart) and keeps the previous set's rows of the
months before from_month; every other mart reads only marts and small tables and is recomputed
whole from them.
A thread mart (THREAD_MARTS: service_requests) is replaced thread by thread instead: it reads the
changed threads, each whole, and keeps every other thread's rows. A post mart (POST_MARTS:
post_performance) is replaced post by post: every post of an account from its earliest changed
post on (its row or its metrics changed), reading the posts of the 30 days before that one (the
repeats: earlier_posts) and the recomputed posts' metrics. Either way only the parts (months, or
days for DAY_MARTS) that hold a recomputed row are written again (recompute_parts); the others
are the previous set's files, shared, so a day's run writes the parts it changed, not all of
history. A mart can share
its rows because they hold nothing the clock decides: service_requests stores no as_of, and its
read SQL (include/sql/read/) judges unanswered requests and resolutions when the set is read.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import unquote

from socialpulse import model
from socialpulse.lake import HIVE_TYPES, PARTITION_COLUMNS, Lake, mart_parts_sql

log = logging.getLogger(__name__)

# The big tables a run reads only a window of; marts that read them are replaced month by month.
WINDOWED_TABLES = ("messages", "posts", "post_metrics_daily")
# Marts whose every row depends only on the messages of one thread (network, account_id,
# thread_id: a reply is in its parent's thread, thread_id being the root of the reply chain) and
# on the clock: replaced thread by thread, so a day's run recomputes the day's threads, not months.
THREAD_MARTS = ("service_requests",)
# Marts stored by the UTC day of their rows (parts 'YYYY-MM-DD', by the column named) rather than
# by month: a thread's requests are sent on the days its messages come, and a day's run recomputes
# the posts of the connectors' lookback window, so it rewrites those days, not every row of the
# month so far (service_requests: 137,602 rows on the 14th of a month at 10 M messages a year).
DAY_MARTS = {"service_requests": "day", "post_performance": "post_date"}
# Marts whose every row is one post's, depending only on that post, its metrics and the account's
# posts of the 30 days before it (is_repeat): replaced post by post, from each account's earliest
# changed post on (a changed post can make a later one a repeat, or no longer one).
POST_MARTS = ("post_performance",)
# A mart replaced row by row rather than by month: the temp table of the keys it recomputes
# (plan() fills them) and their columns.
KEYED_MARTS = {
    **{mart: ("_recompute_threads", ("network", "account_id", "thread_id")) for mart in THREAD_MARTS},
    **{mart: ("_recompute_posts", ("network", "account_id", "post_id")) for mart in POST_MARTS},
}
_READS_WINDOWED = re.compile(r"\b(?:FROM|JOIN)\s+(" + "|".join(WINDOWED_TABLES) + r")\b", re.IGNORECASE)
# Marts whose rows each belong to a month (service_requests: the request's; post_performance: the
# post's) and change only when the plan recomputes that month: a month mart that reads one reads
# it, like the windowed tables, from the month before from_month on (month-over-month figures read
# the month before).
WINDOWED_MARTS = ("service_requests", "post_performance")
# Marts that read a windowed mart by the account's local months (its time zone, up to 14 hours from
# UTC): (months before from_month they recompute, months before from_month they read). A post of
# from_month's first hours can be on the last local day of the month before, which they recompute;
# cadence_daily's local days read the UTC month before theirs, posting_times_monthly's three-month
# windows two months more. Every other month mart recomputes and reads from from_month on: its
# month-over-month changes are added when it is read (include/sql/read/), from the stored months.
LOCAL_MONTH_MARTS = {"cadence_daily": (1, 2), "posting_times_monthly": (1, 4)}
# Marts whose days read the messages of the days before them: negative_spikes_daily's baseline is
# the 28 days before each day, and counts the days back to the last message of each direction
# before them. Every other mart reads messages from from_month's first day on.
BASELINE_MARTS = ("negative_spikes_daily",)
# Marts with a running balance over all of history (service_monthly's backlog at month end): an
# incremental run gives them the balance carried into their window (carry_backlog).
CARRIED_MARTS = ("service_monthly",)
_READS_WINDOWED_MART = re.compile(r"\b(?:FROM|JOIN)\s+(" + "|".join(WINDOWED_MARTS) + r")\b", re.IGNORECASE)
_NOT_CODE = re.compile(r"--[^\n]*|'(?:[^']|'')*'")


class FullRunNeeded(Exception):
    """The changes cannot be located by month (the message says why): recompute every month."""


def is_windowed(sql: str) -> bool:
    """Whether a mart reads a window of its inputs, so is stored in month parts and replaced month
    by month: its SQL reads (FROM or JOIN) messages, posts or post_metrics_daily, or a windowed mart."""
    code = _NOT_CODE.sub(" ", sql)
    return bool(_READS_WINDOWED.search(code) or _READS_WINDOWED_MART.search(code))


def _sql_list(items: list[str]) -> str:
    return "[" + ", ".join("'" + item.replace("'", "''") + "'" for item in items) + "]"


def _files(items: list[str]) -> str:
    return f"read_parquet({_sql_list(items)}, hive_partitioning = true, union_by_name = true, hive_types = {HIVE_TYPES})"


# Delta operations that move rows between files, delete unreferenced files or set the table's
# properties (maintenance: lake.TABLE_PROPERTIES), never change a row.
_NO_DATA_CHANGE = {"OPTIMIZE", "VACUUM START", "VACUUM END", "SET TBLPROPERTIES"}


def _commits(lake: Lake, table: str, old: int, new: int) -> list[list[dict[str, Any]]] | None:
    """The actions of each commit after version old, up to new, from the Delta log through the
    lake's own file system (not DeltaTable.history(): that holds the GIL while it waits for the
    store, and a store served from this process, as in the tests, could never answer); None when
    a commit is no longer in the log."""
    log_dir = lake.table_dir(table) / "_delta_log"
    commits = []
    for version in range(old + 1, new + 1):
        commit = log_dir / f"{version:020d}.json"
        if not commit.exists():
            return None
        commits.append([json.loads(line) for line in commit.read_text().splitlines() if line.strip()])
    return commits


def _only_compacted(commits: list[list[dict[str, Any]]]) -> bool:
    for actions in commits:
        operations = [a["commitInfo"].get("operation") for a in actions if "commitInfo" in a]
        if not operations or any(op not in _NO_DATA_CHANGE for op in operations):
            return False
    return bool(commits)


def only_compacted(lake: Lake, table: str, old: int | None, new: int | None) -> bool:
    """Whether every commit after version old, up to new, only compacted or vacuumed the table or
    set its properties (the maintenance DAG's): then its rows are those of old, though its files
    are not. A commit no longer in the log counts as a change."""
    if old is None or new is None or new <= old:
        return False
    commits = _commits(lake, table, old, new)
    return commits is not None and _only_compacted(commits)


def changed_files(lake: Lake, table: str, old: int | None, new: int | None) -> list[str]:
    """Data files that hold every row added or removed since version old, up to new: none when the
    commits between them only compacted.

    Read from the commits' add and remove actions when the log still has them all: those that
    change data, in one of the two sets and not in both (a file added and removed since holds
    rows of neither version). A compaction's actions (dataChange false, as the Delta protocol
    defines it: the rows it adds are those it removes) are left out, so a day published after
    the maintenance DAG's compaction changes that day's files, not the month's: the compacted
    file holds rows that did not change, and a file compacted away after it was added is still
    read for its rows (vacuum keeps it for the retention period; once gone, the run is full).
    Loading the old version's snapshot cost 5 ms a table. Else, and where the actions' paths do not
    give the new version's files as listed, the two versions' file lists are compared: every file
    in one and not the other, a compaction's too (a wider recompute, never a wrong one).
    """
    after = set(lake.table_files(table, new)) if new is not None else set()
    commits = _commits(lake, table, old, new) if old is not None and new is not None and new > old else None
    if commits is not None:
        if _only_compacted(commits):
            return []
        root = str(lake.table_dir(table))

        def paths(kind: str, data_change_only: bool) -> set[str]:
            return {
                f"{root}/{unquote(a[kind]['path'])}"
                for actions in commits
                for a in actions
                if kind in a and (not data_change_only or a[kind].get("dataChange", True))
            }

        added, removed = paths("add", False), paths("remove", False)
        listed_alike = all(f.startswith(root + "/") for f in after)
        if listed_alike and added - removed <= after and not removed & after:
            return sorted(paths("add", True) ^ paths("remove", True))
    before = set(lake.table_files(table, old)) if old is not None else set()
    return sorted(before ^ after)


def rows_of_keys(
    con, lake: Lake, table: str, version: int | None, keys: str, columns: tuple[str, ...]
) -> str:
    """SQL to read FROM: the table's rows (its canonical columns, at version) that may have a key of
    `keys` (a temp table of the key columns: ids, strings, none null), read where the statistics
    of the files' row groups admit one: a superset of the keys' rows, for a join with them.

    Per group of keys that share all columns but the last (an account's threads), the files with
    a row group whose statistics admit the group (those columns, and the last between the group's
    lowest and highest), read with those constants as filters: DuckDB then skips the row groups
    they rule out, which a join with thousands of keys does not make it do (it bounds by their
    range over every group). Ids that grow with time
    (X, Instagram) or begin with the account's (Facebook) and a table clustered by account
    (Lake.maintain) leave the recent row groups of the changed accounts: at 10 M messages a
    day's threads read 0.024 s instead of 0.20 s (every file, after a compaction). Where the
    groups admit the same row groups (many quiet accounts' rows in each), a scan per group would
    read them once per group: then one scan of the admitted files, as a join reads them.
    Statistics that are missing or not exact bound nothing.
    """
    files = lake.table_files(table, version)
    leading, last = columns[:-1], columns[-1]
    admissions: list[tuple] = []
    if files:
        lead = ", ".join(leading)
        ranges = (
            f"SELECT {lead}, min({last}) AS low, max({last}) AS high FROM {keys} "
            f"WHERE {' AND '.join(f'{c} IS NOT NULL' for c in columns)} GROUP BY ALL"
        )
        stored = [c for c in columns if c not in PARTITION_COLUMNS]
        if stored:  # the files with a row group whose bounds admit the group's
            bounds = ", ".join(
                f"max(stats_min_value) FILTER (WHERE path_in_schema = '{c}' AND min_is_exact) AS {c}_low, "
                f"max(stats_max_value) FILTER (WHERE path_in_schema = '{c}' AND max_is_exact) AS {c}_high"
                for c in stored
            )
            admits = " AND ".join(
                f"(g.{c}_low IS NULL OR r.{c} >= g.{c}_low) AND (g.{c}_high IS NULL OR r.{c} <= g.{c}_high)"
                if c != last
                else f"(g.{c}_low IS NULL OR r.high >= g.{c}_low) AND (g.{c}_high IS NULL OR r.low <= g.{c}_high)"
                for c in stored
            )
            admitted = f"""
                JOIN (
                    SELECT file_name, row_group_id, {bounds}
                    FROM parquet_metadata({_sql_list(files)})
                    WHERE path_in_schema IN ({", ".join(_literal(c) for c in stored)})
                    GROUP BY ALL
                ) g ON {admits}
            """
        else:  # nothing to bound: every file may hold every group's keys
            admitted = f", (SELECT unnest({_sql_list(files)}) AS file_name, 0 AS row_group_id) g"
        admissions = con.execute(f"""
            SELECT {", ".join(f"r.{c}" for c in leading)}, r.low, r.high, g.file_name, g.row_group_id
            FROM ({ranges}) r {admitted}
            ORDER BY ALL
        """).fetchall()
    canonical = ", ".join(f.name for f in model.TABLES[table].schema)
    rows = f"SELECT * FROM _{table}_canonical"
    row_groups = {(name, group) for *_, name, group in admissions}
    if len(admissions) > 2 * len(row_groups):
        # row groups that many groups admit (many accounts' rows in each, as in the months of a
        # lake of many quiet accounts): a scan per group would read them again for each, so one
        # scan of the files reads each once (100 quiet accounts: 0.051 s against 0.76 s)
        if row_groups:
            rows += f" UNION ALL BY NAME SELECT * FROM {_files(sorted({name for name, _ in row_groups}))}"
        return f"(SELECT {canonical} FROM ({rows}))"
    groups: dict[tuple, list[str]] = {}  # per group (its columns, low, high): its files
    for *values, low, high, name, _ in admissions:
        group_files = groups.setdefault((*values, low, high), [])
        if name not in group_files:
            group_files.append(name)
    for (*values, low, high), group_files in groups.items():
        equal = " AND ".join(f"{c} = {_literal(v)}" for c, v in zip(leading, values, strict=True))
        rows += (
            f" UNION ALL BY NAME SELECT * FROM {_files(group_files)}"
            f" WHERE {equal} AND {last} BETWEEN {_literal(low)} AND {_literal(high)}"
        )
    return f"(SELECT {canonical} FROM ({rows}))"


def plan(
    con,
    lake: Lake,
    previous: dict[str, Any],
    versions: dict[str, int | None],
    reach: dict[str, list[list[str]]] | None = None,
) -> list[tuple[str, str, str]]:
    """(network, account_id, from_month) of every account whose months from from_month on must be
    recomputed; raises FullRunNeeded when the changes cannot be read (e.g. vacuumed files).

    con has the canonical views at `versions`; previous is the current set's manifest. reach maps a
    mart to the account-months of the previous set's rows that must be recomputed whatever changed
    (rows, as read, that the clock changes: reach_rows, include/sql/reach/<mart>.sql).
    """
    import duckdb

    old_versions = previous["versions"]
    # source: the table whose rows changed, or "clock" for the months the clock changes (reach)
    con.execute(
        "CREATE OR REPLACE TABLE _changed (network VARCHAR, account_id VARCHAR, month VARCHAR, source VARCHAR)"
    )
    con.execute(
        "CREATE OR REPLACE TABLE _changed_threads "
        "(network VARCHAR, account_id VARCHAR, thread_id VARCHAR, changed_from TIMESTAMPTZ)"
    )
    con.execute("CREATE OR REPLACE TABLE _changed_posts (network VARCHAR, post_id VARCHAR)")
    con.execute(
        "CREATE OR REPLACE TABLE _changed_post_rows "
        "(network VARCHAR, account_id VARCHAR, post_id VARCHAR, created_at TIMESTAMPTZ)"
    )
    from deltalake.exceptions import DeltaError

    for table, spec in model.TABLES.items():
        try:
            files = changed_files(lake, table, old_versions.get(table), versions.get(table))
        except (DeltaError, OSError) as exc:  # the old version's log was cleaned up
            raise FullRunNeeded(
                f"version {old_versions.get(table)} of {table} cannot be read: {exc}"
            ) from exc
        if not files:
            continue
        try:
            con.execute(
                "INSERT INTO _changed SELECT DISTINCT network, account_id, "
                f"strftime({spec.date_column}, '%Y-%m'), '{table}' FROM {_files(files)}"
            )
            if table == "messages":
                con.execute(
                    "INSERT INTO _changed_threads "
                    f"SELECT network, account_id, thread_id, min(created_at) FROM {_files(files)} GROUP BY ALL"
                )
            if table == "posts":  # a removed post's key too: its row is dropped
                con.execute(
                    "INSERT INTO _changed_post_rows "
                    f"SELECT DISTINCT network, account_id, post_id, created_at FROM {_files(files)}"
                )
            if table == "post_metrics_daily":
                con.execute(
                    f"INSERT INTO _changed_posts SELECT DISTINCT network, post_id FROM {_files(files)}"
                )
        except duckdb.Error as exc:  # a file of the old version was vacuumed, or cannot be read
            raise FullRunNeeded(
                f"the changes to {table} since version {old_versions.get(table)} cannot be read: {exc}"
            ) from exc
    rows = [(*row, "clock") for months in (reach or {}).values() for row in months]
    if rows:
        con.executemany("INSERT INTO _changed VALUES (?, ?, ?, ?)", rows)
    if _zones_changed(con, lake, old_versions.get("accounts"), versions.get("accounts")):
        raise FullRunNeeded("an account's time zone changed: every SLA clock of the account moves")
    # The threads the thread marts recompute and when each began, in one scan.
    con.execute("""
        CREATE OR REPLACE TABLE _recompute_threads AS
        SELECT DISTINCT network, account_id, thread_id FROM _changed_threads
    """)
    threads = rows_of_keys(
        con,
        lake,
        "messages",
        versions.get("messages"),
        "_recompute_threads",
        KEYED_MARTS["service_requests"][1],
    )
    # every message of those threads: what the thread marts read (use_window), a table because
    # they read it several times and the threads of a day are few
    con.execute(f"""
        CREATE OR REPLACE TABLE _thread_messages AS
        SELECT m.* FROM {threads} m SEMI JOIN _recompute_threads USING (network, account_id, thread_id)
    """)
    con.execute("""
        CREATE OR REPLACE TABLE _thread_starts AS
        SELECT network, account_id, thread_id, min(created_at) AS first_at FROM _thread_messages GROUP BY ALL
    """)
    # the posts of the changed metrics, beside the changed rows of posts (a removed post's too)
    con.execute("""
        INSERT INTO _changed_post_rows
        SELECT p.network, p.account_id, p.post_id, p.created_at
        FROM posts p SEMI JOIN _changed_posts c USING (network, post_id)
    """)
    con.execute("""
        INSERT INTO _changed
        -- a changed message: the whole thread, from its first message
        SELECT s.network, s.account_id, utc_month(s.first_at), 'messages'
        FROM _thread_starts s SEMI JOIN _changed_threads t USING (network, account_id, thread_id)
        UNION ALL
        -- a changed post or its changed metrics: the post's month of publication
        SELECT network, account_id, strftime(created_at, '%Y-%m'), 'posts' FROM _changed_post_rows
    """)
    con.execute(
        "CREATE OR REPLACE TABLE _plan AS "
        "SELECT network, account_id, min(month) AS from_month FROM _changed GROUP BY ALL"
    )
    _plan_posts(con)
    # Daily marts run to the account's last message (of each direction): when it moves on, the
    # days after the previous last one appear, in that message's month if it ended before the month did.
    last_messages_before(
        con, "messages", "SELECT network, account_id, CAST(from_month || '-01' AS TIMESTAMPTZ) FROM _plan"
    )
    con.execute("""
        UPDATE _plan SET from_month = l.month
        FROM (
            SELECT network, account_id, min(strftime(last_at, '%Y-%m')) AS month
            FROM _last_before
            WHERE CAST(last_at AS DATE) < last_day(last_at)
            GROUP BY ALL
        ) l
        WHERE _plan.network = l.network AND _plan.account_id = l.account_id AND l.month < _plan.from_month
    """)
    return [tuple(r) for r in con.execute("SELECT * FROM _plan ORDER BY ALL").fetchall()]


def _plan_posts(con) -> None:
    """The posts the post marts recompute (_recompute_posts) and, per account, the earliest of them
    (_post_from): every post from the account's earliest changed post on (a changed row of posts or
    of its metrics), and the changed posts no longer in the table, whose rows are dropped. Reads
    the changed posts from _changed_post_rows, which plan() fills."""
    con.execute("""
        CREATE OR REPLACE TABLE _post_from AS
        SELECT network, account_id, min(created_at) AS post_from FROM _changed_post_rows GROUP BY ALL
    """)
    lowest = con.execute(
        "SELECT coalesce(min(post_from), TIMESTAMPTZ '9999-01-01') FROM _post_from"
    ).fetchone()[0]
    # the constant bound lets DuckDB skip the files and row groups of earlier posts
    con.execute(f"""
        CREATE OR REPLACE TABLE _recompute_posts AS
        SELECT network, account_id, post_id FROM _changed_post_rows
        UNION
        SELECT p.network, p.account_id, p.post_id
        FROM posts p JOIN _post_from f
            ON f.network = p.network AND f.account_id = p.account_id AND p.created_at >= f.post_from
        WHERE p.created_at >= CAST('{lowest}' AS TIMESTAMPTZ)
    """)


def reach_rows(con, mart: str, source: str, sql: str) -> list[list[str]]:
    """The account-months include/sql/reach/<mart>.sql names of a set's mart, read by source (the
    mart as read at that set's clock: the view previous)."""
    import duckdb

    con.execute(f"CREATE OR REPLACE TEMP VIEW previous AS {source}")
    try:
        found = con.execute(
            f"SELECT DISTINCT network, account_id, month FROM ({sql}\n) ORDER BY ALL"
        ).fetchall()
    except duckdb.Error as exc:
        raise RuntimeError(f"include/sql/reach/{mart}.sql failed: {exc}") from exc
    return [list(row) for row in found]


def reach_parts(files: dict[str, str], run_id: str, before: list[list[str]] | None) -> dict[str, str]:
    """The parts of a set's mart (files: part -> file relative to marts/) that its reach SQL must
    read: those its run wrote and those of the months the reach named in the set before (before:
    that set's, None after a full run, which wrote every part).

    A row that the clock changes at a set's clock was changing at the clock of the set before (a
    request pending now was pending then, one open now was open then: the clock only moves on, or
    the run is full), so a part the run kept unchanged holds such rows only in the months named then.
    """
    if before is None:
        return files
    months = {month for _, _, month in before}
    own = run_id + "/"
    return {part: name for part, name in files.items() if name.startswith(own) or part[:7] in months}


def _zones_changed(con, lake: Lake, old: int | None, new: int | None) -> bool:
    """Whether an account's time zone (its latest snapshot's) differs between the two versions."""
    if old is None or new is None or old == new or only_compacted(lake, "accounts", old, new):
        return False  # (a compacted old version's files may be vacuumed already)
    zones = "SELECT network, account_id, arg_max(time_zone, snapshot_date) AS time_zone FROM {} GROUP BY ALL"
    before = lake.table_files("accounts", old)
    after = lake.table_files("accounts", new)
    if not before or not after:
        return False
    differ = con.execute(
        f"SELECT count(*) FROM ({zones.format(_files(before))}) o JOIN ({zones.format(_files(after))}) n "
        "USING (network, account_id) WHERE o.time_zone IS DISTINCT FROM n.time_zone"
    ).fetchone()[0]
    return bool(differ)


def restrict(con, sources: Iterable[frozenset[str]]) -> None:
    """Replace the windowed tables' views by what the recomputed months read (see the module's
    docstring), and make the window of each set of sources that a windowed mart reads
    (metrics.mart_sources; use_window).

    _plan must exist (plan()); the full views stay as _full_<table>.
    """
    for table in WINDOWED_TABLES:
        con.execute(f"ALTER VIEW {table} RENAME TO _full_{table}")
    # the spike baseline of the first recomputed day counts the days back to the last inbound (or
    # outbound) message before its 28-day window: read from the earlier of the two
    last_messages_before(
        con,
        "_full_messages",
        "SELECT network, account_id, CAST(from_month || '-01' AS TIMESTAMPTZ) - INTERVAL 28 DAY FROM _plan",
    )
    con.execute("""
        CREATE OR REPLACE TABLE _window_all AS
        WITH plan AS (
            SELECT network, account_id, from_month, CAST(from_month || '-01' AS TIMESTAMPTZ) AS from_ts FROM _plan
        ),
        before_baseline AS (
            SELECT network, account_id, min(last_at) AS last_at FROM _last_before GROUP BY ALL
        )
        SELECT
            p.network,
            p.account_id,
            p.from_month,
            p.from_ts,
            least(p.from_ts - INTERVAL 1 MONTH, coalesce(b.last_at, p.from_ts)) AS baseline_from
        FROM plan p
        LEFT JOIN before_baseline b USING (network, account_id)
    """)
    _messages_view(con, "_month_messages_all", "_window_all", "from_ts")
    _messages_view(con, "_baseline_messages_all", "_window_all", "baseline_from")
    for mart_sources in set(sources):
        if mart_sources:
            _source_window(con, mart_sources)
    use_window(con, None)
    # the recomputed posts and their metrics (dated on or after their publication, by a network
    # that may date them in the account's zone: a day's margin for the constant bound)
    post_from = con.execute(
        "SELECT coalesce(min(post_from), TIMESTAMPTZ '9999-01-01') FROM _post_from"
    ).fetchone()[0]
    con.execute(f"""
        CREATE VIEW posts AS
        SELECT p.* FROM _full_posts p SEMI JOIN _post_from f
            ON f.network = p.network AND f.account_id = p.account_id AND p.created_at >= f.post_from
        WHERE p.created_at >= CAST('{post_from}' AS TIMESTAMPTZ)
    """)
    con.execute(f"""
        CREATE VIEW post_metrics_daily AS
        SELECT d.* FROM _full_post_metrics_daily d SEMI JOIN _recompute_posts r USING (network, post_id)
        WHERE d.date >= CAST(CAST('{post_from}' AS TIMESTAMPTZ) - INTERVAL 1 DAY AS DATE)
    """)


def _messages_view(con, view: str, window: str, start: str) -> None:
    """A view of the messages of each account of a window (a table of it) from its start column on."""
    # the constant bound lets DuckDB skip files and row groups by their statistics; the join is
    # exact (nothing to recompute: the far future, an empty window)
    first = f"SELECT coalesce(min({start}), TIMESTAMPTZ '9999-01-01') FROM {window}"
    lowest = con.execute(first).fetchone()[0]
    con.execute(f"""
        CREATE VIEW {view} AS
        SELECT m.* FROM _full_messages m SEMI JOIN {window} w
            ON w.network = m.network AND w.account_id = m.account_id AND m.created_at >= w.{start}
        WHERE m.created_at >= CAST('{lowest}' AS TIMESTAMPTZ)
    """)


def _window_name(sources: frozenset[str]) -> str:
    return "_".join(sorted(sources))


def _source_window(con, sources: frozenset[str]) -> None:
    """The window (_window_<name>) of a mart whose rows depend on these sources: per account, the
    earliest month of their changes (_changed); with the view of its messages
    (_month_messages_<name>) when they are one."""
    name = _window_name(sources)
    con.execute(f"""
        CREATE TABLE _window_{name} AS
        SELECT network, account_id, min(month) AS from_month, CAST(min(month) || '-01' AS TIMESTAMPTZ) AS from_ts
        FROM _changed WHERE source IN ({", ".join(_literal(s) for s in sorted(sources))})
        GROUP BY ALL
    """)
    if "messages" in sources:
        _messages_view(con, f"_month_messages_{name}", f"_window_{name}", "from_ts")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# How far before its bound an account's last messages are looked for, widest last (None: all of
# history). The last message of a busy account is minutes old: its day holds it (a day's files and
# row groups, 0.015 s at 10 M messages, against 0.04-0.06 s for a month's).
LAST_MESSAGE_REACH = ("1 DAY", "31 DAY", None)


def last_messages_before(con, messages: str, bounds: str) -> None:
    """The temp table _last_before (network, account_id, direction, last_at): each account's last
    message of each direction before its bound; bounds is SQL giving (network, account_id, bound).

    Looked for in the day before the bounds first, then the month before, then all of history
    (LAST_MESSAGE_REACH): a constant lower bound lets DuckDB skip the files and row groups of
    earlier history by their statistics. Each wider search is for the accounts without a message
    of both directions in the narrower one (a quiet account, or one that never replies).
    """
    con.execute(f"CREATE OR REPLACE TABLE _quiet AS SELECT * FROM ({bounds}\n) b(network, account_id, bound)")
    con.execute(
        "CREATE OR REPLACE TABLE _last_before "
        "(network VARCHAR, account_id VARCHAR, direction VARCHAR, last_at TIMESTAMPTZ)"
    )
    for reach in LAST_MESSAGE_REACH:
        lowest = con.execute("SELECT min(bound) FROM _quiet").fetchone()[0]
        if lowest is None:
            return
        # both directions of an account still to find are looked for again, further back
        con.execute(
            "DELETE FROM _last_before l USING _quiet q WHERE l.network = q.network AND l.account_id = q.account_id"
        )
        since = f"AND m.created_at >= CAST('{lowest}' AS TIMESTAMPTZ) - INTERVAL {reach}" if reach else ""
        con.execute(f"""
            INSERT INTO _last_before
            SELECT m.network, m.account_id, m.direction, max(m.created_at) AS last_at
            FROM {messages} m
            JOIN _quiet b ON b.network = m.network AND b.account_id = m.account_id
            WHERE m.created_at < b.bound {since}
            GROUP BY ALL
        """)
        con.execute("""
            CREATE OR REPLACE TABLE _quiet AS
            SELECT b.* FROM _quiet b
            LEFT JOIN (SELECT network, account_id, count(*) AS directions FROM _last_before GROUP BY ALL) l
                USING (network, account_id)
            WHERE coalesce(l.directions, 0) < 2
        """)


def use_window(
    con,
    mart: str | None,
    windowed: bool = True,
    computed: Mapping[str, Mapping[str, str]] | None = None,
    read: Callable[[str, Mapping[str, str]], str] | None = None,
    sources: frozenset[str] | None = None,
) -> None:
    """Point the view _window at the months `mart` recomputes and the view messages at what it
    reads: its threads for a thread mart, the months and the spike baseline before them for a
    baseline mart, else the months; and each windowed mart already computed (computed: mart -> its
    parts, part -> file; view _full_<mart>) at the months a windowed mart reads of it, or at all of
    it for a mart recomputed whole. read(mart, parts) is the SQL reading those parts of a mart as
    readers see it.

    The months are those the changes to the mart's sources reach (metrics.mart_sources: the tables
    it reads, and the clock): a mart of messages does not recompute the month before for the posts
    whose metrics still change, nor for the requests still pending. A baseline mart, whose days
    run to the account's last message, and a mart of unknown sources take every change (_plan).
    """
    name = "all" if not sources or mart in BASELINE_MARTS else _window_name(sources)
    if windowed:  # (a mart recomputed whole reads no window; restrict() made those of the others)
        con.execute(f"CREATE OR REPLACE TEMP VIEW _window AS SELECT * FROM _window_{name}")
    if name == "all" or "messages" in (sources or ()):  # (only a mart of messages reads them)
        window = (
            "_thread_messages"
            if mart in THREAD_MARTS
            else "_baseline_messages_all"
            if mart in BASELINE_MARTS
            else f"_month_messages_{name}"
        )
        con.execute(f"CREATE OR REPLACE TEMP VIEW messages AS SELECT * FROM {window}")
    windowed_marts = [m for m in WINDOWED_MARTS if m in (computed or {})]
    first = months_before("w.from_month", LOCAL_MONTH_MARTS.get(mart or "", (0, 0))[1])
    if windowed_marts and windowed:
        # the constant bound lets DuckDB skip the earlier month parts by their statistics
        lowest = con.execute(f"SELECT coalesce(min({first}), '9999-01') FROM _window w").fetchone()[0]
    for source in windowed_marts:
        if windowed:
            assert computed is not None and read is not None
            # only the parts of those months: a full run's one file holds every month, and its row
            # groups' statistics span them all, so a filter by month would still read all of it
            parts = {p: f for p, f in computed[source].items() if p in ("all", "empty") or p >= lowest}
            rows = (
                f"SELECT s.* FROM ({read(source, parts or computed[source])}\n) s SEMI JOIN _window w "
                f"ON w.network = s.network AND w.account_id = s.account_id AND s.month >= {first} "
                f"WHERE s.month >= '{lowest}'"
            )
        else:
            rows = f"SELECT * FROM _full_{source}"
        con.execute(f"CREATE OR REPLACE TEMP VIEW {source} AS {rows}")


def part_column(mart: str) -> str:
    """The column a windowed mart is stored by: its day column for DAY_MARTS, else month."""
    return DAY_MARTS.get(mart, "month")


def months_before(month: str, months: int) -> str:
    """SQL of the month (a 'YYYY-MM' SQL expression) so many calendar months earlier."""
    return (
        month if months == 0 else f"strftime(CAST({month} || '-01' AS DATE) - to_months({months}), '%Y-%m')"
    )


def no_earlier_posts(con) -> None:
    """earlier_posts, empty: the posts before those of posts that post_performance's repeats read,
    none in a full run, which reads every post (read_earlier_posts sets them for an incremental run)."""
    con.execute(
        "CREATE OR REPLACE VIEW earlier_posts AS SELECT CAST(NULL AS VARCHAR) AS network, "
        "CAST(NULL AS VARCHAR) AS account_id, CAST(NULL AS VARCHAR) AS post_id, "
        "CAST(NULL AS TIMESTAMPTZ) AS created_at, CAST(NULL AS VARCHAR) AS normalised WHERE FALSE"
    )


def read_earlier_posts(con, mart: str, previous: dict[str, str]) -> None:
    """earlier_posts for a post mart's incremental run: the 30 days of posts before each account's
    earliest recomputed one (post_from), whose repeats it judges, from the previous set's rows of
    the mart (previous: part -> file), with the text as stored normalised. Those posts are today's:
    every changed post, removed ones too, is at or after post_from."""
    earliest, latest = con.execute("SELECT min(post_from), max(post_from) FROM _post_from").fetchone()
    if earliest is None:
        no_earlier_posts(con)
        return
    since = earliest - dt.timedelta(days=30)
    length = len("YYYY-MM-DD") if mart in DAY_MARTS else len("YYYY-MM")
    first, last = (t.astimezone(dt.UTC).isoformat()[:length] for t in (since, latest))
    parts = {part: name for part, name in previous.items() if first <= part <= last}
    if not parts:
        no_earlier_posts(con)
        return
    con.execute(f"""
        CREATE OR REPLACE VIEW earlier_posts AS
        SELECT p.network, p.account_id, p.post_id, p.created_at, p.normalised
        FROM {mart_parts_sql(parts, part_column(mart))} p SEMI JOIN _post_from f
            ON f.network = p.network AND f.account_id = p.account_id
            AND p.created_at >= f.post_from - INTERVAL 30 DAY AND p.created_at < f.post_from
        WHERE p.created_at >= CAST('{since.isoformat()}' AS TIMESTAMPTZ)
    """)


def no_carry(con) -> None:
    """backlog_carried, empty: what service_monthly reads besides its requests in a full run, which
    reads every request (carry_backlog fills it for an incremental run)."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE backlog_carried "
        "(network VARCHAR, account_id VARCHAR, month VARCHAR, opened BIGINT, closed BIGINT)"
    )


def carry_backlog(con, monthly: dict[str, str], requests: dict[str, str]) -> None:
    """backlog_carried for an incremental run: the flows of service_monthly's running backlog that
    come from before its window (it reads the requests from from_month on).

    Per recomputed account: the backlog at the end of the last earlier month with requests, as the
    previous set has it (monthly: that set's service_monthly parts, part -> file), opened in that month; and the
    requests sent up to that month and answered after it (requests: this set's service_requests
    parts, part -> file), closed in the month of their answer. The previous set's backlog of those
    months is today's: they hold no changed thread (a thread's requests are in or after the month
    it begins, from which the plan recomputes its account).
    """
    no_carry(con)
    if not monthly:
        return
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _carried_from AS
        SELECT p.network, p.account_id, max(p.month) AS month, arg_max(p.backlog_at_month_end, p.month) AS backlog
        FROM {mart_parts_sql(monthly)} p
        SEMI JOIN _window w
            ON w.network = p.network AND w.account_id = p.account_id AND p.month < w.from_month
        GROUP BY ALL
    """)
    con.execute(
        "INSERT INTO backlog_carried SELECT network, account_id, month, backlog, 0 FROM _carried_from"
    )
    low, high = con.execute("SELECT min(month), max(month) FROM _carried_from").fetchone()
    if high is None:  # no recomputed account had requests before its window
        return
    parts = {
        part: file
        for part, file in requests.items()
        if part == "all" or (part != "empty" and part[:7] <= high)
    }
    if not parts:
        return
    # answered after the earliest such month: the constant bound lets DuckDB skip by statistics
    year, month = map(int, low.split("-"))
    after = f"{year + month // 12:04d}-{month % 12 + 1:02d}-01T00:00:00+00:00"
    con.execute(f"""
        INSERT INTO backlog_carried
        SELECT r.network, r.account_id, utc_month(r.responded_at), 0, count(*)
        FROM {mart_parts_sql(parts, part_column("service_requests"))} r
        JOIN _carried_from c
            ON c.network = r.network AND c.account_id = r.account_id
            AND r.month <= c.month AND utc_month(r.responded_at) > c.month
        WHERE r.responded_at >= TIMESTAMPTZ '{after}'
        GROUP BY ALL
    """)


def recompute_parts(con, mart: str, sql: str, previous: dict[str, str]) -> tuple[str, set[str]]:
    """The query of a windowed mart's rows in the parts (months, or days) this run rewrites, and
    the parts of the previous set (previous: part -> file) it keeps as they are.

    The recomputed rows are those of the recomputed keys (a keyed mart: threads or posts) or of the
    months from each account's from_month on; a month part is rewritten when it holds or held any
    of them, with the previous rows of that month that were not recomputed carried into it. Every
    other part is the previous set's file, shared: a day's run writes the months it changed, not
    all of history.
    """
    keyed = KEYED_MARTS.get(mart)
    first = months_before("w.from_month", LOCAL_MONTH_MARTS.get(mart, (0, 0))[0])
    if keyed:  # only the keys' rows: a post mart also reads the posts before them, for the repeats
        keys, columns = keyed
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _recomputed AS SELECT * FROM ({sql}\n) "
            f"SEMI JOIN {keys} USING ({', '.join(columns)})"
        )
        on = " AND ".join(f"k.{c} = p.{c}" for c in columns)
    else:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _recomputed AS
            SELECT n.* FROM ({sql}\n) n SEMI JOIN _window w
                ON w.network = n.network AND w.account_id = n.account_id AND n.month >= {first}
        """)
    column = part_column(mart)
    # the parts (months, or days: DAY_MARTS) of the recomputed rows
    months = {
        m for (m,) in con.execute(f"SELECT DISTINCT CAST({column} AS VARCHAR) FROM _recomputed").fetchall()
    }
    months_of_parts = {part for part in previous if part not in ("all", "empty")}
    first_part = "utc_date({})" if mart in DAY_MARTS else "utc_month({})"
    if mart in POST_MARTS:  # a recomputed post's earlier row is in its part, at or after post_from
        lowest = con.execute(
            f"SELECT CAST(min({first_part.format('post_from')}) AS VARCHAR) FROM _post_from"
        ).fetchone()[0]
    elif mart in THREAD_MARTS:
        # a recomputed thread's earlier rows are on or after its first message: today's, or one
        # changed since (a removed first message is in a changed file). Often far later than
        # from_month, which the clock can move back to the month before (reach).
        lowest = con.execute(f"""
            SELECT CAST(min({first_part.format("first")}) AS VARCHAR) FROM (
                SELECT min(first_at) AS first FROM _thread_starts
                UNION ALL
                SELECT min(changed_from) FROM _changed_threads
            )
        """).fetchone()[0]
    else:
        lowest = con.execute(f"SELECT min({first}) FROM _window w").fetchone()[0]
    # where the recomputed keys' earlier rows can be
    searched = sorted(m for m in months_of_parts if lowest is not None and m >= lowest)
    if mart in THREAD_MARTS and searched:
        months |= {
            m
            for (m,) in con.execute(
                f"SELECT DISTINCT CAST({column} AS VARCHAR) FROM {mart_parts_sql({p: previous[p] for p in searched}, column)} p "
                f"SEMI JOIN {keys} k ON {on}"
            ).fetchall()
        }
    elif mart not in THREAD_MARTS:
        months |= set(searched)
    rewritten = sorted(months & months_of_parts)
    kept = set(previous) - set(rewritten) - {"empty"}
    if not rewritten:
        return "SELECT * FROM _recomputed", kept
    # the previous rows of the rewritten months that this run did not recompute
    not_recomputed = (
        f"ANTI JOIN {keys} k ON {on}"
        if keyed
        else "ANTI JOIN _window w "
        f"ON w.network = p.network AND w.account_id = p.account_id AND p.month >= {first}"
    )
    carried = (
        f"SELECT p.* FROM {mart_parts_sql({m: previous[m] for m in rewritten}, column)} p {not_recomputed}"
    )
    return f"SELECT * FROM ({carried}) UNION ALL BY NAME SELECT * FROM _recomputed", kept
