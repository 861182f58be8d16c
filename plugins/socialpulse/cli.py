"""Command line: `python -m socialpulse <command>` (PYTHONPATH=plugins; the Makefile sets it).

demo     run the real DAGs end to end on the simulated network: lake, validation, marts,
         report HTML and PDF, and an email to an SMTP server on loopback
metrics  compute the metric marts as a new consistent set (only the months changes reach; --full)
report   render (and with --send, email) the report of any past month (--marts-run: from an earlier set)
delivery a month's delivery state; --confirm-sent or --resend after a send whose outcome is unknown
backfill extract, validate and publish past days of API accounts (the bulk path, in chunks)
import   import platform export files, or every export file in a folder, into the lake
classify add the classifier's predictions (pred_request, pred_intent, pred_negative,
         pred_language) to a CSV with a `text` column (and optionally `previous_message`)
evaluate precision, recall and F1 of the classifier on a hand-labelled CSV (`make eval`)
reclassify rewrite the derived columns of the lake's messages with the current classifier
airflow-setup  create the pools Social Pulse needs in Airflow and check its connections (idempotent)
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import shutil
import sys
import time
from pathlib import Path

from socialpulse.domain import Interval, Month
from socialpulse.paths import DEMO_DIR, REPO_ROOT

log = logging.getLogger("socialpulse")
DEV_SET = REPO_ROOT / "tests" / "data" / "labelled-messages" / "dev.csv"


def _month(value: str) -> str:
    from socialpulse.runs import parse_month

    try:
        return parse_month(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def demo(args: argparse.Namespace) -> int:
    workdir = Path(args.workdir).resolve()
    lake_root, mailbox_dir, airflow_home = workdir / "lake", workdir / "mailbox", workdir / "airflow"
    log_file = workdir / "airflow-runs.log"
    # A demo starts from an empty lake and mailbox; Airflow's metadata database is kept.
    for folder in (lake_root, mailbox_dir):
        shutil.rmtree(folder, ignore_errors=True)
    airflow_home.mkdir(parents=True, exist_ok=True)
    log_file.write_text("")

    from socialpulse.local import Mailbox, airflow_environment, load_dags, migrate_metadata_db, output_to

    month = Month.parse(args.month) if args.month else Month.last_full(dt.date.today())
    with Mailbox(mailbox_dir) as mailbox:
        os.environ.update(airflow_environment(airflow_home, lake_root, smtp_port=mailbox.port))
        print(f"Social Pulse demo: simulated network, report for {month}; Airflow logs in {log_file}")
        started = time.perf_counter()
        print("  preparing Airflow's metadata database (SQLite) ...", flush=True)
        migrate_metadata_db(log_file)
        with output_to(log_file):
            dags = load_dags()
        # History first, through the bulk path analysts use; then the report month day by day
        # through the daily DAG, as the scheduler would run it.
        from socialpulse import pipeline
        from socialpulse.config import load_config

        history = month.previous()
        config = load_config()
        with output_to(log_file):
            for account in config.accounts:
                pipeline.backfill(config, account, history.interval())
        print(
            f"  loaded {history} as history (bulk path) in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        days = month.days()
        for i, day in enumerate(days, 1):
            with output_to(log_file):
                run = dags["socialpulse_extract"].test(logical_date=_midnight(day + dt.timedelta(days=1)))
            _check(run, f"socialpulse_extract for {day}", log_file)
            if i % 7 == 0 or i == len(days):
                print(
                    f"  extracted and validated {i}/{len(days)} days ({day}) in {time.perf_counter() - started:.0f} s",
                    flush=True,
                )
        with output_to(log_file):
            run = dags["socialpulse_metrics"].test()
        _check(run, "socialpulse_metrics", log_file)
        print("  computed the metric marts", flush=True)
        with output_to(log_file):
            run = dags["socialpulse_report"].test(
                logical_date=dt.datetime.combine(month.next().first_day, dt.time(6), dt.UTC),
                run_conf={"month": str(month)},
            )
        _check(run, "socialpulse_report", log_file)
        messages = mailbox.messages()

    from socialpulse.lake import Lake
    from socialpulse.report import pdf_name

    for report in config.reports:
        folder = Lake.from_config(config).report_dir(report.name, str(month))
        print(f"\nReport '{report.name}' for {month}:")
        print(f"  HTML: {folder / 'report.html'}")
        print(f"  PDF:  {folder / pdf_name(report.name, str(month))}")
    for message in messages:
        attachments = [part.get_filename() for part in message.iter_attachments()]
        print(
            f"Email delivered to {message['To']} via SMTP on 127.0.0.1:{mailbox.port}: "
            f"'{message['Subject']}', attachments {attachments}; saved in {mailbox_dir}"
        )
    if not messages:
        print(f"No email was delivered; see {log_file}", file=sys.stderr)
        return 1
    print(f"Done in {time.perf_counter() - started:.0f} s. Lake: {lake_root}")
    return 0


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def _check(run, what: str, log_file: Path) -> None:
    state = getattr(run, "state", None)
    if str(state) not in ("success", "DagRunState.SUCCESS"):
        raise SystemExit(f"{what} ended in state {state}; see the task logs in {log_file}")


def report(args: argparse.Namespace) -> int:
    from socialpulse import report as reports
    from socialpulse.config import load_config
    from socialpulse.runs import parse_month

    try:
        parse_month(args.month, today=dt.date.today())  # a month still running has no full report
        config = load_config(args.config)
        names = [config.report(args.report).name] if args.report else [r.name for r in config.reports]
    except ValueError as exc:  # ConfigError included: the message names the file and the key
        return _usage_error(exc)
    for name in names:
        try:
            rendered = reports.render_report(
                config, name, args.month, force=args.force, marts_run=args.marts_run
            )
        except FileNotFoundError as exc:  # no mart set yet, or the named one was pruned
            return _usage_error(exc)
        print(f"{name} {args.month}: {rendered['html']} and {rendered['pdf']}")
        if args.send:
            from socialpulse import delivery

            sent = delivery.deliver(config, name, args.month)
            print(
                f"  {'sent to ' + ', '.join(sent['recipients']) if sent['sent'] else 'already delivered to these recipients'}"
            )
    return 0


def delivery_command(args: argparse.Namespace) -> int:
    """The operator's answer when a send's outcome is unknown, or the state of a month's delivery."""
    from socialpulse import delivery
    from socialpulse.config import load_config
    from socialpulse.lake import Lake

    config = load_config(args.config)
    if args.confirm_sent or args.resend:
        print(delivery.resolve(config, args.report, args.month, arrived=args.confirm_sent))
        return 0
    report = config.report(args.report)
    record = delivery.DeliveryRecord(
        Lake.from_config(config).report_dir(args.report, args.month), report.recipients
    )
    state, n, intent = record.state()
    print(
        f"{args.report} {args.month} to {', '.join(report.recipients)}: {state}"
        + (f" (attempt {n}, Message-ID {intent.get('message_id')})" if n else "")
    )
    return 0


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}") from None


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of days >= 1, got {value!r}")
    return int(value)


