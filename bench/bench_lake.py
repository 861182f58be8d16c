"""Benchmark: the Delta lake's cost follows the data, not accounts x days.

    PYTHONPATH=plugins .venv/bin/python bench/bench_lake.py [--quick]

1. The scale case of issue #16: the same traffic (about 167,000 requests and 36,000 posts over a
   year) from 2 accounts and from 40 accounts. Each account's year is published (one commit per
   table), every mart is computed in full (metrics.compute_marts), then the lake is compacted
   (Lake.maintain) and every mart computed in full again. Prints the seconds of each mart and of
   what a run does before them, 2 accounts beside 40, before and after compaction, the files per
   table and the ratio 40 / 2 (target: <= 1.3; 27 with the per-day Parquet layout); then the
   incremental run that follows the compaction (a compaction changes no row: it recomputes what
   a run with no change recomputes).
2. 200 accounts x 3 years of lighter traffic: build time (extract and publish), file count before
   and after compaction, every-mart time, a daily publish of every account onto that lake (seconds
   per commit) and the incremental mart run it triggers beside the full one.
3. A daily publish of five accounts (one day each) onto the compacted lake of 1: seconds per commit
   (target: under 0.5 s per table).

Every full mart run is the best of REPEATS, the lakes compared taking turns (the first run of a
process also pays DuckDB's start-up, which would count against whichever lake came first). Each
figure is printed with the machine's load average beside it (2 cores shared here). A benchmark,
not a test: it asserts nothing, it reports.
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
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from socialpulse import metrics, model
from socialpulse.domain import Account, Interval
from socialpulse.lake import Lake
from socialpulse.networks.simulated import SimulatedNetwork

ROOT = Path(tempfile.gettempdir()) / "socialpulse-bench-lake"
YEAR = dt.date(2025, 1, 1)
REQUESTS_PER_YEAR, POSTS_PER_YEAR = 167_000, 36_000
REPEATS = 3


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


def build(root: Path, members: list[Account], first: dt.date, days: int) -> tuple[float, float]:
    """Publish each account's whole period (one commit per table); returns the seconds spent
    extracting (the simulated network) and publishing."""
    shutil.rmtree(root, ignore_errors=True)
    lake, network, extracting, publishing = Lake(root), SimulatedNetwork(seed=11), 0.0, 0.0
    for account in members:
        started = time.perf_counter()
        tables = network.extract(account, interval(first, days))
        extracting += time.perf_counter() - started
        started = time.perf_counter()
        lake.publish(account, interval(first, days), tables)
        publishing += time.perf_counter() - started
    return extracting, publishing


def files(lake: Lake) -> int:
    return sum(len(lake.table_files(t)) for t in model.TABLES)


class Run(NamedTuple):
    seconds: dict[str, float]  # the whole run ("total") and each phase and mart (the manifest's)
    load: str  # when it ended


def mart_run(lake: Lake, full: bool = True) -> Run:
    """One mart run, full by default."""
    started = time.perf_counter()
    metrics.compute_marts(lake, full=full)
    total = time.perf_counter() - started
    manifest = lake.marts_manifest()
    phases = {**manifest["setup_seconds"], **manifest["seconds"]}
    return Run({**phases, "rest": total - sum(phases.values()), "total": total}, load())


def best_runs(lakes: dict[int, Lake]) -> dict[int, Run]:
    """Every mart in full on each lake, the best of REPEATS; the lakes take turns, so that a load
    from elsewhere falls on both."""
    best: dict[int, Run] = {}
    for _ in range(REPEATS):
        for count, lake in lakes.items():
            run = mart_run(lake)
            if count not in best or run.seconds["total"] < best[count].seconds["total"]:
                best[count] = run
    return best


def daily_publish(lake: Lake, members: list[Account], day: dt.date) -> list[float]:
    """Seconds per commit of one day's publish for each account."""
    network, per_commit = SimulatedNetwork(seed=12), []
    for account in members:
        tables = network.extract(account, interval(day, 1))
        started = time.perf_counter()
        lake.publish(account, interval(day, 1), tables)
        per_commit.append((time.perf_counter() - started) / len(tables))
    return per_commit


# The rows of the side-by-side table: what a run does before the marts, each mart, the rest.
PHASES = (
    ("connect", "connect (a view per table)"),
    ("network_clock", "network_clock"),
    ("plan", "plan"),
    *((mart, mart) for mart in metrics.MARTS),
    ("rest", "the rest (analyst.duckdb, manifest)"),
    ("total", "every mart"),
)


