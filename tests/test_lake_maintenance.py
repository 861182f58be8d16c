"""Compaction, retention and migration: the file count follows the data, old versions go after the
retention unless pinned, and a lake of the per-day Parquet layout converts once, in place or to a new root."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import CARE, DEALS, day_interval

from socialpulse import lake as lake_module
from socialpulse import model
from socialpulse.lake import Lake, LakeLayoutError
from socialpulse.networks.simulated import SimulatedNetwork
from socialpulse.paths import REPO_ROOT

FIRST = dt.date(2026, 3, 1)


def _daily_publishes(lake: Lake, days: int = 8) -> None:
    network = SimulatedNetwork(seed=3)
    for i in range(days):
        interval = day_interval(FIRST + dt.timedelta(days=i))
        for account in (CARE, DEALS):
            lake.publish(account, interval, network.extract(account, interval))


def _contents(lake: Lake) -> dict[str, list]:
    return {
        name: lake.read(name).sort_by([(c, "ascending") for c in spec.key]).to_pylist()
        for name, spec in model.TABLES.items()
    }


def _parquet_on_disk(lake: Lake, table: str) -> int:
    return len([p for p in lake.table_dir(table).rglob("*.parquet") if "_delta_log" not in p.parts])


def test_compaction_merges_the_daily_files_and_vacuum_deletes_what_no_kept_version_needs(tmp_path):
    lake = Lake(tmp_path)
    _daily_publishes(lake)
    before = _contents(lake)
    assert len(lake.table_files("messages")) == 16  # one file per account and day
    pinned = lake.versions()["messages"]

    done = lake.maintain(retention_hours=0, keep_versions={"messages": [pinned]})
    assert _contents(lake) == before  # no row changed
    assert len(lake.table_files("messages")) == 1  # one month, one network: one file
    assert done["messages"]["files"] == 1 and done["posts"]["files_vacuumed"] > 0
    assert _parquet_on_disk(lake, "posts") == 1  # the replaced files are gone from the disk
    # the pinned version stays readable (an audit re-renders from it); its files were kept
    assert lake.read("messages", version=pinned).num_rows == len(before["messages"])
    assert _parquet_on_disk(lake, "messages") == 17


def _row_group_accounts(path: str) -> list[tuple[str, str]]:
    metadata = pq.ParquetFile(path).metadata
    column = metadata.schema.to_arrow_schema().get_field_index("account_id")
    return [
        (group.column(column).statistics.min, group.column(column).statistics.max)
        for group in (metadata.row_group(i) for i in range(metadata.num_row_groups))
    ]


def test_compaction_sorts_each_partition_by_account_and_leaves_a_compacted_one_as_it_is(
    tmp_path, monkeypatch
):
    # row groups of a few rows, as a busy month has them of 131,072
    monkeypatch.setattr(lake_module, "CLUSTERED_ROW_GROUP_ROWS", 16)
    lake = Lake(tmp_path)
    _daily_publishes(lake, days=3)
    before = _contents(lake)

    lake.maintain(retention_hours=0)
    assert _contents(lake) == before
    (file,) = lake.table_files("messages")
    accounts = pq.read_table(file, columns=["account_id"]).column(0).to_pylist()
    assert accounts == sorted(accounts) and len(set(accounts)) == 2
    groups = _row_group_accounts(file)
    # each account's rows in row groups of their own, but the one where they meet
    assert len(groups) > 4 and sum(low != high for low, high in groups) <= 1
    # nothing new: nothing rewritten (a Z-order alone would rewrite every partition again)
    again = lake.maintain(retention_hours=0)
    assert again["messages"]["files_added_by_compaction"] == 0 and lake.table_files("messages") == [file]

    _daily_publishes(lake, days=4)  # the same days again and one more: the month gets files
    lake.maintain(retention_hours=0)
    (file,) = lake.table_files("messages")
    accounts = pq.read_table(file, columns=["account_id"]).column(0).to_pylist()
    assert accounts == sorted(accounts)
    assert sum(low != high for low, high in _row_group_accounts(file)) <= 1


def test_vacuum_keeps_every_version_younger_than_the_retention(tmp_path):
    lake = Lake(tmp_path)
    _daily_publishes(lake, days=2)
    lake.maintain(retention_hours=168)
    assert lake.read("messages", version=0).num_rows > 0  # a week of versions stays readable


def test_vacuum_removes_the_files_a_killed_publish_left_behind(tmp_path):
    lake = Lake(tmp_path)
    _daily_publishes(lake, days=1)
    orphan = (
        lake.table_dir("posts")
        / "network=simulated"
        / "month=2026-03"
        / "part-00000-orphan-c000.zstd.parquet"
    )
    pq.write_table(model.empty("posts"), orphan)
    lake.maintain(retention_hours=0)
    assert not orphan.exists()


def _old_layout_lake(root) -> dict[str, int]:
    """A lake as the per-day Parquet code wrote it: lake/<table>/network=<n>/date=<d>/<account>.parquet."""
    network, rows = SimulatedNetwork(seed=3), dict.fromkeys(model.TABLES, 0)
    for account in (CARE, DEALS):
        interval = day_interval(FIRST, days=3)
        for name, data in network.extract(account, interval).items():
            spec = model.TABLES[name]
            data = model.conform(spec, data)
            for day in interval.days():
                column = data.column(spec.date_column).to_pylist()
                part = data.filter([(v.date() if isinstance(v, dt.datetime) else v) == day for v in column])
                if part.num_rows:
                    path = (
                        root
                        / "lake"
                        / name
                        / f"network={account.network}"
                        / f"date={day}"
                        / f"{account.account_id}.parquet"
                    )
                    path.parent.mkdir(parents=True, exist_ok=True)
                    pq.write_table(part, path)
                    rows[name] += part.num_rows
    (root / "validation" / "simulated" / "care" / "x").mkdir(parents=True)
    (root / "validation" / "simulated" / "care" / "x" / "result.json").write_text('{"success": true}')
    return rows


def _migrate(*args: str) -> subprocess.CompletedProcess:
    env_path = str(REPO_ROOT / "plugins")
    return subprocess.run(
        [sys.executable, "-m", "socialpulse", "migrate-lake", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**__import__("os").environ, "PYTHONPATH": env_path},
    )


def test_an_old_layout_lake_is_refused_with_the_command_that_converts_it(tmp_path):
    _old_layout_lake(tmp_path)
    with pytest.raises(LakeLayoutError, match="migrate-lake"):
        Lake(tmp_path).read("messages")


def test_migrate_lake_in_place_converts_every_table_once_and_leaves_no_old_file(tmp_path):
    rows = _old_layout_lake(tmp_path)
    done = _migrate("--root", str(tmp_path))
    assert done.returncode == 0, done.stderr[-2000:]
    lake = Lake(tmp_path)
    assert {t: lake.read(t).num_rows for t in model.TABLES} == rows
    assert not list((tmp_path / "lake").rglob("date=*"))  # the old layout is gone, never read again
    converted = _contents(lake)
    assert _migrate("--root", str(tmp_path)).returncode == 0  # again: nothing changes
    assert _contents(lake) == converted


def test_migrate_lake_to_a_new_root_copies_the_tables_and_the_validation_results(tmp_path):
    rows = _old_layout_lake(tmp_path / "old")
    done = _migrate("--root", str(tmp_path / "old"), "--to", str(tmp_path / "new"))
    assert done.returncode == 0, done.stderr[-2000:]
    new = Lake(tmp_path / "new")
    assert {t: new.read(t).num_rows for t in model.TABLES} == rows
    assert (tmp_path / "new" / "validation" / "simulated" / "care" / "x" / "result.json").is_file()
    assert _migrate("--root", str(tmp_path / "old"), "--to", str(tmp_path / "new")).returncode == 0
    assert {t: new.read(t).num_rows for t in model.TABLES} == rows  # idempotent: nothing doubled


def test_tables_checkpoint_every_ten_commits_and_maintenance_sets_it_on_older_ones(tmp_path):
    from deltalake import DeltaTable, write_deltalake

    from socialpulse.lake import TABLE_PROPERTIES

    lake = Lake(tmp_path)
    _daily_publishes(lake, days=6)  # 12 commits per table: two accounts a day
    log_dir = lake.table_dir("messages") / "_delta_log"
    assert lake.delta("messages").metadata().configuration == TABLE_PROPERTIES
    assert list(log_dir.glob("*.checkpoint.parquet"))  # a load replays the commits after it only

    # a table created before the property (delta-rs's default: a checkpoint every 100 commits)
    older = Lake(tmp_path / "older")
    uri = older.table_uri("audience_daily")
    rows = lake.read("audience_daily")
    rows = rows.append_column("month", pa.array(["2026-03"] * rows.num_rows))
    write_deltalake(uri, rows, partition_by=["network", "month"])
    assert "delta.checkpointInterval" not in DeltaTable(uri).metadata().configuration
    older.maintain()
    assert DeltaTable(uri).metadata().configuration == TABLE_PROPERTIES
