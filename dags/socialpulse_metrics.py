"""
### Social Pulse: metric marts

Runs whenever validated data lands in the lake: computes every mart in include/sql/ with DuckDB
over the lake into a new set, marts/<run_id>/ with its manifest (the table versions it read), then
switches marts/current.json to it in one atomic write: readers always see one run's marts. A run
recomputes only the account-months the lake's changes since the current set can reach and carries
the others over (docs/metrics.md, "Incremental runs"); the whole history when the SQL or the SLA
configuration changed.
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
