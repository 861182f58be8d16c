"""What every export importer shares: reading a CSV export, naming the line of a bad cell, and
turning text cells into the canonical types.

An export is read in one vectorised pass (pandas' C reader, every cell as text). Line numbers are
only worked out when something is wrong, by re-reading the file with the csv module: the happy
path stays fast on multi-million-row files and error messages still name the physical line.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from socialpulse import model
from socialpulse.domain import Account

# How far down a file the header may sit: some exports (LinkedIn's, once saved as CSV) start with
# a line or two of description above the real header.
HEADER_SEARCH_RECORDS = 10

# Exports write "-" or nothing where a metric does not apply (X's promoted columns, for one):
# that is an unknown value, stored as null, never as zero.
NOT_REPORTED = ("", "-")

# How a spreadsheet writes day and month with slashes: 10/02/2017 is 2 October (mdy, US) or
# 10 February (dmy, most of Europe). Formats in the readers are spelled mdy ("%m/%d/...").
DATE_ORDERS = ("dmy", "mdy")
_DAY_MONTH = re.compile(r"^(\d{1,2})/(\d{1,2})/\d{4}\b")

_WHOLE_NUMBER = re.compile(r"(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.0+)?")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_URL = re.compile(r"https?://\S+")

# A support agent's sign-off at the end of a message: "^JK", "/AY", "-AD", "- Lisa", "^Rashmi".
# Trailing links and thread counters ("1/2") come after the signature, so they are cut first.
_TRAILING_NOISE = re.compile(r"(?:\s+(?:https?://\S+|\d+/\d+))+\s*$")
_SIGNATURE = re.compile(r"(?:^|\s)(?:\^\s*([A-Za-z]{2,20})|[/\-\u2013\u2014]\s*([A-Z][A-Za-z]{1,19}))\s*$")


class ExportError(ValueError):
    """An export file that cannot be imported; the message names the file, line and column."""


@dataclass(frozen=True)
class Column:
    """A column an export may carry: the header it is documented with, then known aliases."""

    key: str
    headers: tuple[str, ...]
    required: bool = False

    @property
    def header(self) -> str:
        return self.headers[0]


def normalise_header(name: str) -> str:
    return " ".join(str(name).replace("\ufeff", "").split()).casefold()


class ExportFile:
    """One CSV export as text cells, with the file and line of every row at hand for errors."""

    def __init__(
        self,
        path: Path,
        text: str,
        header_line: int,
        header_offset: int,
        columns: list[Column],
        date_order: str | None = None,
    ):
        self.path = path
        self.date_order = date_order  # "dmy" or "mdy" for slashed dates; None: the values must tell
        self._text = text
        self._header_line = header_line
        self._header_offset = header_offset
        self._record_lines: list[int] | None = None
        self.frame = self._read_frame()
        self._rows_read = len(self.frame)
        by_header = {normalise_header(name): name for name in self.frame.columns}
        # key -> the header as spelled in this file, for the columns the file has
        self.headers: dict[str, str] = {}
        for column in columns:
            for alias in column.headers:
                if normalise_header(alias) in by_header:
                    self.headers[column.key] = by_header[normalise_header(alias)]
                    break

    # -- reading ------------------------------------------------------------------------------
    def _read_frame(self) -> pd.DataFrame:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                frame = pd.read_csv(
                    io.StringIO(self._text[self._header_offset :]),
                    dtype=str,
                    na_filter=False,
                    index_col=False,
                    engine="c",
                    skip_blank_lines=True,
                )
            except (pd.errors.ParserError, ValueError) as exc:
                self._diagnose()
                raise self.error(f"cannot be read as CSV: {exc}") from None
        if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
            self._diagnose()  # rows longer than the header: fine only if the extra cells are empty
        return frame.reset_index(drop=True)

    def _physical_lines(self) -> Iterator[str]:
        for match in _LINE.finditer(self._text, self._header_offset):
            yield match.group()

    def _records(self, strict: bool = False) -> Iterator[tuple[int, list[str]]]:
        """(first line, cells) of every data record, skipping blank lines as pandas does.

        Strict reading (for diagnosis) also rejects an unclosed quote at the end of the file.
        """
        reader = csv.reader(self._physical_lines(), strict=strict)
        first = self._header_line
        try:
            for index, record in enumerate(reader):
                start, first = first, self._header_line + reader.line_num
                if index == 0 or not record or (len(record) == 1 and not record[0].strip()):
                    continue
                yield start, record
        except csv.Error as exc:
            raise ExportError(f"{self.path} line {first}: cannot be read as CSV: {exc}") from None

    def _diagnose(self) -> None:
        """Raise an error naming the first structurally broken record, if the csv module finds one."""
        width = len(next(csv.reader(self._physical_lines())))
        for line, record in self._records(strict=True):
            if len(record) > width and any(cell.strip() for cell in record[width:]):
                raise ExportError(
                    f"{self.path} line {line}: {len(record)} cells but the header on line "
                    f"{self._header_line} names {width} columns"
                )

    def line_of(self, row: int) -> int | None:
        """The physical line where data row `row` (0-based, as in self.frame) starts."""
        if self._record_lines is None:
            self._record_lines = [line for line, _ in self._records()]
        if len(self._record_lines) != self._rows_read:
            return None  # the two readers disagree about this file; say the row instead
        return self._record_lines[row]

    # -- errors -------------------------------------------------------------------------------
    def error(self, problem: str, row: int | None = None, key: str | None = None) -> ExportError:
        where = str(self.path)
        if row is not None:
            line = self.line_of(row)
            where += f" line {line}" if line is not None else f" data row {row + 1}"
        if key is not None:
            where += f", column '{self.headers.get(key, key)}'"
        return ExportError(f"{where}: {problem}")

    # -- cells ----------------------------------------------------------------------------------
    def has(self, key: str) -> bool:
        return key in self.headers

    def cells(self, key: str) -> pd.Series:
        """The stripped text cells of a column; empty strings where the file lacks the column."""
        if key not in self.headers:
            return pd.Series("", index=self.frame.index, dtype="str")
        return self.frame[self.headers[key]].str.strip()

    def rename(self, key: str, new_key: str) -> None:
        """Read a column under another key, for headers whose meaning depends on their neighbours."""
        if key in self.headers:
            self.headers[new_key] = self.headers.pop(key)

    def drop_rows(self, mask: pd.Series) -> None:
        """Leave out rows (totals, descriptions) while keeping each row's place for line numbers."""
        self.frame = self.frame[~mask.to_numpy()]

    def first_bad(self, bad: pd.Series, key: str, problem: str) -> None:
        """Raise for the first row flagged in `bad`, quoting its cell; `problem` follows the value."""
        if bad.any():
            row = bad.to_numpy().nonzero()[0][0]
            position = self.frame.index[row]
            value = self.cells(key).iloc[row]
            raise self.error(f"{value!r} {problem}", position, key)

    def text(self, key: str) -> pa.Array:
        """Free text; an empty cell is null."""
        if key not in self.headers:
            return pa.nulls(len(self.frame), pa.string())
        raw = pa.array(self.frame[self.headers[key]], pa.string())
        blank = pc.equal(pc.utf8_trim_whitespace(raw), "")
        return pc.if_else(blank, pa.scalar(None, pa.string()), raw)

    def required_text(self, key: str) -> pa.Array:
        cells = self.cells(key)
        self.first_bad(cells == "", key, "is empty; this column is required")
        return strings(cells)

    def whole_numbers(self, key: str) -> pa.Array:
        """A count column: whole numbers >= 0; empty or '-' is null (not reported), never zero."""
        cells = self.cells(key)
        missing = (cells == NOT_REPORTED[0]) | (cells == NOT_REPORTED[1])
        self.first_bad(cells.str.startswith("-") & ~missing, key, "is negative; counts cannot be")
        self.first_bad(~missing & ~cells.str.fullmatch(_WHOLE_NUMBER.pattern), key, "is not a whole number")
        digits = cells.str.replace(",", "", regex=False).str.replace(r"\.0+$", "", regex=True)
        self.first_bad(~missing & (digits.str.len() > 18), key, "is too large to be a count")
        # Arrow's string -> int64 cast is exact where a float detour would round large counts
        return strings(digits.where(~missing)).cast(pa.int64())

    def ids(self, key: str, required: bool = True) -> pa.Array:
        """Numeric ids, some written as floats by spreadsheets ('848.0'): kept as digit strings."""
        cells = self.cells(key)
        missing = cells == ""
        if required:
            self.first_bad(missing, key, "is empty; this column is required")
        self.first_bad(~missing & ~cells.str.fullmatch(r"\d+(?:\.0+)?"), key, "is not a numeric id")
        ids = cells.str.replace(r"\.0+$", "", regex=True)
        return strings(ids.where(~missing))

    def timestamps(self, key: str, formats: tuple[str, ...], time_zone: str = "UTC") -> pa.Array:
        """Date-times in any of `formats`; values without an offset are read in `time_zone`.

        A date without a time is taken as midnight UTC, so that its UTC date is the date written.
        """
        cells = self.cells(key)
        self.first_bad(cells == "", key, "is empty; this column is required")
        formats = self._in_day_month_order(key, cells, formats)
        values = pa.array(cells, pa.string())
        parsed = pa.nulls(len(values), model.UTC_TS)
        for fmt in formats:
            found = pc.strptime(values, format=fmt, unit="us", error_is_null=True)
            if "%z" not in fmt:
                zone = time_zone if ("%H" in fmt or "%I" in fmt) else "UTC"
                # a wall-clock time skipped by a DST change is read as the moment the clocks resumed
                try:
                    found = pc.assume_timezone(found, zone, ambiguous="earliest", nonexistent="latest")
                except pa.ArrowInvalid as exc:
                    raise self.error(
                        f"cannot read local times in time zone '{zone}': {exc}", key=key
                    ) from None
            parsed = pc.coalesce(parsed, found.cast(model.UTC_TS))
        self.first_bad(
            pd.Series(parsed.is_null().to_numpy(zero_copy_only=False)),
            key,
            f"is not a date-time like {_example(formats)}",
        )
        # Spreadsheets turn bad dates into year 1900 or 0217; no social network predates 1990.
        years = pc.year(parsed).to_numpy(zero_copy_only=False)
        self.first_bad(
            pd.Series((years < 1990) | (years > 2100)), key, "is outside 1990-2100; check the year"
        )
        return parsed

    def _in_day_month_order(self, key: str, cells: pd.Series, formats: tuple[str, ...]) -> tuple[str, ...]:
        """The formats with their slashed dates in the column's one order, DD/MM or MM/DD.

        A value with a first number above 12 proves DD/MM, a second number above 12 MM/DD; the
        whole column follows what its values prove, or the date_order given. A column where no
        value tells (every number up to 12) is refused: 03/04 read the wrong way moves a row by
        months. So is a column proving both orders, or contradicting the order given.
        """
        if not any("%m/%d" in f for f in formats):
            return formats
        parts = cells.str.extract(_DAY_MONTH.pattern)
        first, second = pd.to_numeric(parts[0]), pd.to_numeric(parts[1])
        proves = {"dmy": (first > 12).to_numpy(), "mdy": (second > 12).to_numpy()}
        where = {order: rows.nonzero()[0] for order, rows in proves.items()}
        if len(where["dmy"]) and len(where["mdy"]):
            earlier, later = sorted(DATE_ORDERS, key=lambda order: where[order][0])
            row, other = where[later][0], where[earlier][0]
            other_line = self.line_of(self.frame.index[other])
            raise self.error(
                f"{cells.iloc[row]!r} is {_ORDER_NAMES[later]} but {cells.iloc[other]!r}"
                f"{f' on line {other_line}' if other_line else ''} is {_ORDER_NAMES[earlier]}: the column "
                "mixes day/month orders; write every date of the column the same way",
                self.frame.index[row],
                key,
            )
        proven = next((order for order in DATE_ORDERS if len(where[order])), None)
        order = self.date_order or proven
        if proven and order and order != proven:
            row = where[proven][0]
            raise self.error(
                f"{cells.iloc[row]!r} cannot be read as {_ORDER_NAMES[order]} (date order '{order}' was "
                f"given); it is {_ORDER_NAMES[proven]}: pass --date-order {proven}",
                self.frame.index[row],
                key,
            )
        if order is None:
            ambiguous = (first != second).to_numpy() & first.notna().to_numpy()
            if ambiguous.any():
                example = cells.iloc[ambiguous.nonzero()[0][0]]
                raise self.error(
                    f"dates such as {example!r} read both as DD/MM and as MM/DD, and no value has a day "
                    "above 12 to tell which; pass --date-order dmy (DD/MM/YYYY) or --date-order mdy "
                    "(MM/DD/YYYY), or set the account's options.date_order",
                    key=key,
                )
            return formats  # day equals month in every slashed value: both orders read the same
        if order == "dmy":
            return tuple(f.replace("%m/%d", "%d/%m") for f in formats)
        return formats

    def dates(self, key: str, formats: tuple[str, ...]) -> pa.Array:
        stamps = self.timestamps(key, formats)
        return stamps.cast(pa.date32())


