"""What a run covers: scheduled runs their data interval, manual runs (no logical date in Airflow 3)
the last full day or month before they were asked to run."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest

from socialpulse.runs import parse_month, report_month, run_interval

UTC = dt.UTC


def test_a_scheduled_run_covers_its_data_interval():
    interval = run_interval(
        pendulum.datetime(2026, 10, 4, tz="UTC"), pendulum.datetime(2026, 10, 5, tz="UTC"), None
    )
    assert (interval.start, interval.end) == (
        dt.datetime(2026, 10, 4, tzinfo=UTC),
        dt.datetime(2026, 10, 5, tzinfo=UTC),
    )


def test_a_manual_run_covers_the_last_full_utc_day_before_it_was_triggered():
    interval = run_interval(None, None, pendulum.datetime(2026, 10, 5, 14, 30, tz="UTC"))
    assert (interval.start, interval.end) == (
        dt.datetime(2026, 10, 4, tzinfo=UTC),
        dt.datetime(2026, 10, 5, tzinfo=UTC),
    )


def test_a_manual_run_at_midnight_covers_the_day_that_just_ended():
    interval = run_interval(None, None, dt.datetime(2026, 10, 5, tzinfo=UTC))
    assert interval.start == dt.datetime(2026, 10, 4, tzinfo=UTC)


def test_the_day_is_the_utc_day_whatever_the_zone_of_run_after():
    # 01:00 in Paris on 5 Oct is 23:00 UTC on 4 Oct: the last full UTC day is 3 Oct.
    interval = run_interval(None, None, pendulum.datetime(2026, 10, 5, 1, tz="Europe/Paris"))
    assert interval.start == dt.datetime(2026, 10, 3, tzinfo=UTC)


def test_a_manual_report_reports_the_last_full_month_or_its_param():
    triggered = pendulum.datetime(2026, 11, 17, 9, tz="UTC")
    assert report_month(None, None, triggered) == "2026-10"
    assert report_month(None, None, pendulum.datetime(2026, 1, 3, tz="UTC")) == "2025-12"
    assert report_month("2026-03", None, triggered) == "2026-03"


def test_a_scheduled_report_reports_the_month_of_its_interval():
    assert report_month(None, pendulum.datetime(2026, 10, 1, 6, tz="UTC"), None) == "2026-10"


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "2026-1", "26-10", "2026-10-01", "october", ""])
def test_a_month_that_is_not_a_calendar_month_is_refused(bad):
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month(bad)


def test_a_month_that_has_not_ended_is_refused_naming_the_last_full_month():
    with pytest.raises(ValueError, match=r"2026-11 has not ended.*2026-10"):
        parse_month("2026-11", today=dt.date(2026, 11, 17))
    assert parse_month("2026-10", today=dt.date(2026, 11, 1)) == "2026-10"
