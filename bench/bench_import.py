"""How long history takes to load: prints wall times, asserts nothing (`make bench-import`).

1. Exports: one year of daily export files for five sources -- X tweet activity, X customer
   conversations (twcs), Facebook posts and Page, LinkedIn content and followers, YouTube table and
   chart data -- generated here, then imported with exports.import_file (what `socialpulse import`
   and the socialpulse_backfill DAG run). Target: under 2 minutes.
2. API history: pipeline.backfill (extract, Great Expectations gate, publish, 31 days at a time)
   of one year for five accounts, one per network, on the simulated network (the only one that
   needs no credentials), two accounts at a time as the backfill DAG runs them.
3. Airflow: `airflow backfill create` of 30 days of socialpulse_extract, run by a real scheduler
   and a Celery worker, metadata on the local PostgreSQL, broker on the local Redis (skipped when
   they are not reachable).

    .venv/bin/python bench/bench_import.py [--days 365] [--skip-api] [--skip-airflow]
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO_ROOT / "plugins"), str(REPO_ROOT / "tests" / "integration")]

NETWORKS = ("x", "facebook", "instagram", "linkedin", "youtube")
ACCOUNTS = [
    {"network": "x", "account_id": "socialpulsecare", "handle": "@SocialPulseCare", "purpose": "service"},
    {
        "network": "facebook",
        "account_id": "183542098374915",
        "handle": "socialpulse.demo",
        "purpose": "brand",
        "options": {"date_order": "mdy"},  # the files below write MM/DD; a short --days would not tell
    },
    {
        "network": "linkedin",
        "account_id": "18543021",
        "handle": "socialpulse-demo",
        "purpose": "brand",
        "options": {"date_order": "mdy"},
    },
    {"network": "youtube", "account_id": "UCx9demo", "handle": "@socialpulse", "purpose": "brand"},
]


# -- one year of export files, in each format's own layout (see docs/exports.md) ---------------------
def write_exports(folder: Path, days: list[dt.date]) -> list[tuple[str, str, Path]]:
    """(account key, format, file) for every generated export."""
    folder.mkdir(parents=True, exist_ok=True)
    files = [
        ("x/socialpulsecare", "x_analytics", "tweet_activity_metrics.csv", x_analytics),
        ("x/socialpulsecare", "twcs", "twcs.csv", twcs),
        ("facebook/183542098374915", "facebook_insights", "facebook_posts.csv", facebook_posts),
        ("facebook/183542098374915", "facebook_insights", "facebook_page.csv", facebook_page),
        ("linkedin/18543021", "linkedin_analytics", "linkedin_content.csv", linkedin_content),
        ("linkedin/18543021", "linkedin_analytics", "linkedin_followers.csv", linkedin_followers),
        ("youtube/UCx9demo", "youtube_analytics", "youtube_table_data.csv", youtube_table),
        ("youtube/UCx9demo", "youtube_analytics", "youtube_chart_data.csv", youtube_chart),
    ]
    written = []
    for account, format, name, generate in files:
        (folder / name).write_text(generate(days), encoding="utf-8")
        written.append((account, format, folder / name))
    return written


def x_analytics(days: list[dt.date]) -> str:
    rows = ['"Tweet id","Tweet text","time","impressions","retweets","replies","likes","url clicks"']
    for i, day in enumerate(days):
        for n in range(5):
            rows.append(
                f'"{10**17 + i * 10 + n}","Post {n} of {day} https://example.com/{i}","{day} {8 + 3 * n:02d}:15 +0000",'
                f'"{1000 + 37 * i + n}","{n + i % 7}","{i % 11}","{20 + i % 50}","{i % 9}"'
            )
    return "\n".join(rows) + "\n"


def twcs(days: list[dt.date], requests_per_day: int = 40) -> str:
    """Customers' requests and the company's answers, signed by staff, one thread each."""
    rows = ["tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id"]
    tweet_id = 1_000_000
    for day in days:
        for n in range(requests_per_day):
            asked = dt.datetime.combine(day, dt.time(), dt.UTC) + dt.timedelta(minutes=17 + 31 * n)
            answered = asked + dt.timedelta(minutes=5 + n % 90)
            question, answer = tweet_id, tweet_id + 1
            rows.append(
                f"{question},{500_000 + n * 7 % 3000},True,{asked:%a %b %d %H:%M:%S +0000 %Y},"
                f'"@SocialPulseCare my order {question} has not arrived",{answer},'
            )
            if n % 10:  # one request in ten stays unanswered
                rows.append(
                    f"{answer},SocialPulseCare,False,{answered:%a %b %d %H:%M:%S +0000 %Y},"
                    f'"@{500_000 + n * 7 % 3000} Sorry about that, please DM us the order number ^AB",,{question}'
                )
            tweet_id += 2
    return "\n".join(rows) + "\n"


def facebook_posts(days: list[dt.date]) -> str:
    rows = ["Post ID,Posted,Post Message,Lifetime Post Total Impressions,Reactions,Comments,Shares"]
    rows += [
        f"183542098374915_{i}{n},{day:%m/%d/%Y} {9 + n}:00,post {n} of {day},{100 * n + i},{n + i % 13},{i % 5},{n}"
        for i, day in enumerate(days)
        for n in range(3)
    ]
    return "\n".join(rows) + "\n"


def facebook_page(days: list[dt.date]) -> str:
    rows = ["Date,Lifetime Total Likes,Daily New Likes,Daily Unlikes"]
    rows += [f"{day.isoformat()},{10_000 + i},{i % 17},{i % 5}" for i, day in enumerate(days)]
    return "\n".join(rows) + "\n"


def linkedin_content(days: list[dt.date]) -> str:
    rows = ["Update title,Update link,Created date,Impressions,Likes,Comments,Reposts,Clicks"]
    rows += [
        f'"Update {n} of {day}",https://www.linkedin.com/feed/update/urn:li:activity:{7 * 10**18 + i * 10 + n},'
        f"{day:%m/%d/%Y},{500 + i},{i % 40},{i % 6},{n},{i % 30}"
        for i, day in enumerate(days)
        for n in range(2)
    ]
    return "\n".join(rows) + "\n"


def linkedin_followers(days: list[dt.date]) -> str:
    rows = ["Date,Sponsored followers,Organic followers,Total followers"]
    rows += [f"{day:%m/%d/%Y},0,{i % 23},{i % 23}" for i, day in enumerate(days)]
    return "\n".join(rows) + "\n"


def youtube_table(days: list[dt.date]) -> str:
    rows = [
        "Content,Video title,Video publish time,Views,Impressions,Likes,Comments added,Shares",
        "Total,,,,,,,",
    ]
    rows += [
        f'vid{i:08d},Video of {day},"{day:%b} {day.day}, {day.year}",{900 + i},{9000 + i},{i % 90},{i % 12},{i % 8}'
        for i, day in enumerate(days)
    ]
    return "\n".join(rows) + "\n"


def youtube_chart(days: list[dt.date]) -> str:
    rows = ["Date,Subscribers gained,Subscribers lost"]
    rows += [f"{day.isoformat()},{i % 15},{i % 4}" for i, day in enumerate(days)]
    return "\n".join(rows) + "\n"


def bench_exports(workdir: Path, days: list[dt.date]) -> float:
    from socialpulse.config import load_config
    from socialpulse.exports import import_file
    from socialpulse.lake import Lake

    config = load_config(write_config(workdir / "exports.yml", workdir / "lake-exports", ACCOUNTS))
    files = write_exports(workdir / "exports", days)
    lake = Lake.from_config(config)
    started = time.perf_counter()
    for account, format, path in files:
        t0 = time.perf_counter()
        counts = import_file(lake, format, path, config.account(account))
        print(f"  {path.name:<30} {format:<19} {time.perf_counter() - t0:6.1f} s  {counts}", flush=True)
    return time.perf_counter() - started


# -- the API bulk path: pipeline.backfill per account ---------------------------------------------------
def backfill_one(
    config_file: str, account_key: str, first: dt.date, last: dt.date
) -> tuple[str, float, dict]:
    from socialpulse import pipeline
    from socialpulse.config import load_config
    from socialpulse.domain import Interval

    config = load_config(config_file)
    started = time.perf_counter()
    totals = pipeline.backfill(config, config.account(account_key), Interval.of_days(first, last))
    return account_key, time.perf_counter() - started, totals


def bench_api(workdir: Path, days: list[dt.date], workers: int) -> float:
    accounts = [
        {
            "network": "simulated",
            "account_id": f"{network}-brand",
            "handle": f"@{network}_brand",
            "purpose": purpose,
            "time_zone": "Europe/London",
        }
        for network, purpose in zip(
            NETWORKS, ("service", "brand", "promotions", "brand", "community"), strict=True
        )
    ]
    config_file = write_config(workdir / "api.yml", workdir / "lake-api", accounts)
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        jobs = [
            pool.submit(backfill_one, str(config_file), f"simulated/{a['account_id']}", days[0], days[-1])
            for a in accounts
        ]
        for job in jobs:
            key, seconds, totals = job.result()
            print(f"  {key:<30} {seconds:6.1f} s  {totals}", flush=True)
    return time.perf_counter() - started


# -- Airflow's own backfill, scheduler on PostgreSQL ------------------------------------------------------
def bench_airflow_backfill(workdir: Path, days: int) -> float | None:
    from airflow_services import AirflowOnPostgres, unreachable_services

    if reason := unreachable_services():
        print(f"  skipped: {reason}")
        return None
    accounts = [{"network": "simulated", "account_id": "care", "handle": "@care", "purpose": "service"}]
    config = write_config(workdir / "airflow.yml", workdir / "lake-airflow", accounts)
    first = dt.date(2026, 9, 1)
    last = first + dt.timedelta(days=days - 1)
    with AirflowOnPostgres(
        workdir / "airflow", config, workdir / "lake-airflow", executor="CeleryExecutor"
    ) as airflow:
        airflow.wait_for(
            "socialpulse_extract to be parsed",
            lambda: airflow.query("SELECT 1 FROM serialized_dag WHERE dag_id = 'socialpulse_extract'"),
            timeout=180,
        )
        airflow.airflow("dags", "unpause", "socialpulse_extract")  # a paused DAG's backfill runs stay queued
        print("  services up; creating the backfill", flush=True)
        started = time.perf_counter()
        airflow.airflow(
            "backfill",
            "create",
            "--dag-id",
            "socialpulse_extract",
            "--max-active-runs",
            "4",
            "--from-date",
            first.isoformat(),
            "--to-date",
            last.isoformat(),
        )

        def finished():
            rows = airflow.query(
                "SELECT state FROM dag_run WHERE dag_id = 'socialpulse_extract' AND run_type = 'backfill'"
            )
            done = [state for (state,) in rows if state in ("success", "failed")]
            return rows if len(rows) == days and len(done) == days else None

        states = airflow.wait_for(f"{days} backfill runs", finished, timeout=1800, every=5)
        seconds = time.perf_counter() - started
    print(
        f"  {days} daily runs of socialpulse_extract: {sorted(s for (s,) in states).count('success')} succeeded"
    )
    return seconds


def write_config(path: Path, lake: Path, accounts: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"lake_root": str(lake), "accounts": accounts}))
    return path


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=365, help="days of history per source (default: a year)")
    parser.add_argument(
        "--airflow-days", type=int, default=30, help="days of the Airflow backfill (default: 30)"
    )
    # two at a time, as the backfill DAG runs its mapped accounts (max_active_tis_per_dag=2)
    parser.add_argument("--workers", type=int, default=2, help="accounts backfilled at once on the API path")
    parser.add_argument("--skip-api", action="store_true")
    parser.add_argument("--skip-airflow", action="store_true")
    args = parser.parse_args()
    logging.disable(logging.INFO)  # the figures, not every chunk's log lines
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(args.days)]
    results = {}
    with tempfile.TemporaryDirectory(prefix="socialpulse-bench-") as tmp:
        workdir = Path(tmp)
        print(f"1. exports: {args.days} days of export files from five sources (8 files), import_file")
        results["exports"] = bench_exports(workdir, days)
        if not args.skip_api:
            print(
                f"2. API history: pipeline.backfill of {args.days} days x {len(NETWORKS)} accounts (simulated), {args.workers} at a time"
            )
            results["api"] = bench_api(workdir, days, args.workers)
        if not args.skip_airflow:
            print(
                f"3. Airflow: airflow backfill create, {args.airflow_days} days of socialpulse_extract, Celery worker, PostgreSQL"
            )
            results["airflow"] = bench_airflow_backfill(workdir, args.airflow_days)
    print("\nwall times")
    labels = {
        "exports": f"import {args.days} days of exports (X, twcs, Facebook, LinkedIn, YouTube)",
        "api": f"bulk backfill {args.days} days x 5 accounts (extract, validate, publish)",
        "airflow": f"airflow backfill create, {args.airflow_days} daily runs to success",
    }
    for key, seconds in results.items():
        print(f"  {labels[key]:<75} {'skipped' if seconds is None else f'{seconds:7.1f} s'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
