"""Benchmark: every mart over 10 million messages and 1 million posts, and DuckDB against pandas.

    make bench                      # or: PYTHONPATH=plugins .venv/bin/python bench/bench_metrics.py

1. Generates a lake with the simulated network: ACCOUNTS accounts x DAYS days, with options that
   give about 10 million conversation messages and 1 million posts. Each account-day comes from
   the network's own generators (SimulatedNetwork._day_posts and _day_conversations, the code
   extract() uses); only the assembly into Arrow tables is vectorised here, because extract()
   builds rows one by one. Each account's year is published as the pipeline publishes (Lake.publish:
   one Delta commit per table). The lake is kept in $TMPDIR/socialpulse-bench and reused while the
   parameters are unchanged.
   The even accounts' network classifies their messages (network_intent, as the simulated network
   does); the odd accounts' leaves network_intent null, as X and the twcs exports do, so their
   requests come from our classifier's is_request and the customer's turns (the two paths of
   service_requests.sql, one whole account each). There the classifier marks the requests the
   simulated network would mark (question, complaint) and the community replies under them ("I had
   the same issue, ..."): one before our answer is a follow-up in the turn already open, not a
   request; one after it opens a turn of its own, a request.
2. Runs, each in a fresh process so that its wall time and peak memory (max RSS) stand alone:
   - DuckDB, the response-time marts only (service_requests and the marts service_monthly needs);
   - two peers a data engineer might write instead, computing from the canonical columns (never
     the text) the per-request rows of service_requests as read and the monthly figures
     service_monthly has for them, and writing the per-request rows to Parquet (zstd at level 1)
     inside the measured time, as DuckDB writes its mart: vectorised pandas (one sort, running
     minimums and sums by thread, group-by transforms, merges), and one Polars lazy query (a scan, window
     expressions, joins) with a group by over its rows. A request is an inbound message the
     network classified as a question or a complaint, or one it left unclassified that is_request
     marks and that opens a turn (the first such of its thread, or the first after one of our
     replies); none counts after as_of (the network's latest message). Per request: the first
     response (our earliest reply in the thread at or after it: its time, staff_member and message
     id), response_hours, community replies (inbound replies to it from another author),
     sla_status (met, missed or pending; the SLA is SLA_HOURS calendar hours) and the time to
     resolution (our replies from the first response up to the next request of the thread are its
     turn: 'reopened' when a request follows the turn's last reply within QUIET_HOURS, 'resolved'
     when as_of is at least that long after it, else 'open'; resolution_hours to that reply, for
     resolved ones). Per month: requests, open requests, response rate, median and p90 response
     hours, within-SLA share, resolved, reopened, median and p90 resolution hours, requests with a
     community reply;
   - DuckDB, every mart, a full recompute (metrics.compute_marts(full=True)), with each mart's
     seconds and peak memory (the process's peak resident set while it ran, reset between marts);
   - three daily runs after the year: the day after it (a month's first day: its threads reach back
     into the month before), the day after that, and a day of the month's middle (14 Jan: the days
     between are published and run first, unmeasured), each after the night's lake maintenance
     (Lake.maintain, as the maintenance DAG runs it at 04:00: compaction, unmeasured), published
     for every account as the extract DAG publishes it, then the incremental mart run it
     triggers, beside the full recompute.
   The runs work on a fresh copy of the generated lake (<lake>-run), so every bench run measures
   the same year and the generated lake is never changed.
3. Prints the figures with the load average and the CPU seconds (all of the step's threads) beside
   each: a wall time that grew with its CPU time unchanged waited for the machine. Then the ratios
   incremental / full, pandas / DuckDB and Polars / DuckDB, the requests each side counts and the largest difference
   between DuckDB's, pandas' and Polars' monthly figures (MONTHLY_FIGURES), and the targets of
   issues #16 and #17: every mart under 30 s and under 12 s, incremental under 10% of full, at
   least 4x and 5x pandas, at least as fast as Polars, peak memory under 4 GiB. --days and
   --scale make a smaller lake for a trial run.

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
# the mid-month daily run: day DAYS + MID_MONTH (14 Jan after a year from 1 Jan)
MID_MONTH = 13
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


def network_classifies(index: int) -> bool:
    """Whether the account's inbound messages carry the network's intent: the even accounts' do, the
    odd ones' do not (as on X), so our classifier's is_request and the turns decide their requests."""
    return index % 2 == 0


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
        "messages": _messages(
            account, conversations, days[-1] + dt.timedelta(days=1), network_classifies(index)
        ),
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


def _messages(
    account: Account, conversations: list[dict], end: dt.date, network_classifies: bool
) -> pa.Table:
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
    # What the classifier writes (socialpulse.classify), vectorised: classifying 10 M rows one by
    # one is bench_classify's subject, not this benchmark's.
    intent = cols["intent"][keep]
    inbound = cols["direction"][keep] == "inbound"
    asks = np.isin(intent, ("question", "complaint"))
    if network_classifies:  # the network's intent is kept, and decides what is a request
        arrays["network_intent"] = pa.array(np.where(inbound, intent, None), pa.string())
        is_request = asks
    else:  # as on X: no intent from the network, our classifier's is_request
        arrays["network_intent"] = pa.nulls(n, pa.string())
        is_request = asks | _community_reply_to_request(cols, keep)
    arrays["is_request"] = pa.array(is_request, mask=~inbound)
    arrays["is_negative"] = pa.array(intent == "complaint", mask=~inbound)
    for name in ("sentiment", "language", "classifier_version"):
        arrays[name] = pa.nulls(n, model.MESSAGES.schema.field(name).type)
    return pa.table({f.name: arrays[f.name] for f in model.MESSAGES.schema}, schema=model.MESSAGES.schema)


def _community_reply_to_request(cols: dict[str, np.ndarray], keep: np.ndarray) -> np.ndarray:
    """The kept messages that are a community reply in a thread a request opened.

    The classifier marks them is_request ("I had the same issue, ..." reads as a complaint): before
    our answer they belong to the customer's open turn, after it they open a turn of their own.
    """
    import pyarrow.compute as pc

    thread = pa.array(cols["thread_id"][keep], pa.string())
    # a thread's id is its first message's id, which the same day's conversations hold
    root = pc.index_in(thread, value_set=pa.array(cols["message_id"], pa.string())).to_numpy()
    root_asks = np.isin(cols["intent"][root], ("question", "complaint"))
    follow_up = (cols["direction"][keep] == "inbound") & (cols["message_id"][keep] != cols["thread_id"][keep])
    return follow_up & root_asks


def publish_day_after(task: tuple[str, int, int]) -> dict[str, int]:
    """A daily extraction after the year: day DAYS + after (0: the day after the last one), as the
    extract DAG publishes it (the day's posts and messages, and that day's snapshots of the posts
    of the lookback window)."""
    root, index, after = task
    lake, account = Lake(root), bench_account(index)
    network = SimulatedNetwork(seed=SEED)
    day = START + dt.timedelta(days=DAYS + after)
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
            account,
            [network._day_conversations(account, day)],
            day + dt.timedelta(days=1),
            network_classifies(index),
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
        "unclassified_accounts": "odd",  # network_classifies(); lakes before it classified every account
        "checkpoint_interval": 10,  # lake.TABLE_PROPERTIES; lakes before it checkpointed every 100 commits
        "timestamps": "delta",  # lake.writer_properties; lakes before it wrote them dictionary-encoded
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
    import deltalake  # noqa: F401
    import duckdb  # noqa: F401

    from socialpulse import metrics

    # imported before the clock starts, as a worker has them: the import is no cost of the run's
    # work (0.2 s, and more where Python writes no bytecode: PYTHONDONTWRITEBYTECODE)
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
    started, cpu_started = time.perf_counter(), time.process_time()
    _reset_peak_memory()
    rows = metrics.compute_marts(
        lake, marts=marts, sla=SlaPolicy(default_hours=SLA_HOURS), memory_limit=MEMORY_LIMIT, full=full
    )
    manifest = lake.marts_manifest()
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,
        "marts": timings,
        "peaks": peaks,
        "rows": rows,
        "mode": manifest["mode"],
        "recomputed": manifest["recomputed"],
        "load": os.getloadavg()[0],
    }


def run_daily(root: Path, after: int, catch_up_from: int | None = None) -> dict:
    """Publish day DAYS + after for every account, then the incremental run it triggers. With
    catch_up_from, the days from DAYS + catch_up_from up to it are published first and followed by
    one incremental run, neither of them measured."""
    from socialpulse.metrics import MARTS

    if catch_up_from is not None:
        for day in range(catch_up_from, after):
            for index in range(ACCOUNTS):
                publish_day_after((str(root), index, day))
        run_duckdb(root, MARTS, full=False)
    started = time.perf_counter()
    Lake(root).maintain()  # the night's compaction before the day's extraction, as in production
    maintained = time.perf_counter() - started
    started = time.perf_counter()
    for index in range(ACCOUNTS):
        publish_day_after((str(root), index, after))
    published = time.perf_counter() - started
    return {
        **run_duckdb(root, MARTS, full=False),
        "publish_seconds": published,
        "maintain_seconds": maintained,
    }


def working_copy(pristine: Path) -> Path:
    """A fresh copy of the generated lake for this run's measurements: the daily runs publish into
    it, and every bench run starts from the same year. Reading it all once also warms the page
    cache, so the first measured step does not pay for the disk alone."""
    import shutil

    work = pristine.with_name(pristine.name + "-run")
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(pristine, work)
    return work


# The peers read only these columns. Each sorts the messages once, thread by thread in time order,
# a customer's message before our reply in the same timestamp (inbound < outbound) and our replies
# of one second by message_id, as in the SQL. A turn is the messages after the same number of our
# replies in the thread. as_of is each network's latest message, so nothing comes after it in this
# lake; the peers still apply it, as the definition does.
PEER_COLUMNS = [
    "network",
    "account_id",
    "message_id",
    "thread_id",
    "parent_id",
    "created_at",
    "direction",
    "author_id",
    "staff_member",
    "network_intent",
    "is_request",
]
# The per-request rows the peers write (the mart's columns for the figures they compute) and the
# monthly figures they compare with service_monthly.
PEER_REQUEST_COLUMNS = [
    "network",
    "account_id",
    "message_id",
    "thread_id",
    "created_at",
    "month",
    "responded_at",
    "responder",
    "response_message_id",
    "response_hours",
    "community_replies",
    "sla_status",
    "resolution_status",
    "resolved_at",
    "resolution_hours",
]
MONTHLY_FIGURES = (
    "requests",
    "open_requests",
    "response_rate",
    "median_response_hours",
    "p90_response_hours",
    "within_sla_share",
    "resolved",
    "reopened",
    "median_resolution_hours",
    "p90_resolution_hours",
    "community_replied",
)
# service_requests' resolution_quiet_hours as the DuckDB run has it (the SlaPolicy default).
QUIET_HOURS = SlaPolicy().resolution_quiet_hours


def run_pandas(root: Path) -> dict:
    """The response-time metrics in vectorised pandas: one sort, then running minimums and sums by
    thread, group-by transforms for the turns, merges for the responses and community replies, a
    group-by per month; the per-request rows written to Parquet (zstd)."""
    import pandas as pd
    import pyarrow.dataset as ds

    started, cpu_started = time.perf_counter(), time.process_time()
    lake = Lake(root)
    # the Delta table's current files; network comes from their partition folders
    dataset = ds.dataset(
        lake.table_files("messages"),
        format="parquet",
        partitioning=ds.partitioning(
            pa.schema([("network", pa.string()), ("month", pa.string())]), flavor="hive"
        ),
        partition_base_dir=str(lake.table_dir("messages")),
    )
    df = dataset.to_table(columns=PEER_COLUMNS).to_pandas()
    df = df.sort_values(
        ["network", "account_id", "thread_id", "created_at", "direction", "message_id"], ignore_index=True
    )
    # threads are contiguous after the sort: number them in order
    thread = df.groupby(["network", "account_id", "thread_id"], sort=False).ngroup().to_numpy()
    created_us = df["created_at"].dt.tz_localize(None).to_numpy().astype("datetime64[us]").view(np.int64)
    as_of = pd.Series(created_us).groupby(df["network"].to_numpy()).transform("max").to_numpy()
    inbound = (df["direction"] == "inbound").to_numpy()
    ours = ~inbound & (created_us <= as_of)
    n, never = len(df), np.iinfo(np.int64).max

    def from_thread_end(values: np.ndarray) -> np.ndarray:
        """Each row's running minimum of values over the rest of its thread, itself included."""
        return pd.Series(values[::-1]).groupby(thread[::-1]).cummin().to_numpy()[::-1]

    # Our next reply in the thread (the row, this one if it is ours): rows are in time order.
    next_ours = from_thread_end(np.where(ours, np.arange(n), n))
    # A turn starts at a thread's first message and after each of our replies; its first
    # unclassified is_request message opens it.
    starts_thread = np.r_[True, thread[1:] != thread[:-1]]
    turn = np.cumsum(starts_thread | np.r_[False, ours[:-1]])
    unclassified = inbound & df["network_intent"].isna().to_numpy() & df["is_request"].eq(True).to_numpy()
    candidates = np.flatnonzero(unclassified)
    opens_turn = np.zeros(n, dtype=bool)
    opens_turn[candidates[np.diff(turn[candidates], prepend=0) != 0]] = True
    classified = inbound & df["network_intent"].isin(["question", "complaint"]).to_numpy()
    is_request = (classified | opens_turn) & (created_us <= as_of)

    # Time to resolution: our replies between two requests of a thread are one turn; each reply
    # knows the turn's last reply and the next request after it (a request of the same second
    # sorts before the reply, so it is not after it).
    next_request_us = from_thread_end(np.where(is_request, created_us, never))
    between_requests = np.cumsum(starts_thread | is_request)
    turn_last = (
        pd.Series(np.where(ours, np.arange(n), -1)).groupby(between_requests).transform("max").to_numpy()
    )

    rows = np.flatnonzero(is_request)
    reply = next_ours[rows]
    answered = reply < n
    reply = np.where(answered, reply, 0)  # unanswered: any row, masked below
    created, request_as_of = created_us[rows], as_of[rows]
    responded = np.where(answered, created_us[reply], never)
    last = turn_last[reply]
    last_reply, next_request = created_us[last], next_request_us[reply]
    response_hours = np.where(answered, (responded - created) / 3.6e9, np.nan)
    waited = np.where(answered, response_hours, (request_as_of - created) / 3.6e9)
    quiet = QUIET_HOURS * 3.6e9
    reopened = answered & (next_request != never) & (next_request - last_reply <= quiet)
    resolved = answered & ~reopened & (request_as_of - last_reply >= quiet)
    requests = df.loc[rows, ["network", "account_id", "message_id", "thread_id", "created_at", "author_id"]]

    def taken(column: str, at: np.ndarray, where: np.ndarray) -> pd.Series:
        """column at the rows `at` (one per request), null where `where` is false."""
        return pd.Series(df[column].array[at], index=requests.index).where(where)

    requests = requests.assign(
        month=requests["created_at"].dt.strftime("%Y-%m"),
        responded_at=taken("created_at", reply, answered),
        responder=taken("staff_member", reply, answered),
        response_message_id=taken("message_id", reply, answered),
        response_hours=response_hours,
        sla_status=np.select(
            [answered & (waited <= SLA_HOURS), waited > SLA_HOURS], ["met", "missed"], "pending"
        ),
        resolution_status=np.select([reopened, resolved], ["reopened", "resolved"], "open"),
        resolved_at=taken("created_at", last, resolved),
        resolution_hours=np.where(resolved, (last_reply - created) / 3.6e9, np.nan),
    )

    # Community replies: inbound replies to the request (parent_id) from another author.
    keys = ["network", "account_id", "message_id"]
    replies = df.loc[
        inbound & df["parent_id"].notna().to_numpy(), ["network", "account_id", "parent_id", "author_id"]
    ]
    community = replies.merge(
        requests[[*keys, "author_id"]],
        left_on=["network", "account_id", "parent_id"],
        right_on=keys,
        suffixes=("", "_request"),
    )
    counts = community[community["author_id"] != community["author_id_request"]].groupby(keys).size()
    requests = requests.merge(counts.rename("community_replies").reset_index(), on=keys, how="left")
    requests["community_replies"] = requests["community_replies"].fillna(0).astype(np.int64)
    requests = requests[PEER_REQUEST_COLUMNS]
    requests.to_parquet(
        root.with_name(root.name + "-pandas_service_requests.parquet"),
        compression="zstd",
        compression_level=1,
    )

    by_month = requests.assign(
        answered=requests["responded_at"].notna(),
        met=requests["sla_status"] == "met",
        judged=requests["sla_status"] != "pending",
        resolved=requests["resolution_status"] == "resolved",
        reopened=requests["resolution_status"] == "reopened",
        community_replied=requests["community_replies"] > 0,
    ).groupby(["network", "account_id", "month"])
    monthly = by_month.agg(
        requests=("answered", "size"),
        answered=("answered", "sum"),
        median_response_hours=("response_hours", "median"),
        p90_response_hours=("response_hours", lambda h: h.quantile(0.9)),
        met=("met", "sum"),
        judged=("judged", "sum"),
        resolved=("resolved", "sum"),
        reopened=("reopened", "sum"),
        median_resolution_hours=("resolution_hours", "median"),
        p90_resolution_hours=("resolution_hours", lambda h: h.quantile(0.9)),
        community_replied=("community_replied", "sum"),
    )
    monthly["open_requests"] = monthly["requests"] - monthly["answered"]
    monthly["response_rate"] = monthly["answered"] / monthly["requests"]
    monthly["within_sla_share"] = monthly["met"] / monthly["judged"].where(monthly["judged"] > 0)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    path = root.with_name(root.name + "-pandas_service_monthly.parquet")
    monthly.reset_index().to_parquet(path)
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "rows": len(monthly),
        "requests": len(requests),
        "result": str(path),
    }


