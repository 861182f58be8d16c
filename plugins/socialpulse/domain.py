"""The few types every layer speaks: an account, a data interval and a report month.

Config builds accounts, connectors and importers extract an account over an interval, the lake and
the gate store and check it, and the report, the CLI and the report DAG pick a month. None of them
depends on another layer for these.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True)
class Account:
    """One account on one network, as declared in the accounts file."""

    network: str
    account_id: str
    handle: str
    purpose: str
    time_zone: str = "UTC"
    display_name: str | None = None
    connection_id: str | None = None
    options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def key(self) -> str:
        return f"{self.network}/{self.account_id}"


@dataclass(frozen=True)
class Interval:
    """A half-open UTC interval [start, end): the DAG run's data interval."""

    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if value.tzinfo is None:
                raise ValueError(f"Interval.{name} must be timezone-aware, got {value!r}")
        if self.end <= self.start:
            raise ValueError(f"empty interval: {self.start.isoformat()} .. {self.end.isoformat()}")

    @classmethod
    def of(cls, start: dt.datetime, end: dt.datetime) -> Interval:
        """From any aware datetimes (Airflow passes pendulum ones) to plain UTC datetimes."""

        def plain_utc(value: dt.datetime) -> dt.datetime:
            value = value.astimezone(dt.UTC)
            return dt.datetime(*value.timetuple()[:6], value.microsecond, tzinfo=dt.UTC)

        return cls(plain_utc(start), plain_utc(end))

    @classmethod
    def of_days(cls, first: dt.date, last: dt.date) -> Interval:
        """The days first..last, both included (as `airflow backfill create` counts them), in UTC."""
        if last < first:
            raise ValueError(f"the date range ends ({last}) before it starts ({first})")
        return cls(
            dt.datetime.combine(first, dt.time(), dt.UTC),
            dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.UTC),
        )

    def days(self) -> list[dt.date]:
        """Every UTC date the interval touches."""
        first = self.start.date()
        last = (self.end - dt.timedelta(microseconds=1)).date()
        return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month. Written YYYY-MM (str(month)), as the marts, params and report folders name it."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not (1 <= self.month <= 12 and 1 <= self.year <= 9999):
            raise ValueError(f"no such month: {self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str) -> Month:
        """A month from 'YYYY-MM'; anything else is a ValueError that shows what was given."""
        found = _MONTH.fullmatch(text.strip()) if isinstance(text, str) else None
        try:
            if found is None:
                raise ValueError
            return cls(int(found[1]), int(found[2]))
        except ValueError:
            raise ValueError(f"expected a month as YYYY-MM, got {text!r}") from None

    @classmethod
    def of(cls, day: dt.date) -> Month:
        """The month a date (or datetime) falls in."""
        return cls(day.year, day.month)

    @classmethod
    def last_full(cls, today: dt.date) -> Month:
        """The month before today's: the last one that is over."""
        return cls.of(today).previous()

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def back(self, count: int) -> list[Month]:
        """`count` months ending with this one, oldest first."""
        months = [self]
        while len(months) < count:
            months.insert(0, months[0].previous())
        return months

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    def days(self) -> list[dt.date]:
        """Every date of the month."""
        first, following = self.first_day, self.next().first_day
        return [first + dt.timedelta(days=i) for i in range((following - first).days)]

    def interval(self) -> Interval:
        """The month in UTC: [its first midnight, the next month's)."""
        return Interval(
            dt.datetime.combine(self.first_day, dt.time(), dt.UTC),
            dt.datetime.combine(self.next().first_day, dt.time(), dt.UTC),
        )

    @property
    def name(self) -> str:
        """'October 2026'."""
        return self.first_day.strftime("%B %Y")

    @property
    def short_name(self) -> str:
        """'Oct'."""
        return self.first_day.strftime("%b")
