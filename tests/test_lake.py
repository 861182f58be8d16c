"""The lake: atomic files, partitions replaced per account and day, nothing duplicated."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from helpers import CARE, DEALS, day_interval

from socialpulse import model
from socialpulse.lake import Lake, atomic_write_parquet
from socialpulse.networks.simulated import SimulatedNetwork

DAY = dt.date(2026, 3, 10)


def _extract(account, interval):
    return SimulatedNetwork(seed=3).extract(account, interval)


def test_publish_writes_hive_partitions_by_table_network_and_date(tmp_path):
    lake = Lake(tmp_path)
    interval = day_interval(DAY, days=2)
    lake.publish(CARE, interval, _extract(CARE, interval))
    files = sorted(
        p.relative_to(tmp_path / "lake").as_posix() for p in (tmp_path / "lake").rglob("*.parquet")
    )
    assert "messages/network=simulated/date=2026-03-10/care.parquet" in files
    assert "messages/network=simulated/date=2026-03-11/care.parquet" in files
    assert "audience_daily/network=simulated/date=2026-03-11/care.parquet" in files


def test_republishing_an_interval_replaces_rows_instead_of_duplicating_them(tmp_path):
    lake = Lake(tmp_path)
    interval = day_interval(DAY)
    tables = _extract(CARE, interval)
    lake.publish(CARE, interval, tables)
    lake.publish(CARE, interval, tables)
    assert lake.read("messages").num_rows == tables["messages"].num_rows
    assert lake.read("posts").num_rows == tables["posts"].num_rows


def test_publishing_one_account_leaves_other_accounts_of_the_day_alone(tmp_path):
    lake = Lake(tmp_path)
    interval = day_interval(DAY)
    care, deals = _extract(CARE, interval), _extract(DEALS, interval)
    lake.publish(CARE, interval, care)
    lake.publish(DEALS, interval, deals)
    lake.publish(CARE, interval, {"messages": care["messages"].slice(0, 3)})
    stored = lake.read("messages").to_pylist()
    assert sum(r["account_id"] == "care" for r in stored) == 3
    assert sum(r["account_id"] == "deals" for r in stored) == deals["messages"].num_rows
    assert lake.read("posts").num_rows == care["posts"].num_rows + deals["posts"].num_rows  # not given, kept


def test_rows_dated_outside_the_interval_are_refused_and_nothing_is_written(tmp_path):
    lake = Lake(tmp_path)
    tables = _extract(CARE, day_interval(DAY, days=2))
    with pytest.raises(ValueError, match="outside"):
        lake.publish(CARE, day_interval(DAY), tables)
    assert not (tmp_path / "lake").exists()


def test_a_required_column_with_nulls_is_refused_with_its_name():
    bad = pa.table({"network": ["x"], "account_id": [None], "date": [DAY]})
    with pytest.raises(model.RowError, match="'account_id' is required"):
        model.conform("audience_daily", bad)


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "t.parquet"
    atomic_write_parquet(path, pa.table({"a": [1, 2]}))
    before = path.read_bytes()

    class Broken:
        schema = pa.schema([("a", pa.int64())])

    with pytest.raises(TypeError):
        atomic_write_parquet(path, Broken())  # not a table: the writer fails midway
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]  # no temporary file left behind


def test_staged_extraction_round_trips_and_disappears_once_published(tmp_path):
    lake = Lake(tmp_path)
    interval = day_interval(DAY)
    tables = _extract(CARE, interval)
    lake.stage(CARE, interval, tables)
    staged = lake.read_staged(CARE, interval)
    assert staged["messages"].equals(model.conform("messages", tables["messages"]))
    lake.publish(CARE, interval, staged)
    with pytest.raises(FileNotFoundError, match="run the extract task first"):
        lake.read_staged(CARE, interval)
