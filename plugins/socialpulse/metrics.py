"""Computes the marts: runs include/sql/<mart>.sql in DuckDB over the lake and writes Parquet.

Each SQL file is one mart, named after the file; a mart may read the canonical tables and the
marts listed before it in MARTS. Marts are recomputed in full from the validated lake, so a rerun
or a backfill always yields the same marts.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from socialpulse import model
from socialpulse.lake import Lake, atomic_write_parquet

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parents[2] / "include" / "sql"

# In dependency order.
MARTS = (
    "post_performance",
    "engagement_monthly",
    "audience_monthly",
    "cadence_daily",
    "service_requests",
    "service_monthly",
    "staff_monthly",
    "influence_leaders_monthly",
)


def mart_sql(mart: str) -> str:
    return (SQL_DIR / f"{mart}.sql").read_text()


def connect(lake: Lake, sla_hours: float = 24.0, threads: int | None = None):
    """A DuckDB connection with a view per canonical table over the lake's validated partitions."""
    import duckdb

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute("SET VARIABLE sla_hours = ?", [float(sla_hours)])
    for name, spec in model.TABLES.items():
        if lake.has_data(name):
            con.execute(
                f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{lake.glob(name)}', hive_partitioning = false, union_by_name = true)"
            )
        else:
            con.register(f"{name}_empty", spec.schema.empty_table())
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM {name}_empty")
    return con


def compute_marts(lake: Lake, sla_hours: float = 24.0, marts: tuple[str, ...] = MARTS) -> dict[str, int]:
    """Compute every mart and write marts/<mart>.parquet; returns rows per mart."""
    con = connect(lake, sla_hours)
    rows: dict[str, int] = {}
    try:
        for mart in marts:
            started = time.perf_counter()
            con.execute(f"CREATE OR REPLACE TABLE {mart} AS {mart_sql(mart)}")
            table = con.sql(f"SELECT * FROM {mart}").arrow()
            if hasattr(table, "read_all"):  # newer DuckDB returns a record batch reader
                table = table.read_all()
            atomic_write_parquet(lake.mart_path(mart), table)
            rows[mart] = table.num_rows
            log.info("mart %s: %d rows in %.2f s", mart, table.num_rows, time.perf_counter() - started)
    finally:
        con.close()
    return rows
