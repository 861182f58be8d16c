"""Benchmark: the message classifier on 1 million messages, and what it adds to a daily extract.

    PYTHONPATH=plugins .venv/bin/python bench/bench_classify.py [--messages N] [--json FILE]

- Loading: VADER's lexicon and the py3langid model, once per process (an Airflow task process
  pays it once).
- Unique texts: every distinct inbound text of the real test data (twcs sample and SpotifyCares
  requests) classified with an empty cache: the cost of a text never seen before.
- 1 million messages: classify_messages on a messages table of N rows (default 1,000,000) drawn
  from those real texts, each with its own @mention and link (so no two raw texts are equal;
  the classifier judges each normalised text once).
- Daily extract: the pipeline's extract and validate_and_publish for one day of the five
  simulated accounts of bench_pipeline.py, Great Expectations already imported (as in a warm
  worker), against the time classify_tables takes inside it. Target: under 10% of the extract.
  The simulated network repeats a few texts, so the same share is also given for the day's
  inbound messages all costing a never-seen text.

A benchmark, not a test: it prints figures (with the load average beside them) and asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))
sys.path.insert(0, str(REPO / "bench"))

DATA = REPO / "tests" / "data"
SOURCES = (DATA / "twcs-sample" / "sample.csv", DATA / "twcs-spotify-requests" / "support_requests.csv")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def real_texts() -> list[str]:
    texts: set[str] = set()
    for path in SOURCES:
        with path.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if row.get("inbound", "True").lower() == "true" and row.get("text"):
                    texts.add(row["text"])
    return sorted(texts)


def messages_table(texts: list[str], n: int):
    import pyarrow as pa

    from socialpulse import model

    rng = random.Random(15)
    start = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    picked = [rng.choice(texts) for _ in range(n)]
    rows = {
        "network": ["x"] * n,
        "account_id": ["care"] * n,
        "message_id": [str(i) for i in range(n)],
        "thread_id": [str(i) for i in range(n)],
        "created_at": [start + dt.timedelta(seconds=i) for i in range(n)],
        "direction": ["inbound"] * n,
        "channel": ["mention"] * n,
        "author_id": [f"u{i % 50_000}" for i in range(n)],
        "text": [f"@user{i % 50_000} {t} https://t.co/{i:x}" for i, t in enumerate(picked)],
    }
    return model.conform("messages", pa.table(rows))


def daily_extract(folder: Path) -> dict[str, float]:
    import great_expectations  # noqa: F401  (paid once per worker process; not part of a run)
    from bench_pipeline import write_config

    from socialpulse import classify, pipeline
    from socialpulse.config import load_config
    from socialpulse.networks.base import Interval

    config = load_config(write_config(folder))
    day = dt.datetime(2026, 10, 14, tzinfo=dt.UTC)
    interval = Interval(day, day + dt.timedelta(days=1))
    spent = {"classify": 0.0, "inbound": 0}
    original = pipeline.classify_tables

    def timed(tables):
        started = time.perf_counter()
        out = original(tables)
        spent["classify"] += time.perf_counter() - started
        spent["inbound"] += sum(d == "inbound" for d in tables["messages"].column("direction").to_pylist())
        return out

    pipeline.classify_tables = timed
    try:
        classify._classify.cache_clear()
        started = time.perf_counter()
        for account in config.accounts:
            pipeline.extract(config, account, interval, credentials=lambda conn_id: None)
            pipeline.validate_and_publish(config, account, interval)
        total = time.perf_counter() - started
    finally:
        pipeline.classify_tables = original
    return {"total": total, "classify": spent["classify"], "inbound": spent["inbound"]}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    from socialpulse import classify

    figures: dict[str, object] = {}
    print(f"bench_classify ({load()})", flush=True)
    started = time.perf_counter()
    classify._vader()
    classify._langid()
    figures["load_seconds"] = time.perf_counter() - started
    print(f"  loading VADER and the language model: {figures['load_seconds']:.2f} s ({load()})", flush=True)

    texts = real_texts()
    classify._classify.cache_clear()
    started = time.perf_counter()
    for text in texts:
        classify.classify(text)
    seconds = time.perf_counter() - started
    figures["unique_texts"] = len(texts)
    figures["unique_per_second"] = len(texts) / seconds
    print(
        f"  {len(texts):,} distinct real texts, empty cache: {seconds:.2f} s, "
        f"{len(texts) / seconds:,.0f} texts/s ({load()})",
        flush=True,
    )

    table = messages_table(texts, args.messages)
    classify._classify.cache_clear()
    started = time.perf_counter()
    classify.classify_messages(table)
    seconds = time.perf_counter() - started
    figures["million_seconds"] = seconds
    print(
        f"  classify_messages on {args.messages:,} messages ({len(texts):,} distinct texts): {seconds:.1f} s, "
        f"{args.messages / seconds:,.0f} messages/s; all distinct would take about "
        f"{args.messages / figures['unique_per_second']:.0f} s ({load()})",
        flush=True,
    )
    del table

    with tempfile.TemporaryDirectory(prefix="socialpulse-bench-classify-") as tmp:
        daily = daily_extract(Path(tmp))
    share = daily["classify"] / daily["total"]
    cold = daily["inbound"] / figures["unique_per_second"]
    figures.update(daily=daily, share=share, share_all_distinct=cold / daily["total"])
    print(
        f"  daily extract of 5 accounts (extract, validate, publish): {daily['total']:.1f} s, of which "
        f"classification {daily['classify']:.2f} s = {share:.1%} (target < 10%); "
        f"{daily['inbound']:,} inbound messages, all distinct would be {cold:.2f} s = "
        f"{cold / daily['total']:.1%} ({load()})",
        flush=True,
    )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