_ORDER_NAMES = {"dmy": "DD/MM", "mdy": "MM/DD"}


def strings(values: pd.Series) -> pa.Array:
    """A string array from a pandas column; missing values (None, NaN) become null."""
    return pa.array(values, pa.string(), from_pandas=True)


def _example(formats: tuple[str, ...]) -> str:
    import datetime as dt

    sample = dt.datetime(2017, 10, 31, 22, 10, 47, tzinfo=dt.UTC)
    return " or ".join(repr(sample.strftime(fmt)) for fmt in formats)


def decode(path: Path) -> str:
    data = path.read_bytes()
    encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ExportError(
            f"{path} line {line}: not {encoding} text ({exc.reason} at byte {exc.start})"
        ) from None


def _refuse_a_cut_last_record(path: Path, text: str) -> None:
    """Platforms end every record, the last one too, with a line break: a file without one was cut
    inside its last row (a download or copy stopped short), whose last cell may read as another
    number ("10" where the file said "100"). Nothing of such a file is imported."""
    if text.strip() and not text.endswith(("\n", "\r")):
        line = text.count("\n") + 1
        raise ExportError(
            f"{path} line {line}: the file ends inside its last row (no line break after it), so it "
            f"looks cut short; nothing was imported. Download the export again"
        )


