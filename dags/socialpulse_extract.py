"""
### Social Pulse: daily extract and validate

For every account in the accounts file (config/socialpulse.yml), extract the run's data interval
from its network into staging, validate it with Great Expectations, and publish it to the lake's
partitions. A failed validation fails that account's task and keeps its data out of the lake.
Interval-driven and idempotent, so `airflow backfill create --dag-id socialpulse_extract ...` works.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag, task

from socialpulse.assets import LAKE
from socialpulse.pools import API_POOL


@dag(
    dag_id="socialpulse_extract",
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    # Far back so that backfills of old history get tasks (a run before start_date has none);
    # catchup=False keeps the scheduler itself from creating those runs.
    start_date=pendulum.datetime(2010, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=4,
    default_args={"retries": 2, "retry_delay": pendulum.duration(minutes=5)},
    tags=["socialpulse"],
    doc_md=__doc__,
)
def socialpulse_extract():
    @task
    def list_accounts() -> list[str]:
        from socialpulse.config import load_config

        return [account.key for account in load_config().accounts]

    # an overall bound on one account's day of API calls (every request also has its own deadline)
    @task(pool=API_POOL, execution_timeout=pendulum.duration(hours=1))
    def extract(account_key: str, data_interval_start=None, data_interval_end=None) -> str:
        from socialpulse import pipeline
        from socialpulse.config import load_config
        from socialpulse.domain import Interval
        from socialpulse.http import Unrecoverable

        config = load_config()
        try:
            pipeline.extract(
                config, config.account(account_key), Interval.of(data_interval_start, data_interval_end)
            )
        except Unrecoverable as error:  # a missing connection, a refused token: retrying cannot help
            raise pipeline.fail_fast(error) from error
        return account_key

    @task(outlets=[LAKE], retries=0)  # a failed validation is data, not a glitch: no retry
    def validate_and_publish(account_key: str, data_interval_start=None, data_interval_end=None) -> dict:
        from socialpulse import pipeline
        from socialpulse.config import load_config
        from socialpulse.domain import Interval

        config = load_config()
        return pipeline.validate_and_publish(
            config, config.account(account_key), Interval.of(data_interval_start, data_interval_end)
        )

    validate_and_publish.expand(account_key=extract.expand(account_key=list_accounts()))


socialpulse_extract()
