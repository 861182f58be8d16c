"""
### Social Pulse: daily extract and validate

For every account in the accounts file (config/socialpulse.yml), extract the run's data interval
from its network into staging, validate it with Great Expectations, and publish it to the lake's
partitions. A failed validation fails that account's task and keeps its data out of the lake.
Once every account is done, one `socialpulse_lake` asset event (task `lake_updated`) triggers one
metrics run for the whole run.
Interval-driven and idempotent, so `airflow backfill create --dag-id socialpulse_extract ...` works.
A manual run (no logical date) covers the last full UTC day. Errors a retry cannot fix (a missing
connection, a refused token, a wrong accounts file) fail at once with what to do; a missing
`socialpulse_api` pool fails `check_setup` (run `python -m socialpulse airflow-setup`).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronDataIntervalTimetable, TriggerRule, dag, task

from socialpulse.assets import LAKE
from socialpulse.pools import API_POOL

# Mapped task instances are labelled with their account (network/account_id), not 0, 1, 2.
ACCOUNT_LABEL = "{{ task.op_kwargs['account_key'] }}"


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
    # Without the API pool the extract tasks would wait in "scheduled" forever: fail first, clearly.
    @task(retries=0)
    def check_setup() -> None:
        from socialpulse.airflow_setup import check_setup_marker

        check_setup_marker()

    @task(retries=0)
    def list_accounts() -> list[str]:
        from socialpulse.config import load_config
        from socialpulse.failures import fail_fast

        with fail_fast():
            return [account.key for account in load_config().accounts]

    # A manual run (no logical date) covers the last full UTC day: socialpulse.runs.run_interval.
    # an overall bound on one account's day of API calls (every request also has its own deadline)
    @task(pool=API_POOL, map_index_template=ACCOUNT_LABEL, execution_timeout=pendulum.duration(hours=1))
    def extract(account_key: str, data_interval_start=None, data_interval_end=None, dag_run=None) -> str:
        from socialpulse import pipeline
        from socialpulse.config import load_config
        from socialpulse.failures import fail_fast
        from socialpulse.runs import run_interval

        with fail_fast(account_key):  # a missing connection or a refused token: no retries
            config = load_config()
            interval = run_interval(
                data_interval_start, data_interval_end, getattr(dag_run, "run_after", None)
            )
            pipeline.extract(config, config.account(account_key), interval)
        return account_key

    # a failed validation is data, not a glitch: never retried
    @task(retries=0, map_index_template=ACCOUNT_LABEL)
    def validate_and_publish(
        account_key: str, data_interval_start=None, data_interval_end=None, dag_run=None
    ) -> dict:
        from socialpulse import pipeline
        from socialpulse.config import load_config
        from socialpulse.failures import fail_fast
        from socialpulse.runs import run_interval

        with fail_fast(account_key):
            config = load_config()
            interval = run_interval(
                data_interval_start, data_interval_end, getattr(dag_run, "run_after", None)
            )
            return pipeline.validate_and_publish(config, config.account(account_key), interval)

    # One lake event per run, once every account is done (published or failed): the metrics DAG
    # runs once for the run, not once per account. Skipped (no event) when no account was published.
    @task(outlets=[LAKE], retries=0, trigger_rule=TriggerRule.ALL_DONE)
    def lake_updated(published) -> int:
        from airflow.sdk.exceptions import AirflowSkipException

        accounts = len([p for p in published if p is not None])
        if not accounts:
            raise AirflowSkipException("no account was published: the lake did not change")
        return accounts

    # The run fails when any account failed (lake_updated, which runs anyway, would not say so).
    @task(retries=0)
    def every_account_published() -> None:
        pass

    accounts = list_accounts()
    check_setup() >> accounts
    published = validate_and_publish.expand(account_key=extract.expand(account_key=accounts))
    lake_updated(published)
    published >> every_account_published()


socialpulse_extract()
