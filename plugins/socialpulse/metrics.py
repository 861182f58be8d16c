"""Computes the marts: runs include/sql/<mart>.sql in DuckDB over the lake and writes Parquet.

Each SQL file is one mart, named after the file; a mart may read the canonical tables and the
marts it names, which run before it (MARTS is derived from the SQL, never listed by hand).
include/sql/_macros.sql defines the macros they share. Marts are recomputed in full from the
validated lake, so a rerun or a backfill always yields the same marts.
The definitions of every metric are in docs/metrics.md.

The SLA reaches the SQL as DuckDB variables (sla_hours, business_hours, business_start_s,
business_end_s, business_days, resolution_quiet_hours, as_of) and a table sla_policy(network, sla_hours).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import tempfile
import time
from pathlib import Path

from socialpulse.config import WEEKDAYS, SlaPolicy
from socialpulse.lake import Lake, is_remote, temporary_name
from socialpulse.paths import SQL_DIR

log = logging.getLogger(__name__)

MACROS = "_macros"
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
):
    """A DuckDB connection with a view per canonical table (its current Delta version), the SLA and the macros."""
    sla = sla or SlaPolicy()
    con = lake.duckdb()
    # Months and dates are UTC, whatever the machine's zone (DuckDB would use it for timestamptz).
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit:  # beyond it DuckDB spills to disk instead of growing
        con.execute("SET memory_limit = ?", [memory_limit])
    # Spill files go to the system's temporary folder, not to whatever the working directory is.
    con.execute("SET temp_directory = ?", [str(Path(tempfile.gettempdir()) / "socialpulse-duckdb")])
    con.execute("SET VARIABLE sla_hours = ?", [float(sla.default_hours)])
    con.execute("SET VARIABLE resolution_quiet_hours = ?", [float(sla.resolution_quiet_hours)])
    con.execute("SET VARIABLE as_of = CAST(? AS TIMESTAMPTZ)", [as_of])
    con.execute("SET VARIABLE business_hours = ?", [sla.business_hours])
    con.execute("SET VARIABLE business_start_s = ?", [_seconds_of_day(sla.business_start or "00:00")])
    con.execute("SET VARIABLE business_end_s = ?", [_seconds_of_day(sla.business_end or "24:00")])
    con.execute(
        "SET VARIABLE business_days = CAST(? AS INTEGER[])",
        [[WEEKDAYS.index(d) + 1 for d in sla.business_days]],
    )
    con.execute("CREATE TABLE sla_policy (network VARCHAR, sla_hours DOUBLE)")
    if sla.per_network:
        con.executemany("INSERT INTO sla_policy VALUES (?, ?)", list(sla.per_network.items()))
    lake.register_tables(con)  # a view per canonical table over its current version's files
    con.execute(mart_sql(MACROS))
    return con


def compute_marts(
    lake: Lake,
    marts: tuple[str, ...] = MARTS,
    *,
    sla: SlaPolicy | None = None,
    as_of: dt.datetime | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
) -> dict[str, int]:
    """Compute every mart and write marts/<mart>.parquet; returns rows per mart.

    sla is config.sla (default: 24 h for every network, around the clock); as_of is the report time that decides which
    unanswered requests are pending or missed (default: each network's latest message).
    threads and memory_limit are DuckDB's settings (e.g. "3GB"); by default DuckDB's own.
    """
    import duckdb

    con = connect(lake, threads=threads, sla=sla, as_of=as_of, memory_limit=memory_limit)
    rows: dict[str, int] = {}
    try:
        for mart in marts:
            started = time.perf_counter()
            path = lake.mart_path(mart)
            try:
                _write(con, mart_sql(mart), path)
            except duckdb.Error as exc:
                raise RuntimeError(f"mart {mart} ({SQL_DIR / mart}.sql) failed: {exc}") from exc
            # Later marts read the written file: a table in between would copy every row once more.
            con.execute(f"CREATE OR REPLACE VIEW {mart} AS SELECT * FROM read_parquet('{path}')")
            rows[mart] = con.execute(f"SELECT count(*) FROM {mart}").fetchone()[0]
            log.info("mart %s: %d rows in %.2f s", mart, rows[mart], time.perf_counter() - started)
    finally:
        con.close()
    return rows


def _write(con, query: str, path: Path) -> None:
    """DuckDB writes the query's result as Parquet itself (no copy through Python); a rename puts
    it in place whole.

    In an object store the upload itself is atomic, so DuckDB writes straight to the URL.
    """

    def copy_to(target) -> str:  # the newline ends a -- comment on the query's last line
        return f"COPY ({query}\n) TO '{target}' (FORMAT parquet, COMPRESSION zstd)"

    if is_remote(path):
        con.execute(copy_to(path))
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(path)
    try:
        con.execute(copy_to(tmp))
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
