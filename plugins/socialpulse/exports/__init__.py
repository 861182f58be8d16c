"""Historical export importers: platform export files -> canonical tables -> the lake.

Each format is one module with one function `read_<format>(path, account, date_order=None)` that returns the
canonical tables the file carries. Adding a format is one module and one line in FORMATS.
See docs/exports.md for every format's columns and mapping.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from socialpulse.exports.base import ExportError
from socialpulse.lazy import load

if TYPE_CHECKING:
    import pyarrow as pa

    from socialpulse.domain import Account, Interval
    from socialpulse.exports.changes import ImportPlan
    from socialpulse.lake import Lake

# format name -> "module:function", imported lazily so that parsing a DAG stays cheap.
FORMATS: dict[str, str] = {
    "twcs": "socialpulse.exports.twcs:read_twcs",
    "x_analytics": "socialpulse.exports.x_analytics:read_x_analytics",
    "facebook_insights": "socialpulse.exports.facebook_insights:read_facebook_insights",
    "linkedin_analytics": "socialpulse.exports.linkedin_analytics:read_linkedin_analytics",
    "youtube_analytics": "socialpulse.exports.youtube_analytics:read_youtube_analytics",
}

EXPORT_SUFFIXES = (".csv",)  # every format above reads CSV

__all__ = [
    "EXPORT_SUFFIXES",
    "FORMATS",
    "ExportError",
    "covering_interval",
    "export_files",
    "import_file",
    "preview_file",
    "read_export",
    "reader",
]


def reader(format: str) -> Callable[..., dict[str, pa.Table]]:
    try:
        target = FORMATS[format]
    except KeyError:
        raise ExportError(
            f"unknown export format '{format}'; known formats: {', '.join(sorted(FORMATS))}"
        ) from None
    return load(target)


def export_files(path: str | os.PathLike[str]) -> list[Path]:
    """The export file itself, or every export file (*.csv) under a folder, in name order."""
    path = Path(path).expanduser()
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such file or folder")
    files = sorted(
        p
        for p in path.rglob("*")
        if p.is_file()
        and p.suffix.lower() in EXPORT_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )
    if not files:
        raise FileNotFoundError(f"{path}: a folder without export files ({', '.join(EXPORT_SUFFIXES)})")
    return files


def read_export(
    format: str, path: Path, account: Account, date_order: str | None = None
) -> dict[str, pa.Table]:
    """Read a whole export file into canonical tables (only those the file carries).

    date_order ("dmy" or "mdy", else the account's options.date_order) says how to read slashed
    dates whose values do not tell (no day above 12).
    """
    from socialpulse import model

    path = Path(path)
    if not path.is_file():
        raise ExportError(f"{path}: no such file")
    from socialpulse.classify import classify_tables

    order = date_order or account.options.get("date_order")
    tables = reader(format)(path, account, date_order=order)
    return classify_tables({name: model.conform(name, data) for name, data in tables.items()})


def covering_interval(tables: dict[str, pa.Table]) -> Interval | None:
    """UTC midnight of the earliest row date to midnight after the latest; None without rows."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from socialpulse import model
    from socialpulse.domain import Interval

    days: list[dt.date] = []
    for name, data in tables.items():
        if data.num_rows:
            column = data.column(model.TABLES[name].date_column)
            if pa.types.is_timestamp(column.type):
                column = pc.cast(column, pa.date32())  # timestamps are UTC: their UTC date
            days += [pc.min(column).as_py(), pc.max(column).as_py()]
    if not days:
        return None
    start = dt.datetime.combine(min(days), dt.time(), dt.UTC)
    end = dt.datetime.combine(max(days) + dt.timedelta(days=1), dt.time(), dt.UTC)
    return Interval(start, end)


def preview_file(
    lake: Lake, format: str, path: Path, account: Account, date_order: str | None = None
) -> ImportPlan:
    """Read and check an export file and work out what importing it would change; writes nothing."""
    from socialpulse.exports.changes import plan_import

    return plan_import(lake, Path(path), account, read_export(format, path, account, date_order))


def import_file(
    lake: Lake,
    format: str,
    path: Path,
    account: Account,
    replace_existing: bool = False,
    date_order: str | None = None,
) -> dict[str, int]:
    """Import one export file into the lake; returns rows written per table the file carries.

    The file is read and checked completely before the lake is touched, so a bad file changes
    nothing. Its rows then replace the account's stored rows of the same keys (a post by its id,
    a day of audience by its date, a message by its id), one Delta commit per table; rows the file
    does not hold are kept, so importing the same file again leaves the same lake. A file that
    would remove or move stored rows of more than changes.MAX_DAYS_CHANGED days is refused unless
    replace_existing is True. The rows then pass the same data-quality gate as API extractions.
    date_order: see read_export.
    """
    plan = preview_file(lake, format, path, account, date_order)
    plan.refuse_unless_allowed(replace_existing)
    _pass_the_gate(lake, Path(path), account, plan.tables)
    return lake.replace_rows(account, plan.tables, plan.remove)


def _pass_the_gate(lake: Lake, path: Path, account: Account, tables: dict[str, pa.Table]) -> None:
    """The Great Expectations suites of the API extractions, over the file's rows (quality.py).

    The result is kept under validation/ like an extraction's, so the report's data-quality
    section counts it; a failed expectation refuses the file, naming it.
    """
    from socialpulse import quality

    interval = covering_interval(tables)
    if interval is None:
        return  # no rows: nothing to check, nothing written
    outcome = quality.validate(lake, account, interval, tables, imported_from=path)
    if not outcome.success:
        raise ExportError(
            f"{path}: rejected by the data-quality gate, nothing was imported: {outcome.summary()}. "
            f"Read {outcome.html_path}"
        )
