"""Computes the marts: runs include/sql/<mart>.sql in DuckDB over the lake and writes Parquet.

Each SQL file is one mart, named after the file; a mart may read the canonical tables and the
marts it names, which run before it (MARTS is derived from the SQL, never listed by hand).
include/sql/_macros.sql defines the macros they share. A run recomputes the months its new data
can change (incremental.py), or every mart in full; either way a rerun or a backfill yields the
marts a full recompute of the validated lake gives.
The definitions of every metric are in docs/metrics.md.

The SLA reaches the SQL as DuckDB variables (sla_hours, business_hours, business_start_s,
business_end_s, business_days, resolution_quiet_hours, as_of) and a table sla_policy(network, sla_hours).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import re
import tempfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from socialpulse import incremental, model
from socialpulse.config import WEEKDAYS, SlaPolicy
from socialpulse.lake import (
    MANIFEST,
    Lake,
    atomic_write_json,
    is_remote,
    mart_parts_sql,
    new_run_id,
    parquet_files_sql,
    temporary_name,
)
from socialpulse.paths import SQL_DIR

log = logging.getLogger(__name__)

MACROS = "_macros"
ANALYST_DB = "analyst.duckdb"
# A comment or a string literal: neither names a mart the SQL reads.
_NOT_CODE = re.compile(r"--[^\n]*|'(?:[^']|'')*'")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def mart_inputs(sql: str, marts: set[str] | frozenset[str]) -> set[str]:
    """The marts among `marts` that a mart's SQL reads (names outside comments and strings)."""
    return set(_WORD.findall(_NOT_CODE.sub(" ", sql))) & set(marts)


def mart_order(sql_dir: Path = SQL_DIR) -> tuple[str, ...]:
    """Every mart of sql_dir (each <mart>.sql but the _macros file), each after the marts it reads;
    otherwise in name order. A new SQL file runs without being listed anywhere."""
    names = sorted(p.stem for p in sql_dir.glob("*.sql") if not p.stem.startswith("_"))
    inputs = {name: mart_inputs((sql_dir / f"{name}.sql").read_text(), set(names) - {name}) for name in names}
    order: list[str] = []
    while len(order) < len(names):
        ready = [n for n in names if n not in order and inputs[n] <= set(order)]
        if not ready:
            left = sorted(set(names) - set(order))
            raise RuntimeError(
                f"{sql_dir}: marts that read each other in a circle: "
                + ", ".join(f"{n} reads {sorted(inputs[n] - set(order))}" for n in left)
            )
        order.append(ready[0])
    return tuple(order)


# Every mart, in dependency order: derived from the SQL, never kept by hand.
MARTS = mart_order()
# Marts stored as their SQL only, computed whenever they are read: each row is a row of the marts
# it reads, filtered, with the clock in it (service_backlog: every request still unanswered, aged
# to as_of). Storing it would write the whole backlog again each run as the clock ages it.
VIEW_MARTS = ("service_backlog",)
# DuckDB settings for one mart's statements, reset after it (DuckDB's guide, "Join Operations":
# https://duckdb.org/docs/stable/guides/performance/join_operations). service_requests joins the
# inbound messages and the requests to our replies (LEFT joins) and the inbound replies to the
# requests: from its estimates of the filtered scans and CTEs DuckDB built each hash table on the
# larger side. Built on the right side as written (our replies; the replies to requests), the
# mart took 15.3 s of CPU instead of 19.2 s at 10 M messages and peaked at 2.0 GiB instead of
# 2.8 (3 Dec 2026, the same rows). No other mart gains, and some lose (influence_leaders_monthly
# 26%, service_channel_monthly 20%): docs/metrics.md, "Speed".
MART_SETTINGS: dict[str, dict[str, str]] = {
    "service_requests": {"disabled_optimizers": "build_side_probe_side"}
}


def mart_sql(mart: str) -> str:
    return (SQL_DIR / f"{mart}.sql").read_text()


