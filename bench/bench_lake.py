"""Benchmark: the Delta lake's cost follows the data, not accounts x days.

    PYTHONPATH=plugins .venv/bin/python bench/bench_lake.py [--quick]

1. The scale case of issue #16: the same traffic (about 167,000 requests and 36,000 posts over a
   year) from 2 accounts and from 40 accounts. Each account's year is published (one commit per
   table), every mart is computed (metrics.compute_marts), then the lake is compacted
   (Lake.maintain) and every mart computed again. Prints the times, the files per table and the
   ratio 40 / 2 (target: <= 1.3; 27 with the per-day Parquet layout).
2. 200 accounts x 3 years of lighter traffic: publish time, file count before and after
   compaction, every-mart time, and the time of a daily publish of one account onto that lake.
3. A daily publish of five accounts (one day each) onto the compacted lake of 1: seconds per commit
   (target: under 0.5 s per table).

Each figure is printed with the machine's load average beside it (2 cores shared here). A
benchmark, not a test: it asserts nothing, it reports.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from socialpulse import metrics, model
from socialpulse.domain import Account, Interval
from socialpulse.lake import Lake
from socialpulse.networks.simulated import SimulatedNetwork

ROOT = Path(tempfile.gettempdir()) / "socialpulse-bench-lake"
YEAR = dt.date(2025, 1, 1)
REQUESTS_PER_YEAR, POSTS_PER_YEAR = 167_000, 36_000


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def say(text: str) -> None:
    print(f"{text}  [{load()}]", flush=True)


def accounts(count: int, requests_per_day: float, posts_per_day: float, prefix: str) -> list[Account]:
    purposes = ("service", "promotions", "brand", "community")
    return [
        Account(
            "simulated",
            f"{prefix}-{i:03d}",
            f"@{prefix}_{i:03d}",
            purposes[i % len(purposes)],
            "UTC",
            options={"requests_per_day": requests_per_day, "posts_per_day": posts_per_day},
        )
        for i in range(count)
    ]


def interval(first: dt.date, days: int) -> Interval:
    start = dt.datetime.combine(first, dt.time(), dt.UTC)
    return Interval(start, start + dt.timedelta(days=days))


def build(root: Path, members: list[Account], first: dt.date, days: int) -> float:
    """Publish each account's whole period (one commit per table); returns the seconds spent publishing."""
    shutil.rmtree(root, ignore_errors=True)
    lake, network, publishing = Lake(root), SimulatedNetwork(seed=11), 0.0
    for account in members:
        tables = network.extract(account, interval(first, days))
        started = time.perf_counter()
        lake.publish(account, interval(first, days), tables)
        publishing += time.perf_counter() - started
    return publishing


def files(lake: Lake) -> int:
    return sum(len(lake.table_files(t)) for t in model.TABLES)


def every_mart(lake: Lake) -> float:
    started = time.perf_counter()
    metrics.compute_marts(lake)
    return time.perf_counter() - started


def daily_publish(lake: Lake, members: list[Account], day: dt.date) -> list[float]:
    """Seconds per commit of one day's publish for each account."""
    network, per_commit = SimulatedNetwork(seed=12), []
    for account in members:
        tables = network.extract(account, interval(day, 1))
        started = time.perf_counter()
        lake.publish(account, interval(day, 1), tables)
        per_commit.append((time.perf_counter() - started) / len(tables))
    return per_commit


def scale_case() -> Lake:
    print("\n1. The same traffic from 2 and from 40 accounts, one year, every mart")
    results = {}
    for count in (2, 40):
        members = accounts(count, REQUESTS_PER_YEAR / 365 / count, POSTS_PER_YEAR / 365 / count, f"s{count}")
        root = ROOT / f"scale-{count}"
        seconds = build(root, members, YEAR, 365)
        lake = Lake(root)
        say(f"   {count:>2} accounts: published in {seconds:.1f} s, {files(lake)} files")
        before = every_mart(lake)
        say(f"   {count:>2} accounts: every mart {before:.2f} s before compaction")
        lake.maintain(retention_hours=0)
        after = every_mart(lake)
        say(f"   {count:>2} accounts: every mart {after:.2f} s after compaction ({files(lake)} files)")
        results[count] = (before, after)
    say(
        f"   ratio 40 / 2: {results[40][0] / results[2][0]:.2f} before compaction, "
        f"{results[40][1] / results[2][1]:.2f} after (target <= 1.3)"
    )
    return Lake(ROOT / "scale-40")


def many_accounts(count: int, years: int) -> None:
    print(f"\n2. {count} accounts x {years} years, lighter traffic")
    members = accounts(count, 3, 0.7, "m")
    root = ROOT / f"many-{count}"
    seconds = build(root, members, YEAR, 365 * years)
    lake = Lake(root)
    say(
        f"   published in {seconds:.1f} s ({seconds / count / len(model.TABLES):.3f} s per commit), {files(lake)} files"
    )
    lake.maintain(retention_hours=0)
    say(f"   after compaction: {files(lake)} files")
    say(f"   every mart: {every_mart(lake):.2f} s")
    per_commit = daily_publish(lake, members[:1], YEAR + dt.timedelta(days=365 * years))
    say(f"   daily publish of one account: {per_commit[0]:.3f} s per commit")


def five_accounts(lake: Lake) -> None:
    print("\n3. A daily publish of five accounts")
    members = accounts(5, 40, 8, "five")
    per_commit = daily_publish(lake, members, YEAR + dt.timedelta(days=365))
    say(
        f"   seconds per commit: mean {sum(per_commit) / len(per_commit):.3f}, max {max(per_commit):.3f}"
        " (target < 0.5)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="case 2 with 50 accounts x 1 year")
    args = parser.parse_args()
    say("bench_lake")
    lake = scale_case()
    five_accounts(lake)
    many_accounts(50, 1) if args.quick else many_accounts(200, 3)
    shutil.rmtree(ROOT, ignore_errors=True)


if __name__ == "__main__":
    main()
