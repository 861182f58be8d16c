"""The files a table's commits changed, from the Delta log's add and remove actions, hold every row
added or removed between the two versions, whatever the commits between them did; a compaction's
files are not among them."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import duckdb
from helpers import CARE, DEALS, day_interval

from socialpulse import incremental, model
from socialpulse.classify import classify_tables
from socialpulse.lake import Lake
from socialpulse.networks.simulated import SimulatedNetwork


def versions(lake: Lake) -> dict[str, int | None]:
    return {t: (d.version() if (d := lake.delta(t)) is not None else None) for t in model.TABLES}


def rows(files: list[str]) -> Counter:
    if not files:
        return Counter()
    con = duckdb.connect()
    listed = ", ".join(f"'{f}'" for f in files)
    return Counter(
        map(repr, con.execute(f"SELECT * FROM read_parquet([{listed}], union_by_name = true)").fetchall())
    )


def test_the_commits_changed_files_hold_every_row_added_or_removed_and_no_compacted_file(tmp_path):
    lake = Lake(tmp_path / "lake")
    network = SimulatedNetwork(seed=5)
    first = day_interval(dt.date(2026, 9, 1), days=20)
    for account in (CARE, DEALS):
        lake.publish(account, first, classify_tables(network.extract(account, first)))
    history = [versions(lake)]
    # a day extracted again (its files rewritten), a compaction, then new days
    again = day_interval(dt.date(2026, 9, 5))
    lake.publish(CARE, again, classify_tables(SimulatedNetwork(seed=6).extract(CARE, again)))
    history.append(versions(lake))
    lake.maintain(retention_hours=1000)
    history.append(versions(lake))
    later = day_interval(dt.date(2026, 9, 21), days=2)
    for account in (CARE, DEALS):
        lake.publish(account, later, classify_tables(network.extract(account, later)))
    history.append(versions(lake))
    compared = 0
    for i, old in enumerate(history):
        for new in history[i + 1 :]:
            for table in model.TABLES:
                if old[table] is None or new[table] is None or new[table] <= old[table]:
                    continue
                before = rows(lake.table_files(table, old[table]))
                after = rows(lake.table_files(table, new[table]))
                changed = incremental.changed_files(lake, table, old[table], new[table])
                moved = (before - after) + (after - before)
                assert not moved - rows(changed), (table, old, new)
                if incremental.only_compacted(lake, table, old[table], new[table]):
                    assert changed == [], (table, old, new)
                compared += bool(moved)
    assert compared >= 10
    # after the re-extracted day: the compaction and the new days' publishes; only the new days'
    # files changed rows (the compacted files hold the rows of the files they replaced)
    old, compacted, new = history[1], history[2], history[3]
    for table in ("messages", "posts"):
        published = set(lake.table_files(table, new[table])) - set(lake.table_files(table, compacted[table]))
        assert published and incremental.changed_files(lake, table, old[table], new[table]) == sorted(
            published
        )
