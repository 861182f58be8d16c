"""Benchmark: every mart over 10 million messages and 1 million posts, and DuckDB against pandas.

    make bench                      # or: PYTHONPATH=plugins .venv/bin/python bench/bench_metrics.py

1. Generates a lake with the simulated network: ACCOUNTS accounts x DAYS days, with options that
   give about 10 million conversation messages and 1 million posts. Each account-day comes from
   the network's own generators (SimulatedNetwork._day_posts and _day_conversations, the code
   extract() uses); only the assembly into Arrow tables is vectorised here, because extract()
   builds rows one by one. Each account's year is published as the pipeline publishes (Lake.publish:
   one Delta commit per table). The lake is kept in $TMPDIR/socialpulse-bench and reused while the
   parameters are unchanged.
2. Runs, each in a fresh process so that its wall time and peak memory (max RSS) stand alone:
   - DuckDB, every mart (metrics.compute_marts);
   - DuckDB, the response-time marts only (service_requests and the marts service_monthly needs);
   - a straightforward vectorised pandas implementation of the same response-time metrics.
3. Prints the figures, the ratio pandas / DuckDB, whether both agree, and the targets: every mart
   in under 30 s, at least 4x faster than pandas, peak memory under 4 GiB.

This is a benchmark, not a test: it asserts nothing, it reports.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import pyarrow as pa

from socialpulse import model
from socialpulse.config import SlaPolicy
from socialpulse.domain import Account, Interval
from socialpulse.lake import Lake
from socialpulse.networks.simulated import METRICS_LOOKBACK_DAYS, SimulatedNetwork

DEFAULT_LAKE = Path(tempfile.gettempdir()) / "socialpulse-bench" / "lake"

# Two busy accounts (a service desk and a promotions account) over a year.
ACCOUNTS = 2
DAYS = 365
START = dt.date(2025, 1, 1)
SEED = 7
# ~8,540 requests a day open ~13,900 messages (answers and community replies included) and ~1,135
# posts a day average ~1,390 with burst days: 2 accounts x 365 days -> ~10 M messages, ~1 M posts.
REQUESTS_PER_DAY = 8540
POSTS_PER_DAY = 1135
TIME_ZONES = ("Europe/London", "America/New_York", "Asia/Tokyo", "Europe/Paris", "Australia/Sydney")
RESPONSE_TIME_MARTS = ("service_requests", "negative_spikes_daily", "service_monthly")
SLA_HOURS = 24.0
# DuckDB's buffer limit: past it, joins and sorts spill to disk, keeping the process under 4 GiB.
MEMORY_LIMIT = "3.5GB"  # DuckDB counts 10^9 bytes: 3.26 GiB
GIB = 1024**3


def bench_account(index: int) -> Account:
    return Account(
        network="simulated",
        account_id=f"bench-{index:02d}",
        handle=f"@bench_{index:02d}",
        purpose=("service", "promotions")[index % 2],
        time_zone=TIME_ZONES[index % len(TIME_ZONES)],
        options={"requests_per_day": REQUESTS_PER_DAY, "posts_per_day": POSTS_PER_DAY},
    )


# -- generation ---------------------------------------------------------------------------------
def generate_account(task: tuple[str, int]) -> dict[str, int]:
    """Write one account's DAYS days into the lake; returns rows per table."""
    root, index = task
    lake, account = Lake(root), bench_account(index)
    network = SimulatedNetwork(seed=SEED)
    days = [START + dt.timedelta(days=i) for i in range(DAYS)]
    day_posts = [network._day_posts(account, day) for day in days]
    conversations = [network._day_conversations(account, day) for day in days]
    tables = {
        "accounts": _accounts(account, days),
        "posts": _posts(account, day_posts),
        "post_metrics_daily": _post_metrics(account, days, day_posts),
        "audience_daily": network._audience(account, days),
        "messages": _messages(account, conversations, days[-1] + dt.timedelta(days=1)),
    }
    start = dt.datetime.combine(START, dt.time(), dt.UTC)
    lake.publish(account, Interval(start, start + dt.timedelta(days=DAYS)), tables)
    return {name: table.num_rows for name, table in tables.items()}


def _accounts(account: Account, days: list[dt.date]) -> pa.Table:
    return model.table_from_rows(
        "accounts",
        [
            {
                "network": account.network,
                "account_id": account.account_id,
                "handle": account.handle,
                "display_name": None,
                "purpose": account.purpose,
                "time_zone": account.time_zone,
                "snapshot_date": day,
            }
            for day in days
        ],
    )


