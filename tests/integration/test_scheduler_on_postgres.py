"""The production shape on this machine: Airflow's metadata on PostgreSQL, a real scheduler, API
server and DAG processor, and a Celery worker on Redis, running a scheduled run of
socialpulse_extract and a 7-day `airflow backfill create` to success, every day landing in the lake.

As in docker-compose.yml, the lake is in an S3-compatible object store (moto's S3 server on
loopback standing in for MinIO), reached through the socialpulse_lake Airflow connection, and the
extract tasks take slots of the socialpulse_api pool."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from airflow_services import AirflowOnPostgres, services_or_skip
from fakes.object_store import s3_bucket

DAG_ID = "socialpulse_extract"
BACKFILL_FROM, BACKFILL_TO = dt.date(2026, 10, 1), dt.date(2026, 10, 7)


def lake_days(store, table: str = "audience_daily") -> set[dt.date]:
    """The dates with published rows of the table (audience_daily: one row per account and day)."""
    from socialpulse.lake import Lake

    rows = Lake(store.url("lake"), store.storage_options()).read(table).to_pylist()
    return {row["date"] for row in rows}


def run_states(airflow: AirflowOnPostgres, run_type: str) -> dict[str, str]:
    rows = airflow.query(
        "SELECT run_id, state FROM dag_run WHERE dag_id = %s AND run_type = %s", DAG_ID, run_type
    )
    return dict(rows)


def all_finished(states: dict[str, str], expected: int) -> bool:
    return len(states) >= expected and all(state in ("success", "failed") for state in states.values())


@pytest.mark.integration
def test_scheduler_and_celery_worker_run_a_scheduled_run_and_a_7_day_backfill(tmp_path):
    services_or_skip()
    config = tmp_path / "socialpulse.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "lake_root": str(
                    tmp_path / "unused-local-lake"
                ),  # overridden by SOCIALPULSE_LAKE_ROOT, as in compose
                "accounts": [
                    {
                        "network": "simulated",
                        "account_id": "it-care",
                        "handle": "@it_care",
                        "purpose": "service",
                        "options": {"posts_per_day": 2, "requests_per_day": 10},
                    }
                ],
            }
        )
    )

    with (
        s3_bucket() as store,
        AirflowOnPostgres(
            tmp_path,
            config,
            store.url(),
            executor="CeleryExecutor",
            extra_env={
                "SOCIALPULSE_LAKE_CONN_ID": "socialpulse_lake",
                "AIRFLOW_CONN_SOCIALPULSE_LAKE": store.connection_json(),
            },
        ) as airflow,
    ):
        airflow.wait_for(
            f"the DAG processor to serialize {DAG_ID}",
            lambda: airflow.query("SELECT 1 FROM serialized_dag WHERE dag_id = %s", DAG_ID),
            timeout=240,
        )
        # unpaused, the scheduler creates the run of the latest complete day (catchup is off) and
        # starts backfill runs (those of a paused DAG stay queued)
        airflow.airflow("dags", "unpause", DAG_ID)
        airflow.airflow(
            "backfill",
            "create",
            "--dag-id",
            DAG_ID,
            "--max-active-runs",
            "3",
            "--from-date",
            BACKFILL_FROM.isoformat(),
            "--to-date",
            BACKFILL_TO.isoformat(),
        )

        def finished() -> tuple[dict, dict] | None:
            scheduled, backfill = run_states(airflow, "scheduled"), run_states(airflow, "backfill")
            return (scheduled, backfill) if all_finished(scheduled, 1) and all_finished(backfill, 7) else None

        scheduled, backfill = airflow.wait_for(
            "the scheduled run and the 7 backfill runs to finish", finished, timeout=480
        )
        diagnosis = "" if {*scheduled.values(), *backfill.values()} == {"success"} else airflow.diagnosis()
        days = lake_days(store)
        pools = airflow.query(
            "SELECT pool FROM task_instance WHERE dag_id = %s AND task_id = 'extract'", DAG_ID
        )
        worker_log = (airflow.logs / "celery-worker.log").read_text(errors="replace")

    assert set(scheduled.values()) == {"success"}, diagnosis
    assert sorted(backfill.values()) == ["success"] * 7, diagnosis
    backfilled = {BACKFILL_FROM + dt.timedelta(days=i) for i in range(7)}
    assert backfilled <= days
    assert days - backfilled  # the scheduled run's day (two runs if the test spans midnight)
    assert pools and {pool for (pool,) in pools} == {"socialpulse_api"}
    assert "preloaded great_expectations" in worker_log  # tasks fork from a worker that has it imported
    assert not (tmp_path / "unused-local-lake").exists()
