"""Mart sets: every run writes its own folder and manifest, then one atomic switch of marts/current.json.

The kill test runs the computation in a real process and SIGKILLs it while it writes its set.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from helpers import CARE, DEALS, day_interval
from mart_lake import comparable_rows

from socialpulse import metrics
from socialpulse.classify import classify_tables
from socialpulse.lake import MANIFEST, Lake
from socialpulse.networks.simulated import SimulatedNetwork

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


@pytest.fixture
def lake(tmp_path) -> Lake:
    lake = Lake(tmp_path / "lake")
    network = SimulatedNetwork(seed=3)
    interval = day_interval(dt.date(2026, 9, 1), days=45)
    for account in (CARE, DEALS):
        lake.publish(account, interval, classify_tables(network.extract(account, interval)))
    return lake


def rows_of(lake: Lake, mart: str, run_id: str | None = None) -> list[tuple]:
    return sorted((tuple(r.values()) for r in metrics.read_mart(lake, mart, run_id).to_pylist()), key=repr)


def stored(lake: Lake, run_id: str) -> set[Path]:
    """Every mart file in a run's folder."""
    return set(lake.mart_run_dir(run_id).glob("*/*/*.parquet"))


def test_each_run_is_a_set_of_its_own_and_the_pointer_follows_the_last(lake):
    first_rows = metrics.compute_marts(lake)
    first = lake.current_marts_run()
    metrics.compute_marts(lake)
    second = lake.current_marts_run()
    assert first != second
    manifest = lake.marts_manifest()
    assert manifest["run_id"] == second
    assert manifest["versions"] == lake.versions()
    assert manifest["rows"] == first_rows
    assert manifest["sql_hash"] == metrics.sql_hash()
    # the earlier set is still whole: readers that started on it finish on it
    for mart in metrics.MARTS:
        assert len(rows_of(lake, mart, first)) == first_rows[mart]
        assert all(f.exists() for f in lake.mart_files(mart))


def test_mart_files_in_parquets_version_2_encodings_read_alike_in_pyarrow_and_duckdb(lake):
    import pyarrow.parquet as pq

    metrics.compute_marts(lake)
    files = sorted(stored(lake, lake.current_marts_run()))
    assert files
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    encodings = {
        e for f in files for (e,) in con.execute(f"SELECT encodings FROM parquet_metadata('{f}')").fetchall()
    }
    assert any("DELTA" in e for e in encodings), encodings  # metrics._COPY: PARQUET_VERSION V2
    for f in files:
        by_duckdb = con.sql(f"SELECT * FROM read_parquet('{f}')").to_arrow_table()
        by_pyarrow = pq.read_table(f)
        assert by_pyarrow.column_names == by_duckdb.column_names, f
        assert sorted(map(repr, by_pyarrow.to_pylist())) == sorted(map(repr, by_duckdb.to_pylist())), f


def test_a_run_that_started_earlier_never_replaces_a_later_current_set(lake):
    metrics.compute_marts(lake, marts=("service_requests",), run_id="20990101T000000Z-later")
    metrics.compute_marts(lake, marts=("service_requests",))
    assert lake.current_marts_run() == "20990101T000000Z-later"


def test_pruning_keeps_the_current_set_and_every_manifest(lake):
    metrics.compute_marts(lake, marts=("service_requests",))
    old = lake.current_marts_run()
    metrics.compute_marts(lake, marts=("service_requests",), full=True)
    current = lake.current_marts_run()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    assert lake.prune_mart_runs(retention_hours=1, now=later) == [old]
    assert stored(lake, old) == set()
    assert all(f.exists() for f in lake.mart_files("service_requests", current))
    assert lake.marts_manifest(old)["pruned"]
    # the pruned set's table versions are no longer pinned; the current set's are
    assert lake.pinned_versions()["messages"] == {lake.marts_manifest(current)["versions"]["messages"]}