def _seconds_of_day(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def connect(
    lake: Lake,
    threads: int | None = None,
    sla: SlaPolicy | None = None,
    as_of: dt.datetime | None = None,
    memory_limit: str | None = None,
    versions: Mapping[str, int | None] | None = None,
):
    """A DuckDB connection with a view per canonical table, the SLA and the macros.

    The tables are read at versions (time travel, e.g. a mart set's manifest) or, by default, at
    their current Delta versions.
    """
    return _connect(lake, threads, sla, as_of, memory_limit, versions)[0]


def _connect(lake, threads, sla, as_of, memory_limit, versions):
    """connect(), and the version of every canonical table it reads."""
    sla = sla or SlaPolicy()
    con = lake.duckdb()
    # Months and dates are UTC, whatever the machine's zone (DuckDB would use it for timestamptz).
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit:  # beyond it DuckDB spills to disk instead of growing
        con.execute("SET memory_limit = ?", [memory_limit])
    # A mart whose rows need an order says ORDER BY; the others may be written in any order, which
    # lets DuckDB write them in parallel (service_requests: about 18% faster at 10 M messages).
    con.execute("SET preserve_insertion_order = false")
    # Every file a run reads keeps its name for its life (Delta's and the marts' are unique), so
    # each footer is read once: views are bound and rebound over hundreds of files (a daily run:
    # 0.15-0.3 s of 3.3 s at 10 M messages).
    con.execute("SET parquet_metadata_cache = true")
    # Spill files go to the system's temporary folder, not to whatever the working directory is.
    con.execute("SET temp_directory = ?", [str(Path(tempfile.gettempdir()) / "socialpulse-duckdb")])
    _set_sla_variables(con, sla)
    con.execute("SET VARIABLE as_of = CAST(? AS TIMESTAMPTZ)", [as_of])
    con.execute("CREATE TABLE sla_policy (network VARCHAR, sla_hours DOUBLE)")
    if sla.per_network:
        con.executemany("INSERT INTO sla_policy VALUES (?, ?)", list(sla.per_network.items()))
    read = lake.register_tables(con, versions)  # a view per canonical table over its version's files
    con.execute(mart_sql(MACROS))
    return con, read


def sla_variables(sla: SlaPolicy) -> dict[str, Any]:
    """The SLA as the DuckDB variables the mart SQL and the macros read."""
    return {
        "sla_hours": float(sla.default_hours),
        "resolution_quiet_hours": float(sla.resolution_quiet_hours),
        "business_hours": sla.business_hours,
        "business_start_s": _seconds_of_day(sla.business_start or "00:00"),
        "business_end_s": _seconds_of_day(sla.business_end or "24:00"),
        "business_days": [WEEKDAYS.index(d) + 1 for d in sla.business_days],
    }


def _set_sla_variables(con, sla: SlaPolicy) -> None:
    for name, value in sla_variables(sla).items():
        cast = "INTEGER[]" if isinstance(value, list) else None
        con.execute(f"SET VARIABLE {name} = " + (f"CAST(? AS {cast})" if cast else "?"), [value])


def sql_hash(sql_dir: Path = SQL_DIR) -> str:
    """A digest of every SQL file the marts run (not the report queries): a change means a full run."""
    digest = hashlib.sha256()
    for path in sorted([*sql_dir.glob("*.sql"), *sql_dir.glob("reach/*.sql"), *sql_dir.glob("read/*.sql")]):
        digest.update(str(path.relative_to(sql_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def sla_hash(sla: SlaPolicy) -> str:
    """A digest of the SLA configuration: marts judged against another SLA are recomputed in full."""
    return hashlib.sha256(
        json.dumps(dataclasses.asdict(sla), sort_keys=True, default=str).encode()
    ).hexdigest()


def compute_marts(
    lake: Lake,
    marts: tuple[str, ...] = MARTS,
    *,
    sla: SlaPolicy | None = None,
    as_of: dt.datetime | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    versions: Mapping[str, int | None] | None = None,
    run_id: str | None = None,
    full: bool = False,
) -> dict[str, int]:
    """Compute the marts as one set, marts/<run_id>/, then make it the current set; returns rows per mart.

    Every mart is written into the run's own folder with a manifest (the Delta version of every
    canonical table read, the SQL and SLA hashes, rows per mart); only then does one atomic write
    of marts/current.json switch readers to the new set. A run that fails or is killed leaves the
    previous set current and whole.

    A run is incremental (socialpulse.incremental): it recomputes the months the changes since the
    current set's table versions can affect and carries the other months over from that set. It is
    full when asked (full=True), when there is no set to build on, or when the SQL, the SLA
    configuration or as_of changed since; the manifest says which and why.

    sla is config.sla (default: 24 h for every network, around the clock); as_of is the report time that decides which
    unanswered requests are pending or missed (default: each network's latest message).
    threads and memory_limit are DuckDB's settings (e.g. "3GB"); by default DuckDB's own.
    versions pins the canonical tables to earlier versions (time travel) and run_id names the set:
    together they rebuild a pruned set (recompute_run); such a set never becomes current.
    """
    with lake.versions_cached():
        return _compute_marts(lake, marts, sla, as_of, threads, memory_limit, versions, run_id, full)


def _compute_marts(lake, marts, sla, as_of, threads, memory_limit, versions, run_id, full) -> dict[str, int]:
    import duckdb

    sla = sla or SlaPolicy()
    started = dt.datetime.now(dt.UTC)
    run_id = run_id or new_run_id(started)
    sources = mart_sources(MARTS)  # of every mart: a run of some marts reads the others' rows
    began = time.perf_counter()
    con, read = _connect(lake, threads, sla, as_of, memory_limit, versions)
    # what the run spends before the marts: a cost per file or per account shows here, not in a mart
    setup = {"connect": round(time.perf_counter() - began, 3)}
    rows: dict[str, int] = {}
    seconds: dict[str, float] = {}
    files: dict[str, dict[str, str]] = {}
    try:
        # each network's latest message over the whole table, before any window (service_requests' as_of)
        began = time.perf_counter()
        clock = _network_clock(con, lake)
        run_clock = {n: as_of.isoformat() if as_of else latest for n, latest in clock.items()}
        setup["network_clock"] = round(time.perf_counter() - began, 3)
        began = time.perf_counter()
        previous, mode = _previous_set(lake, marts, sla, as_of, versions, full, clock)
        plan: list[tuple[str, str, str]] | None = None
        # per mart with a reach SQL, the previous set's rows the clock changes (its manifest's)
        before: dict[str, list[list[str]]] | None = None
        if previous is not None:
            try:
                before = previous.get("reach") or {
                    mart: incremental.reach_rows(
                        con,
                        mart,
                        mart_query(
                            lake, mart, previous["files"][mart], set_clock(previous), _manifest_sla(previous)
                        ),
                        sql,
                    )
                    for mart in marts
                    if (sql := reach_sql(mart)) is not None
                }
                plan = incremental.plan(con, lake, previous, read, before)
                incremental.restrict(
                    con,
                    [
                        sources[mart]
                        for mart in marts
                        if mart in sources
                        and mart not in VIEW_MARTS
                        and incremental.is_windowed(mart_sql(mart))
                    ],
                )
            except incremental.FullRunNeeded as exc:
                mode = f"full: {exc}"
                plan = None
        setup["plan"] = round(time.perf_counter() - began, 3)
        log.info(
            "mart run %s: %s",
            run_id,
            mode if plan is None or previous is None else f"incremental from {previous['run_id']}: {plan}",
        )
        log.info("mart run %s: before the marts %s s", run_id, setup)
        if plan is None:
            incremental.no_earlier_posts(con)  # a full run's post_performance reads every post
        incremental.no_carry(con)  # a full run's service_monthly reads every request

        def compute(con, mart: str) -> None:
            with mart_settings(con, mart):
                began = time.perf_counter()
                query = mart_sql(mart)
                parted = mart not in VIEW_MARTS and incremental.is_windowed(query)
                kept: dict[str, str] = {}
                if plan is not None:
                    incremental.use_window(
                        con,
                        mart,
                        parted,
                        # the marts it reads (of its group: mart_groups), computed before it
                        {source: files[source] for source in mart_inputs(query, set(files))},
                        lambda source, parts: mart_query(lake, source, parts, run_clock, sla),
                        sources.get(mart),
                    )
                if plan is not None and previous is not None and parted:
                    previous_parts = {
                        part: str(lake.marts_dir() / name) for part, name in previous["files"][mart].items()
                    }
                    if mart in incremental.POST_MARTS:
                        incremental.read_earlier_posts(con, mart, previous_parts)
                    if mart in incremental.CARRIED_MARTS:
                        incremental.carry_backlog(
                            con,
                            previous_parts,
                            {
                                part: str(lake.marts_dir() / name)
                                for part, name in files["service_requests"].items()
                            },
                        )
                    query, kept_parts = incremental.recompute_parts(con, mart, query, previous_parts)
                    kept = {part: previous["files"][mart][part] for part in kept_parts}
                try:
                    written = (
                        {}
                        if mart in VIEW_MARTS
                        else _write_mart(
                            con, lake, query, mart, run_id, parted, bool(kept), one_file=plan is None
                        )
                    )
                    files[mart] = {**kept, **written}
                    if plan is not None and mart in incremental.DAY_MARTS:
                        files[mart] = _compact_closed_months(con, lake, mart, run_id, files[mart])
                except duckdb.Error as exc:
                    raise RuntimeError(f"mart {mart} ({SQL_DIR / mart}.sql) failed: {exc}") from exc
                # Later marts read the written files: a table in between would copy every row once more.
                view = f"_full_{mart}" if mart in incremental.WINDOWED_MARTS else mart
                con.execute(
                    f"CREATE OR REPLACE VIEW {view} AS {mart_query(lake, mart, files[mart], run_clock, sla)}"
                )
                if view != mart:  # a run's windows narrow it for the marts that read it (use_window)
                    con.execute(f"CREATE OR REPLACE VIEW {mart} AS SELECT * FROM {view}")
                # a read SQL adds columns to the stored rows, never rows: count those, not the view's joins
                counted = mart if mart in VIEW_MARTS else _stored_sql(lake, mart, files[mart])
                rows[mart] = con.execute(f"SELECT count(*) FROM {counted}").fetchone()[0]
                seconds[mart] = round(time.perf_counter() - began, 3)
                log.info(
                    "mart %s: %d rows in %.2f s (%d parts written, %d kept)",
                    mart,
                    rows[mart],
                    seconds[mart],
                    len(files[mart]) - len(kept),
                    len(kept),
                )

        if plan is None:  # a full run's marts one after the other: each uses every core and much memory
            for mart in marts:
                compute(con, mart)
        else:
            groups = mart_groups(marts, (previous or {}).get("seconds"))
            _in_parallel(con, groups, compute, sla, as_of)
        # read only where such rows can be: the parts this run wrote, and the months named before
        reach = {}
        for mart in marts:
            if (sql := reach_sql(mart)) is None:
                continue
            parts = incremental.reach_parts(
                files[mart], run_id, before.get(mart) if plan is not None and before is not None else None
            )
            reach[mart] = (
                incremental.reach_rows(con, mart, mart_query(lake, mart, parts, run_clock, sla), sql)
                if parts
                else []
            )
    finally:
        con.close()
    manifest = {
        "run_id": run_id,
        "started_at": started.isoformat(),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(),
        "versions": read,
        "sql_hash": sql_hash(),
        "sla_hash": sla_hash(sla),
        "as_of": as_of.isoformat() if as_of else None,
        "network_clock": clock,
        "mode": "incremental" if plan is not None else "full",
        "why": mode if plan is None else None,
        "base_run": previous["run_id"] if plan is not None and previous is not None else None,
        # the months recomputed: every month of each listed account from from_month on (full: all)
        "recomputed": {f"{n}/{a}": m for n, a, m in plan} if plan is not None else "all",
        # per mart with a reach SQL, the account-months of this set's rows that, as read, the
        # clock changes (include/sql/reach): the next run recomputes them
        "reach": reach,
        "marts": list(marts),
        # every mart's files (relative to marts/), by month part: a part this run did not
        # recompute is the previous set's file, shared
        "files": files,
        # the SLA the set was computed for: readers judge the requests still unanswered with it
        "sla": dataclasses.asdict(sla),
        "rows": rows,
        "seconds": seconds,
        "setup_seconds": setup,
    }
    atomic_write_json(lake.mart_run_dir(run_id) / MANIFEST, manifest)
    if versions is None:
        _switch(lake, manifest)
    return rows


# Groups of marts an incremental run computes at once, each on its own connection: its marts are
# small queries that keep one core busy at a time, so a second group runs on the other core.
PARALLEL_GROUPS = 2


def mart_groups(marts: tuple[str, ...], seconds: Mapping[str, float] | None = None) -> list[tuple[str, ...]]:
    """The marts in groups that read none of the others' (by their SQL and read SQL), each group in
    run order; the longest first by seconds (each mart's, e.g. the previous set's), so that the
    shorter ones fill in beside them (longest processing time first)."""
    group_of = {mart: [mart] for mart in marts}
    for mart in marts:
        for source in mart_inputs(mart_sql(mart) + (read_sql(mart) or ""), set(marts) - {mart}):
            merged = group_of[mart] + [m for m in group_of[source] if m not in group_of[mart]]
            for member in merged:
                group_of[member] = merged
    groups = {id(group): tuple(m for m in marts if m in group) for group in group_of.values()}
    cost = {group: sum((seconds or {}).get(mart, 0.0) for mart in group) for group in groups.values()}
    return sorted(groups.values(), key=lambda group: (-cost[group], -len(group), marts.index(group[0])))


def _in_parallel(con, groups, compute, sla: SlaPolicy, as_of: dt.datetime | None) -> None:
    """compute(connection, mart) for every mart of the groups, PARALLEL_GROUPS groups at a time,
    each on a connection of its own to con's database: the run's plan and windows are its tables
    and views, shared; each mart's own (its window, messages as it reads them, its rows) are
    temporary, the connection's. The first error is raised once the groups already running end.
    A mart's MART_SETTINGS are DuckDB's global settings: the other group's statements run with them
    too while it runs (a plan choice, never a result)."""
    from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

    def run(group: tuple[str, ...]) -> None:
        cursor = con.cursor()
        try:
            _set_sla_variables(cursor, sla)  # variables are each connection's own
            cursor.execute("SET VARIABLE as_of = CAST(? AS TIMESTAMPTZ)", [as_of])
            incremental.no_carry(cursor)
            for mart in group:
                compute(cursor, mart)
        finally:
            cursor.close()

    with ThreadPoolExecutor(max_workers=PARALLEL_GROUPS, thread_name_prefix="marts") as pool:
        futures = [pool.submit(run, group) for group in groups]
        for future in wait(futures, return_when=FIRST_EXCEPTION).not_done:
            future.cancel()
    for future in futures:
        if not future.cancelled():
            future.result()


def refresh_analyst_db(lake: Lake, manifest: dict) -> Path | None:
    """<lake>/analyst.duckdb: a view per canonical table (at the set's versions) and per mart of the set.

    An analyst opens it with DuckDB's CLI (`duckdb -readonly lake/analyst.duckdb`) or a BI tool and
    queries every table by name; the table mart_set says which set and versions it shows. Rebuilt
    whole after each switch and renamed into place, so an open file keeps showing the set it was
    opened on. A local lake only: DuckDB cannot write a database file into an object store.
    """
    import duckdb

    if lake.remote:
        log.info("no analyst.duckdb for a lake in an object store (%s)", lake.root)
        return None
    target = lake.root / ANALYST_DB
    tmp = temporary_name(target)
    try:
        con = duckdb.connect(str(tmp))
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute("SET parquet_metadata_cache = true")  # each footer once, as in a run (_connect)
            lake.register_tables(con, manifest["versions"])
            # A database file keeps no variables: the set's SLA is written into the macros and views.
            variables = sla_variables(_manifest_sla(manifest))
            con.execute(inline_variables(mart_sql(MACROS), variables))
            for mart in manifest["marts"]:
                query = mart_query(
                    lake, mart, manifest["files"][mart], set_clock(manifest), _manifest_sla(manifest)
                )
                con.execute(f"CREATE OR REPLACE VIEW {mart} AS {inline_variables(query, variables)}")
            con.execute(
                "CREATE TABLE mart_set AS SELECT ? AS run_id, CAST(? AS TIMESTAMPTZ) AS finished_at, ? AS table_versions",
                [
                    manifest["run_id"],
                    manifest["finished_at"],
                    json.dumps(manifest["versions"], sort_keys=True),
                ],
            )
        finally:
            con.close()
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
    log.info("analyst database %s shows mart set %s", target, manifest["run_id"])
    return target


def reach_sql(mart: str) -> str | None:
    """include/sql/reach/<mart>.sql: the previous set's account-months of a mart an incremental run recomputes."""
    path = SQL_DIR / "reach" / f"{mart}.sql"
    return path.read_text() if path.exists() else None


def mart_sources(marts: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """Per mart (of marts, in dependency order), what its rows depend on: the canonical tables it
    reads, itself or through the marts it reads, and "clock" when it reads a mart with a reach SQL
    (whose rows, as read, change while only time passes) or a mart that does. An incremental run
    recomputes a mart from the earliest month its sources changed (incremental.use_window)."""
    sources: dict[str, frozenset[str]] = {}
    for mart in marts:
        sql = mart_sql(mart)
        read = set(mart_inputs(sql, set(model.TABLES)))
        for source in mart_inputs(sql, set(sources)):
            read |= sources[source] | ({"clock"} if reach_sql(source) is not None else set())
        sources[mart] = frozenset(read)
    return sources


_VARIABLE = re.compile(r"getvariable\('(\w+)'\)")


def inline_variables(sql: str, variables: Mapping[str, Any]) -> str:
    """The SQL with each getvariable('name') of `variables` replaced by its value as a literal."""

    def literal(value: Any) -> str:
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, list):
            return f"CAST([{', '.join(map(str, value))}] AS INTEGER[])"
        return repr(value)

    return _VARIABLE.sub(lambda m: literal(variables[m[1]]) if m[1] in variables else m[0], sql)


def _manifest_sla(manifest: Mapping[str, Any]) -> SlaPolicy:
    """The SLA a set was computed for (its manifest's)."""
    return SlaPolicy(**{**manifest["sla"], "business_days": tuple(manifest["sla"]["business_days"])})


def _previous_set(
    lake: Lake,
    marts: tuple[str, ...],
    sla: SlaPolicy,
    as_of: dt.datetime | None,
    versions: Mapping[str, int | None] | None,
    full: bool,
    clock: dict[str, str],
) -> tuple[dict | None, str]:
    """The current set's manifest if this run may build on it, else None; and why a run is full."""
    if full:
        return None, "full: asked for (--full)"
    if versions is not None:
        return None, "full: a rebuild at pinned table versions"
    if lake.current_marts_run() is None:
        return None, "full: no mart set yet"
    previous = lake.marts_manifest()
    if previous.get("pruned") or previous.get("marts") != list(marts):
        return None, f"full: the current set {previous['run_id']} holds other marts"
    if "files" not in previous:
        return None, f"full: the current set {previous['run_id']} was stored before month parts"
    if previous.get("sql_hash") != sql_hash():
        return None, "full: the mart SQL changed since the current set"
    for mart in marts:  # month parts or one file: incremental.WINDOWED_MARTS decides it too
        parted = mart not in VIEW_MARTS and incremental.is_windowed(mart_sql(mart))
        if mart not in VIEW_MARTS and parted == ("all" in previous["files"].get(mart, {})):
            return None, f"full: the current set stores {mart} {'whole' if parted else 'in month parts'}"
    if previous.get("sla_hash") != sla_hash(sla):
        return None, "full: the SLA configuration changed since the current set"
    if previous.get("as_of") != (as_of.isoformat() if as_of else None):
        return None, "full: another as_of than the current set's"
    before = previous.get("network_clock") or {}
    if any(clock.get(network, "") < latest for network, latest in before.items()):
        # a reply once inside the clock could fall outside it: nothing can be carried
        return None, "full: a network's latest message is older than in the current set"
    return previous, "incremental"


def _network_clock(con, lake: Lake) -> dict[str, str]:
    """Each network's latest message: the table network_clock, and as ISO strings.

    Searched first from the earliest latest message of the current set's clock: a constant lower
    bound lets DuckDB skip all earlier history by the files' statistics, and every network found
    there has its latest message there. Only when a network of that clock is not found (its latest
    message is older now: a re-published day removed it, or the tables are pinned to earlier
    versions) or the table holds a network the clock did not, is all of history read.
    """
    before = (lake.marts_manifest().get("network_clock") or {}) if lake.current_marts_run() else {}
    latest = "CREATE OR REPLACE TABLE network_clock AS SELECT network, max(created_at) AS latest FROM messages {} GROUP BY ALL"
    if before:
        con.execute(latest.format("WHERE created_at >= CAST(? AS TIMESTAMPTZ)"), [min(before.values())])
        found = {network for (network,) in con.execute("SELECT network FROM network_clock").fetchall()}
        others = ", ".join(_literal(network) for network in sorted(found)) or "NULL"
        # network is a partition column: the files of the networks found are skipped by their paths
        unseen = con.execute(
            f"SELECT count(*) FROM (SELECT DISTINCT network FROM messages WHERE network NOT IN ({others}))"
        ).fetchone()[0]
    if not before or unseen or set(before) - found:
        con.execute(latest.format(""))
    return {n: t.isoformat() for n, t in con.execute("SELECT * FROM network_clock").fetchall()}


def _switch(lake: Lake, manifest: dict) -> None:
    """Point readers at the new set, unless a run that started later already switched (two runs at once)."""
    current = lake.current_marts_run()
    if current is not None and current > manifest["run_id"]:
        log.info("mart set %s stays a side set: %s, started later, is current", manifest["run_id"], current)
        return
    lake.switch_marts(manifest["run_id"])
    log.info("mart set %s is current (table versions %s)", manifest["run_id"], manifest["versions"])
    refresh_analyst_db(lake, manifest)


def recompute_run(lake: Lake, run_id: str, sla: SlaPolicy | None = None) -> dict[str, int]:
    """Rebuild a pruned mart set from the table versions its manifest records (Delta time travel)."""
    manifest = lake.marts_manifest(run_id)
    if sla is not None and sla_hash(sla) != manifest["sla_hash"]:
        raise ValueError(
            f"mart run {run_id} was computed with another SLA configuration than the configured one"
        )
    if sql_hash() != manifest["sql_hash"]:
        log.warning("the mart SQL changed since run %s: the rebuilt set follows today's SQL", run_id)
    as_of = dt.datetime.fromisoformat(manifest["as_of"]) if manifest.get("as_of") else None
    return compute_marts(
        lake, tuple(manifest["marts"]), sla=sla, as_of=as_of, versions=manifest["versions"], run_id=run_id
    )


def read_sql(mart: str) -> str | None:
    """include/sql/read/<mart>.sql: the mart as readers see it, from its stored rows (<mart>_rows)
    and the set's clock (mart_clock: network, as_of), for a mart that stores no clock, or no
    month-over-month changes (a stored month never depends on the month before)."""
    path = SQL_DIR / "read" / f"{mart}.sql"
    return path.read_text() if path.exists() else None


# Mart files: zstd at level 1 (pyarrow's default; DuckDB's is 3) in Parquet's version 2 encodings
# (delta and byte-stream-split: https://duckdb.org/2025/01/22/parquet-encodings.html). Writing
# service_requests' 3.7 M rows took 2.6 s of CPU instead of 3.1 s, into 68 MB instead of 78 MB,
# and reading them back 0.05 s instead of 0.11 s for three columns (4 Dec 2026, three times in
# turn). DuckDB and pyarrow read them; an older reader may not, so analysts read the marts through
# analyst.duckdb or DuckDB.
_COPY = "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, PARQUET_VERSION V2, RETURN_FILES true"


@contextlib.contextmanager
def mart_settings(con, mart: str):
    """The mart's DuckDB settings (MART_SETTINGS) on con while the block runs, then the defaults."""
    settings = MART_SETTINGS.get(mart, {})
    for name, value in settings.items():
        con.execute(f"SET {name} = ?", [value])
    try:
        yield
    finally:
        for name in settings:
            con.execute(f"RESET {name}")


def _write_mart(
    con,
    lake: Lake,
    query: str,
    mart: str,
    run_id: str,
    parted: bool,
    has_kept_parts: bool = False,
    one_file: bool = False,
) -> dict[str, str]:
    """Write a query's rows as a mart of the run's set; returns {part: file relative to marts/}.

    DuckDB writes the Parquet itself (no copy through Python). A mart that reads a windowed table
    is stored by month, so that a later incremental run can share the months it does not
    recompute: an incremental run writes the months it recomputed in month parts
    (marts/<run>/<mart>/month=YYYY-MM/; by day for incremental.DAY_MARTS, day=YYYY-MM-DD/), a full
    run (one_file) writes one file that every month (or day) names (a write partitioned by month
    cost service_requests 1.2 to 1.7 s of 8 at 10 M messages; writing it ordered by day, so that
    later runs could skip by statistics, cost the full run 4-5 s of 35 on a slow day).
    The others are one file (part 'all'). A parted mart without rows (and no part kept from the
    previous set) is one empty file (part 'empty'), which gives readers its columns. Files get
    unique names, and the run's folder is read by nobody until its manifest and the switch name
    it: a run killed mid-write leaves files no set names.
    """
    folder = lake.mart_run_dir(run_id) / mart
    column = incremental.part_column(mart)
    if not parted or one_file:
        name = _relative(lake, _copy(con, query, folder / "all"))
        if not parted:
            return {"all": name}
        months = [
            m
            for (m,) in con.execute(
                f"SELECT DISTINCT CAST({column} AS VARCHAR) FROM {parquet_files_sql([lake.marts_dir() / name])}"
            ).fetchall()
        ]
        if None in months:
            raise RuntimeError(f"mart {mart} has rows without a {column}: it is stored by {column}")
        return {month: name for month in sorted(months)} or {"empty": name}
    if not is_remote(folder):
        folder.mkdir(parents=True, exist_ok=True)
    # the newline ends a -- comment on the query's last line
    written = con.execute(
        f"COPY ({query}\n) TO '{folder}' ({_COPY}, PARTITION_BY ({column}), WRITE_PARTITION_COLUMNS true, "
        "APPEND true, FILENAME_PATTERN 'part-{uuid}')"
    ).fetchone()[1]
    if not written and not has_kept_parts:
        return {"empty": _relative(lake, _copy(con, f"SELECT * FROM ({query}\n) LIMIT 0", folder / "empty"))}
    return {_part_of(name): _relative(lake, name) for name in written}


# A closed month of a day mart whose days name more files than this is rewritten as one file.
COMPACT_MONTH_FILES = 8


def _compact_closed_months(con, lake: Lake, mart: str, run_id: str, parts: dict[str, str]) -> dict[str, str]:
    """A day mart's parts (incremental.DAY_MARTS; part -> file relative to marts/), with each
    closed month (before the month of its latest day) whose days name more than
    COMPACT_MONTH_FILES files rewritten as one file, in this run's folder, that each day names.

    Daily runs write a file a day: without this a set would name one for every day since the last
    full run, and a reader of all of it opens each (a GET per file in an object store). A month is
    rewritten on the first run after it ends, and again only if later runs (a backfill, late
    replies) give it more files than that. The set before keeps its own files.
    """
    latest = max((part for part in parts if part not in ("all", "empty")), default="")[:7]
    months: dict[str, dict[str, str]] = {}
    for part, name in parts.items():
        if part not in ("all", "empty") and part[:7] < latest:
            months.setdefault(part[:7], {})[part] = name
    compacted = dict(parts)
    for month, days in sorted(months.items()):
        if len(set(days.values())) <= COMPACT_MONTH_FILES:
            continue
        # no "=" in the folder's name: its files are read by name, not as a partition of month
        written = _copy(
            con,
            f"SELECT * FROM {_stored_sql(lake, mart, days)}",
            lake.mart_run_dir(run_id) / mart / f"month-{month}",
        )
        compacted.update(dict.fromkeys(days, _relative(lake, written)))
        log.info(
            "compacted %s: the %d files of the %s days, %d of them, are one file",
            mart,
            len(set(days.values())),
            month,
            len(days),
        )
    return compacted


def _copy(con, query: str, folder: Any) -> str:
    """COPY a query into a folder as one file with a unique name; returns its path."""
    if not is_remote(folder):
        folder.mkdir(parents=True, exist_ok=True)
    target = f"{folder}/part-{uuid.uuid4()}.parquet"
    con.execute(f"COPY ({query}\n) TO '{target}' ({_COPY})")
    return target


def _relative(lake: Lake, name: str) -> str:
    """A mart file's name relative to marts/, as manifests record it."""
    return name[len(str(lake.marts_dir())) + 1 :]


def _part_of(name: str) -> str:
    """The part of a file written with PARTITION_BY (month) or (day): .../month=2025-01/part-....parquet."""
    folder = name.rsplit("/", 2)[-2]
    return folder.split("=", 1)[1]


def mart_query(
    lake: Lake, mart: str, files: Mapping[str, str], clock: Mapping[str, str | None], sla: SlaPolicy
) -> str:
    """The SQL that reads a mart of a set as readers see it: its files (relative to marts/) and,
    for a mart with a read SQL, the set's clock (the as_of each network's requests are judged at)
    and each network's SLA target."""
    if mart in VIEW_MARTS:  # its SQL reads the marts before it, which are views of the same names
        return mart_sql(mart)
    stored = _stored_sql(lake, mart, files)
    read = read_sql(mart)
    if read is None:
        return f"SELECT * FROM {stored}"
    values = ", ".join(
        f"({_literal(network)}, CAST({_literal(as_of)} AS TIMESTAMPTZ), CAST({float(sla.hours_for(network))!r} AS DOUBLE))"
        for network, as_of in clock.items()
        if as_of
    )
    clock_sql = (
        f"SELECT * FROM (VALUES {values}) AS c(network, as_of, sla_hours)"
        if values
        else "SELECT CAST(NULL AS VARCHAR) AS network, CAST(NULL AS TIMESTAMPTZ) AS as_of, "
        "CAST(NULL AS DOUBLE) AS sla_hours WHERE FALSE"
    )
    return (
        f"WITH mart_clock AS ({clock_sql}), {mart}_rows AS (SELECT * FROM {stored})\nSELECT * FROM ({read}\n)"
    )


def _stored_sql(lake: Lake, mart: str, files: Mapping[str, str]) -> str:
    """SQL to read FROM: a mart's stored rows in a set (its files, relative to marts/)."""
    folder = str(lake.marts_dir())  # joined as text: a path object a part cost 1 ms per 100 parts
    return mart_parts_sql(
        {part: f"{folder}/{name}" for part, name in files.items()}, incremental.part_column(mart)
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def set_clock(manifest: Mapping[str, Any]) -> dict[str, str | None]:
    """The as_of each network's requests were judged at in a set: its as_of, else the network's latest message."""
    return {
        network: manifest["as_of"] or latest for network, latest in (manifest["network_clock"] or {}).items()
    }


def attach_marts(con, lake: Lake, manifest: Mapping[str, Any]) -> None:
    """A view per mart of a set in con, each as readers see it (the report, read_mart, tests); the
    set's SLA as the connection's variables, so the clock decides as it did for the run."""
    if "files" not in manifest:  # a set written before month parts: one file a mart, the clock stored
        for mart in manifest["marts"]:
            path = lake.mart_run_dir(manifest["run_id"]) / f"{mart}.parquet"
            con.execute(f"CREATE OR REPLACE VIEW {mart} AS SELECT * FROM {parquet_files_sql([path])}")
        return
    _set_sla_variables(con, _manifest_sla(manifest))
    for mart in manifest["marts"]:
        con.execute(
            f"CREATE OR REPLACE VIEW {mart} AS {mart_query(lake, mart, manifest['files'][mart], set_clock(manifest), _manifest_sla(manifest))}"
        )


def read_mart(lake: Lake, mart: str, run_id: str | None = None, where: str = "TRUE", order: str = ""):
    """A mart of a set (default: the current set) as an Arrow table, as readers see it."""
    con = lake.duckdb()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(mart_sql(MACROS))
        attach_marts(con, lake, lake.marts_manifest(run_id))
        return con.sql(f"SELECT * FROM {mart} WHERE {where} {order}").to_arrow_table()
    finally:
        con.close()
