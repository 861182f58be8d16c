"""
### Social Pulse: monthly executive report

On the 1st of each month, for the month just ended (or the `month` param, YYYY-MM, for any past
month): refresh the marts, wait while days of the month are missing from the lake (scheduled runs,
unless the report's `incomplete_month` is `send`; otherwise it goes on, marked incomplete), render each configured report to
HTML and PDF (archived in the lake), and email it through the SMTP connection. A retry of `send` resends the archived files without
re-rendering; a month already delivered to the same recipients is not sent twice.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronDataIntervalTimetable, Param, dag, task


@dag(
    dag_id="socialpulse_report",
    schedule=CronDataIntervalTimetable("0 6 1 * *", timezone="UTC"),
    # Far back so that backfills of old history get tasks (a run before start_date has none);
    # catchup=False keeps the scheduler itself from creating those runs.
    start_date=pendulum.datetime(2010, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    params={
        "month": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-\d{2}$",
            description="YYYY-MM; default: the month of the data interval",
        ),
        "report": Param(
            None, type=["null", "string"], description="one report name from the config; default: all"
        ),
    },
    tags=["socialpulse"],
    doc_md=__doc__,
)
def socialpulse_report():
    @task
    def refresh_marts() -> dict:
        from socialpulse.config import load_config
        from socialpulse.lake import Lake
        from socialpulse.metrics import compute_marts

        config = load_config()
        return compute_marts(Lake.from_config(config), sla=config.sla)

    @task
    def list_reports(params=None, data_interval_start=None) -> list[dict]:
        from socialpulse.config import load_config
        from socialpulse.domain import Month

        month = params.get("month") or str(Month.of(data_interval_start))
        names = [params["report"]] if params.get("report") else [r.name for r in load_config().reports]
        return [{"report": name, "month": month} for name in names]

    @task.sensor(poke_interval=3600, timeout=3 * 24 * 3600, mode="reschedule")
    def wait_for_complete_month(job: dict, dag_run=None):
        """A scheduled run holds the report while days are missing (incomplete_month: wait),
        checking hourly for 3 days; a run triggered by hand goes on and marks it incomplete."""
        import logging

        from airflow.sdk import PokeReturnValue

        from socialpulse import report
        from socialpulse.config import load_config

        ready, why = report.ready_to_send(load_config(), job["report"], job["month"])
        if not ready and dag_run is not None and dag_run.run_type != "scheduled":
            ready, why = (
                True,
                f"{why} (not waiting: this run was not scheduled, it is sent marked incomplete)",
            )
        logging.getLogger("socialpulse.report").info(why)
        return PokeReturnValue(is_done=ready, xcom_value=job)

    @task
    def render(job: dict) -> dict:
        from socialpulse import report
        from socialpulse.config import load_config

        return report.render_report(load_config(), job["report"], job["month"])

    @task(retries=3, retry_delay=pendulum.duration(minutes=2))
    def send(rendered: dict) -> dict:
        from socialpulse import delivery
        from socialpulse.config import load_config

        return delivery.deliver(load_config(), rendered["report"], rendered["month"])

    jobs = list_reports()
    refresh_marts() >> jobs
    send.expand(rendered=render.expand(job=wait_for_complete_month.expand(job=jobs)))


socialpulse_report()
