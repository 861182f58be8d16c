"""The validation gate: bad data fails with a readable reason and never reaches the lake."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from helpers import CARE, day_interval, write_config

from socialpulse import pipeline, quality
from socialpulse.classify import classify_tables
from socialpulse.config import load_config
from socialpulse.lake import Lake
from socialpulse.networks.simulated import SimulatedNetwork

DAY = dt.date(2026, 4, 2)
INTERVAL = day_interval(DAY)


def _tables():
    return classify_tables(SimulatedNetwork(seed=5).extract(CARE, INTERVAL))


def _replace(table: pa.Table, column: str, values) -> pa.Table:
    index = table.column_names.index(column)
    return table.set_column(
        index, table.schema.field(column), pa.array(values, table.schema.field(column).type)
    )


def test_a_clean_extraction_passes_every_suite_and_leaves_a_readable_result(tmp_path):
    outcome = quality.validate(Lake(tmp_path), CARE, INTERVAL, _tables())
    assert outcome.success, outcome.failures
    result = json.loads(outcome.result_path.read_text())
    assert set(result["tables"]) == set(quality.SUITES)
    assert "passed" in outcome.html_path.read_text()


@pytest.mark.parametrize(
    "corrupt, expected",
    [
        (
            lambda t: {
                **t,
                "post_metrics_daily": _replace(
                    t["post_metrics_daily"], "likes", [-5] * t["post_metrics_daily"].num_rows
                ),
            },
            "post_metrics_daily.likes",
        ),
        (
            lambda t: {**t, "messages": pa.concat_tables([t["messages"], t["messages"].slice(0, 1)])},
            "messages.message_id",
        ),
        (
            lambda t: {
                **t,
                "messages": _replace(t["messages"], "direction", ["sideways"] * t["messages"].num_rows),
            },
            "messages.direction",
        ),
        (
            lambda t: {
                **t,
                "messages": _replace(
                    t["messages"],
                    "created_at",
                    [v + dt.timedelta(days=3) for v in t["messages"].column("created_at").to_pylist()],
                ),
            },
            "messages.created_at",
        ),
        (
            lambda t: {
                **t,
                "messages": _replace(t["messages"], "intent", ["angry"] * t["messages"].num_rows),
            },
            "messages.intent",
        ),
        (
            lambda t: {
                **t,
                "messages": _replace(t["messages"], "language", ["english"] * t["messages"].num_rows),
            },
            "messages.language",
        ),
        (
            lambda t: {
                **t,
                "messages": _replace(t["messages"], "sentiment", [3.0] * t["messages"].num_rows),
            },
            "messages.sentiment",
        ),
    ],
    ids=[
        "negative-counts",
        "duplicate-ids",
        "unknown-enum",
        "outside-interval",
        "unknown-intent",
        "language-not-iso-639-1",
        "sentiment-out-of-range",
    ],
)
def test_corrupted_data_fails_validation_naming_table_and_column(tmp_path, corrupt, expected):
    outcome = quality.validate(Lake(tmp_path), CARE, INTERVAL, corrupt(_tables()))
    assert not outcome.success
    assert any(f.startswith(expected) for f in outcome.failures), outcome.failures
    assert "FAILED" in outcome.html_path.read_text()


@pytest.mark.parametrize(("table", "column"), [("messages", "author_id"), ("posts", "created_at")])
def test_a_null_required_field_is_staged_and_rejected_by_the_gate_naming_the_column(tmp_path, table, column):
    tables = _tables()
    rows = tables[table]
    tables[table] = rows.set_column(
        rows.column_names.index(column),
        rows.schema.field(column),
        pa.nulls(rows.num_rows, rows.schema.field(column).type),
    )
    lake = Lake(tmp_path)
    lake.stage(CARE, INTERVAL, tables)  # staging holds what the connector gave, nulls included
    outcome = quality.validate(lake, CARE, INTERVAL, lake.read_staged(CARE, INTERVAL))
    assert not outcome.success
    assert any(
        f.startswith(f"{table}.{column}: expect_column_values_to_not_be_null failed")
        for f in outcome.failures
    ), outcome.failures


def test_the_suites_are_derived_from_the_model(tmp_path):
    from socialpulse import model

    for name, spec in model.TABLES.items():
        checked = {
            kwargs.get("column")
            for kind, kwargs in quality.SUITES[name]
            if kind == "ExpectColumnValuesToNotBeNull"
        }
        assert checked == {f.name for f in spec.schema if not f.nullable}, name
        for column, values in spec.allowed.items():
            assert (
                "ExpectColumnValuesToBeInSet",
                {"column": column, "value_set": list(values)},
            ) in quality.SUITES[name]


def test_a_reply_dated_before_its_parent_fails_validation(tmp_path):
    tables = _tables()
    messages = tables["messages"].to_pylist()
    reply = next(
        m
        for m in messages
        if m["direction"] == "outbound" and any(p["message_id"] == m["parent_id"] for p in messages)
    )
    parent = next(p for p in messages if p["message_id"] == reply["parent_id"])
    reply["created_at"] = parent["created_at"] - dt.timedelta(minutes=5)
    if reply["created_at"] < INTERVAL.start:
        pytest.skip("parent too early in the day for this seed")
    tables["messages"] = pa.Table.from_pylist(messages, schema=tables["messages"].schema)
    outcome = quality.validate(Lake(tmp_path), CARE, INTERVAL, tables)
    assert any(
        "ExpectColumnPairValuesAToBeGreaterThanB" in f or "a_to_be_greater_than_b" in f
        for f in outcome.failures
    ), outcome.failures


def test_failed_gate_raises_keeps_data_in_staging_and_out_of_the_lake(tmp_path):
    config = load_config(write_config(tmp_path))
    lake = Lake.from_config(config)
    tables = _tables()
    tables["audience_daily"] = _replace(
        tables["audience_daily"], "followers_lost", [-1] * tables["audience_daily"].num_rows
    )
    lake.stage(CARE, INTERVAL, tables)
    with pytest.raises(quality.ValidationFailed, match=r"audience_daily\.followers_lost.*result\.html"):
        pipeline.validate_and_publish(config, config.account("simulated/care"), INTERVAL)
    assert not lake.has_data("audience_daily") and not lake.has_data("messages")
    assert lake.read_staged(CARE, INTERVAL)["audience_daily"].num_rows == 1


def test_parent_times_are_found_in_earlier_partitions_of_the_lake(tmp_path):
    lake = Lake(tmp_path)
    network = SimulatedNetwork(seed=5)
    yesterday = day_interval(DAY - dt.timedelta(days=1))
    lake.publish(CARE, yesterday, network.extract(CARE, yesterday))
    tables = network.extract(CARE, INTERVAL)
    frame = quality._with_parent_times(tables["messages"], tables["posts"], lake)
    earlier = frame[frame["parent_id"].str.contains(f"{(DAY - dt.timedelta(days=1)):%Y%m%d}", na=False)]
    assert len(earlier) and earlier["parent_created_at"].notna().all()
    assert pc.all(
        pc.greater_equal(pa.array(earlier["created_at"]), pa.array(earlier["parent_created_at"]))
    ).as_py()


def test_great_expectations_chatter_stays_out_of_the_task_log_but_our_progress_lines_do_not(tmp_path, caplog):
    """Defect 6 of issue #11: 214 of ~230 lines of a validation task's log were GX's INFO lines."""
    caplog.set_level(logging.INFO)
    config = load_config(write_config(tmp_path))
    account = config.account("simulated/care")
    pipeline.extract(config, account, INTERVAL)
    pipeline.validate_and_publish(config, account, INTERVAL)
    by_logger = [r for r in caplog.records if r.name.startswith("great_expectations")]
    assert [r for r in by_logger if r.levelno < logging.WARNING][:3] == []
    assert any("validation passed for simulated/care" in r.getMessage() for r in caplog.records)
    assert logging.getLogger("great_expectations").level == logging.NOTSET  # given back afterwards