def _posts(account: Account, day_posts: list[dict]) -> pa.Table:
    post_ids = np.concatenate([p["post_id"] for p in day_posts])
    has_link = np.concatenate([p["has_link"] for p in day_posts])
    links = [
        [f"https://example.com/{account.account_id}/{pid}"] if link else []
        for pid, link in zip(post_ids, has_link, strict=True)
    ]
    n = len(post_ids)
    return pa.table(
        {
            "network": pa.array([account.network] * n),
            "account_id": pa.array([account.account_id] * n),
            "post_id": pa.array(post_ids, pa.string()),
            "created_at": pa.array(np.concatenate([p["created_at"] for p in day_posts]), model.UTC_TS),
            "kind": pa.array(np.concatenate([p["kind"] for p in day_posts]).astype(object), pa.string()),
            "text": pa.array(np.concatenate([p["text"] for p in day_posts]).astype(object), pa.string()),
            "links": pa.array(links, pa.list_(pa.string())),
            "staff_member": pa.array(
                np.concatenate([p["staff"] for p in day_posts]).astype(object), pa.string()
            ),
        }
    )


def _post_metrics(account: Account, days: list[dt.date], day_posts: list[dict]) -> pa.Table:
    """The snapshots extract() emits: each post's totals on its day and the 6 days after, growing."""
    post_ids = np.concatenate([p["post_id"] for p in day_posts])
    day_index = np.concatenate([np.full(len(p["post_id"]), i) for i, p in enumerate(day_posts)])
    finals = {c: np.concatenate([p[c] for p in day_posts]) for c in model.COUNT_COLUMNS}
    parts = []
    for age in range(METRICS_LOOKBACK_DAYS):
        seen = day_index + age < len(days)
        grown = 1.0 - np.exp(-(age + 1) / 1.2)  # as SimulatedNetwork._post_metrics
        columns = {
            "network": pa.array([account.network] * int(seen.sum())),
            "account_id": pa.array([account.account_id] * int(seen.sum())),
            "post_id": pa.array(post_ids[seen], pa.string()),
            "date": pa.array(
                (np.datetime64(START) + (day_index[seen] + age).astype("timedelta64[D]")), pa.date32()
            ),
        }
        for c, final in finals.items():
            final = final[seen]
            columns[c] = pa.array(np.round(final * grown).astype(np.int64), mask=final < 0)
        parts.append(pa.table(columns))
    return pa.concat_tables(parts)


def _messages(account: Account, conversations: list[dict], end: dt.date) -> pa.Table:
    cols = {key: np.concatenate([c[key] for c in conversations]) for key in conversations[0]}
    end_us = int(dt.datetime.combine(end, dt.time(), dt.UTC).timestamp() * 1e6)
    keep = cols["created_us"] < end_us  # replies after the last day have not happened yet
    n = int(keep.sum())
    arrays = {}
    for field in model.MESSAGES.schema:
        if field.name == "created_at":
            arrays[field.name] = pa.array(cols["created_us"][keep], pa.int64()).cast(model.UTC_TS)
        elif field.name in ("network", "account_id"):
            arrays[field.name] = pa.array([getattr(account, field.name)] * n, pa.string())
        elif field.name in cols:
            arrays[field.name] = pa.array(cols[field.name][keep], field.type)
    # What the classifier writes for messages the network classified (socialpulse.classify: the
    # network's intent is kept), vectorised: classifying 10 M rows one by one is bench_classify's
    # subject, not this benchmark's.
    intent = cols["intent"][keep]
    inbound = cols["direction"][keep] == "inbound"
    arrays["network_intent"] = pa.array(np.where(inbound, intent, None), pa.string())
    arrays["is_request"] = pa.array(np.isin(intent, ("question", "complaint")), mask=~inbound)
    arrays["is_negative"] = pa.array(intent == "complaint", mask=~inbound)
    for name in ("sentiment", "language", "classifier_version"):
        arrays[name] = pa.nulls(n, model.MESSAGES.schema.field(name).type)
    return pa.table({f.name: arrays[f.name] for f in model.MESSAGES.schema}, schema=model.MESSAGES.schema)


def ensure_lake(root: Path) -> dict:
    """Generate the bench lake unless the one in root was made with the same parameters."""
    params = {
        "accounts": ACCOUNTS,
        "days": DAYS,
        "start": START.isoformat(),
        "seed": SEED,
        "requests_per_day": REQUESTS_PER_DAY,
        "posts_per_day": POSTS_PER_DAY,
        "layout": "delta",
        "message_columns": len(model.MESSAGES.schema),  # a lake written before new columns is rebuilt
    }
    marker = root / "bench.json"
    if marker.exists() and json.loads(marker.read_text())["params"] == params:
        return json.loads(marker.read_text())
    import shutil

    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    started = time.perf_counter()
    with Pool(min(2, os.cpu_count() or 1)) as pool:
        counts = pool.map(generate_account, [(str(root), i) for i in range(ACCOUNTS)])
    rows = {name: sum(c[name] for c in counts) for name in counts[0]}
    info = {"params": params, "rows": rows, "seconds": time.perf_counter() - started}
    marker.write_text(json.dumps(info))
    return info


