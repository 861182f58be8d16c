"""
### Social Pulse: backfill history on demand

Triggered by hand with params, one of two ways:

- **Export files**: `account` (network/account_id from the accounts file), `format` (twcs,
  x_analytics, facebook_insights, linkedin_analytics, youtube_analytics) and `path`, an export file
  or a folder of them as the workers see it. One mapped task per file, in name order; each replaces
  the account's rows it holds (never the days between them), so a rerun is harmless. A file that
  would move or remove stored rows of more than 3 days fails its task unless `replace_existing`
  is true (preview it first with `python -m socialpulse import ... --dry-run`). See docs/exports.md.
- **API history**: `account`, or `network` for every account of that network, with `from_date`
  and `to_date` (both included). One mapped task per account, extracting, validating and
  publishing `chunk_days` at a time, with progress in the task log.

For the API DAG itself, `airflow backfill create --dag-id socialpulse_extract ...` is the native
alternative (one run per day). Either way the lake Asset is updated, so the marts recompute; then
rerun socialpulse_report with `month` for past reports. See docs/production.md.
"""

from __future__ import annotations

import logging

import pendulum
from airflow.sdk import Param, dag, task

from socialpulse.assets import LAKE
from socialpulse.pools import API_POOL

log = logging.getLogger(__name__)


@dag(
    dag_id="socialpulse_backfill",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # two backfills at once would share the networks' API rate limits
    params={
        "account": Param(
            None, type=["null", "string"], description="network/account_id from the accounts file"
        ),
        "network": Param(
            None, type=["null", "string"], description="API history: every account of this network"
        ),
        "format": Param(
            None, type=["null", "string"], description="export files: their format, e.g. x_analytics"
        ),
        "path": Param(
            None, type=["null", "string"], description="export files: a file or a folder of *.csv files"
        ),
        "from_date": Param(
            None, type=["null", "string"], format="date", description="API history: first day"
        ),
        "to_date": Param(
            None, type=["null", "string"], format="date", description="API history: last day, included"
        ),
        "replace_existing": Param(
            False,
            type="boolean",
            description="export files: import even a file that moves or removes stored rows of more than 3 days",
        ),
        "chunk_days": Param(31, type="integer", minimum=1, description="API history: days per extraction"),
    },
    tags=["socialpulse"],
    doc_md=__doc__,
)
def socialpulse_backfill():
    @task
    def list_export_files(params=None) -> list[dict]:
        """One job per export file, or none when this run backfills from the APIs."""
        if not params.get("path"):
            return []
        from socialpulse.config import load_config
        from socialpulse.exports import export_files, reader

        if not params.get("account") or not params.get("format"):
            raise ValueError(
                "importing export files needs the params account (network/account_id) and format"
            )
        load_config().account(params["account"])  # fail here, before mapping, on an unknown account
        reader(params["format"])  # ... and on an unknown format
        files = export_files(params["path"])
        log.info("importing %d export file(s) for %s from %s", len(files), params["account"], params["path"])
        return [{"file": str(file), "number": i, "of": len(files)} for i, file in enumerate(files, 1)]

    # One file at a time, in name order (the scheduler queues map indexes in order): a file replaces
    # the account's rows it holds, so where two files hold a row the later one wins, as on the CLI.
    @task(outlets=[LAKE], max_active_tis_per_dag=1)
    def import_export(job: dict, params=None) -> dict:
        from pathlib import Path

        from socialpulse.config import load_config
        from socialpulse.exports import import_file
        from socialpulse.failures import fail_fast
        from socialpulse.lake import Lake

        config = load_config()
        with fail_fast(params["account"]):  # a bad export file stays bad: no retries
            counts = import_file(
                Lake.from_config(config),
                params["format"],
                Path(job["file"]),
                config.account(params["account"]),
                replace_existing=bool(params.get("replace_existing")),
            )
        log.info("imported file %d of %d, %s: %s", job["number"], job["of"], job["file"], counts)
        return counts

    @task
    def list_api_accounts(params=None) -> list[str]:
        """The accounts to backfill from their APIs, or none when this run imports export files."""
        if params.get("path"):
            return []
        from socialpulse.config import load_config

        if not params.get("from_date") or not params.get("to_date"):
            raise ValueError(
                "give path (with account and format) to import export files, or from_date and to_date to backfill from the APIs"
            )
        accounts = load_config().select_accounts(params.get("account"), params.get("network"))
        log.info(
            "backfilling %s from %s to %s", [a.key for a in accounts], params["from_date"], params["to_date"]
        )
        return [account.key for account in accounts]

    # a few accounts at a time: each walks its network's API through the shared rate limits
    # years of history may take hours; each chunk is idempotent, so a rerun after a timeout goes on
    @task(
        outlets=[LAKE], max_active_tis_per_dag=2, pool=API_POOL, execution_timeout=pendulum.duration(hours=12)
    )
    def backfill_account(account_key: str, params=None) -> dict:
        import datetime as dt

        from socialpulse import pipeline
        from socialpulse.config import load_config
        from socialpulse.domain import Interval
        from socialpulse.failures import fail_fast

        with fail_fast(account_key):  # a missing connection or a refused token: no retries
            config = load_config()
            interval = Interval.of_days(
                dt.date.fromisoformat(params["from_date"]), dt.date.fromisoformat(params["to_date"])
            )
            return pipeline.backfill(
                config, config.account(account_key), interval, chunk_days=params["chunk_days"]
            )

    # Without the API pool backfill_account would wait in "scheduled" forever: fail first, clearly.
    @task(retries=0)
    def check_setup() -> None:
        from socialpulse.airflow_setup import check_setup_marker

        check_setup_marker()

    import_export.expand(job=list_export_files())
    api_accounts = list_api_accounts()
    check_setup() >> api_accounts
    backfill_account.expand(account_key=api_accounts)


socialpulse_backfill()
