"""
### Social Pulse: monthly executive report

On the 1st of each month, for the month just ended (or the `month` param, YYYY-MM, for any past
month): refresh the marts, wait while days of the month are missing from the lake (scheduled runs,
unless the report's `incomplete_month` is `send`; otherwise it goes on, marked incomplete), render each configured report to
HTML and PDF (archived in the lake), and email it through the SMTP connection. A retry of `send` resends the archived files without
re-rendering; a month already delivered to the same recipients is not sent twice. A manual run
without `month` reports the last full month.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronDataIntervalTimetable, Param, dag, task

from socialpulse.runs import MONTH_PATTERN

# Mapped task instances are labelled with their report and month, not 0, 1, 2.
JOB_LABEL = "{{ task.op_kwargs['job']['report'] }} {{ task.op_kwargs['job']['month'] }}"
SENT_LABEL = "{{ task.op_kwargs['rendered']['report'] }} {{ task.op_kwargs['rendered']['month'] }}"


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
            pattern=MONTH_PATTERN,
            description="YYYY-MM, a month that has ended; default: the month just ended",
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
        from socialpulse.failures import fail_fast
        from socialpulse.lake import Lake
        from socialpulse.metrics import compute_marts

        with fail_fast():
            config = load_config()
            return compute_marts(Lake.from_config(config), sla=config.sla)

    @task
    def list_reports(params=None, data_interval_start=None, dag_run=None) -> list[dict]:
        from socialpulse.config import load_config
        from socialpulse.failures import fail_fast
        from socialpulse.runs import report_month

        with fail_fast():  # a wrong month or report name: no retries
            # A manual run (no logical date) reports the last full month: socialpulse.runs.report_month.
            month = report_month(params.get("month"), data_interval_start, dag_run.run_after)
            config = load_config()
            names = (
                [config.report(params["report"]).name]
                if params.get("report")
                else [r.name for r in config.reports]
            )
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

    @task(map_index_template=JOB_LABEL)
    def render(job: dict) -> dict:
        from socialpulse import report
        from socialpulse.config import load_config
        from socialpulse.failures import fail_fast

        with fail_fast():
            return report.render_report(load_config(), job["report"], job["month"])

    @task(retries=3, retry_delay=pendulum.duration(minutes=2), map_index_template=SENT_LABEL)
    def send(rendered: dict) -> dict:
        from socialpulse import delivery
        from socialpulse.config import load_config
        from socialpulse.failures import fail_fast

        with fail_fast():  # a missing SMTP connection: no retries; a mail server down: retried
            return delivery.deliver(load_config(), rendered["report"], rendered["month"])

    jobs = list_reports()
    refresh_marts() >> jobs
    send.expand(rendered=render.expand(job=wait_for_complete_month.expand(job=jobs)))


socialpulse_report()