def run_polars(root: Path) -> dict:
    """The response-time metrics in Polars: one lazy query for the per-request rows (a scan, window
    expressions over threads and turns, joins for the responses and community replies), written to
    Parquet (zstd), then a group by per month over them."""
    import polars as pl

    started, cpu_started = time.perf_counter(), time.process_time()
    lake = Lake(root)
    keys = ["network", "account_id", "message_id"]
    inbound = pl.col("direction") == "inbound"
    ours = (pl.col("direction") == "outbound") & (pl.col("created_us") <= pl.col("as_of"))
    # After the sort a thread's messages are contiguous, and so are its turns and the stretches
    # between two of its requests: a running count of the rows that start one numbers them, and
    # the windows partition by those numbers.
    starts_thread = pl.col("thread") != pl.col("thread").shift(fill_value=-1)
    messages = (
        pl.scan_parquet(lake.table_files("messages"), hive_partitioning=True)
        .select(PEER_COLUMNS)
        .with_columns(pl.col("created_at").dt.epoch("us").alias("created_us"))
        .with_columns(pl.col("created_us").max().over("network").alias("as_of"))
        .sort(["network", "account_id", "thread_id", "created_at", "direction", "message_id"])
        .with_row_index("row")
        .with_columns(pl.struct("network", "account_id", "thread_id").rle_id().alias("thread"))
        .with_columns(
            # our next reply in the thread (this message, if it is one), as its row
            pl.when(ours).then(pl.col("row")).backward_fill().over("thread").alias("next_ours"),
            # a turn starts at a thread's first message and after each of our replies
            (starts_thread | ours.shift(fill_value=False)).cum_sum().alias("turn"),
        )
    )
    unclassified = inbound & pl.col("network_intent").is_null() & pl.col("is_request").fill_null(False)
    opens_turn = unclassified & (unclassified.cum_sum().over("turn") == 1)
    classified = inbound & pl.col("network_intent").is_in(["question", "complaint"])
    is_request = (classified | opens_turn) & (pl.col("created_us") <= pl.col("as_of"))
    messages = (
        messages.with_columns(is_request.alias("request"))
        .with_columns(
            # Time to resolution: our replies between two requests of a thread are one turn; each
            # reply knows the next request after it (a request of the same second sorts before it).
            pl.when("request")
            .then(pl.col("created_us"))
            .backward_fill()
            .over("thread")
            .alias("next_request_us"),
            (starts_thread | pl.col("request")).cum_sum().alias("between_requests"),
        )
        .with_columns(
            pl.when(ours).then(pl.col("created_at")).max().over("between_requests").alias("last_reply_at")
        )
    )
    replies = messages.filter(ours).select(
        pl.col("row").alias("next_ours"),
        pl.col("created_at").alias("responded_at"),
        pl.col("staff_member").alias("responder"),
        pl.col("message_id").alias("response_message_id"),
        "last_reply_at",
        "next_request_us",
    )
    requests = (
        messages.filter("request")
        .select(*keys, "thread_id", "created_at", "created_us", "as_of", "author_id", "next_ours")
        .join(replies, on="next_ours", how="left")
    )
    # Community replies: inbound replies to the request (parent_id) from another author.
    community = (
        messages.filter(inbound & pl.col("parent_id").is_not_null())
        .select(
            "network", "account_id", pl.col("parent_id").alias("message_id"), pl.col("author_id").alias("by")
        )
        .join(requests.select(*keys, "author_id"), on=keys)
        .filter(pl.col("by") != pl.col("author_id"))
        .group_by(keys)
        .agg(pl.len().alias("community_replies"))
    )
    quiet = QUIET_HOURS * 3.6e9
    last_us = pl.col("last_reply_at").dt.epoch("us")
    reopened = pl.col("next_request_us") - last_us <= quiet
    resolved = pl.col("resolution_status") == "resolved"
    per_request = (
        requests.join(community, on=keys, how="left")
        .with_columns(
            pl.col("community_replies").fill_null(0),
            ((pl.col("responded_at").dt.epoch("us") - pl.col("created_us")) / 3.6e9).alias("response_hours"),
            pl.col("created_at").dt.strftime("%Y-%m").alias("month"),
            pl.when(reopened)
            .then(pl.lit("reopened"))
            .when(pl.col("as_of") - last_us >= quiet)
            .then(pl.lit("resolved"))
            .otherwise(pl.lit("open"))
            .alias("resolution_status"),
        )
        .with_columns(
            pl.coalesce("response_hours", (pl.col("as_of") - pl.col("created_us")) / 3.6e9).alias("waited"),
            pl.when(resolved).then(pl.col("last_reply_at")).alias("resolved_at"),
            pl.when(resolved).then((last_us - pl.col("created_us")) / 3.6e9).alias("resolution_hours"),
        )
        .with_columns(
            pl.when(pl.col("responded_at").is_not_null() & (pl.col("waited") <= SLA_HOURS))
            .then(pl.lit("met"))
            .when(pl.col("waited") > SLA_HOURS)
            .then(pl.lit("missed"))
            .otherwise(pl.lit("pending"))
            .alias("sla_status")
        )
        .select(PEER_REQUEST_COLUMNS)
    )
    per_request_rows = per_request.collect()
    per_request_rows.write_parquet(
        root.with_name(root.name + "-polars_service_requests.parquet"),
        compression="zstd",
        compression_level=1,
    )
    judged = (pl.col("sla_status") != "pending").sum()
    monthly_rows = per_request_rows.group_by("network", "account_id", "month").agg(
        pl.len().alias("requests"),
        (pl.len() - pl.col("responded_at").count()).alias("open_requests"),
        (pl.col("responded_at").count() / pl.len()).alias("response_rate"),
        pl.col("response_hours").median().alias("median_response_hours"),
        pl.col("response_hours").quantile(0.9, interpolation="linear").alias("p90_response_hours"),
        ((pl.col("sla_status") == "met").sum() / pl.when(judged > 0).then(judged)).alias("within_sla_share"),
        resolved.sum().alias("resolved"),
        (pl.col("resolution_status") == "reopened").sum().alias("reopened"),
        pl.col("resolution_hours").median().alias("median_resolution_hours"),
        pl.col("resolution_hours").quantile(0.9, interpolation="linear").alias("p90_resolution_hours"),
        (pl.col("community_replies") > 0).sum().alias("community_replied"),
    )
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    path = root.with_name(root.name + "-polars_service_monthly.parquet")
    monthly_rows.write_parquet(path)
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "rows": monthly_rows.height,
        "requests": per_request_rows.height,
        "result": str(path),
    }