# -- the measured runs, each in its own process -------------------------------------------------
def run_duckdb(root: Path, marts: tuple[str, ...]) -> dict:
    from socialpulse import metrics

    timings = {}

    class Timings(logging.Handler):
        def emit(self, record):
            if record.msg.startswith("mart "):
                timings[record.args[0]] = record.args[2]

    logging.getLogger("socialpulse.metrics").addHandler(Timings())
    logging.getLogger("socialpulse.metrics").setLevel(logging.INFO)
    started = time.perf_counter()
    rows = metrics.compute_marts(
        Lake(root), marts=marts, sla=SlaPolicy(default_hours=SLA_HOURS), memory_limit=MEMORY_LIMIT
    )
    return {"seconds": time.perf_counter() - started, "marts": timings, "rows": rows}


# The same definitions as include/sql/service_requests.sql, in pandas.
NEGATIVE = (
    r"(?i)\b(?:not working|doesn'?t work|does not work|stopped working|broken|crash\w*|error|fail\w*|bug|worst|terrible|"
    r"awful|horrible|useless|ridiculous|unacceptable|disappointed|disappointing|angry|annoyed|frustrat\w*|refund|"
    r"charged twice|overcharged|still waiting|nobody|no one|never arrived|hung up|complain\w*)\b"
)


def run_pandas(root: Path) -> dict:
    import pandas as pd
    import pyarrow.dataset as ds

    started = time.perf_counter()
    lake = Lake(root)
    columns = [
        "network",
        "account_id",
        "message_id",
        "thread_id",
        "created_at",
        "direction",
        "channel",
        "intent",
        "text",
    ]
    # the Delta table's current files; network comes from their partition folders
    dataset = ds.dataset(
        lake.table_files("messages"),
        format="parquet",
        partitioning=ds.partitioning(
            pa.schema([("network", pa.string()), ("month", pa.string())]), flavor="hive"
        ),
        partition_base_dir=str(lake.table_dir("messages")),
    )
    df = dataset.to_table(columns=columns).to_pandas()

    df = df.sort_values(
        ["network", "account_id", "thread_id", "created_at", "direction", "message_id"], ignore_index=True
    )
    thread = [df["network"], df["account_id"], df["thread_id"]]
    previous_direction = df.groupby(thread, sort=False)["direction"].shift()
    # Our next message in the thread: a running minimum of outbound times, from the thread's end.
    never = np.iinfo(np.int64).max
    created_us = df["created_at"].dt.tz_localize(None).to_numpy().astype("datetime64[us]").view(np.int64)
    ours = np.where(df["direction"].to_numpy() == "outbound", created_us, never)
    reversed_ours = pd.Series(ours[::-1])
    reversed_keys = [k.iloc[::-1].reset_index(drop=True) for k in thread]
    next_ours = reversed_ours.groupby(reversed_keys, sort=False).cummin().to_numpy()[::-1]

    inbound = df["direction"] == "inbound"
    unclassified = (
        df["intent"].isna()
        & previous_direction.fillna("outbound").eq("outbound")
        & (
            df["channel"].isin(["direct_message", "mention"])
            | df["text"].fillna("").str.contains("?", regex=False)
            | df["text"].fillna("").str.contains(NEGATIVE, regex=True)
        )
    )
    is_request = inbound & (df["intent"].isin(["question", "complaint"]) | unclassified)
    as_of = pd.Series(created_us).groupby(df["network"].to_numpy()).max()

    requests = df.loc[is_request, ["network", "account_id", "created_at"]].copy()
    responded = next_ours[is_request.to_numpy()]
    answered_by = requests["network"].map(as_of).to_numpy()
    responded = np.where((responded != never) & (responded <= answered_by), responded, never)
    created = created_us[is_request.to_numpy()]
    requests["response_hours"] = np.where(responded != never, (responded - created) / 3.6e9, np.nan)
    requests["answered"] = responded != never
    waited = np.where(requests["answered"], requests["response_hours"], (answered_by - created) / 3.6e9)
    requests["met"] = requests["answered"] & (waited <= SLA_HOURS)
    requests["judged"] = requests["answered"] | (waited > SLA_HOURS)
    requests["month"] = requests["created_at"].dt.strftime("%Y-%m")
    monthly = requests.groupby(["network", "account_id", "month"]).agg(
        requests=("answered", "size"),
        answered=("answered", "sum"),
        median_response_hours=("response_hours", "median"),
        p90_response_hours=("response_hours", lambda h: h.quantile(0.9)),
        met=("met", "sum"),
        judged=("judged", "sum"),
    )
    monthly["response_rate"] = monthly["answered"] / monthly["requests"]
    monthly["within_sla_share"] = monthly["met"] / monthly["judged"].where(monthly["judged"] > 0)
    seconds = time.perf_counter() - started
    path = root.parent / "pandas_service_monthly.parquet"
    monthly.reset_index().to_parquet(path)
    return {"seconds": seconds, "rows": len(monthly), "requests": int(is_request.sum()), "result": str(path)}


