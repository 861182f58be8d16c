"""The Parquet lake: where every stage reads and writes.

Layout under the root (a local folder by default, or an object store URL such as s3://bucket/lake):

    staging/<network>/<account_id>/<interval>/<table>.parquet      an extraction, not yet validated
    lake/<table>/network=<network>/date=<YYYY-MM-DD>/<account_id>.parquet   validated, hive-partitioned
    validation/<network>/<account_id>/<interval>/result.{json,html}         every validation run
    marts/<mart>.parquet                                                     metric tables
    reports/<report>/<YYYY-MM>/report.html, email.html, *.pdf, delivery.json  what was sent

A reader (or a killed task) never sees half a file. On a local disk every file is written to a
temporary name in its folder and renamed into place; in an object store a PUT is already atomic
(the old object or the new one, never a part), so files are written in place. Publishing an
account's interval replaces exactly the files of that account for the interval's dates, so reruns
and backfills never duplicate rows.

A URL root goes through fsspec (universal_pathlib paths, s3fs for s3://); its credentials come from
an Airflow connection (lake_conn_id in the configuration), never from the configuration file.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from socialpulse import model
from socialpulse.config import Config, is_url
from socialpulse.domain import Account, Interval

log = logging.getLogger(__name__)


def is_remote(path: Any) -> bool:
    """A local file is a pathlib.Path; anything else is a universal_pathlib path in an object store."""
    return not isinstance(path, Path)


def lake_path(root: str | os.PathLike[str], storage_options: dict[str, Any] | None = None) -> Any:
    """The root as a path: pathlib for a folder (or file:// URL), universal_pathlib for an object store."""
    if is_url(root):
        from upath import UPath

        return UPath(str(root), **(storage_options or {}))
    text = str(root).removeprefix("file://")
    return Path(text).expanduser().resolve()


def connection_storage_options(conn_id: str, protocol: str) -> dict[str, Any]:
    """fsspec options for the lake's object store, from an Airflow connection.

    For s3:// (AWS, MinIO and other S3-compatible stores) the connection's login and password are
    the access key pair and extra may hold endpoint_url and region_name. Any other extra key (and,
    for other protocols, the whole extra) is passed to fsspec as it is.
    """
    from airflow.sdk import BaseHook

    conn = BaseHook.get_connection(conn_id)
    extra = dict(conn.extra_dejson or {})
    if protocol not in ("s3", "s3a"):
        return extra
    options: dict[str, Any] = {}
    if conn.login:
        options["key"] = conn.login
    if conn.password:
        options["secret"] = conn.password
    client_kwargs = {k: extra.pop(k) for k in ("endpoint_url", "region_name") if extra.get(k)}
    if client_kwargs:
        options["client_kwargs"] = client_kwargs
    options.update(extra)
    return options


def temporary_name(path: Path) -> Path:
    # Hidden, and not ending in .parquet: a writer killed mid-file leaves nothing a reader's glob sees.
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")


def atomic_write_bytes(path: Any, data: bytes) -> None:
    if is_remote(path):
        path.write_bytes(data)  # one PUT: atomic in an object store
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_parquet(path: Any, table: pa.Table) -> None:
    if is_remote(path):
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="zstd")
        path.write_bytes(sink.getvalue().to_pybytes())
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(path)
    try:
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_json(path: Any, payload: Any) -> None:
    atomic_write_bytes(path, json.dumps(payload, indent=2, sort_keys=True, default=str).encode())


def read_parquet(path: Any, **options: Any) -> pa.Table:
    """A Parquet file or folder, local or in the object store."""
    if is_remote(path):
        return pq.read_table(path.path, filesystem=path.fs, **options)
    return pq.read_table(path, **options)


def remove_tree(path: Any) -> None:
    if not is_remote(path):
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.fs.rm(path.path, recursive=True)


def interval_key(interval: Interval) -> str:
    return f"{interval.start:%Y%m%dT%H%M%S}_{interval.end:%Y%m%dT%H%M%S}"


