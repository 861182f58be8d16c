"""Great Expectations suites for the canonical tables, and the gate in front of the lake.

The expectations are SUITES, one list per canonical table, derived from the table's declaration in
model.py (required fields, key, allowed values, ranges, lengths, date column), so each check has
one place. "INTERVAL_START" and "INTERVAL_END" stand for the run's data interval and are filled in
at validation time.
great_expectations is imported inside validate(): it costs ~12 s and must stay off DAG parsing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from socialpulse import model
from socialpulse.domain import Account, Interval
from socialpulse.lake import Lake, atomic_write_bytes, atomic_write_json

log = logging.getLogger(__name__)

INTERVAL_START = "INTERVAL_START"
INTERVAL_END = "INTERVAL_END"


Rule = tuple[str, dict[str, Any]]


def suite_rules(spec: model.CanonicalTable) -> list[Rule]:
    """A canonical table's expectations, derived from its declaration in model.py."""
    rules: list[Rule] = [
        ("ExpectColumnValuesToNotBeNull", {"column": f.name}) for f in spec.schema if not f.nullable
    ]
    # one extraction or import is of one network: the key's other columns must be unique
    unique = [c for c in spec.key if c != "network"]
    if len(unique) == 1:
        rules.append(("ExpectColumnValuesToBeUnique", {"column": unique[0]}))
    else:
        rules.append(("ExpectCompoundColumnsToBeUnique", {"column_list": unique}))
    rules += [
        ("ExpectColumnValuesToBeInSet", {"column": c, "value_set": list(values)})
        for c, values in spec.allowed.items()
    ]
    for column, (low, high) in spec.ranges.items():
        bounds = {k: v for k, v in (("min_value", low), ("max_value", high)) if v is not None}
        rules.append(("ExpectColumnValuesToBeBetween", {"column": column, **bounds}))
    rules += [("ExpectColumnValueLengthsToEqual", {"column": c, "value": n}) for c, n in spec.lengths.items()]
    rules.append(
        (
            "ExpectColumnValuesToBeBetween",
            {
                "column": spec.date_column,
                "min_value": INTERVAL_START,
                "max_value": INTERVAL_END,
                "strict_max": True,
            },
        )
    )
    return rules


# What no single table's declaration can say: a reply is not older than what it answers
# (parent_created_at is looked up before validation, in this batch and then the lake).
ACROSS_TABLES: dict[str, list[Rule]] = {
    "messages": [
        (
            "ExpectColumnPairValuesAToBeGreaterThanB",
            {
                "column_A": "created_at",
                "column_B": "parent_created_at",
                "or_equal": True,
                "ignore_row_if": "either_value_is_missing",
            },
        ),
    ],
}

SUITES: dict[str, list[Rule]] = {
    name: suite_rules(spec) + ACROSS_TABLES.get(name, []) for name, spec in model.TABLES.items()
}


@dataclass
class ValidationOutcome:
    success: bool
    failures: list[str]
    result_path: Path
    html_path: Path

    def summary(self) -> str:
        return "; ".join(self.failures) if self.failures else "all expectations met"


class ValidationFailed(RuntimeError):
    """Raised by the gate: the extraction stays in staging, out of the lake, marts and reports."""


def _bounds(interval: Interval, column_type: pa.DataType) -> tuple[Any, Any]:
    if pa.types.is_date(column_type):
        return interval.start.date(), (interval.end - dt.timedelta(microseconds=1)).date() + dt.timedelta(
            days=1
        )
    return interval.start, interval.end