def _largest_difference(left: str, right: str) -> float:
    """The largest difference between two monthly results (Parquet files) in MONTHLY_FIGURES; a
    month or a figure only one side has is an infinite difference."""
    import duckdb

    differences = ",\n".join(
        f"coalesce(abs(a.{f}::DOUBLE - b.{f}::DOUBLE), CASE WHEN a.{f} IS NULL AND b.{f} IS NULL THEN 0 ELSE 'inf'::DOUBLE END)"
        for f in MONTHLY_FIGURES
    )
    return (
        duckdb.connect()
        .execute(
            f"""
        SELECT max(greatest({differences}))::DOUBLE
        FROM read_parquet('{left}') a
        FULL JOIN read_parquet('{right}') b USING (network, account_id, month)
        """
        )
        .fetchone()[0]
    )


def peers_agree(pandas_result: str, polars_result: str) -> float:
    """The largest difference between the pandas and the Polars monthly figures."""
    return _largest_difference(pandas_result, polars_result)


def agreement(root: Path, pandas_result: str) -> float:
    """The largest difference between DuckDB's service_monthly and pandas' figures."""
    import pyarrow.parquet as pq

    from socialpulse import metrics

    path = root.with_name(root.name + "-duckdb_service_monthly.parquet")
    pq.write_table(metrics.read_mart(Lake(root), "service_monthly"), path)
    return _largest_difference(str(path), pandas_result)


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
    result = json.loads(output.strip().splitlines()[-1])
    # a DuckDB run resets the peak between marts (clear_refs), which resets ru_maxrss too: its
    # peak is the largest of its marts' peaks
    peak = max([usage.ru_maxrss * 1024, *result.get("peaks", {}).values()])
    return {**result, "load_after": os.getloadavg()[0]}, peak


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"[load {one:.1f}/{five:.1f}]"