class Lake:
    """The lake under a root folder or URL; storage_options are fsspec's, for a URL root."""

    def __init__(self, root: str | os.PathLike[str], storage_options: dict[str, Any] | None = None):
        self.root = lake_path(root, storage_options)

    @classmethod
    def from_config(cls, config: Config) -> Lake:
        """The configured lake, with the object store's credentials from its Airflow connection."""
        options = None
        if config.lake_conn_id and is_url(config.lake_root):
            options = connection_storage_options(
                config.lake_conn_id, str(config.lake_root).split("://", 1)[0]
            )
        return cls(config.lake_root, options)

    def __repr__(self) -> str:
        return f"Lake({str(self.root)!r})"  # the URL only: storage options hold credentials

    @property
    def remote(self) -> bool:
        return is_remote(self.root)

    def duckdb(self):
        """A DuckDB connection that reads (and writes) this lake's files, local or remote."""
        import duckdb

        con = duckdb.connect()
        if self.remote:
            # DuckDB reads the object store through our fsspec filesystem; it must not try to
            # download its own httpfs extension for s3:// paths (no network access at run time).
            con.execute("SET autoload_known_extensions = false")
            con.register_filesystem(self.root.fs)
        return con

    # -- staging: one extraction of one account for one interval ---------------------------------
    def staging_dir(self, account: Account, interval: Interval) -> Path:
        return self.root / "staging" / account.network / account.account_id / interval_key(interval)

    def stage(self, account: Account, interval: Interval, tables: dict[str, pa.Table]) -> Path:
        """Store an extraction for validation; returns the staging folder."""
        folder = self.staging_dir(account, interval)
        for name, spec in model.TABLES.items():
            data = model.conform(spec, tables.get(name, model.empty(name)))
            atomic_write_parquet(folder / f"{name}.parquet", data)
        return folder

    def read_staged(self, account: Account, interval: Interval) -> dict[str, pa.Table]:
        folder = self.staging_dir(account, interval)
        if not folder.exists():
            raise FileNotFoundError(
                f"no staged extraction for {account.key} {interval} at {folder}; run the extract task first"
            )
        return {name: read_parquet(folder / f"{name}.parquet") for name in model.TABLES}

    # -- the validated, partitioned lake ------------------------------------------------------------
    def table_dir(self, table: str) -> Path:
        return self.root / "lake" / table

    def partition_file(self, table: str, network: str, day: dt.date, account_id: str) -> Path:
        return (
            self.table_dir(table) / f"network={network}" / f"date={day.isoformat()}" / f"{account_id}.parquet"
        )

    def publish(self, account: Account, interval: Interval, tables: dict[str, pa.Table]) -> dict[str, int]:
        """Replace the account's partitions of the given tables for every date of the interval.

        Tables not given are left as they are (an export of followers carries no posts). Returns
        rows written per table; a row dated outside the interval is an error, not a silent drop.
        """
        prepared = {}
        for name, data in tables.items():
            spec = model.TABLES[name]
            data = model.conform(spec, data)
            days = _row_days(data, spec)
            inside = pc.and_(
                pc.greater_equal(days, pa.scalar(interval.days()[0], pa.date32())),
                pc.less_equal(days, pa.scalar(interval.days()[-1], pa.date32())),
            )
            outside = data.num_rows - pc.sum(pc.cast(inside, pa.int64())).as_py() if data.num_rows else 0
            if outside:
                raise ValueError(
                    f"{name}: {outside} row(s) of {account.key} are dated outside {interval}; nothing was published"
                )
            prepared[name] = (data, days)
        written: dict[str, int] = {}
        for name, (data, days) in prepared.items():
            for day in interval.days():
                path = self.partition_file(name, account.network, day, account.account_id)
                part = data.filter(pc.equal(days, pa.scalar(day, pa.date32())))
                if part.num_rows:
                    atomic_write_parquet(path, part)
                else:
                    path.unlink(missing_ok=True)  # the source no longer has rows for that day
            written[name] = data.num_rows
        remove_tree(self.staging_dir(account, interval))
        log.info("published %s %s: %s", account.key, interval, written)
        return written

    def glob(self, table: str) -> str:
        """A glob over a canonical table's published files, for DuckDB's read_parquet."""
        return str(self.table_dir(table) / "*" / "*" / "*.parquet")

    def read(self, table: str) -> pa.Table:
        """Every published row of a canonical table (columns from the files, not the folder names)."""
        if not self.has_data(table):
            return model.empty(table)
        return read_parquet(self.table_dir(table), partitioning=None, schema=model.TABLES[table].schema)

    def has_data(self, table: str) -> bool:
        return any(self.table_dir(table).glob("*/*/*.parquet"))

    # -- validation results, marts and reports -------------------------------------------------------
    def validation_dir(self, account: Account, interval: Interval) -> Path:
        return self.root / "validation" / account.network / account.account_id / interval_key(interval)

    def mart_path(self, mart: str) -> Path:
        return self.root / "marts" / f"{mart}.parquet"

    def report_dir(self, report: str, month: str) -> Path:
        return self.root / "reports" / report / month


def _row_days(data: pa.Table, spec: model.CanonicalTable) -> pa.Array:
    column = data.column(spec.date_column)
    if pa.types.is_timestamp(column.type):
        return pc.cast(pc.floor_temporal(column, unit="day"), pa.date32())
    return column