def backfill(args: argparse.Namespace) -> int:
    from socialpulse import pipeline
    from socialpulse.config import load_config

    try:
        config = load_config(args.config)
        interval = Interval.of_days(args.from_date, args.to_date)
        accounts = config.select_accounts(args.account, args.network)
    except ValueError as exc:  # ConfigError included: the message names the file and the key
        return _usage_error(exc)
    started = time.perf_counter()
    for i, account in enumerate(accounts, 1):
        log.info("backfill %d/%d accounts: %s over %s", i, len(accounts), account.key, interval)
        totals = pipeline.backfill(config, account, interval, chunk_days=args.chunk_days)
        print(
            f"{account.key} {args.from_date}..{args.to_date}: {totals} ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    return 0


def import_exports(args: argparse.Namespace) -> int:
    from socialpulse.config import load_config
    from socialpulse.exports import ExportError, export_files, import_file, preview_file, reader
    from socialpulse.lake import Lake

    try:
        config = load_config(args.config)
        account = config.account(args.account)
        reader(args.format)  # an unknown format names the known ones, before any file is read
        files = [file for path in args.paths for file in export_files(path)]
    except (ValueError, FileNotFoundError) as exc:  # ExportError and ConfigError included
        return _usage_error(exc)
    lake = Lake.from_config(config)
    started = time.perf_counter()
    for i, file in enumerate(files, 1):
        try:
            if args.dry_run:
                plan = preview_file(lake, args.format, file, account, args.date_order)
                print(f"{file} would change (dry run, nothing written):", flush=True)
                for line in plan.describe():
                    print(f"  {line}", flush=True)
                continue
            counts = import_file(
                lake,
                args.format,
                file,
                account,
                replace_existing=args.replace_existing,
                date_order=args.date_order,
            )
        except ExportError as exc:
            # the bad file changed nothing; the files before it are imported and stay so
            print(
                f"error: {exc}\nimported {i - 1} of {len(files)} files; fix the file and rerun (importing again is harmless)",
                file=sys.stderr,
            )
            return 1
        print(
            f"imported {i}/{len(files)} {file}: {counts} ({time.perf_counter() - started:.1f} s)", flush=True
        )
    return 0


def _lake_of(args: argparse.Namespace):
    """The lake named by --root, else the configured one (with its connection's credentials)."""
    from socialpulse.config import load_config
    from socialpulse.lake import Lake

    return Lake(args.root) if args.root else Lake.from_config(load_config(args.config))


def migrate_lake(args: argparse.Namespace) -> int:
    from socialpulse.config import is_url
    from socialpulse.lake import Lake

    try:
        lake = _lake_of(args)
    except (ValueError, FileNotFoundError) as exc:
        return _usage_error(exc)
    if args.to and is_url(args.to) and not is_url(str(lake.root)):
        return _usage_error(
            ValueError("--to an object store needs the configured lake there; see docs/production.md")
        )
    target = Lake(args.to) if args.to else None
    migrated = lake.migrate_layout(target)
    where = args.to or lake.root
    if migrated:
        print(f"migrated to Delta tables at {where}: {migrated}")
    else:
        print(f"nothing to migrate: the lake at {where} has no table in the per-day Parquet layout")
    return 0


def metrics_command(args: argparse.Namespace) -> int:
    from socialpulse import metrics
    from socialpulse.config import load_config
    from socialpulse.lake import Lake

    try:
        config = load_config(args.config)
        lake = Lake.from_config(config)
        if args.recompute_run:
            rows = metrics.recompute_run(lake, args.recompute_run, sla=config.sla)
            print(f"rebuilt mart set {args.recompute_run} at its recorded table versions: {rows}")
            return 0
    except (ValueError, FileNotFoundError) as exc:
        return _usage_error(exc)
    rows = metrics.compute_marts(lake, sla=config.sla, full=args.full)
    manifest = lake.marts_manifest()
    how = manifest["why"] or f"incremental, recomputed {manifest['recomputed']}"
    print(f"mart set {manifest['run_id']} is current ({how}): {rows}")
    return 0


def maintain_lake(args: argparse.Namespace) -> int:
    try:
        lake = _lake_of(args)
    except (ValueError, FileNotFoundError) as exc:
        return _usage_error(exc)
    done_by_table = lake.maintain(
        retention_hours=args.retention_hours, mart_retention_hours=args.mart_retention_hours
    )
    for table, done in done_by_table.items():
        print(f"{table}: {done}")
    return 0


def classify_csv(args: argparse.Namespace) -> int:
    from socialpulse.evaluation import LabelledFileError, classify_file

    try:
        rows = classify_file(args.input, args.output)
    except (LabelledFileError, FileNotFoundError) as exc:
        return _usage_error(exc)
    print(f"classified {rows} rows of {args.input} into {args.output}")
    return 0


def evaluate_csv(args: argparse.Namespace) -> int:
    from socialpulse.evaluation import LabelledFileError, report

    try:
        print("\n".join(report(args.path)))
    except (LabelledFileError, FileNotFoundError) as exc:
        return _usage_error(exc)
    return 0


def reclassify(args: argparse.Namespace) -> int:
    from socialpulse import pipeline
    from socialpulse.config import load_config

    try:
        config = load_config(args.config)
        accounts = [config.account(args.account)] if args.account else list(config.accounts)
    except ValueError as exc:  # ConfigError included: the message names the file and the key
        return _usage_error(exc)
    for account in accounts:
        counts = pipeline.reclassify(config, account)
        print(f"{account.key}: {counts['inbound']} inbound messages classified, {counts['changed']} changed")
    return 0


def airflow_setup(args: argparse.Namespace) -> int:
    from socialpulse.airflow_setup import setup
    from socialpulse.config import load_config

    try:
        config = load_config(args.config)
    except ValueError as exc:
        return _usage_error(exc)
    missing = setup(config)
    if missing:
        print(f"{len(missing)} connection(s) missing: add them with the commands above, then run this again")
    return 1 if missing and args.strict else 0


def _usage_error(exc: Exception) -> int:
    print(f"error: {exc}", file=sys.stderr)
    return 2


def _add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", help="configuration file (default: $SOCIALPULSE_CONFIG or config/socialpulse.yml)"
    )