def agreement(root: Path, pandas_result: str) -> float:
    """The largest difference between DuckDB's service_monthly and pandas' figures."""
    import duckdb

    return (
        duckdb.connect()
        .execute(
            f"""
        SELECT max(greatest(
            abs(d.response_rate - p.response_rate),
            abs(d.median_response_hours - p.median_response_hours),
            abs(d.p90_response_hours - p.p90_response_hours),
            abs(d.within_sla_share - p.within_sla_share),
            abs(d.requests - p.requests)))
        FROM read_parquet('{Lake(root).mart_path("service_monthly")}') d
        FULL JOIN read_parquet('{pandas_result}') p USING (network, account_id, month)
        """
        )
        .fetchone()[0]
    )


def measured(mode: str, root: Path) -> tuple[dict, int]:
    """Run this script in `mode` in a child process; returns its result and peak memory in bytes."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--lake", str(root), "--child", mode], stdout=subprocess.PIPE, text=True
    )
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"benchmark step {mode} failed with exit code {child.returncode}")
    return json.loads(output.strip().splitlines()[-1]), usage.ru_maxrss * 1024


def main() -> None:
    global DAYS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lake", type=Path, default=DEFAULT_LAKE)
    parser.add_argument("--child", choices=("duckdb", "duckdb-service", "pandas"))
    parser.add_argument("--days", type=int, help=f"fewer days than {DAYS} for a quick trial run")
    args = parser.parse_args()
    if args.days:
        DAYS = args.days
    if args.child == "duckdb":
        from socialpulse.metrics import MARTS

        print(json.dumps(run_duckdb(args.lake, MARTS)))
        return
    if args.child == "duckdb-service":
        print(json.dumps(run_duckdb(args.lake, RESPONSE_TIME_MARTS)))
        return
    if args.child == "pandas":
        print(json.dumps(run_pandas(args.lake)))
        return

    info = ensure_lake(args.lake)
    rows = info["rows"]
    print(f"lake: {args.lake} ({ACCOUNTS} simulated accounts x {DAYS} days, made in {info['seconds']:.0f} s)")
    print(
        f"  messages {rows['messages']:,}  posts {rows['posts']:,}  post_metrics_daily {rows['post_metrics_daily']:,}"
    )
    print(f"  machine: {os.cpu_count()} cores")

    service, service_peak = measured("duckdb-service", args.lake)
    pandas_run, pandas_peak = measured("pandas", args.lake)
    difference = agreement(args.lake, pandas_run["result"])
    everything, peak = measured("duckdb", args.lake)

    print(
        f"\nDuckDB, every mart ({len(everything['marts'])}): {everything['seconds']:.1f} s wall, peak memory {peak / GIB:.2f} GiB"
    )
    for mart, seconds in everything["marts"].items():
        print(f"  {mart:<28} {seconds:6.2f} s  {everything['rows'][mart]:>12,} rows")
    print(f"\nResponse-time metrics ({pandas_run['requests']:,} requests; {', '.join(RESPONSE_TIME_MARTS)}):")
    print(f"  DuckDB  {service['seconds']:6.1f} s wall, peak memory {service_peak / GIB:.2f} GiB")
    print(f"  pandas  {pandas_run['seconds']:6.1f} s wall, peak memory {pandas_peak / GIB:.2f} GiB")
    ratio = pandas_run["seconds"] / service["seconds"]
    print(
        f"  ratio pandas / DuckDB: {ratio:.1f}x; largest difference in the monthly figures: {difference:.2e}"
    )

    print("\nTargets:")
    print(
        f"  every mart under 30 s:       {everything['seconds']:.1f} s  {'met' if everything['seconds'] < 30 else 'MISSED'}"
    )
    print(f"  at least 4x faster:          {ratio:.1f}x  {'met' if ratio >= 4 else 'MISSED'}")
    worst = max(peak, service_peak)
    print(f"  peak memory under 4 GiB:     {worst / GIB:.2f} GiB  {'met' if worst < 4 * GIB else 'MISSED'}")


if __name__ == "__main__":
    main()
