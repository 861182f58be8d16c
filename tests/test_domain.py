"""The domain types every layer shares: Month here (Account and Interval are exercised everywhere)."""

from __future__ import annotations

import datetime as dt

import pytest

from socialpulse.domain import Interval, Month


def test_a_month_is_written_and_read_as_yyyy_mm():
    assert str(Month(2026, 3)) == "2026-03"
    assert Month.parse("2026-03") == Month(2026, 3)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-3", "26-03", "2026-03-01", "March", ""])
def test_anything_but_a_real_yyyy_mm_is_refused_showing_what_was_given(text):
    with pytest.raises(ValueError, match=f"expected a month as YYYY-MM, got '{text}'"):
        Month.parse(text)


def test_previous_and_next_cross_the_year():
    assert Month(2026, 1).previous() == Month(2025, 12)
    assert Month(2025, 12).next() == Month(2026, 1)
    assert Month.last_full(dt.date(2026, 1, 31)) == Month(2025, 12)


def test_back_lists_the_months_ending_with_this_one_oldest_first():
    assert [str(m) for m in Month(2026, 2).back(4)] == ["2025-11", "2025-12", "2026-01", "2026-02"]


def test_days_and_interval_cover_the_whole_month_and_no_more():
    days = Month(2028, 2).days()  # a leap year
    assert (days[0], days[-1], len(days)) == (dt.date(2028, 2, 1), dt.date(2028, 2, 29), 29)
    assert Month(2026, 12).interval() == Interval(
        dt.datetime(2026, 12, 1, tzinfo=dt.UTC), dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    )
    assert Month(2026, 12).interval().days() == Month(2026, 12).days()


def test_names_for_the_report():
    assert (Month(2026, 10).name, Month(2026, 10).short_name) == ("October 2026", "Oct")
    assert Month.of(dt.datetime(2026, 10, 31, 23, 59, tzinfo=dt.UTC)) == Month(2026, 10)


def test_of_days_covers_both_days_given_and_refuses_a_reversed_range():
    interval = Interval.of_days(dt.date(2026, 3, 30), dt.date(2026, 4, 1))
    assert interval.days() == [dt.date(2026, 3, 30), dt.date(2026, 3, 31), dt.date(2026, 4, 1)]
    with pytest.raises(
        ValueError, match=r"the date range ends \(2026-03-01\) before it starts \(2026-03-02\)"
    ):
        Interval.of_days(dt.date(2026, 3, 2), dt.date(2026, 3, 1))