def _with_parent_times(messages: pa.Table, posts: pa.Table, lake: Lake) -> Any:
    """Messages as a DataFrame with parent_created_at: the parent's time, from this batch or the lake."""
    con = lake.duckdb()
    con.register("batch_messages", messages)
    con.register("batch_posts", posts)
    sources = [
        "SELECT network, message_id AS id, created_at FROM batch_messages",
        "SELECT network, post_id AS id, created_at FROM batch_posts",
    ]
    lake.register_tables(con)
    for table, id_column in (("messages", "message_id"), ("posts", "post_id")):
        # ids are unique per network only; the network's own partitions are all DuckDB reads
        sources.append(
            f"SELECT network, {id_column} AS id, created_at FROM {table} "
            f"WHERE ({id_column}, network) IN (SELECT (parent_id, network) FROM batch_messages)"
        )
    query = f"""
        WITH parents AS ({" UNION ALL ".join(sources)}),
        parent_time AS (SELECT network, id, min(created_at) AS created_at FROM parents GROUP BY ALL)
        SELECT m.*, p.created_at AS parent_created_at
        FROM batch_messages m LEFT JOIN parent_time p ON p.network = m.network AND p.id = m.parent_id
    """
    df = con.sql(query).df()
    con.close()
    return df


# Great Expectations logs about 220 INFO lines per validation (data sources, assets, batch definitions,
# each expectation): in a task log they bury the project's few progress lines. Its warnings and errors
# still show.
NOISY_LOGGERS = ("great_expectations",)


@contextlib.contextmanager
def quiet_loggers(prefixes: tuple[str, ...] = NOISY_LOGGERS, level: int = logging.WARNING) -> Iterator[None]:
    """Raise these loggers and their children to `level` for the block, then restore their levels
    (GX sets INFO on some of its modules' loggers itself, so the parent's level alone is not enough)."""
    names = [
        name
        for name in [*prefixes, *logging.Logger.manager.loggerDict]
        if any(name == p or name.startswith(p + ".") for p in prefixes)
    ]
    loggers = [logging.getLogger(name) for name in dict.fromkeys(names)]
    saved = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(level, logger.level))
    try:
        yield
    finally:
        for logger, previous in zip(loggers, saved, strict=True):
            logger.setLevel(previous)


def keep_earlier_result(result_path: Path) -> None:
    """Keep the result a validation run of the same interval replaces, as result-<validated_at>.json:
    an audit re-render of an older mart set counts the runs as they stood then (report.data_quality).
    A result written before validated_at was recorded is kept as validated long ago."""
    if not result_path.exists():
        return
    earlier = json.loads(result_path.read_text())
    earlier.setdefault("validated_at", dt.datetime.min.replace(tzinfo=dt.UTC).isoformat())
    stamp = earlier["validated_at"].replace(":", "")
    atomic_write_json(result_path.with_name(f"result-{stamp}.json"), earlier)


def validate(
    lake: Lake,
    account: Account,
    interval: Interval,
    tables: dict[str, pa.Table],
    imported_from: Path | None = None,
) -> ValidationOutcome:
    """Run every suite over one extraction, or one imported export file (imported_from); write
    result.json and result.html under validation/."""
    import great_expectations  # noqa: F401  (first, so that the loggers it configures exist)

    with quiet_loggers():
        return _validate(lake, account, interval, tables, imported_from)