def main() -> None:
    global DAYS, SCALE, REQUESTS_PER_DAY, POSTS_PER_DAY
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lake", type=Path, default=DEFAULT_LAKE)
    parser.add_argument(
        "--child", choices=("duckdb", "duckdb-service", "pandas", "polars", "daily", "next-day", "mid-month")
    )
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
            "daily": lambda: run_daily(args.lake, 0),
            "next-day": lambda: run_daily(args.lake, 1),
            "mid-month": lambda: run_daily(args.lake, MID_MONTH, catch_up_from=2),
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
    lake = working_copy(args.lake)

    service, service_peak = measured("duckdb-service", lake)
    pandas_run, pandas_peak = measured("pandas", lake)
    polars_run, polars_peak = measured("polars", lake)
    difference = agreement(lake, pandas_run["result"])
    peers = peers_agree(pandas_run["result"], polars_run["result"])
    everything, peak = measured("duckdb", lake)
    # the day after the year is a month's first day (its threads reach back into December), then one more
    daily, daily_peak = measured("daily", lake)
    next_day, next_peak = measured("next-day", lake)
    # and a day of the month's middle, when its threads began that month (the days between are
    # published and run first, unmeasured)
    mid_day, mid_peak = measured("mid-month", lake)

    first_label, next_label, mid_label = (
        f"{START + dt.timedelta(days=DAYS + k):%-d %b}" for k in (0, 1, MID_MONTH)
    )
    ratio_inc = daily["seconds"] / everything["seconds"]
    ratio_next = next_day["seconds"] / everything["seconds"]
    ratio_mid = mid_day["seconds"] / everything["seconds"]
    print(
        f"\nEvery mart ({len(everything['marts'])}): full recompute {everything['seconds']:.1f} s "
        f"(CPU {everything['cpu_seconds']:.1f} s) [load {everything['load']:.1f}], peak {peak / GIB:.2f} GiB"
    )
    for name, run, run_peak, ratio_run in (
        (f"daily run, {first_label}", daily, daily_peak, ratio_inc),
        (f"daily run, {next_label}", next_day, next_peak, ratio_next),
        (f"daily run, {mid_label}", mid_day, mid_peak, ratio_mid),
    ):
        print(
            f"  {name}: {run['seconds']:.2f} s (CPU {run['cpu_seconds']:.2f} s) [load {run['load']:.1f}] ({run['mode']}), "
            f"peak {run_peak / GIB:.2f} GiB, "
            f"{ratio_run * 100:.1f}% of full (target under 10%); recomputed from {run['recomputed']}; "
            f"publishing the day took {run['publish_seconds']:.1f} s, the night's maintenance before it "
            f"{run['maintain_seconds']:.1f} s"
        )
    print(
        f"  {'mart':<28} {'full s':>8} {'peak MiB':>9} {'rows':>12} | {first_label + ' s':>8} {'peak MiB':>9} | "
        f"{next_label + ' s':>8} | {mid_label + ' s':>8}"
    )
    for mart, seconds in everything["marts"].items():
        print(
            f"  {mart:<28} {seconds:8.2f} {everything['peaks'][mart] / 2**20:9.0f} {everything['rows'][mart]:>12,} | "
            f"{daily['marts'].get(mart, float('nan')):8.2f} {daily['peaks'].get(mart, 0) / 2**20:9.0f} | "
            f"{next_day['marts'].get(mart, float('nan')):8.2f} | {mid_day['marts'].get(mart, float('nan')):8.2f}"
        )
    for name, run in ((first_label, daily), (next_label, next_day), (mid_label, mid_day)):
        # an incremental run computes two groups of marts at once (metrics.mart_groups): their
        # seconds add up to more than the time they took together
        print(
            f"  {name}: the marts' own seconds add up to {sum(run['marts'].values()):.2f} s of the run's "
            f"{run['seconds']:.2f} s (two groups of marts at once; the rest: connect, the network clock, "
            "the plan and the windows, the analyst database)"
        )
    print(f"\nResponse-time metrics ({', '.join(RESPONSE_TIME_MARTS)}):")
    print(
        f"  requests: DuckDB {service['rows']['service_requests']:,}, pandas {pandas_run['requests']:,}, "
        f"Polars {polars_run['requests']:,}"
    )
    print(
        f"  DuckDB  {service['seconds']:6.1f} s wall (CPU {service['cpu_seconds']:5.1f} s), peak memory {service_peak / GIB:.2f} GiB [load {service['load_after']:.1f}]"
    )
    print(
        f"  pandas  {pandas_run['seconds']:6.1f} s wall (CPU {pandas_run['cpu_seconds']:5.1f} s), peak memory {pandas_peak / GIB:.2f} GiB [load {pandas_run['load_after']:.1f}]"
    )
    print(
        f"  Polars  {polars_run['seconds']:6.1f} s wall (CPU {polars_run['cpu_seconds']:5.1f} s), peak memory {polars_peak / GIB:.2f} GiB [load {polars_run['load_after']:.1f}] (lazy)"
    )
    ratio = pandas_run["seconds"] / service["seconds"]
    polars_ratio = polars_run["seconds"] / service["seconds"]
    print(f"  ratio pandas / DuckDB: {ratio:.1f}x; Polars / DuckDB: {polars_ratio:.1f}x")
    print(
        f"  largest difference DuckDB vs pandas: {difference:.2e}; pandas vs Polars: {peers:.2e} "
        f"(monthly {', '.join(MONTHLY_FIGURES)})"
    )

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    print(f"\nTargets {load()}:")
    total = everything["seconds"]
    print(f"  every mart under 30 s (#16):    {total:.1f} s  {verdict(total < 30)}")
    print(f"  every mart under 12 s (#17):    {total:.1f} s  {verdict(total < 12)}")
    print(
        f"  incremental under 10% of full:  {first_label} {ratio_inc * 100:.1f}%  {verdict(ratio_inc < 0.1)}; "
        f"{next_label} {ratio_next * 100:.1f}%  {verdict(ratio_next < 0.1)}; "
        f"{mid_label} {ratio_mid * 100:.1f}%  {verdict(ratio_mid < 0.1)}"
    )
    print(f"  at least 4x faster than pandas (#16): {ratio:.1f}x  {verdict(ratio >= 4)}")
    print(f"  at least 5x faster than pandas (#17): {ratio:.1f}x  {verdict(ratio >= 5)}")
    print(f"  at least as fast as Polars:     {polars_ratio:.1f}x  {verdict(polars_ratio >= 1)}")
    worst = max(peak, service_peak, daily_peak, next_peak, mid_peak)
    print(f"  peak memory under 4 GiB:        {worst / GIB:.2f} GiB  {verdict(worst < 4 * GIB)}")


if __name__ == "__main__":
    main()