def read_csv_export(
    path: Path, layouts: dict[str, list[Column]], date_order: str | None = None
) -> tuple[str, ExportFile]:
    """Open an export, recognising which of `layouts` it follows by its header.

    The header is the first record (of the first few) holding every required column of a layout;
    returns that layout's name and the file. Unknown extra columns are ignored. date_order ("dmy"
    or "mdy") says how to read slashed dates the values leave ambiguous.
    """
    if date_order not in (None, *DATE_ORDERS):
        raise ExportError(f"date order {date_order!r}: expected one of {', '.join(DATE_ORDERS)}")
    path = Path(path)
    text = decode(path)
    _refuse_a_cut_last_record(path, text)
    starts: list[int] = []

    def lines() -> Iterator[str]:
        for match in _LINE.finditer(text):
            starts.append(match.start())
            yield match.group()

    reader = csv.reader(lines())
    first_header: list[str] | None = None
    line = 1
    try:
        for record in itertools.islice(reader, HEADER_SEARCH_RECORDS):
            record_line, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            first_header = first_header or record
            present = {normalise_header(cell) for cell in record}
            for name, columns in layouts.items():
                required = [c for c in columns if c.required]
                if all(any(normalise_header(h) in present for h in c.headers) for c in required):
                    offset = starts[record_line - 1]
                    return name, ExportFile(path, text, record_line, offset, columns, date_order)
    except csv.Error as exc:
        raise ExportError(f"{path} line {line}: cannot be read as CSV: {exc}") from None
    if first_header is None:
        raise ExportError(f"{path}: the file is empty; expected a CSV export with a header line")
    wanted = "; or ".join(
        f"{name}: " + ", ".join(repr(c.header) for c in columns if c.required)
        for name, columns in layouts.items()
    )
    present = {normalise_header(cell) for cell in first_header}
    missing = [
        c.header
        for columns in list(layouts.values())[:1]
        for c in columns
        if c.required and not any(normalise_header(h) in present for h in c.headers)
    ]
    found = ", ".join(repr(cell) for cell in first_header[:12])
    raise ExportError(
        f"{path}: missing required column(s) {', '.join(repr(m) for m in missing)} "
        f"(needs {wanted}); the header line has {found}"
    )


