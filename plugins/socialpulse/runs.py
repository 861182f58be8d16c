"""What a DAG run covers, from what Airflow gives the task.

A scheduled or backfill run has a data interval. A manual run of Airflow 3 (the UI's Trigger, `airflow
dags trigger`, the REST API's POST /api/v2/dags/{dag_id}/dagRuns with `logical_date: null`) has none:
`data_interval_start` and `data_interval_end` are None and only `dag_run.run_after`, when it was asked
to run, is set. Then:

- an extract run covers the last full UTC day before `run_after` (triggered at 14:00 on 5 Oct: 4 Oct);
- a report run reports the last full UTC month before `run_after`, unless its `month` param names one.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from socialpulse.domain import Month

if TYPE_CHECKING:
    from socialpulse.domain import Interval

MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"  # also the `month` Param's JSON schema pattern


class MonthError(ValueError):
    """A month that is not YYYY-MM, or has not ended yet."""


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError(f"run_after must be timezone-aware, got {value!r}")
    return value.astimezone(dt.UTC)


def run_interval(
    data_interval_start: dt.datetime | None,
    data_interval_end: dt.datetime | None,
    run_after: dt.datetime | None,
) -> Interval:
    """The interval an extract run covers: its data interval, or for a manual run without one the
    last full UTC day before run_after."""
    from socialpulse.domain import Interval

    if data_interval_start is not None and data_interval_end is not None:
        return Interval.of(data_interval_start, data_interval_end)
    if run_after is None:
        raise ValueError("a run without a data interval needs run_after (Airflow's dag_run.run_after)")
    end = dt.datetime.combine(_utc(run_after).date(), dt.time(), dt.UTC)
    return Interval(end - dt.timedelta(days=1), end)


def parse_month(value: str, today: dt.date | None = None) -> str:
    """A real calendar month as YYYY-MM ('2026-13', '2026-1' and 'oct' are refused); with today, also
    refuses a month that has not ended yet (its report would be incomplete)."""
    try:
        month = Month.parse(value)
    except ValueError:
        raise MonthError(
            f"month {value!r} is not a month: give YYYY-MM with a month 01-12, e.g. 2026-10"
        ) from None
    if today is not None and month >= Month.of(today):
        raise MonthError(
            f"month {month} has not ended yet (today is {today.isoformat()}): "
            f"the last full month is {Month.last_full(today)}"
        )
    return str(month)


def report_month(
    month_param: str | None, data_interval_start: dt.datetime | None, run_after: dt.datetime | None
) -> str:
    """The month a report run reports: the `month` param (a month that ended before run_after), else
    the month of the data interval (the monthly schedule's interval is the month just ended), else
    the last full UTC month before run_after (a manual run)."""
    if month_param:
        return parse_month(month_param, today=_utc(run_after).date() if run_after else None)
    if data_interval_start is not None:
        return data_interval_start.astimezone(dt.UTC).strftime("%Y-%m")
    if run_after is None:
        raise ValueError("a run without a data interval needs run_after (Airflow's dag_run.run_after)")
    return str(Month.last_full(_utc(run_after).date()))
