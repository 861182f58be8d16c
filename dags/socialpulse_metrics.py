"""
### Social Pulse: metric marts

Runs whenever validated data lands in the lake: recomputes every mart in include/sql/ with DuckDB
over the lake and writes them as Parquet under marts/.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from socialpulse.assets import LAKE, MARTS_ASSET


@dag(
    dag_id="socialpulse_metrics",
    schedule=[LAKE],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["socialpulse"],
    doc_md=__doc__,
)
def socialpulse_metrics():
    @task(outlets=[MARTS_ASSET])
    def compute_marts() -> dict:
        from socialpulse.config import load_config
        from socialpulse.lake import Lake
        from socialpulse.metrics import compute_marts as compute

        config = load_config()
        return compute(Lake.from_config(config), sla=config.sla)

    compute_marts()


socialpulse_metrics()