def links_in(texts: pa.Array) -> pa.Array:
    """The URLs written in each text, as the posts table's `links` list."""
    series = pd.Series(texts.to_pylist(), dtype=object)
    found = [(_URL.findall(t) or None) if isinstance(t, str) else None for t in series]
    return pa.array(found, pa.list_(pa.string()))


def staff_signatures(texts: pa.Array) -> pa.Array:
    """The support agent's sign-off at the end of each text ('^JK' -> 'JK'), or null."""
    series = pd.Series(texts.to_pylist(), dtype=object).fillna("").astype(str)
    trimmed = series.str.replace(_TRAILING_NOISE, "", regex=True)
    parts = trimmed.str.extract(_SIGNATURE)
    names = parts[0].fillna(parts[1])
    return strings(names)


def table(name: str, columns: dict[str, pa.Array | object], rows: int) -> pa.Table:
    """A canonical table from arrays (and scalars repeated `rows` times), cast to its schema."""
    spec = model.TABLES[name]
    arrays = {}
    for key, value in columns.items():
        if isinstance(value, (pa.Array, pa.ChunkedArray)):
            arrays[key] = value
        else:
            arrays[key] = pa.array([value] * rows, spec.schema.field(key).type)
    return model.conform(spec, pa.table(arrays) if arrays else model.empty(name))


