"""The lake: Delta tables, the account's rows of an interval replaced in one commit, nothing duplicated."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from helpers import CARE, DEALS, day_interval

from socialpulse import model
from socialpulse.lake import Lake, PublishError, atomic_write_parquet
from socialpulse.networks.simulated import SimulatedNetwork

DAY = dt.date(2026, 3, 10)


def _extract(account, interval):
    return SimulatedNetwork(seed=3).extract(account, interval)


def test_publish_commits_a_delta_table_per_canonical_table_partitioned_by_network_and_month(tmp_path):
    lake = Lake(tmp_path)
    interval = day_interval(DAY, days=2)
    care = _extract(CARE, interval)
    lake.publish(CARE, interval, care)
    lake.publish(DEALS, interval, _extract(DEALS, interval))
    for table in care:
        assert (tmp_path / "lake" / table / "_delta_log" / f"{1:020d}.json").is_file(), table
        files = [f.removeprefix(f"{tmp_path}/lake/{table}/") for f in lake.table_files(table)]
        # two accounts x two days: two files (one per commit), in one month partition
        assert len(files) == 2 and all(f.startswith("network=simulated/month=2026-03/") for f in files), files
    assert lake.versions() == {t: 1 if t in care else None for t in model.TABLES}


def test_duckdb_reads_each_table_with_the_canonical_columns_and_no_partition_column(tmp_path):
    import duckdb

    lake = Lake(tmp_path)
    interval = day_interval(DAY)
    tables = _extract(CARE, interval)
    lake.publish(CARE, interval, tables)
    con = duckdb.connect()
    assert lake.register_tables(con) == {t: 0 if t in tables else None for t in model.TABLES}
    for name, spec in model.TABLES.items():  # a table never published is an empty view
        view = con.execute(f"SELECT * FROM {name}")
        assert [d[0] for d in view.description] == spec.schema.names, name
        assert len(view.fetchall()) == (tables[name].num_rows if name in tables else 0), name


def test_timestamps_are_delta_encoded_in_published_and_compacted_files_and_read_back_exactly(tmp_path):
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")

    def stored(files):
        """The created_at values of the files, each file's column delta-encoded without a dictionary."""
        for f in files:
            (encodings,) = con.execute(
                f"SELECT list(encodings) FROM parquet_metadata('{f}') WHERE path_in_schema = 'created_at'"
            ).fetchone()
            assert encodings and all(
                "DELTA_BINARY_PACKED" in e and "DICTIONARY" not in e for e in encodings
            ), f
        return sorted(t for (t,) in con.execute(f"SELECT created_at FROM read_parquet({files})").fetchall())

    lake = Lake(tmp_path)
    published = []
    for day in (DAY, DAY + dt.timedelta(days=1)):
        interval = day_interval(day)
        tables = _extract(CARE, interval)
        lake.publish(CARE, interval, tables)
        published += tables["messages"].column("created_at").to_pylist()
    assert len(lake.table_files("messages")) == 2
    assert stored(lake.table_files("messages")) == sorted(published)
    lake.maintain(retention_hours=0)  # compaction writes the two day files again, as one
    assert len(lake.table_files("messages")) == 1
    assert stored(lake.table_files("messages")) == sorted(published)


def test_a_pinned_version_reads_the_table_as_it_was(tmp_path):
    lake = Lake(tmp_path)
    interval = day_interval(DAY)
    care = _extract(CARE, interval)
    lake.publish(CARE, interval, care)
    lake.publish(CARE, interval, {"messages": care["messages"].slice(0, 3)})
    assert lake.read("messages").num_rows == 3
    assert lake.read("messages", version=0).num_rows == care["messages"].num_rows


