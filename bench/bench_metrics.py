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
   - DuckDB, the response-time marts only (service_requests and the marts service_monthly needs);
   - a straightforward vectorised pandas implementation of the same response-time metrics, and the
     same as one Polars lazy query;
   - DuckDB, every mart, a full recompute (metrics.compute_marts(full=True)), with each mart's
     seconds and peak memory (the process's peak resident set while it ran, reset between marts);
   - a daily run after the year: the next day published for every account as the extract DAG
     publishes it, then the incremental mart run it triggers, beside the full recompute.
3. Prints the figures with the load average beside each, the ratios incremental / full and
   pandas / DuckDB and Polars / DuckDB, whether the peers agree, and the targets (issue #17):
   every mart under 12 s, incremental under 10% of full, at least 5x pandas, at least as fast as
   Polars, peak memory under 4 GiB. --days and --scale make a smaller lake for a trial run.

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
SCALE = 1.0  # --scale: a share of that traffic
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
    """The snapshots extract() emits: each post's totals on its day and the 6 days after, growing;
    days[i] is the day of day_posts[i]."""
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
                (np.datetime64(days[0]) + (day_index[seen] + age).astype("timedelta64[D]")), pa.date32()
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


def publish_next_day(task: tuple[str, int]) -> dict[str, int]:
    """A daily extraction after the year: the day after the last one, as the extract DAG publishes it
    (the day's posts and messages, and that day's snapshots of the posts of the lookback window)."""
    root, index = task
    lake, account = Lake(root), bench_account(index)
    network = SimulatedNetwork(seed=SEED)
    day = START + dt.timedelta(days=DAYS)
    window = [day - dt.timedelta(days=METRICS_LOOKBACK_DAYS - 1 - i) for i in range(METRICS_LOOKBACK_DAYS)]
    day_posts = [network._day_posts(account, d) for d in window]
    metrics_rows = _post_metrics(account, window, day_posts)
    metrics_rows = metrics_rows.filter(
        pa.compute.equal(metrics_rows.column("date"), pa.scalar(day, pa.date32()))
    )
    tables = {
        "accounts": _accounts(account, [day]),
        "posts": _posts(account, day_posts[-1:]),
        "post_metrics_daily": metrics_rows,
        "audience_daily": network._audience(account, [day]),
        "messages": _messages(
            account, [network._day_conversations(account, day)], day + dt.timedelta(days=1)
        ),
    }
    start = dt.datetime.combine(day, dt.time(), dt.UTC)
    lake.publish(account, Interval(start, start + dt.timedelta(days=1)), tables)
    return {name: table.num_rows for name, table in tables.items()}


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
def _reset_peak_memory() -> None:
    # Linux: writing 5 to clear_refs resets the process's peak resident set (VmHWM)
    Path("/proc/self/clear_refs").write_text("5")


def _peak_memory() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def run_duckdb(root: Path, marts: tuple[str, ...], full: bool = True) -> dict:
    """Every mart (or some) in full, or an incremental run on top of the current set; with each mart's
    seconds and peak memory (the process's peak resident set while that mart ran)."""
    from socialpulse import metrics

    timings, peaks = {}, {}

    class Timings(logging.Handler):
        def emit(self, record):
            if record.msg.startswith("mart %s:"):
                timings[record.args[0]] = record.args[2]
                peaks[record.args[0]] = _peak_memory()
                _reset_peak_memory()

    logging.getLogger("socialpulse.metrics").addHandler(Timings())
    logging.getLogger("socialpulse.metrics").setLevel(logging.INFO)
    lake = Lake(root)
    started = time.perf_counter()
    _reset_peak_memory()
    rows = metrics.compute_marts(
        lake, marts=marts, sla=SlaPolicy(default_hours=SLA_HOURS), memory_limit=MEMORY_LIMIT, full=full
    )
    manifest = lake.marts_manifest()
    return {
        "seconds": time.perf_counter() - started,
        "marts": timings,
        "peaks": peaks,
        "rows": rows,
        "mode": manifest["mode"],
        "recomputed": manifest["recomputed"],
        "load": os.getloadavg()[0],
    }


def run_daily(root: Path) -> dict:
    """Publish the day after the year for every account, then the incremental run it triggers."""
    from socialpulse.metrics import MARTS

    started = time.perf_counter()
    for index in range(ACCOUNTS):
        publish_next_day((str(root), index))
    published = time.perf_counter() - started
    return {**run_duckdb(root, MARTS, full=False), "publish_seconds": published}


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


def run_polars(root: Path) -> dict:
    """The pandas peer's response-time metrics as one Polars lazy query (scan, windows, group by)."""
    import polars as pl

    started = time.perf_counter()
    lake = Lake(root)
    thread = ["network", "account_id", "thread_id"]
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
    text = pl.col("text").fill_null("")
    messages = (
        pl.scan_parquet(lake.table_files("messages"), hive_partitioning=True)
        .select(columns)
        .with_columns(pl.col("created_at").dt.epoch("us").alias("created_us"))
        .sort([*thread, "created_at", "direction", "message_id"])
        .with_columns(
            pl.col("direction").shift().over(thread).fill_null("outbound").alias("previous_direction"),
            # our next message in the thread (this one, if it is ours)
            pl.when(pl.col("direction") == "outbound")
            .then(pl.col("created_us"))
            .backward_fill()
            .over(thread)
            .alias("next_ours"),
            pl.col("created_us").max().over("network").alias("as_of"),
        )
    )
    unclassified = (
        pl.col("intent").is_null()
        & (pl.col("previous_direction") == "outbound")
        & (
            pl.col("channel").is_in(["direct_message", "mention"])
            | text.str.contains("?", literal=True)
            | text.str.contains(NEGATIVE)
        )
    )
    is_request = (pl.col("direction") == "inbound") & (
        pl.col("intent").is_in(["question", "complaint"]) | unclassified
    )
    responded = pl.when(pl.col("next_ours") <= pl.col("as_of")).then(pl.col("next_ours"))
    requests = (
        messages.filter(is_request)
        .with_columns(responded.alias("responded"))
        .with_columns(
            pl.col("responded").is_not_null().alias("answered"),
            ((pl.col("responded") - pl.col("created_us")) / 3.6e9).alias("response_hours"),
        )
        .with_columns(
            pl.coalesce("response_hours", (pl.col("as_of") - pl.col("created_us")) / 3.6e9).alias("waited"),
            pl.col("created_at").dt.strftime("%Y-%m").alias("month"),
        )
        .with_columns(
            (pl.col("answered") & (pl.col("waited") <= SLA_HOURS)).alias("met"),
            (pl.col("answered") | (pl.col("waited") > SLA_HOURS)).alias("judged"),
        )
    )
    monthly = (
        requests.group_by("network", "account_id", "month")
        .agg(
            pl.len().alias("requests"),
            pl.col("answered").sum().alias("answered"),
            pl.col("response_hours").median().alias("median_response_hours"),
            pl.col("response_hours").quantile(0.9, interpolation="linear").alias("p90_response_hours"),
            pl.col("met").sum().alias("met"),
            pl.col("judged").sum().alias("judged"),
        )
        .with_columns(
            (pl.col("answered") / pl.col("requests")).alias("response_rate"),
            (pl.col("met") / pl.when(pl.col("judged") > 0).then(pl.col("judged"))).alias("within_sla_share"),
        )
        .collect()
    )
    seconds = time.perf_counter() - started
    path = root.parent / "polars_service_monthly.parquet"
    monthly.write_parquet(path)
    return {
        "seconds": seconds,
        "rows": monthly.height,
        "requests": int(monthly["requests"].sum()),
        "result": str(path),
    }


def peers_agree(pandas_result: str, polars_result: str) -> float:
    """The largest difference between the pandas and the Polars monthly figures."""
    import duckdb

    return (
        duckdb.connect()
        .execute(
            f"""
        SELECT max(greatest(
            abs(a.response_rate - b.response_rate),
            abs(a.median_response_hours - b.median_response_hours),
            abs(a.p90_response_hours - b.p90_response_hours),
            coalesce(abs(a.within_sla_share - b.within_sla_share), 0),
            abs(a.requests - b.requests)))
        FROM read_parquet('{pandas_result}') a
        FULL JOIN read_parquet('{polars_result}') b USING (network, account_id, month)
        """
        )
        .fetchone()[0]
    )


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
        [
            sys.executable,
            __file__,
            "--lake",
            str(root),
            "--child",
            mode,
            "--days",
            str(DAYS),
            "--scale",
            str(SCALE),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"benchmark step {mode} failed with exit code {child.returncode}")
    return {
        **json.loads(output.strip().splitlines()[-1]),
        "load_after": os.getloadavg()[0],
    }, usage.ru_maxrss * 1024


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"[load {one:.1f}/{five:.1f}]"


def main() -> None:
    global DAYS, SCALE, REQUESTS_PER_DAY, POSTS_PER_DAY
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lake", type=Path, default=DEFAULT_LAKE)
    parser.add_argument("--child", choices=("duckdb", "duckdb-service", "pandas", "polars", "daily"))
    parser.add_argument("--days", type=int, help=f"fewer days than {DAYS} for a quick trial run")
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="traffic per day as a share of the full size (0.1: ~1 M messages a year)",
    )
    args = parser.parse_args()
    if args.days:
        DAYS = args.days
    SCALE = args.scale
    REQUESTS_PER_DAY, POSTS_PER_DAY = round(REQUESTS_PER_DAY * SCALE), round(POSTS_PER_DAY * SCALE)
    if args.child:
        from socialpulse.metrics import MARTS

        run = {
            "duckdb": lambda: run_duckdb(args.lake, MARTS),
            "duckdb-service": lambda: run_duckdb(args.lake, RESPONSE_TIME_MARTS),
            "pandas": lambda: run_pandas(args.lake),
            "polars": lambda: run_polars(args.lake),
            "daily": lambda: run_daily(args.lake),
        }[args.child]
        print(json.dumps(run()))
        return

    if args.lake == DEFAULT_LAKE and (args.days or SCALE != 1.0):
        args.lake = DEFAULT_LAKE.with_name(f"lake-{DAYS}d-x{SCALE:g}")
    print(f"{load()} generating (or reusing) the lake ...", flush=True)
    info = ensure_lake(args.lake)
    rows = info["rows"]
    print(f"lake: {args.lake} ({ACCOUNTS} simulated accounts x {DAYS} days, made in {info['seconds']:.0f} s)")
    print(
        f"  messages {rows['messages']:,}  posts {rows['posts']:,}  post_metrics_daily {rows['post_metrics_daily']:,}"
    )
    print(f"  machine: {os.cpu_count()} cores, {load()} before the runs")

    service, service_peak = measured("duckdb-service", args.lake)
    pandas_run, pandas_peak = measured("pandas", args.lake)
    polars_run, polars_peak = measured("polars", args.lake)
    difference = agreement(args.lake, pandas_run["result"])
    peers = peers_agree(pandas_run["result"], polars_run["result"])
    everything, peak = measured("duckdb", args.lake)
    daily, daily_peak = measured("daily", args.lake)

    ratio_inc = daily["seconds"] / everything["seconds"]
    print(
        f"\nEvery mart ({len(everything['marts'])}): full recompute {everything['seconds']:.1f} s "
        f"[load {everything['load']:.1f}], peak {peak / GIB:.2f} GiB | daily incremental run "
        f"{daily['seconds']:.2f} s [load {daily['load']:.1f}] ({daily['mode']}), peak {daily_peak / GIB:.2f} GiB"
    )
    print(f"  incremental / full: {ratio_inc * 100:.1f}% (target under 10%)")
    print(
        f"  the daily run recomputed {daily['recomputed']} (publishing the day took {daily['publish_seconds']:.1f} s)"
    )
    print(f"  {'mart':<28} {'full s':>8} {'peak MiB':>9} {'rows':>12} | {'daily s':>8} {'peak MiB':>9}")
    for mart, seconds in everything["marts"].items():
        print(
            f"  {mart:<28} {seconds:8.2f} {everything['peaks'][mart] / 2**20:9.0f} {everything['rows'][mart]:>12,} | "
            f"{daily['marts'].get(mart, float('nan')):8.2f} {daily['peaks'].get(mart, 0) / 2**20:9.0f}"
        )
    print(f"\nResponse-time metrics ({pandas_run['requests']:,} requests; {', '.join(RESPONSE_TIME_MARTS)}):")
    print(
        f"  DuckDB  {service['seconds']:6.1f} s wall, peak memory {service_peak / GIB:.2f} GiB [load {service['load_after']:.1f}]"
    )
    print(
        f"  pandas  {pandas_run['seconds']:6.1f} s wall, peak memory {pandas_peak / GIB:.2f} GiB [load {pandas_run['load_after']:.1f}]"
    )
    print(
        f"  Polars  {polars_run['seconds']:6.1f} s wall, peak memory {polars_peak / GIB:.2f} GiB [load {polars_run['load_after']:.1f}] (lazy)"
    )
    ratio = pandas_run["seconds"] / service["seconds"]
    polars_ratio = polars_run["seconds"] / service["seconds"]
    print(f"  ratio pandas / DuckDB: {ratio:.1f}x; Polars / DuckDB: {polars_ratio:.1f}x")
    print(f"  largest difference DuckDB vs pandas: {difference:.2e}; pandas vs Polars: {peers:.2e}")

    print(f"\nTargets {load()}:")
    print(
        f"  every mart under 12 s:       {everything['seconds']:.1f} s  {'met' if everything['seconds'] < 12 else 'MISSED'}"
    )
    print(
        f"  incremental under 10% of full: {ratio_inc * 100:.1f}%  {'met' if ratio_inc < 0.1 else 'MISSED'}"
    )
    print(f"  at least 5x faster than pandas: {ratio:.1f}x  {'met' if ratio >= 5 else 'MISSED'}")
    print(f"  at least as fast as Polars:  {polars_ratio:.1f}x  {'met' if polars_ratio >= 1 else 'MISSED'}")
    worst = max(peak, service_peak, daily_peak)
    print(f"  peak memory under 4 GiB:     {worst / GIB:.2f} GiB  {'met' if worst < 4 * GIB else 'MISSED'}")


if __name__ == "__main__":
    main()
