"""What the DAG tasks do, as plain functions of (config, account, interval): testable without Airflow."""

from __future__ import annotations

import logging
from collections.abc import Callable

from socialpulse.classify import classify_tables
from socialpulse.config import Config
from socialpulse.domain import Account, Interval
from socialpulse.failures import MissingConnection
from socialpulse.lake import Lake
from socialpulse.networks.base import Connector, Credentials, connector_class

log = logging.getLogger(__name__)

CredentialsLookup = Callable[[str], Credentials]


def airflow_credentials(conn_id: str) -> Credentials:
    """The secret of an Airflow connection (password, else extra 'token'), wrapped so it never prints."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    from socialpulse.provider import plain_extra

    try:
        conn = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        raise MissingConnection(conn_id) from None
    extra = plain_extra(conn.extra_dejson)  # also the fields of the socialpulse_<network> connection types
    # beside an access_token_secret, access_token is one of X's four OAuth 1.0a keys, not a bearer token
    token_keys = ("token",) if "access_token_secret" in extra else ("token", "access_token")
    secret = conn.password or next((extra[k] for k in token_keys if extra.get(k)), None)
    return Credentials(
        secret=secret, extra={k: v for k, v in extra.items() if k not in token_keys}, conn_id=conn_id
    )


def build_connector(
    config: Config, account: Account, credentials: CredentialsLookup = airflow_credentials
) -> Connector:
    cls = connector_class(account.network)
    creds = None
    if account.connection_id:
        try:
            creds = credentials(account.connection_id)
        except MissingConnection:
            raise MissingConnection(account.connection_id, account.key, account.network) from None
    settings = dict(account.options)
    if account.network == "simulated":
        settings.setdefault("seed", config.seed)
    return cls(creds, **settings)


def extract(
    config: Config, account: Account, interval: Interval, credentials: CredentialsLookup = airflow_credentials
) -> dict[str, int]:
    """Extract one account's interval into staging; returns rows per table."""
    connector = build_connector(config, account, credentials)
    lake = Lake.from_config(config)
    connector.issues.known = refused_metrics(lake, account)
    log.info("extracting %s for %s with %s", account.key, interval, type(connector).__name__)
    tables = classify_tables(connector.extract(account, interval))
    folder = lake.stage(account, interval, tables)
    counts = {name: table.num_rows for name, table in tables.items()}
    log.info("staged %s at %s: %s", account.key, folder, counts)
    return counts


def refused_metrics(lake: Lake, account: Account) -> dict[str, str]:
    """{metric: why} of the metrics the account's network refused on earlier runs (extraction_issues):
    the connector leaves them out of its requests instead of being refused again."""
    if not lake.has_data("extraction_issues"):
        return {}
    issues = lake.read("extraction_issues").to_pylist()
    latest: dict[str, tuple] = {}
    for row in issues:
        if (
            row["network"] == account.network
            and row["account_id"] == account.account_id
            and row["kind"] == "metric_unavailable"
            and row["object_id"] is None
            and row["metric"]
        ):
            seen = latest.get(row["metric"])
            if seen is None or row["date"] < seen[0]:
                latest[row["metric"]] = (row["date"], row["detail"])
    return {metric: f"refused since {day.isoformat()}: {detail}" for metric, (day, detail) in latest.items()}


def validate_and_publish(config: Config, account: Account, interval: Interval) -> dict[str, int]:
    """The gate: validate the staged extraction; publish it to the lake only if every expectation holds."""
    from socialpulse import quality

    lake = Lake.from_config(config)
    tables = lake.read_staged(account, interval)
    outcome = quality.validate(lake, account, interval, tables)
    if not outcome.success:
        raise quality.ValidationFailed(
            f"validation failed for {account.key} {interval}: {outcome.summary()}. "
            f"The extraction stays in staging, out of the lake. Read {outcome.html_path}"
        )
    log.info("validation passed for %s %s (%s)", account.key, interval, outcome.html_path)
    return lake.publish(account, interval, tables)


def backfill(
    config: Config,
    account: Account,
    interval: Interval,
    chunk_days: int = 31,
    credentials: CredentialsLookup = airflow_credentials,
) -> dict[str, int]:
    """Extract, validate and publish a long interval in chunks of whole days, logging progress.

    The bulk path for history: the same connector, gate and lake as the daily DAG, with fewer and
    larger validation runs. Each chunk is idempotent, so an interrupted backfill is simply rerun.
    """
    import datetime as dt

    totals: dict[str, int] = {}
    chunk_start = interval.start
    done_days, all_days = 0, len(interval.days())
    while chunk_start < interval.end:
        chunk_end = min(chunk_start + dt.timedelta(days=chunk_days), interval.end)
        chunk = Interval(chunk_start, chunk_end)
        extract(config, account, chunk, credentials)
        for name, rows in validate_and_publish(config, account, chunk).items():
            totals[name] = totals.get(name, 0) + rows
        done_days += len(chunk.days())
        log.info(
            "backfill %s: %d/%d days done (up to %s)", account.key, done_days, all_days, chunk_end.date()
        )
        chunk_start = chunk_end
    return totals


def reclassify(config: Config, account: Account) -> dict[str, int]:
    """Rewrite the derived columns of one account's messages in the lake with the current classifier.

    Reads the account's messages through the lake's public read, classifies them with their whole
    history as thread context, and publishes them back over the days they cover: only the
    messages table is touched, and a second run writes the same rows (idempotent). Returns the
    inbound messages classified and how many of them changed.
    """
    import pyarrow.compute as pc

    from socialpulse.classify import DERIVED_COLUMNS, classify_messages
    from socialpulse.exports import covering_interval

    lake = Lake.from_config(config)
    stored = lake.read("messages")
    mine = stored.filter(
        pc.and_(
            pc.equal(stored.column("network"), account.network),
            pc.equal(stored.column("account_id"), account.account_id),
        )
    )
    interval = covering_interval({"messages": mine})
    if interval is None:
        return {"inbound": 0, "changed": 0}
    mine = mine.sort_by([("created_at", "ascending"), ("message_id", "ascending")])
    classified = classify_messages(mine)
    inbound = pc.equal(mine.column("direction"), "inbound")
    before = mine.select(DERIVED_COLUMNS).filter(inbound).to_pylist()
    after = classified.select(DERIVED_COLUMNS).filter(inbound).to_pylist()
    changed = sum(b != a for b, a in zip(before, after, strict=True))
    if changed:
        lake.publish(account, interval, {"messages": classified})
    log.info("reclassified %s: %d inbound messages, %d changed", account.key, len(after), changed)
    return {"inbound": len(after), "changed": changed}