def test_a_daily_run_writes_the_parts_it_recomputes_and_shares_the_others_until_no_set_needs_them(lake):
    metrics.compute_marts(lake)
    old = lake.marts_manifest()
    network = SimulatedNetwork(seed=4)
    next_day = day_interval(dt.date(2026, 10, 16), days=1)
    lake.publish(CARE, next_day, classify_tables(network.extract(CARE, next_day)))
    metrics.compute_marts(lake)
    new = lake.marts_manifest()
    assert new["mode"] == "incremental"
    # service_requests is stored by day: no thread of September changed, so the new set reads the
    # old set's file for those days, and it writes only the days of the changed threads' requests
    old_parts, new_parts = old["files"]["service_requests"], new["files"]["service_requests"]
    september = [day for day in old_parts if day.startswith("2026-09-")]
    assert september and all(new_parts[day] == old_parts[day] for day in september)
    rewritten = {day for day, name in new_parts.items() if name != old_parts.get(day)}
    assert "2026-10-16" in rewritten and min(rewritten) >= "2026-10-01", sorted(rewritten)
    assert len(rewritten) < len([day for day in old_parts if day.startswith("2026-10-")])
    # a month mart is stored by month: October is rewritten, September shared
    old_months, new_months = old["files"]["service_monthly"], new["files"]["service_monthly"]
    assert new_months["2026-09"] == old_months["2026-09"] and new_months["2026-10"] != old_months["2026-10"]
    shared = {lake.marts_dir() / name for files in new["files"].values() for name in files.values()} & stored(
        lake, old["run_id"]
    )
    assert shared and shared != stored(lake, old["run_id"])
    # pruning the old set deletes its files except those the current set shares
    lake.prune_mart_runs(retention_hours=0, now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    assert stored(lake, old["run_id"]) == shared
    assert len(rows_of(lake, "service_requests")) == new["rows"]["service_requests"]


def test_a_closed_months_day_files_become_one_file_and_every_row_stays(lake, monkeypatch):
    """Daily runs write a file a day of service_requests and post_performance: once a month has
    ended, the first run after it rewrites a month named by more than COMPACT_MONTH_FILES files as
    one, so a set names about a file a month, not one a day."""
    monkeypatch.setattr(metrics, "COMPACT_MONTH_FILES", 2)
    metrics.compute_marts(lake)  # 1 Sep - 15 Oct: one file, every day names it
    network = SimulatedNetwork(seed=4)
    for day in (16, 17, 18):
        interval = day_interval(dt.date(2026, 10, day))
        lake.publish(CARE, interval, classify_tables(network.extract(CARE, interval)))
        metrics.compute_marts(lake)
    before = lake.marts_manifest()
    for mart in metrics.incremental.DAY_MARTS:
        october = {name for day, name in before["files"][mart].items() if day.startswith("2026-10-")}
        assert len(october) > 2, mart  # the full run's file and the daily runs' own: still open
    november = day_interval(dt.date(2026, 11, 1))
    for account in (CARE, DEALS):  # (DEALS posts that day)
        lake.publish(account, november, classify_tables(network.extract(account, november)))
    metrics.compute_marts(lake)
    after = lake.marts_manifest()
    assert after["mode"] == "incremental"
    for mart in metrics.incremental.DAY_MARTS:
        parts = after["files"][mart]
        october = {name for day, name in parts.items() if day.startswith("2026-10-")}
        assert len(october) == 1 and next(iter(october)).startswith(after["run_id"] + "/"), mart
        assert set(parts) >= set(before["files"][mart]), mart  # every day still named
    # the rows are a full recompute's, and the set before still reads as it did
    incremental = {mart: comparable_rows(lake, mart) for mart in metrics.MARTS}
    metrics.compute_marts(lake, full=True)
    for mart in metrics.MARTS:
        assert incremental[mart] == comparable_rows(lake, mart), mart
        assert len(rows_of(lake, mart, before["run_id"])) == before["rows"][mart], mart


def test_a_pruned_set_is_rebuilt_from_its_recorded_versions_by_time_travel(lake):
    metrics.compute_marts(lake)
    old = lake.current_marts_run()
    before = {m: rows_of(lake, m, old) for m in ("service_requests", "service_monthly", "post_performance")}
    network = SimulatedNetwork(seed=4)
    later = day_interval(dt.date(2026, 10, 16), days=3)
    lake.publish(CARE, later, classify_tables(network.extract(CARE, later)))
    metrics.compute_marts(lake)
    lake.prune_mart_runs(retention_hours=0, now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    # (a full run's month file that the later set still reads stays: its other marts' files are gone)
    assert not all(f.exists() for mart in metrics.MARTS for f in lake.mart_files(mart, old))
    metrics.recompute_run(lake, old)
    assert lake.current_marts_run() != old  # rebuilding an old set never makes it current
    for mart, rows in before.items():
        assert rows_of(lake, mart, old) == rows, mart


def test_maintenance_keeps_the_table_versions_of_kept_sets(lake):
    metrics.compute_marts(lake)
    pinned = lake.marts_manifest()["versions"]
    network = SimulatedNetwork(seed=4)
    later = day_interval(dt.date(2026, 10, 16), days=2)
    lake.publish(CARE, later, classify_tables(network.extract(CARE, later)))
    lake.maintain(retention_hours=0, mart_retention_hours=1000)
    for table, version in pinned.items():
        if version is not None:
            for uri in lake.table_files(table, version):  # still readable by time travel
                assert Path(uri.removeprefix("file://")).exists(), (table, uri)


KILLED_RUN = """
import sys
from socialpulse import metrics
from socialpulse.lake import Lake
metrics.compute_marts(Lake(sys.argv[1]))
"""


def test_a_run_killed_while_writing_its_set_leaves_the_previous_set_current_and_consistent(lake):
    metrics.compute_marts(lake)
    previous = lake.current_marts_run()
    env = {**os.environ, "PYTHONPATH": str(PLUGINS)}
    killed_mid_run = 0
    for _attempt in range(5):
        runs_before = {p.name for p in lake.marts_dir().iterdir() if p.is_dir()}
        child = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(lake.root)], env=env)
        try:
            new_dir = None
            while child.poll() is None:
                new = [p for p in lake.marts_dir().iterdir() if p.is_dir() and p.name not in runs_before]
                if new and any(new[0].glob("*/*/*.parquet")):
                    new_dir = new[0]
                    break
                time.sleep(0.002)
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
        if new_dir is not None and not (new_dir / MANIFEST).exists():
            killed_mid_run += 1
            assert child.returncode == -signal.SIGKILL
            written = {path.parent.parent.name for path in new_dir.glob("*/*/*.parquet")}
            assert 0 < len(written) < len(metrics.MARTS)
            break
    assert killed_mid_run, "the computation always finished before the kill: nothing was tested"
    assert lake.current_marts_run() == previous
    requests = len(rows_of(lake, "service_requests"))
    per_month = sum(r["requests"] for r in metrics.read_mart(lake, "service_monthly").to_pylist())
    assert requests == per_month > 0
    assert json.loads((lake.marts_dir() / "current.json").read_text()) == {"run_id": previous}