def side_by_side(runs: dict[str, dict[int, Run]]) -> None:
    """Seconds per phase and mart, 2 accounts beside 40, for each state of the lake (the ratio's cause)."""
    print(f"   {'seconds':38}" + "".join(f"{state:>27}" for state in runs))
    print(f"   {'':38}" + f"{'2':>9}{'40':>9}{'40/2':>9}" * len(runs))
    for key, label in PHASES:
        cells = ""
        for run in runs.values():
            two, forty = run[2].seconds[key], run[40].seconds[key]
            ratio = f"{forty / two:9.2f}" if two >= 0.005 else " " * 9  # no ratio of rounding noise
            cells += f"{two:9.2f}{forty:9.2f}{ratio}"
        print(f"   {label:38}{cells}")


def scale_case() -> Lake:
    print("\n1. The same traffic from 2 and from 40 accounts, one year, every mart (full runs)")
    lakes = {}
    for count in (2, 40):
        members = accounts(count, REQUESTS_PER_YEAR / 365 / count, POSTS_PER_YEAR / 365 / count, f"s{count}")
        root = ROOT / f"scale-{count}"
        extracting, publishing = build(root, members, YEAR, 365)
        lakes[count] = Lake(root)
        say(
            f"   {count:>2} accounts: extracted in {extracting:.1f} s, published in {publishing:.1f} s, "
            f"{files(lakes[count])} files"
        )
    runs = {"before compaction": best_runs(lakes)}
    incremental = {}
    for count, lake in lakes.items():
        started = time.perf_counter()
        lake.maintain(retention_hours=0)
        say(
            f"   {count:>2} accounts: compacted in {time.perf_counter() - started:.1f} s, {files(lake)} files"
        )
        incremental[count] = mart_run(lake, full=False)
    runs["after compaction"] = best_runs(lakes)
    side_by_side(runs)
    for state, pair in runs.items():
        print(
            f"   ratio 40 / 2 {state}: {pair[40].seconds['total'] / pair[2].seconds['total']:.2f} (target <= 1.3)"
            f"  [2 accounts: {pair[2].load}; 40 accounts: {pair[40].load}]"
        )
    # what bench_lake measured after compaction before it ran in full: the run after maintenance
    for count, run in incremental.items():
        say(
            f"   {count:>2} accounts, the incremental run after compaction: {run.seconds['total']:.2f} s, "
            f"its plan {run.seconds['plan']:.2f} s (a compaction changes no row: it recomputes what the clock "
            "reaches, as a run with no change does)"
        )
    return lakes[40]


def many_accounts(count: int, years: int) -> None:
    print(f"\n2. {count} accounts x {years} years, lighter traffic")
    members = accounts(count, 3, 0.7, "m")
    root = ROOT / f"many-{count}"
    extracting, publishing = build(root, members, YEAR, 365 * years)
    lake = Lake(root)
    say(
        f"   extracted in {extracting:.1f} s, published in {publishing:.1f} s "
        f"({publishing / count / len(model.TABLES):.3f} s per commit), {files(lake)} files"
    )
    started = time.perf_counter()
    lake.maintain(retention_hours=0)
    say(f"   compacted in {time.perf_counter() - started:.1f} s: {files(lake)} files")
    run = best_runs({count: lake})[count]
    slowest = sorted(metrics.MARTS, key=lambda mart: -run.seconds[mart])[:3]
    say(
        f"   every mart: {run.seconds['total']:.2f} s (connect {run.seconds['connect']:.2f} s; slowest "
        + ", ".join(f"{mart} {run.seconds[mart]:.2f} s" for mart in slowest)
        + ")"
    )
    per_commit = daily_publish(lake, members, YEAR + dt.timedelta(days=365 * years))
    say(
        f"   daily publish of every account: {sum(per_commit) / len(per_commit):.3f} s per commit "
        f"(max {max(per_commit):.3f})"
    )
    # the run that day's publishes trigger: it recomputes the day's threads and months, and reads
    # every other month from the set before's files (a full run's file holds every month)
    daily = mart_run(lake, full=False)
    manifest = lake.marts_manifest()
    shared = sum(
        name.startswith(manifest["base_run"] or "-")
        for f in manifest["files"].values()
        for name in f.values()
    )
    say(
        f"   the mart run after it: {daily.seconds['total']:.2f} s ({manifest['mode']}, "
        f"{daily.seconds['total'] / run.seconds['total']:.0%} of every mart in full), "
        f"{shared} of {sum(map(len, manifest['files'].values()))} mart parts (a month's, or a whole mart's) "
        "read from the set before's files"
    )


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