def _add_account_choice(parser: argparse.ArgumentParser, network: bool) -> None:
    accounts = parser.add_mutually_exclusive_group(required=True) if network else parser
    accounts.add_argument(
        "--account", required=not network, help="network/account_id, as in the accounts file"
    )
    if network:
        accounts.add_argument("--network", help="every account of this network in the accounts file")
    _add_config_option(parser)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="socialpulse", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="run the whole pipeline on the simulated network")
    p.add_argument("--month", type=_month, help="report month YYYY-MM (default: last full month)")
    p.add_argument("--workdir", default=str(DEMO_DIR), help="where the lake, mailbox and Airflow home go")
    p.set_defaults(func=demo)
    p = sub.add_parser("report", help="render the report of any past month from the marts")
    p.add_argument(
        "--month",
        type=_month,
        required=True,
        metavar="YYYY-MM",
        help="the month to report, one that has ended (e.g. 2026-10)",
    )
    p.add_argument("--report", help="one report name from the config (default: all)")
    _add_config_option(p)
    p.add_argument("--send", action="store_true", help="also email it through the report's SMTP connection")
    p.add_argument("--force", action="store_true", help="re-render even if this month was already delivered")
    p.add_argument(
        "--marts-run",
        help="render from this mart set (its run id, as rendered.json records it) and the table versions "
        "it was computed from, for an audit; a month already sent goes to audits/<id>/ beside the archive",
    )
    p.set_defaults(func=report)
    p = sub.add_parser(
        "delivery",
        help="a month's delivery state; after a send whose outcome is unknown, record whether it arrived",
    )
    p.add_argument("--report", required=True, help="report name from the config")
    p.add_argument("--month", type=_month, required=True)
    _add_config_option(p)
    answer = p.add_mutually_exclusive_group()
    answer.add_argument("--confirm-sent", action="store_true", help="it arrived: never send it again")
    answer.add_argument("--resend", action="store_true", help="it did not arrive: the next send sends it")
    p.set_defaults(func=delivery_command)
    p = sub.add_parser("backfill", help="extract, validate and publish past days of API accounts")
    _add_account_choice(p, network=True)
    p.add_argument("--from-date", type=_date, required=True, help="first day, YYYY-MM-DD")
    p.add_argument("--to-date", type=_date, required=True, help="last day (included), YYYY-MM-DD")
    p.add_argument(
        "--chunk-days", type=_positive, default=31, help="days per extraction and validation (default: 31)"
    )
    p.set_defaults(func=backfill)
    p = sub.add_parser("import", help="import platform export files (or folders of them) into the lake")
    _add_account_choice(p, network=False)
    p.add_argument(
        "--format", required=True, help="export format, e.g. twcs, x_analytics (see docs/exports.md)"
    )
    p.add_argument(
        "paths", nargs="+", help="export files, or folders whose *.csv files are all in this format"
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print what each file would change per table (added, replaced, moved, removed); write nothing",
    )
    p.add_argument(
        "--date-order",
        choices=("dmy", "mdy"),
        help="how to read slashed dates when no day above 12 tells: dmy (DD/MM/YYYY) or mdy (MM/DD/YYYY)",
    )
    p.add_argument(
        "--replace-existing",
        action="store_true",
        help="import a file even if it removes or moves stored rows of more than 3 days (see docs/exports.md)",
    )
    p.set_defaults(func=import_exports)
    p = sub.add_parser(
        "migrate-lake", help="convert a lake of the per-day Parquet layout to Delta tables (in place or --to)"
    )
    p.add_argument("--root", help="the lake root (default: the configured lake_root)")
    p.add_argument("--to", help="write the Delta tables under this new root instead of in place")
    _add_config_option(p)
    p.set_defaults(func=migrate_lake)
    p = sub.add_parser("maintain-lake", help="compact the Delta tables' small files and vacuum old versions")
    p.add_argument("--root", help="the lake root (default: the configured lake_root)")
    p.add_argument(
        "--retention-hours",
        type=float,
        default=168,
        help="keep versions younger than this readable (default: 168)",
    )
    _add_config_option(p)
    p.add_argument(
        "--mart-retention-hours",
        type=float,
        help="delete the files of mart sets finished longer ago than this, except the current set "
        "(default: --retention-hours); their manifests stay",
    )
    p.set_defaults(func=maintain_lake)
    p = sub.add_parser("metrics", help="compute the metric marts as a new set (incremental unless --full)")
    p.add_argument(
        "--full", action="store_true", help="recompute every month instead of only those the changes reach"
    )
    p.add_argument(
        "--recompute-run",
        metavar="RUN_ID",
        help="rebuild a pruned mart set from the table versions its manifest records (time travel)",
    )
    _add_config_option(p)
    p.set_defaults(func=metrics_command)
    p = sub.add_parser("classify", help="add the classifier's predictions to a CSV with a 'text' column")
    p.add_argument("input", help="CSV with a 'text' column and optionally 'previous_message'")
    p.add_argument(
        "output", help="where the same rows go with pred_request, pred_intent, pred_negative, pred_language"
    )
    p.set_defaults(func=classify_csv)
    p = sub.add_parser("evaluate", help="score the classifier on a hand-labelled CSV (RUBRIC.md's columns)")
    p.add_argument(
        "path",
        nargs="?",
        default=str(DEV_SET),
        help=f"labelled CSV (default: {DEV_SET.relative_to(REPO_ROOT)})",
    )
    p.set_defaults(func=evaluate_csv)
    p = sub.add_parser("reclassify", help="rewrite the lake's message classes with the current classifier")
    p.add_argument("--account", help="network/account_id, as in the accounts file (default: every account)")
    _add_config_option(p)
    p.set_defaults(func=reclassify)
    p = sub.add_parser(
        "airflow-setup",
        help="create the Airflow pools Social Pulse needs and check its connections (idempotent)",
    )
    _add_config_option(p)
    p.add_argument("--strict", action="store_true", help="exit with status 1 when a connection is missing")
    p.set_defaults(func=airflow_setup)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # the loopback SMTP server's chatter
    from socialpulse.failures import permanent_reason

    try:
        return args.func(args)
    except Exception as exc:
        # what a retry cannot fix (a missing connection, a refused token, a failed validation, a
        # wrong config) is one line saying what to do, not a traceback; anything else propagates
        reason = permanent_reason(exc)
        if reason is None:
            raise
        print(f"error: {reason}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