ANALYST_QUERY = """
import json, sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
counts = {n: con.execute(f"SELECT count(*) FROM {n}").fetchall()[0][0] for n in names if not n.startswith("_")}
print(json.dumps({"counts": counts, "run": con.execute("SELECT run_id FROM mart_set").fetchall()[0][0],
                  "previous": con.execute("SELECT previous_month('2026-03')").fetchall()[0][0]}))
"""


def test_the_analyst_database_has_every_table_and_current_mart_by_name(lake):
    from socialpulse import model

    rows = metrics.compute_marts(lake)
    path = lake.root / "analyst.duckdb"
    # another process, as an analyst's DuckDB CLI or BI tool would open it: read-only, by name
    shown = json.loads(
        subprocess.run(
            [sys.executable, "-c", ANALYST_QUERY, str(path)], capture_output=True, text=True, check=True
        ).stdout
    )
    assert shown["run"] == lake.current_marts_run()
    assert shown["previous"] == "2026-02"  # the marts' macros too
    for mart in metrics.MARTS:
        assert shown["counts"][mart] == rows[mart], mart
    for table in model.TABLES:
        assert shown["counts"][table] == lake.read(table).num_rows, table
    # refreshed after the next switch
    metrics.compute_marts(lake)
    again = subprocess.run(
        [sys.executable, "-c", ANALYST_QUERY, str(path)], capture_output=True, text=True, check=True
    )
    assert json.loads(again.stdout)["run"] == lake.current_marts_run()