def posts_with_totals(
    export: ExportFile,
    account: Account,
    post_ids: pa.Array,
    created_at: pa.Array,
    kind: pa.Array | str,
    text: pa.Array,
    metrics: tuple[str, ...],
    staff_member: pa.Array | None = None,
) -> dict[str, pa.Table]:
    """posts and post_metrics_daily from an export of one row per post with lifetime totals.

    Such exports do not say on which day the totals were read, so they are dated on the post's
    own UTC date: the import then covers exactly the posts' days and re-imports replace them.
    Metrics in `metrics` that the file lacks are null. A post id that appears twice is the import
    gate's to reject (the posts suite's uniqueness, quality.py), as for API extractions.
    """
    rows = len(post_ids)
    posts = table(
        "posts",
        {
            "network": account.network,
            "account_id": account.account_id,
            "post_id": post_ids,
            "created_at": created_at,
            "kind": kind,
            "text": text,
            "links": links_in(text),
            "staff_member": staff_member if staff_member is not None else pa.nulls(rows, pa.string()),
        },
        rows,
    )
    totals = table(
        "post_metrics_daily",
        {
            "network": account.network,
            "account_id": account.account_id,
            "post_id": post_ids,
            "date": created_at.cast(pa.date32()),
            **{name: export.whole_numbers(name) for name in metrics},
        },
        rows,
    )
    return {"posts": posts, "post_metrics_daily": totals}


AUDIENCE = ("followers_total", "followers_gained", "followers_lost")


def audience_by_day(
    export: ExportFile, account: Account, date_formats: tuple[str, ...]
) -> dict[str, pa.Table]:
    """audience_daily from an export with one row per date; follower counts it lacks stay null."""
    if not any(export.has(key) for key in AUDIENCE):
        raise export.error("has none of the follower columns this format knows; see docs/exports.md")
    dates = export.dates("date", date_formats)  # a day twice: the import gate rejects it
    audience = table(
        "audience_daily",
        {
            "network": account.network,
            "account_id": account.account_id,
            "date": dates,
            **{name: export.whole_numbers(name) for name in AUDIENCE},
        },
        len(dates),
    )
    return {"audience_daily": audience}