def _validate(
    lake: Lake,
    account: Account,
    interval: Interval,
    tables: dict[str, pa.Table],
    imported_from: Path | None = None,
) -> ValidationOutcome:
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # keep task logs readable
    source = context.data_sources.add_pandas("socialpulse")
    report: dict[str, Any] = {
        "account": account.key,
        "interval": {"start": interval.start.isoformat(), "end": interval.end.isoformat()},
        "tables": {},
    }
    failures: list[str] = []
    for name, rules in SUITES.items():
        data = tables[name] if name in tables else model.empty(name)  # a source without that table
        posts = tables.get("posts", model.empty("posts"))
        frame = _with_parent_times(data, posts, lake) if name == "messages" else data.to_pandas()
        if frame.empty:
            report["tables"][name] = {"rows": 0, "success": True, "expectations": []}
            continue
        suite = gx.ExpectationSuite(name=f"socialpulse.{name}")
        for kind, kwargs in rules:
            kwargs = dict(kwargs)
            if kwargs.get("min_value") == INTERVAL_START:
                column_type = data.schema.field(kwargs["column"]).type
                kwargs["min_value"], kwargs["max_value"] = _bounds(interval, column_type)
            suite.add_expectation(getattr(gxe, kind)(**kwargs))
        batch = (
            source.add_dataframe_asset(name=name)
            .add_batch_definition_whole_dataframe(name)
            .get_batch(batch_parameters={"dataframe": frame})
        )
        result = batch.validate(suite)
        checks = []
        for r in result.results:
            config = r.expectation_config
            assert config is not None  # every result of a suite's validation names its expectation
            detail = r.result or {}
            check: dict[str, Any] = {
                "expectation": config.type,
                "kwargs": {k: v for k, v in config.kwargs.items() if k != "batch_id"},
                "success": bool(r.success),
                "unexpected_count": detail.get("unexpected_count"),
                "unexpected_examples": [str(v) for v in (detail.get("partial_unexpected_list") or [])[:5]],
            }
            if r.exception_info and r.exception_info.get("raised_exception"):
                check["success"] = False
                check["error"] = r.exception_info.get("exception_message")
            checks.append(check)
            if not check["success"]:
                column = (
                    check["kwargs"].get("column")
                    or check["kwargs"].get("column_list")
                    or check["kwargs"].get("column_A")
                )
                why = check.get("error") or (
                    f"{check['unexpected_count'] or 0} unexpected, e.g. {check['unexpected_examples'][:3]}"
                )
                failures.append(f"{name}.{column}: {config.type} failed ({why})")
        report["tables"][name] = {
            "rows": len(frame),
            "success": all(c["success"] for c in checks),
            "expectations": checks,
        }
    report["missing"] = missing_summary(tables.get("extraction_issues"))
    report["success"] = not failures
    folder = lake.validation_dir(account, interval)
    if imported_from is not None:
        # beside the API runs of the same days, one folder per file: importing it again replaces it
        digest = hashlib.sha1(str(Path(imported_from).resolve()).encode()).hexdigest()[:10]
        folder = folder.with_name(f"{folder.name}_import-{digest}")
        report["imported_from"] = str(imported_from)
        report["months"] = months_with_rows(tables)
    report["validated_at"] = dt.datetime.now(dt.UTC).isoformat()
    report = json.loads(json.dumps(report, default=str))  # dates and timestamps as ISO strings
    result_path = folder / "result.json"
    html_path = folder / "result.html"
    keep_earlier_result(result_path)
    atomic_write_json(result_path, report)
    atomic_write_bytes(html_path, render_result_html(report).encode())
    return ValidationOutcome(
        success=not failures, failures=failures, result_path=result_path, html_path=html_path
    )


def months_with_rows(tables: dict[str, pa.Table]) -> list[str]:
    """The UTC months (YYYY-MM) the tables have rows of, by each table's date column."""
    import pyarrow.compute as pc

    months: set[str] = set()
    for name, data in tables.items():
        if data.num_rows:
            column = data.column(model.TABLES[name].date_column)
            months |= set(pc.strftime(pc.cast(column, pa.timestamp("s")), format="%Y-%m").to_pylist())
    return sorted(months)


def missing_summary(issues: pa.Table | None) -> dict[str, Any]:
    """What the extraction could not read (extraction_issues): items skipped, metrics unavailable."""
    rows = issues.to_pylist() if issues is not None else []
    skipped = [r for r in rows if r["kind"] == "item_skipped"]
    refused = [r for r in rows if r["kind"] == "metric_unavailable"]
    absent = [r for r in rows if r["kind"] == model.REPLY_ABSENT]
    return {
        "items_skipped": len(skipped),
        "metrics_unavailable": sorted(
            {r["metric"] for r in refused if r["object_id"] is None and r["metric"]}
        ),
        "objects_without_metrics": len({r["object_id"] for r in refused if r["object_id"]}),
        "replies_absent": len(absent),
        "examples": [
            {k: r[k] for k in ("kind", "endpoint", "object_id", "metric", "detail")}
            for r in (skipped + refused)[:20]
        ],
    }


def render_result_html(report: dict[str, Any]) -> str:
    """A readable page of one validation run: a table per canonical table, failures first."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from socialpulse.paths import TEMPLATES_DIR

    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(["j2", "html"]))
    return env.get_template("validation.html.j2").render(report=report)