def test_the_analyst_database_judges_requests_with_the_sets_business_hours_sla(lake):
    """A database file keeps no DuckDB variables: the SLA the read SQL and macros use is written
    into the analyst views, so they show what the run computed, not calendar hours."""
    from socialpulse.config import SlaPolicy

    sla = SlaPolicy(default_hours=4, business_start="09:00", business_end="17:00", resolution_quiet_hours=6)
    metrics.compute_marts(lake, sla=sla)
    query = "SELECT message_id, sla_clock_hours, sla_status, resolution_status FROM service_requests"
    shown = duckdb.connect(str(lake.root / "analyst.duckdb"), read_only=True).execute(query).fetchall()
    computed = [
        tuple(r.values())
        for r in metrics.read_mart(lake, "service_requests")
        .select(["message_id", "sla_clock_hours", "sla_status", "resolution_status"])
        .to_pylist()
    ]
    assert sorted(shown, key=repr) == sorted(computed, key=repr)
    calendar = metrics.read_mart(lake, "service_requests").to_pylist()
    # business hours really decided: some request's clock is shorter than its calendar wait
    assert any(r["sla_clock_hours"] < r["response_hours"] for r in calendar if r["response_hours"])


def test_a_run_is_incremental_by_default_and_full_when_the_sla_changes_or_asked(lake):
    from socialpulse.config import SlaPolicy

    metrics.compute_marts(lake)
    assert lake.marts_manifest()["mode"] == "full"
    network = SimulatedNetwork(seed=4)
    later = day_interval(dt.date(2026, 10, 16), days=1)
    lake.publish(CARE, later, classify_tables(network.extract(CARE, later)))
    metrics.compute_marts(lake)
    manifest = lake.marts_manifest()
    assert manifest["mode"] == "incremental"
    # only October: the new day's month (and DEALS' requests answered within the quiet hours of
    # the old clock, whose resolution the new clock decides)
    assert manifest["recomputed"][CARE.key] == "2026-10"
    assert set(manifest["recomputed"].values()) == {"2026-10"}
    metrics.compute_marts(lake, sla=SlaPolicy(default_hours=4))
    assert "SLA" in lake.marts_manifest()["why"]
    metrics.compute_marts(lake, sla=SlaPolicy(default_hours=4), full=True)
    assert lake.marts_manifest()["why"] == "full: asked for (--full)"


def test_a_run_whose_changes_can_no_longer_be_read_is_full(lake):
    metrics.compute_marts(lake)
    before = set(lake.table_files("messages"))
    network = SimulatedNetwork(seed=9)  # the same days extracted again, with other rows
    again = day_interval(dt.date(2026, 9, 10), days=2)
    lake.publish(CARE, again, classify_tables(network.extract(CARE, again)))
    for uri in before - set(lake.table_files("messages")):
        Path(uri.removeprefix("file://")).unlink()  # as a vacuum without the set's pin would
    metrics.compute_marts(lake)
    manifest = lake.marts_manifest()
    assert manifest["mode"] == "full"
    assert "cannot be read" in manifest["why"]


def test_run_ids_sort_by_start_even_within_one_second():
    # two runs started in the same second once sorted by their random suffix: the later one then
    # never became current (the switch keeps the later-started set)
    from socialpulse.lake import new_run_id

    first = dt.datetime(2026, 12, 1, 10, 0, 0, 1, tzinfo=dt.UTC)
    for _ in range(50):
        assert new_run_id(first) < new_run_id(first + dt.timedelta(microseconds=1))


def test_a_re_render_of_an_old_set_shows_the_data_quality_of_its_table_versions(lake, tmp_path):
    """An audit re-render reads the lake as that set saw it: days published later are neither
    its freshest day nor held by it."""
    from helpers import write_config

    from socialpulse import report
    from socialpulse.config import load_config

    config = load_config(write_config(tmp_path))  # the same lake as the fixture's
    metrics.compute_marts(lake)
    old = lake.current_marts_run()
    later = day_interval(dt.date(2026, 10, 16), days=5)
    lake.publish(CARE, later, classify_tables(SimulatedNetwork(seed=3).extract(CARE, later)))
    metrics.compute_marts(lake)

    def care_quality(run: str | None) -> dict:
        context = report.build_context(config, "board", "2026-10", run)
        return next(q for q in context["quality"] if q["account"] == CARE.handle)

    then, now = care_quality(old), care_quality(None)
    assert then["freshest"] == "2026-10-15" and now["freshest"] == "2026-10-20"
    assert then["days_held"] == 15 and now["days_held"] == 20


