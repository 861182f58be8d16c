"""The files a table's commits changed, from the Delta log's add and remove actions, are those in one
of the two versions' file lists and not in the other, whatever the commits between them did."""

from __future__ import annotations

import datetime as dt

from helpers import CARE, DEALS, day_interval

from socialpulse import incremental, model
from socialpulse.classify import classify_tables
from socialpulse.lake import Lake
from socialpulse.networks.simulated import SimulatedNetwork


def versions(lake: Lake) -> dict[str, int | None]:
    return {t: (d.version() if (d := lake.delta(t)) is not None else None) for t in model.TABLES}


def test_the_commits_changed_files_are_the_difference_of_the_two_versions_file_lists(tmp_path):
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
                before = set(lake.table_files(table, old[table]))
                after = set(lake.table_files(table, new[table]))
                expected = (
                    []
                    if incremental.only_compacted(lake, table, old[table], new[table])
                    else sorted(before ^ after)
                )
                assert incremental.changed_files(lake, table, old[table], new[table]) == expected, (
                    table,
                    old,
                    new,
                )
                compared += bool(expected)
    assert compared >= 10
