"""
### Social Pulse: lake maintenance

Every day after the extractions: deletes the files of mart sets older than `mart_retention_hours`
(the current set always stays; manifests stay, so a set can be rebuilt by time travel), compacts the
small files that daily publishes leave in each Delta table (one per table, account and day) into a
few per month partition, and vacuums the data files that no version younger than the retention
(param `retention_hours`, default one week) nor a kept mart set still needs, so the file count
follows the data, not the number of runs. See docs/production.md.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task


@dag(
    dag_id="socialpulse_lake_maintenance",
    schedule="0 4 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    params={
        "retention_hours": Param(
            168, type="integer", minimum=0, description="keep every version younger than this readable"
        ),
        "mart_retention_hours": Param(
            168, type="integer", minimum=0, description="keep the mart sets finished within this many hours"
        ),
    },
    tags=["socialpulse"],
    doc_md=__doc__,
)
def socialpulse_lake_maintenance():
    @task
    def compact_and_vacuum(params=None) -> dict:
        from socialpulse.config import load_config
        from socialpulse.lake import Lake

        return Lake.from_config(load_config()).maintain(
            retention_hours=params["retention_hours"],
            mart_retention_hours=params["mart_retention_hours"],
        )

    compact_and_vacuum()


socialpulse_lake_maintenance()