def test_a_re_render_of_an_old_set_counts_the_validation_runs_as_they_stood_then(lake, tmp_path):
    """Runs validated after a set started are not its; a run validated again counts, in an older
    set's audit, with the result it had then (the replaced result is kept beside the new one)."""
    from helpers import write_config

    from socialpulse import quality, report
    from socialpulse.config import load_config

    config = load_config(write_config(tmp_path))  # the same lake as the fixture's
    network = SimulatedNetwork(seed=3)
    day = day_interval(dt.date(2026, 10, 16))
    tables = classify_tables(network.extract(CARE, day))
    assert quality.validate(lake, CARE, day, tables).success
    lake.publish(CARE, day, tables)
    metrics.compute_marts(lake)
    first = lake.current_marts_run()

    later = day_interval(dt.date(2026, 10, 17))
    assert quality.validate(lake, CARE, later, classify_tables(network.extract(CARE, later))).success
    messages = tables["messages"]
    duplicated = {**tables, "messages": pa.concat_tables([messages, messages.slice(0, 1)])}
    assert not quality.validate(lake, CARE, day, duplicated).success  # the 16th again, now failing
    metrics.compute_marts(lake)

    def care_runs(run: str | None) -> tuple[int, int]:
        context = report.build_context(config, "board", "2026-10", run)
        quality_row = next(q for q in context["quality"] if q["account"] == CARE.handle)
        return quality_row["passed"], quality_row["failed"]

    assert care_runs(first) == (1, 0)  # the 16th as it passed; the 17th came after
    assert care_runs(None) == (1, 1)  # the 17th passed, the 16th's latest run failed


def test_a_run_after_a_compaction_recomputes_only_what_the_clock_reaches_and_keeps_every_row(lake):
    """A compaction rewrites every file and changes no row: the next run recomputes what a run with
    no change at all recomputes (the reach: requests still open), not every month of every account
    as when it compared the file lists."""
    metrics.compute_marts(lake)
    metrics.compute_marts(lake)
    unchanged = lake.marts_manifest()["recomputed"]
    assert set(unchanged) <= {CARE.key, DEALS.key}
    previous = lake.current_marts_run()
    files = set(lake.table_files("messages"))
    lake.maintain(retention_hours=0)
    assert set(lake.table_files("messages")).isdisjoint(files)  # every messages file rewritten
    metrics.compute_marts(lake)
    manifest = lake.marts_manifest()
    assert manifest["mode"] == "incremental"
    assert manifest["recomputed"] == unchanged
    for mart in metrics.MARTS:
        assert rows_of(lake, mart, previous) == rows_of(lake, mart), mart


def test_a_day_published_after_a_compaction_recomputes_what_it_would_have_without_it(lake, tmp_path):
    """The maintenance DAG compacts the lake every night: the next day's run recomputes that day's
    threads and months, not every thread of the files the compaction rewrote."""
    metrics.compute_marts(lake)
    compacted = Lake(shutil.copytree(lake.root, tmp_path / "compacted"))
    files = set(compacted.table_files("messages"))
    compacted.maintain(retention_hours=1000)
    assert set(compacted.table_files("messages")).isdisjoint(files)
    next_day = day_interval(dt.date(2026, 10, 16), days=1)
    written = {}
    for each in (lake, compacted):
        each.publish(CARE, next_day, classify_tables(SimulatedNetwork(seed=4).extract(CARE, next_day)))
        metrics.compute_marts(each)
        manifest = each.marts_manifest()
        assert manifest["mode"] == "incremental"
        own = manifest["run_id"] + "/"
        written[each.root] = (
            manifest["recomputed"],
            sorted(
                day for day, name in manifest["files"]["service_requests"].items() if name.startswith(own)
            ),
        )
    assert written[compacted.root] == written[lake.root]
    assert "2026-10-16" in written[lake.root][1] and "2026-10-01" not in written[lake.root][1]
    for mart in metrics.MARTS:
        assert rows_of(compacted, mart) == rows_of(lake, mart), mart