def test_a_file_written_before_a_column_was_added_reads_it_as_null_beside_newer_files(tmp_path):
    from deltalake import write_deltalake

    from socialpulse.lake import PARTITION_COLUMNS, with_partition_month

    lake = Lake(tmp_path)
    first, second = day_interval(DAY), day_interval(DAY + dt.timedelta(days=1))
    older = _extract(CARE, first)["audience_daily"].drop_columns(["followers_lost"])
    write_deltalake(  # as a pipeline before followers_lost left the table
        lake.table_uri("audience_daily"),
        with_partition_month(older, older.column("date")),
        partition_by=list(PARTITION_COLUMNS),
    )
    newer = _extract(CARE, second)["audience_daily"]
    lake.publish(CARE, second, {"audience_daily": newer})  # adds the column to the table
    rows = sorted(lake.read("audience_daily").to_pylist(), key=lambda r: r["date"])
    assert [r["followers_lost"] for r in rows] == [None, newer.column("followers_lost")[0].as_py()]
    assert [r["followers_total"] for r in rows] == [
        older.column("followers_total")[0].as_py(),
        newer.column("followers_total")[0].as_py(),
    ]


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


def test_a_required_column_missing_is_refused_with_its_name():
    with pytest.raises(model.RowError, match=r"missing required column\(s\) \['account_id'\]"):
        model.conform("audience_daily", pa.table({"network": ["x"], "date": [DAY]}))


def test_a_null_in_a_required_field_that_skipped_the_gate_is_refused_by_the_delta_table(tmp_path):
    # conform only casts (the gate's not-null expectations name such a column); the table's
    # schema is the last line: the commit fails and the table stays as it was
    lake = Lake(tmp_path)
    interval = day_interval(DAY)
    tables = _extract(CARE, interval)
    lake.publish(CARE, interval, tables)
    before = lake.versions()
    audience = tables["audience_daily"]
    bad = audience.set_column(1, "account_id", pa.nulls(audience.num_rows, pa.string()))
    with pytest.raises(PublishError, match="audience_daily"):
        lake.publish(CARE, interval, {"audience_daily": bad})
    assert lake.versions() == before


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


def _post(account, post_id: str, day: dt.date) -> dict:
    at = dt.datetime.combine(day, dt.time(12), dt.UTC)
    return {
        "network": account.network,
        "account_id": account.account_id,
        "post_id": post_id,
        "created_at": at,
        "kind": "original",
    }


def test_replace_rows_replaces_by_key_wherever_the_row_sits_in_one_commit_per_table(tmp_path):
    lake = Lake(tmp_path)
    oct1, oct2, nov5, dec1 = (
        dt.date(2026, 10, 1),
        dt.date(2026, 10, 2),
        dt.date(2026, 11, 5),
        dt.date(2026, 12, 1),
    )
    first = [_post(CARE, "1", oct1), _post(CARE, "2", oct2), _post(CARE, "3", nov5)]
    lake.replace_rows(CARE, {"posts": model.table_from_rows("posts", first)})
    lake.replace_rows(DEALS, {"posts": model.table_from_rows("posts", [_post(DEALS, "9", oct1)])})
    before = lake.versions()["posts"]
    written = lake.replace_rows(
        CARE,
        {"posts": model.table_from_rows("posts", [_post(CARE, "1", dec1), _post(CARE, "4", oct1)])},
        remove={"posts": pa.table({"post_id": ["3"]})},
    )
    assert written == {"posts": 2}
    assert lake.versions()["posts"] == before + 1  # the move, the addition and the removal: one commit
    stored = {(r["account_id"], r["post_id"]): r["created_at"].date() for r in lake.read("posts").to_pylist()}
    # 1 moved to December, 2 untouched, 3 removed, 4 added; the other account's post is left alone
    assert stored == {
        (CARE.account_id, "1"): dec1,
        (CARE.account_id, "2"): oct2,
        (CARE.account_id, "4"): oct1,
        (DEALS.account_id, "9"): oct1,
    }
    months = {f.split("/")[-2] for f in lake.table_files("posts")}
    assert "month=2026-12" in months and "month=2026-11" not in months


def test_replace_rows_refuses_rows_of_another_account(tmp_path):
    lake = Lake(tmp_path)
    with pytest.raises(ValueError, match="another account"):
        lake.replace_rows(CARE, {"posts": model.table_from_rows("posts", [_post(DEALS, "9", DAY)])})
    assert lake.versions()["posts"] is None