def test_a_full_runs_file_is_read_for_the_parts_that_name_it_only(lake):
    metrics.compute_marts(lake)
    files = lake.marts_manifest()["files"]["service_requests"]
    assert len(set(files.values())) == 1 and len(files) >= 2  # one file, every day names it
    every_month = metrics.read_mart(lake, "service_requests").to_pylist()
    manifest_path = lake.mart_run_dir(lake.current_marts_run()) / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    # the first day and one of the middle: the named days are read as three runs of days, one
    # of them across the end of September
    dropped = {sorted(files)[0], sorted(files)[10]}
    for part in dropped:
        del manifest["files"]["service_requests"][part]
    manifest_path.write_text(json.dumps(manifest))
    read = metrics.read_mart(lake, "service_requests").to_pylist()

    def day(row: dict) -> str:
        return row["created_at"].astimezone(dt.UTC).date().isoformat()

    assert {"2026-09-30", "2026-10-01"} <= set(files) - dropped
    assert {day(r) for r in read} == set(files) - dropped
    assert len(read) == sum(day(r) not in dropped for r in every_month) > 0


def test_a_full_runs_month_file_is_read_for_the_months_that_name_it_only(lake):
    metrics.compute_marts(lake)
    files = lake.marts_manifest()["files"]["service_monthly"]
    assert sorted(files) == ["2026-09", "2026-10"] and len(set(files.values())) == 1
    manifest_path = lake.mart_run_dir(lake.current_marts_run()) / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    del manifest["files"]["service_monthly"]["2026-09"]
    manifest_path.write_text(json.dumps(manifest))
    assert {r["month"] for r in metrics.read_mart(lake, "service_monthly").to_pylist()} == {"2026-10"}


def test_a_set_stored_before_the_sla_was_judged_when_read_still_reads_as_it_did(lake):
    # sets stored before 2 Dec 2026 held sla_hours, sla_status, response_month, response_hours and
    # the calendar SLA clock in service_requests' rows; the read SQL judges them now
    metrics.compute_marts(lake)
    before = metrics.read_mart(lake, "service_requests", order="ORDER BY network, account_id, message_id")
    (name,) = set(lake.marts_manifest()["files"]["service_requests"].values())
    path = lake.marts_dir() / name
    con = duckdb.connect()
    con.execute(f"CREATE TABLE rows AS SELECT * FROM read_parquet('{path}')")
    con.register("judged", before)
    con.execute(f"""
        COPY (
            SELECT r.* EXCLUDE (sla_clock_hours), j.sla_hours, j.sla_status, j.response_month,
                j.response_hours, CASE WHEN j.responded_at IS NOT NULL THEN j.sla_clock_hours END AS sla_clock_hours
            FROM rows r JOIN judged j USING (network, account_id, message_id)
        ) TO '{path}' (FORMAT parquet)
    """)
    assert "sla_status" in [
        c for (c, *_) in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
    ]
    after = metrics.read_mart(lake, "service_requests", order="ORDER BY network, account_id, message_id")
    assert after.to_pylist() == before.to_pylist()


@pytest.mark.parametrize(
    "mart",
    [
        "service_monthly",
        "staff_monthly",
        "service_channel_monthly",
        "engagement_monthly",
        "influence_leaders_monthly",
    ],
)
def test_a_set_stored_with_its_month_over_month_changes_still_reads_as_it_did(lake, mart):
    # sets stored before 2 Dec 2026 held the <metric>_change and prev_ columns in the month marts'
    # rows; the read SQL adds them now, from the stored month before
    metrics.compute_marts(lake)
    before = metrics.read_mart(lake, mart)
    added = [c for c in before.column_names if c.endswith("_change") or c.startswith("prev_")]
    assert added and before.num_rows
    (name,) = set(lake.marts_manifest()["files"][mart].values())
    path = lake.marts_dir() / name
    con = duckdb.connect()
    # the old rows carried them, with values the read must not take for its own
    stale = ", ".join(f"-1 AS {c}" for c in added)
    con.execute(f"CREATE TABLE old AS SELECT *, {stale} FROM read_parquet('{path}')")
    con.execute(f"COPY old TO '{path}' (FORMAT parquet)")
    after = metrics.read_mart(lake, mart)
    assert after.column_names == before.column_names
    assert after.to_pylist() == before.to_pylist()
