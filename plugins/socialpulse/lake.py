"""The lake: where every stage reads and writes.

Layout under the root (a local folder by default, or an object store URL such as s3://bucket/lake):

    staging/<network>/<account_id>/<interval>/<table>.parquet      an extraction, not yet validated
    lake/<table>/                                                   a Delta Lake table per canonical table,
        _delta_log/                                                 its transaction log (the versions)
        network=<network>/month=<YYYY-MM>/part-*.parquet            its data files
    validation/<network>/<account_id>/<interval>/result.{json,html}         every validation run
    marts/<run_id>/<mart>/month=<YYYY-MM>/part-*.parquet, manifest.json    one run's set of metric tables
        (day=<YYYY-MM-DD>/ for a mart stored by day, month-<YYYY-MM>/ for a closed month of its
        days rewritten as one file, all/ for one not stored by month or written by a full run)
    marts/current.json                                                       the set readers read
    analyst.duckdb                                  views of every table and current mart, for DuckDB's CLI
    reports/<report>/<YYYY-MM>/report.html, email.html, *.pdf, delivery.json  what was sent

Publishing an account's interval is one Delta commit per table: a predicate overwrite of exactly
the account's rows of the interval's days, so reruns and backfills never duplicate rows, a reader
sees the old interval or the new one, and a killed or failed publish leaves the table as it was.
Concurrent writers are serialised by the Delta log (a commit file is created only if absent: a
hard link on a local disk, a conditional PUT in S3); a writer that loses retries on the newest
version. Partitions are by network and month, so the file count follows the data, not accounts x
days; `month` is a partition column of the Delta table only (the UTC month of the row's date).

DuckDB reads a table's version through its file list (register_tables), with no extension to
download. Staging files, validation results and reports are plain files written whole: to a
temporary name renamed into place on a local disk, a single PUT in an object store. Marts are
written by DuckDB into their run's own folder under unique names, which no reader reads before the
run's manifest names them; a set's manifest may name files of an earlier set (months it shares).

A URL root goes through fsspec (universal_pathlib paths, s3fs for s3://) and delta-rs; its
credentials come from an Airflow connection (lake_conn_id in the configuration), never from the
configuration file. docs/production.md describes compaction, retention and S3 commits.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import json
import logging
import os
import random
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from socialpulse import model
from socialpulse.config import Config, is_url
from socialpulse.domain import Account, Interval

log = logging.getLogger(__name__)

# Every Delta table is partitioned by these; `month` is derived at publish (with_partition_month).
PARTITION_COLUMNS = ("network", "month")
# Commits lost to concurrent writers before a publish gives up (each retry waits a little longer).
COMMIT_ATTEMPTS = 25
# DuckDB reads partition values from the file paths; as text, whatever they look like.
HIVE_TYPES = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in PARTITION_COLUMNS) + "}"


# Versions younger than this stay readable (time travel) after maintenance; older ones are vacuumed.
DEFAULT_RETENTION_HOURS = 168
# Each table's Delta properties, set when it is created (and by maintenance on older tables): a
# checkpoint every 10 commits, not delta-rs's 100, so that loading a version replays a few JSON
# commits. A table receives a commit per account and publish; every mart run loads each table at
# two versions, and 30 commits since the last checkpoint cost those loads 0.1 s against 0.03 s.
TABLE_PROPERTIES = {"delta.checkpointInterval": "10"}
# Maintenance writes each partition's rows sorted by account (a Z-order on one column is a sort),
# in row groups of this many rows: each account's rows then have row groups of their own, whose
# statistics (account_id, and ids that begin with the account's) let a scan for a few accounts'
# rows skip the others'. delta-rs's bin-packing compaction interleaved its input files' rows in
# chunks of 16,384 in one row group per file, so every row group held every account.
CLUSTER_BY = ("account_id",)
CLUSTERED_ROW_GROUP_ROWS = 131_072
# delta-rs's target file size when the table sets no delta.targetFileSize (its optimize's default).
DEFAULT_TARGET_FILE_SIZE = 100 * 2**20
# marts/current.json names the mart set readers read; each set's folder holds its manifest.json.
CURRENT_MARTS = "current.json"
MANIFEST = "manifest.json"
# The commit metadata key that marks a table converted from the per-day Parquet layout.
MIGRATION_MARK = "socialpulse.migrated_from_per_day_files"


def writer_properties(table: str, row_group_rows: int | None = None):
    """How every data file of a table is written (publish, merge, compaction, migration): zstd,
    and each timestamp column delta-encoded (DELTA_BINARY_PACKED, a standard Parquet encoding)
    instead of by a dictionary that almost every value overflows; in row groups of at most
    row_group_rows rows (default: delta-rs's).

    Messages of six months (5 M rows): 59 MB instead of 71 MB, and DuckDB's scans of them that
    read created_at took a fifth less CPU (created_at alone 0.026 s instead of 0.066 s), 4 Dec 2026.
    A table's older files keep their encoding until compaction rewrites them.
    """
    from deltalake import ColumnProperties, WriterProperties

    delta_encoded = ColumnProperties(dictionary_enabled=False, encoding="DELTA_BINARY_PACKED")
    return WriterProperties(
        compression="ZSTD",
        max_row_group_size=row_group_rows,
        column_properties={
            field.name: delta_encoded
            for field in model.TABLES[table].schema
            if pa.types.is_timestamp(field.type)
        },
    )


class LakeLayoutError(RuntimeError):
    """A table still in the per-day Parquet layout of before Delta: migrate-lake converts it."""


class PublishError(RuntimeError):
    """A publish that did not commit: the message names the table, account, interval and cause."""


def is_remote(path: Any) -> bool:
    """A local file is a pathlib.Path; anything else is a universal_pathlib path in an object store."""
    return not isinstance(path, Path)


def lake_path(root: str | os.PathLike[str], storage_options: dict[str, Any] | None = None) -> Any:
    """The root as a path: pathlib for a folder (or file:// URL), universal_pathlib for an object store."""
    if is_url(root):
        from upath import UPath

        # upper-case keys are delta-rs's own (delta_storage_options), not fsspec's
        fsspec_options = {k: v for k, v in (storage_options or {}).items() if not k.isupper()}
        return UPath(str(root), **fsspec_options)
    text = str(root).removeprefix("file://")
    return Path(text).expanduser().resolve()


def connection_storage_options(conn_id: str, protocol: str) -> dict[str, Any]:
    """fsspec options for the lake's object store, from an Airflow connection.

    For s3:// (AWS, MinIO and other S3-compatible stores) the connection's login and password are
    the access key pair and extra may hold endpoint_url and region_name. Any other extra key (and,
    for other protocols, the whole extra) is passed to fsspec as it is.
    """
    from airflow.sdk import BaseHook

    from socialpulse.provider import plain_extra

    conn = BaseHook.get_connection(conn_id)
    extra = plain_extra(conn.extra_dejson)  # also the socialpulse_lake connection type's form fields
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


def delta_storage_options(options: Mapping[str, Any]) -> dict[str, str]:
    """delta-rs's storage options for the same object store as fsspec's options (s3fs's names).

    Keys already in delta-rs's own upper-case form (AWS_..., from the connection's extra) pass
    through unchanged.
    """
    client = dict(options.get("client_kwargs") or {})
    mapped = {
        "AWS_ACCESS_KEY_ID": options.get("key"),
        "AWS_SECRET_ACCESS_KEY": options.get("secret"),
        "AWS_SESSION_TOKEN": options.get("token"),
        "AWS_ENDPOINT_URL": client.get("endpoint_url") or options.get("endpoint_url"),
        "AWS_REGION": client.get("region_name") or options.get("region_name"),
    }
    result = {k: str(v) for k, v in mapped.items() if v}
    if result.get("AWS_ENDPOINT_URL", "").startswith("http://"):
        result["AWS_ALLOW_HTTP"] = "true"  # MinIO or moto on a private network or loopback
    result.update({k: str(v) for k, v in options.items() if k.isupper()})
    return result


def temporary_name(path: Path) -> Path:
    # Hidden, and not ending in .parquet: a writer killed mid-file leaves nothing a reader's glob sees.
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")


@contextlib.contextmanager
def staged(path: Path, write: Callable[[Path], object]) -> Iterator[Path]:
    """A hidden temporary sibling of `path`, written by `write` and flushed to disk (fsync), for the caller
    to rename or link into place whole; removed on leaving, whatever happened."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(path)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_bytes(path: Any, data: bytes) -> None:
    if is_remote(path):
        path.write_bytes(data)  # one PUT: atomic in an object store
        return
    with staged(path, lambda tmp: tmp.write_bytes(data)) as tmp:
        os.replace(tmp, path)


def atomic_write_parquet(path: Any, table: pa.Table) -> None:
    if is_remote(path):
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="zstd")
        path.write_bytes(sink.getvalue().to_pybytes())
        return
    with staged(path, lambda tmp: pq.write_table(table, tmp, compression="zstd")) as tmp:
        os.replace(tmp, path)


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
        self.delta_options = delta_storage_options(storage_options or {}) if self.remote else None
        # (table, version) -> DeltaTable, and a file list's read_parquet SQL, while versions_cached() is open
        self._deltas: dict[tuple[str, int], Any] | None = None
        self._sources: dict[tuple[str, ...], str] | None = None

    @contextlib.contextmanager
    def versions_cached(self) -> Iterator[None]:
        """Within it, each version of a table is loaded once (a version's files never change, and a
        log of many commits costs 15 ms a load), and its files' schemas are read once: a mart run
        reads the same versions to register its views, find the changed files and build the
        analyst database."""
        self._deltas, self._sources = {}, {}
        try:
            yield
        finally:
            self._deltas, self._sources = None, None

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
            # not yet validated: a null in a required field is staged for the gate to name
            atomic_write_parquet(folder / f"{name}.parquet", _nullable(data))
        return folder

    def read_staged(self, account: Account, interval: Interval) -> dict[str, pa.Table]:
        folder = self.staging_dir(account, interval)
        if not folder.exists():
            raise FileNotFoundError(
                f"no staged extraction for {account.key} {interval} at {folder}; run the extract task first"
            )
        return {name: model.conform(name, read_parquet(folder / f"{name}.parquet")) for name in model.TABLES}

    # -- the validated lake: one Delta table per canonical table ----------------------------------
    def table_dir(self, table: str) -> Any:
        return self.root / "lake" / table

    def table_uri(self, table: str) -> str:
        """The Delta table's location as delta-rs (and DuckDB) name it: a local path or an s3:// URL."""
        path = self.table_dir(table)
        return str(path) if not self.remote else f"{path.protocol}://{path.path}"

    def delta(self, table: str, version: int | None = None):
        """The table's DeltaTable at a version (default: the newest), or None before its first publish."""
        from deltalake import DeltaTable
        from deltalake.exceptions import TableNotFoundError

        # not DeltaTable.is_deltatable: it holds the GIL while it waits for the store, and a store
        # served from this process (moto in the tests) could never answer it
        cache = self._deltas
        if cache is not None and version is not None and (table, version) in cache:
            return cache[(table, version)]
        try:
            delta = DeltaTable(self.table_uri(table), version=version, storage_options=self.delta_options)
        except TableNotFoundError:
            if self.old_layout_files(table):
                raise LakeLayoutError(
                    f"{self.table_dir(table)} holds the per-day Parquet files of the lake before Delta "
                    f"tables; convert the lake once with `python -m socialpulse migrate-lake`"
                ) from None
            return None
        if cache is not None:
            cache[(table, delta.version())] = delta
        return delta

    def versions(self) -> dict[str, int | None]:
        """Every canonical table's current version (None: never published)."""
        return {name: (t.version() if (t := self.delta(name)) else None) for name in model.TABLES}

    def table_files(self, table: str, version: int | None = None) -> list[str]:
        """The data files of the table's version: all a reader needs, no Delta extension involved.

        Reading through delta-rs's own Arrow scan can abort the process at exit (exit 134,
        delta-rs issue 2184; see docs/production.md), so every read goes through this list.
        """
        delta = self.delta(table, version)
        return delta.file_uris() if delta is not None else []

    def publish(self, account: Account, interval: Interval, tables: dict[str, pa.Table]) -> dict[str, int]:
        """Replace the account's rows of the interval's days in each given table: one Delta commit per table.

        Tables not given are left as they are (an export of followers carries no posts). Each
        commit is a predicate overwrite of exactly the account's rows of those days, so a reader
        sees the old rows or the new ones, never a mix, and a publish that fails or is killed
        leaves the table at its previous version. Returns rows written per table; a row dated
        outside the interval is an error, not a silent drop.
        """
        days = interval.days()
        prepared = {}
        for name, data in tables.items():
            spec = model.TABLES[name]
            data = model.conform(spec, data)
            row_days = _row_days(data, spec)
            inside = pc.and_(
                pc.greater_equal(row_days, pa.scalar(days[0], pa.date32())),
                pc.less_equal(row_days, pa.scalar(days[-1], pa.date32())),
            )
            outside = data.num_rows - pc.sum(pc.cast(inside, pa.int64())).as_py() if data.num_rows else 0
            if outside:
                raise ValueError(
                    f"{name}: {outside} row(s) of {account.key} are dated outside {interval}; nothing was published"
                )
            prepared[name] = with_partition_month(data, row_days)
        written: dict[str, int] = {}
        for name, data in prepared.items():
            self._replace(name, data, replace_predicate(model.TABLES[name], account, days), account, interval)
            written[name] = data.num_rows
        remove_tree(self.staging_dir(account, interval))
        log.info("published %s %s: %s", account.key, interval, written)
        return written

    def _replace(
        self, name: str, data: pa.Table, predicate: str, account: Account, interval: Interval
    ) -> None:
        """One predicate-overwrite commit of the account's rows of the interval's days."""
        from deltalake import write_deltalake

        uri = self.table_uri(name)
        options: dict[str, Any] = {
            "partition_by": list(PARTITION_COLUMNS),
            "schema_mode": "merge",  # a column new in model.py is added to the table
            "storage_options": self.delta_options,
            "writer_properties": writer_properties(name),
        }

        def overwrite(before) -> None:
            if before is None:  # the table's first commit; a concurrent creator makes it fail
                write_deltalake(uri, data, mode="append", configuration=TABLE_PROPERTIES, **options)
            else:
                write_deltalake(uri, data, mode="overwrite", predicate=predicate, **options)

        started = time.perf_counter()
        self._commit(name, f"publishing {name} of {account.key} {interval}", "rerun the task", overwrite)
        log.info(
            "%s: %d rows of %s committed in %.2f s",
            name,
            data.num_rows,
            account.key,
            time.perf_counter() - started,
        )

    def _commit(self, name: str, what: str, rerun: str, commit: Callable[[Any], None]) -> None:
        """Make one Delta commit to table `name`: commit(before) gets its newest DeltaTable (None before
        its first commit) and is called again from the newest version when another writer got there first.

        `what` and `rerun` word the error: what was being done, and what the user does after fixing it.
        """
        from deltalake.exceptions import CommitFailedError, DeltaError

        uri = self.table_uri(name)
        for attempt in range(1, COMMIT_ATTEMPTS + 1):
            before = self.delta(name)
            try:
                commit(before)
                return
            except (CommitFailedError, FileExistsError) as exc:
                # A concurrent writer committed first (or created the table): our files are orphans
                # that vacuum removes; redo the commit on top of its version.
                if attempt == COMMIT_ATTEMPTS:
                    raise PublishError(
                        f"{what} to {uri} failed: {COMMIT_ATTEMPTS} commits lost to concurrent writers "
                        f"({exc}); the table is unchanged, {rerun}"
                    ) from exc
                log.info("commit conflict on %s (attempt %d): %s; retrying", name, attempt, exc)
                time.sleep(random.uniform(0.05, 0.2) * attempt)
            except (DeltaError, OSError) as exc:
                version = before.version() if before is not None else None
                raise PublishError(
                    f"{what} to {uri} failed: {exc}. The table is unchanged (version {version}); "
                    f"fix the cause and {rerun}"
                ) from exc

    def replace_rows(
        self,
        account: Account,
        tables: Mapping[str, pa.Table],
        remove: Mapping[str, pa.Table] | None = None,
    ) -> dict[str, int]:
        """Replace the account's stored rows by key, leaving every other row alone: one Delta commit per table.

        Each given row replaces the account's stored row of the same key (the table's key, model.py)
        wherever it sits, on any day or month, or is added; the rows of `remove` (their key columns
        are enough) are deleted. It is the import path: a file replaces the rows it holds, never the
        days between them. Each table's change is one merge commit, retried from the newest version
        when another writer committed first, so a reader sees the table before or after it. Tables
        not given are not touched. Returns rows written per table given.
        """
        remove = remove or {}
        written: dict[str, int] = {}
        for name in dict.fromkeys([*tables, *remove]):
            spec = model.TABLES[name]
            rows = model.conform(spec, tables.get(name, model.empty(name)))
            mine = pc.and_(
                pc.equal(rows.column("network"), account.network),
                pc.equal(rows.column("account_id"), account.account_id),
            )
            if rows.num_rows and not pc.all(mine).as_py():
                raise ValueError(f"{name}: rows of another account than {account.key}; nothing was written")
            gone = remove.get(name, model.empty(name))
            # a removal is a key with no month: a row to write always has its partition month
            source = pa.concat_tables(
                [
                    _nullable(with_partition_month(rows, _row_days(rows, spec))),
                    _removal_rows(spec, account, gone),
                ]
            )
            if source.num_rows:
                self._merge(name, source, account)
            if name in tables:
                written[name] = rows.num_rows
        log.info("replaced rows of %s by key: %s", account.key, written)
        return written

    def _merge(self, name: str, source: pa.Table, account: Account) -> None:
        """One merge commit of `source` (rows to write, and keys without a month to delete), retried on conflicts."""
        from deltalake import Field, write_deltalake

        spec = model.TABLES[name]
        uri = self.table_uri(name)
        columns = [*spec.schema.names, "month"]
        match = " AND ".join(
            [
                f"t.network = {_quote(account.network)}",  # prunes the other networks' partitions
                f"t.account_id = {_quote(account.account_id)}",
                "t.account_id = s.account_id",
                *(
                    f"(t.{c} IS NOT DISTINCT FROM s.{c})"
                    if spec.schema.field(c).nullable
                    else f"t.{c} = s.{c}"
                    for c in spec.key
                ),
            ]
        )
        values = {c: f"s.{c}" for c in columns}

        def merge(before) -> None:
            if before is None:
                # Create the table empty, then merge like every later import: two imports
                # creating it at once cannot both append the same keys. A concurrent creator
                # makes this commit fail, and the retry merges into its table.
                write_deltalake(
                    uri,
                    spec.schema.append(pa.field("month", pa.string(), nullable=False)).empty_table(),
                    mode="append",
                    partition_by=list(PARTITION_COLUMNS),
                    storage_options=self.delta_options,
                    configuration=TABLE_PROPERTIES,
                )
                before = self.delta(name)
            assert before is not None
            # A column new in model.py is added first (its own commit, a schema change only):
            # merge's own schema evolution (merge_schema) nulls copied timestamps when the
            # source's fields are nullable, as a removal's must be (deltalake 1.6.6).
            stored = set(before.schema().to_arrow().names)
            if new := [f for f in spec.schema if f.name not in stored]:
                before.alter.add_columns([Field.from_arrow(f.with_nullable(True)) for f in new])
            (
                before.merge(
                    source,
                    predicate=match,
                    source_alias="s",
                    target_alias="t",
                    writer_properties=writer_properties(name),
                )
                .when_matched_delete(predicate="s.month IS NULL")
                .when_matched_update(updates=values, predicate="s.month IS NOT NULL")
                .when_not_matched_insert(updates=values, predicate="s.month IS NOT NULL")
                .execute()
            )

        started = time.perf_counter()
        self._commit(name, f"replacing rows of {account.key} in {name}", "run the import again", merge)
        log.info(
            "%s: %d rows of %s merged in %.2f s",
            name,
            source.num_rows,
            account.key,
            time.perf_counter() - started,
        )

    def register_tables(self, con, versions: Mapping[str, int | None] | None = None) -> dict[str, int | None]:
        """A DuckDB view per canonical table over its version's file list; returns the versions read.

        versions pins tables to earlier versions (time travel, for an audit); tables it leaves out,
        and every table by default, are read at their newest version. A table never published is
        an empty view with the canonical columns.
        """
        read: dict[str, int | None] = {}
        for name, spec in model.TABLES.items():
            pinned = (versions or {}).get(name)
            delta = self.delta(name, pinned)
            files = delta.file_uris() if delta is not None else []
            read[name] = delta.version() if delta is not None else None
            # a table, not a registered Arrow object, so that a database file keeps it (analyst.duckdb)
            con.execute(f"CREATE OR REPLACE TABLE _{name}_canonical ({_column_definitions(spec.schema)})")
            if not files:
                con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM _{name}_canonical")
                continue
            stored = set(delta.schema().to_arrow().names)
            columns = ", ".join(f.name for f in spec.schema)
            key = (*files, "\0", *sorted(stored))
            source = (self._sources or {}).get(key) or _parquet_source(
                con, files, stored - set(PARTITION_COLUMNS)
            )
            if self._sources is not None:
                self._sources[key] = source
            if all(f.name in stored for f in spec.schema):
                con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT {columns} FROM {source}")
            else:  # columns the model gained since the table's last write: null until then
                con.execute(
                    f"CREATE OR REPLACE VIEW {name} AS SELECT {columns} FROM "
                    f"(SELECT * FROM _{name}_canonical UNION ALL BY NAME SELECT * FROM {source})"
                )
        return read

    def read(self, table: str, version: int | None = None) -> pa.Table:
        """Every row of a canonical table at a version (default: the newest), in the canonical schema."""
        con = self.duckdb()
        try:
            con.execute("SET TimeZone = 'UTC'")
            self.register_tables(con, {table: version} if version is not None else None)
            return model.conform(table, con.sql(f"SELECT * FROM {table}").fetch_arrow_table())
        finally:
            con.close()

    def has_data(self, table: str) -> bool:
        return bool(self.table_files(table))

    # -- maintenance: compaction and retention ---------------------------------------------------
    def maintain(
        self,
        retention_hours: float = DEFAULT_RETENTION_HOURS,
        keep_versions: Mapping[str, Iterable[int]] | None = None,
        mart_retention_hours: float | None = None,
        now: dt.datetime | None = None,
    ) -> dict[str, dict[str, int]]:
        """Prune old mart sets, then compact each table's small files, checkpoint its log and vacuum.

        Mart sets finished more than mart_retention_hours (default: retention_hours) ago lose their
        files (prune_mart_runs; the current set always stays). Compaction rewrites each partition
        that holds small files into files sorted by account (cluster: a commit that changes no
        rows), so the file count follows the data, not the number of publishes. Vacuum then
        deletes data files no longer in any version younger
        than retention_hours, nor in a version a kept mart set was computed from (pinned_versions),
        nor in keep_versions, and the files of publishes that were killed before their commit.
        Returns per table what it did.
        """
        from deltalake.exceptions import CommitFailedError

        self.prune_mart_runs(
            retention_hours if mart_retention_hours is None else mart_retention_hours,
            now or dt.datetime.now(dt.UTC),
        )
        pinned = self.pinned_versions()
        done: dict[str, dict[str, int]] = {}
        for name in model.TABLES:
            delta = self.delta(name)
            if delta is None:
                continue
            configured = delta.metadata().configuration
            if any(configured.get(key) != value for key, value in TABLE_PROPERTIES.items()):
                delta.alter.set_table_properties(TABLE_PROPERTIES)  # a table created before them
            try:
                compacted = self.cluster(name)
            except CommitFailedError as exc:  # a publish committed meanwhile: compact next time
                log.info("compaction of %s skipped: %s", name, exc)
                compacted = {}
            delta = self.delta(name)
            delta.create_checkpoint()
            kept = sorted(set((keep_versions or {}).get(name, ())) | pinned.get(name, set()))
            removed = delta.vacuum(
                retention_hours=int(retention_hours),
                dry_run=False,
                enforce_retention_duration=False,  # the configured retention is the policy
                full=True,  # also the files of killed publishes, which no version lists
                keep_versions=kept or None,
            )
            delta.cleanup_metadata()
            done[name] = {
                "files_removed_by_compaction": int(compacted.get("numFilesRemoved", 0)),
                "files_added_by_compaction": int(compacted.get("numFilesAdded", 0)),
                "files_vacuumed": len(removed),
                "files": len(delta.file_uris()),
                "version": delta.version(),
            }
            log.info("maintained %s: %s", name, done[name])
        return done

    def cluster(self, table: str) -> dict[str, Any]:
        """Rewrite each partition of the table that holds more than one small file (under the target
        file size: those that bin-packing compaction would merge) as files sorted by account, in
        row groups of CLUSTERED_ROW_GROUP_ROWS rows. One commit, marked as a compaction (OPTIMIZE,
        dataChange false: no row changes); returns delta-rs's metrics ({} when nothing needed it).

        Every file of those partitions is rewritten, the large ones too (a Z-order sorts the whole
        partition): the nightly run rewrites the partitions the day's publishes added to (at 10 M
        messages a year, the 440,000 messages of half a month in 0.55 s). On the bench's compacted
        year, every mart in full took 12.3-12.7 s clustered instead of 15.3-17.1 s after delta-rs's
        bin-packing compaction, and a day's changed threads were found in 0.024 s instead of 0.20 s
        (4 Dec 2026).
        """
        delta = self.delta(table)
        if delta is None:
            return {}
        actions = delta.get_add_actions(flatten=True)
        target = int(delta.metadata().configuration.get("delta.targetFileSize", DEFAULT_TARGET_FILE_SIZE))
        small = collections.Counter(
            (network, month)
            for network, month, size in zip(
                actions.column("partition.network").to_pylist(),
                actions.column("partition.month").to_pylist(),
                actions.column("size_bytes").to_pylist(),
                strict=True,
            )
            if size < target
        )
        partitions = sorted(partition for partition, files in small.items() if files > 1)
        if not partitions:
            return {}
        # one commit for every partition: a partition of one network and another's month in
        # between (a backfill and the current month) is rewritten as well, as it was
        return delta.optimize.z_order(
            list(CLUSTER_BY),
            partition_filters=[
                ("network", "in", sorted({network for network, _ in partitions})),
                ("month", "in", sorted({month for _, month in partitions})),
            ],
            writer_properties=writer_properties(table, CLUSTERED_ROW_GROUP_ROWS),
        )

    # -- migration from the per-day Parquet layout ------------------------------------------------
    def old_layout_files(self, table: str) -> list[Any]:
        """Files of the layout before Delta: lake/<table>/network=<n>/date=<YYYY-MM-DD>/<account>.parquet."""
        folder = self.table_dir(table)
        return sorted(folder.glob("network=*/date=*/*.parquet")) if folder.exists() else []

    def migrate_layout(self, target: Lake | None = None) -> dict[str, int]:
        """Convert the per-day Parquet layout to the Delta tables, in place or into target's root.

        Each table becomes one commit holding every old row (marked as a migration in the log), then
        in place the old files are deleted. Running it again is harmless: a table whose log already
        holds the migration only loses its leftover old files. To another root, validation
        results, marts and reports are copied too. Returns the rows migrated per table.
        """
        from deltalake import CommitProperties, write_deltalake

        target = target or self
        in_place = target is self
        migrated: dict[str, int] = {}
        for name, spec in model.TABLES.items():
            files = self.old_layout_files(name)
            if not files:
                continue
            if not target._migrated(name):
                rows = 0

                def batches(files=files, spec=spec):
                    nonlocal rows
                    for path in files:
                        data = model.conform(spec, read_parquet(path))
                        rows += data.num_rows
                        yield from with_partition_month(data, _row_days(data, spec)).to_batches()

                schema = spec.schema.append(pa.field("month", pa.string(), nullable=False))
                write_deltalake(
                    target.table_uri(name),
                    pa.RecordBatchReader.from_batches(schema, batches()),
                    mode="overwrite",
                    partition_by=list(PARTITION_COLUMNS),
                    schema_mode="merge",
                    storage_options=target.delta_options,
                    configuration=TABLE_PROPERTIES,
                    writer_properties=writer_properties(name),
                    commit_properties=CommitProperties(custom_metadata={MIGRATION_MARK: str(len(files))}),
                )
                migrated[name] = rows
                log.info("migrated %s: %d rows from %d files", name, rows, len(files))
            if in_place:
                for path in files:
                    path.unlink()
                for folder in {p.parent for p in files}:
                    if not any(folder.iterdir()):
                        folder.rmdir()
        if not in_place:
            for folder in ("validation", "marts", "reports"):
                for path in (self.root / folder).rglob("*") if (self.root / folder).exists() else ():
                    if path.is_file():
                        relative = str(path)[len(str(self.root)) + 1 :]
                        atomic_write_bytes(target.root / relative, path.read_bytes())
        return migrated

    def _migrated(self, table: str) -> bool:
        try:
            delta = self.delta(table)
        except LakeLayoutError:
            return False
        return delta is not None and any(MIGRATION_MARK in entry for entry in delta.history())

    # -- validation results, marts and reports -------------------------------------------------------
    def validation_dir(self, account: Account, interval: Interval) -> Path:
        return self.root / "validation" / account.network / account.account_id / interval_key(interval)

    # -- mart sets: marts/<run_id>/ written whole, then marts/current.json switched to it ------------
    def marts_dir(self) -> Any:
        return self.root / "marts"

    def mart_run_dir(self, run_id: str) -> Any:
        return self.marts_dir() / run_id

    def current_marts_run(self) -> str | None:
        """The run id of the mart set readers read (marts/current.json), or None before the first run."""
        pointer = self.marts_dir() / CURRENT_MARTS
        if not pointer.exists():
            return None
        return json.loads(pointer.read_text())["run_id"]

    def marts_manifest(self, run_id: str | None = None) -> dict[str, Any]:
        """The manifest of a mart set (default: the current one): its run, table versions, hashes and rows."""
        run_id = run_id or self.current_marts_run()
        if run_id is None:
            raise FileNotFoundError(
                f"no mart set under {self.marts_dir()}: run the socialpulse_metrics DAG "
                "(or `python -m socialpulse metrics`) first"
            )
        path = self.mart_run_dir(run_id) / MANIFEST
        if not path.exists():
            raise FileNotFoundError(f"mart run {run_id} not found: no {path}")
        return json.loads(path.read_text())

    def mart_files(self, mart: str, run_id: str | None = None) -> list[Any]:
        """A mart's files in a set (default: the current set), from its manifest: a set shares the
        month parts its run did not recompute with the set it was built on."""
        manifest = self.marts_manifest(run_id)
        if "files" not in manifest:  # a set written before month parts: one file a mart
            return [self.mart_run_dir(manifest["run_id"]) / f"{mart}.parquet"]
        # a full run's file holds every month: named once per month, listed once
        return [self.marts_dir() / name for name in dict.fromkeys(manifest["files"][mart].values())]

    def switch_marts(self, run_id: str) -> None:
        """Make a finished run's set the one readers read: one atomic write of marts/current.json."""
        atomic_write_json(self.marts_dir() / CURRENT_MARTS, {"run_id": run_id})

    def mart_runs(self) -> list[dict[str, Any]]:
        """The manifests of every finished mart run, oldest first (pruned ones included, marked)."""
        folder = self.marts_dir()
        if not folder.exists():
            return []
        manifests = [json.loads(p.read_text()) for p in folder.glob(f"*/{MANIFEST}")]
        return sorted(manifests, key=lambda m: m["run_id"])

    def prune_mart_runs(self, retention_hours: float, now: dt.datetime) -> list[str]:
        """Delete the mart files of sets finished more than retention_hours before now, except the
        current set and the month parts a kept set shares with them.

        Their manifests stay (a few hundred bytes each): they hold the table versions the set was
        computed from, so `python -m socialpulse metrics --recompute-run <id>` can rebuild it by time
        travel while the lake keeps those versions. A run folder without a manifest (a run killed
        before it finished) older than the retention goes too. Returns the pruned run ids.
        """
        folder = self.marts_dir()
        if not folder.exists():
            return []
        current = self.current_marts_run()
        cutoff = now - dt.timedelta(hours=retention_hours)
        pruned = []
        for run_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
            if run_dir.name == current:
                continue
            manifest_path = run_dir / MANIFEST
            if manifest_path.exists():
                manifest = json.loads(manifest_path.read_text())
                if manifest.get("pruned") or dt.datetime.fromisoformat(manifest["finished_at"]) >= cutoff:
                    continue
                atomic_write_json(manifest_path, {**manifest, "pruned": now.isoformat()})
                pruned.append(run_dir.name)
            elif _run_started(run_dir.name) < cutoff:
                remove_tree(run_dir)
                pruned.append(run_dir.name)
        # A kept set may share a pruned set's month parts: they stay until no kept set names them,
        # and go with the maintenance run after that.
        manifests = self.mart_runs()
        kept = {
            str(self.marts_dir() / name)
            for manifest in manifests
            if not manifest.get("pruned")
            for files in manifest.get("files", {}).values()
            for name in files.values()
        }
        for manifest in manifests:
            if not manifest.get("pruned"):
                continue
            run_dir = self.mart_run_dir(manifest["run_id"])
            for path in [*run_dir.glob("*.parquet"), *run_dir.glob("*/*/*.parquet")]:
                if str(path) not in kept:
                    path.unlink() if not is_remote(path) else path.fs.rm(path.path)
        log.info("pruned mart runs older than %s h: %s", retention_hours, pruned)
        return pruned

    def pinned_versions(self) -> dict[str, set[int]]:
        """The table versions the kept (unpruned) mart sets were computed from: maintenance keeps them."""
        pinned: dict[str, set[int]] = {}
        for manifest in self.mart_runs():
            if manifest.get("pruned"):
                continue
            for table, version in manifest["versions"].items():
                if version is not None:
                    pinned.setdefault(table, set()).add(int(version))
        return pinned

    def report_dir(self, report: str, month: str) -> Path:
        return self.root / "reports" / report / month


def new_run_id(now: dt.datetime) -> str:
    """A mart run's id: its start (UTC, to the microsecond, so ids sort by start) and a random
    suffix, e.g. 20261201T104739.123456Z-3f9a1c."""
    return f"{now.astimezone(dt.UTC):%Y%m%dT%H%M%S.%fZ}-{uuid.uuid4().hex[:6]}"


def _run_started(run_id: str) -> dt.datetime:
    try:
        return dt.datetime.strptime(run_id.split("-", 1)[0], "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=dt.UTC)
    except ValueError:  # not a run folder of ours: never pruned by age
        return dt.datetime.max.replace(tzinfo=dt.UTC)


def _column_definitions(schema: pa.Schema) -> str:
    """The schema as DuckDB column definitions. Spelt out rather than registering an empty Arrow
    table: DuckDB's register imports pandas (1.5 s of every mart run's start)."""
    return ", ".join(f'"{f.name}" {_duckdb_type(f.type)}' for f in schema)


def _duckdb_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_list(arrow_type):
        return _duckdb_type(arrow_type.value_type) + "[]"
    if pa.types.is_timestamp(arrow_type) and arrow_type.tz is not None:
        return "TIMESTAMPTZ"
    names = {
        pa.string(): "VARCHAR",
        pa.int64(): "BIGINT",
        pa.float64(): "DOUBLE",
        pa.bool_(): "BOOLEAN",
        pa.date32(): "DATE",
    }
    if arrow_type not in names:
        raise ValueError(
            f"no DuckDB type for the model's Arrow type {arrow_type}: add it to lake._duckdb_type"
        )
    return names[arrow_type]


def with_partition_month(data: pa.Table, row_days: pa.Array) -> pa.Table:
    """The table with its partition column: the UTC month (YYYY-MM) of the row's date."""
    month = pc.strftime(pc.cast(row_days, pa.timestamp("s")), format="%Y-%m")
    return data.append_column(pa.field("month", pa.string(), nullable=False), month)


def replace_predicate(spec: model.CanonicalTable, account: Account, days: list[dt.date]) -> str:
    """The rows one publish replaces: the account's rows dated on those UTC days (a delta-rs SQL predicate)."""
    months = sorted({f"{day:%Y-%m}" for day in days})
    first, after = days[0], days[-1] + dt.timedelta(days=1)
    if pa.types.is_timestamp(spec.schema.field(spec.date_column).type):
        low, high = f"{first.isoformat()}T00:00:00Z", f"{after.isoformat()}T00:00:00Z"
    else:
        low, high = first.isoformat(), after.isoformat()
    return (
        f"network = {_quote(account.network)} AND month IN ({', '.join(map(_quote, months))}) "
        f"AND account_id = {_quote(account.account_id)} "
        f"AND {spec.date_column} >= {_quote(low)} AND {spec.date_column} < {_quote(high)}"
    )


def _parquet_source(con, files: list[str], columns: set[str]) -> str:
    """read_parquet over a table's files; by column name (union_by_name) only if a file lacks one of
    the table's columns, as a file written before the column was added does.

    union_by_name opens every file each time a query on the view is planned: a mart run over the
    hundreds of small files of a lake between compactions paid for that in every mart (a GET per
    file in an object store). The files' schemas are read here once instead.
    """
    listed = _sql_list(files)
    lacking = con.execute(
        f"SELECT count(*) FROM (SELECT file_name FROM parquet_schema({listed}) GROUP BY file_name "
        "HAVING count(DISTINCT name) FILTER (WHERE list_contains(?, name)) < ?)",
        [sorted(columns), len(columns)],
    ).fetchone()[0]
    by_name = ", union_by_name = true" if lacking else ""
    return f"read_parquet({listed}, hive_partitioning = true{by_name}, hive_types = {HIVE_TYPES})"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_list(items: list[str]) -> str:
    return "[" + ", ".join(map(_quote, items)) + "]"


def parquet_files_sql(paths: Iterable[Any]) -> str:
    """DuckDB's read_parquet over these files (plain Parquet, no partition folders): a mart's parts."""
    return f"read_parquet({_sql_list([str(path) for path in paths])})"


def mart_parts_sql(parts: Mapping[str, Any], day_column: str = "day") -> str:
    """SQL to read FROM: a mart's parts ({part: file}), each file once.

    A part is a month ('YYYY-MM', of the column month), a day ('YYYY-MM-DD', of day_column: a mart
    stored by day, incremental.DAY_MARTS), or 'all' or 'empty' for a mart not stored by month. A
    part's file is its own (written in a month=YYYY-MM or <day_column>=YYYY-MM-DD folder) or one
    holding several parts: a full run writes each mart as one file, which an incremental run then
    keeps for the parts it did not recompute. Such a file is read for the parts that name it only.
    """

    def part_column(part: str) -> str:
        return day_column if len(part) == len("YYYY-MM-DD") else "month"

    parts_of: dict[str, list[str]] = {}
    for part, path in parts.items():
        parts_of.setdefault(str(path), []).append(part)
    whole = [
        path
        for path, named in parts_of.items()
        if named in (["all"], ["empty"]) or path.rsplit("/", 2)[-2] == f"{part_column(named[0])}={named[0]}"
    ]
    reads = [f"SELECT * FROM {parquet_files_sql(whole)}"] if whole else []
    reads += [
        f"SELECT * FROM {parquet_files_sql([path])} WHERE {_parts_filter(part_column(named[0]), named)}"
        for path, named in parts_of.items()
        if path not in whole
    ]
    if len(reads) == 1 and whole:
        return parquet_files_sql(whole)
    return "(" + " UNION ALL BY NAME ".join(reads) + ")"


def _parts_filter(column: str, parts: list[str]) -> str:
    """SQL true for the rows of a shared file in these parts (days or months): a range per run of
    consecutive ones. A range is exact, since every part of the run is named, and cheaper to scan
    than an IN list (a month of days out of a year's file: 0.024 s against 0.037 s)."""
    runs: list[list[str]] = []
    for part in sorted(parts):
        if runs and part == _next_part(runs[-1][-1]):
            runs[-1].append(part)
        else:
            runs.append([part])
    ranges = [
        f"{column} = {_quote(run[0])}"
        if len(run) == 1
        else f"{column} BETWEEN {_quote(run[0])} AND {_quote(run[-1])}"
        for run in runs
    ]
    return ranges[0] if len(ranges) == 1 else "(" + " OR ".join(ranges) + ")"


def _next_part(part: str) -> str:
    """The day after a 'YYYY-MM-DD' part, or the month after a 'YYYY-MM' one."""
    if len(part) == len("YYYY-MM-DD"):
        return (dt.date.fromisoformat(part) + dt.timedelta(days=1)).isoformat()
    year, month = map(int, part.split("-"))
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def _row_days(data: pa.Table, spec: model.CanonicalTable) -> pa.Array:
    column = data.column(spec.date_column)
    if pa.types.is_timestamp(column.type):
        return pc.cast(pc.floor_temporal(column, unit="day"), pa.date32())
    return column


def _removal_rows(spec: model.CanonicalTable, account: Account, keys: pa.Table) -> pa.Table:
    """Rows to delete, by key: the key columns of `keys`, the account, and nulls elsewhere."""
    columns = {}
    for field in spec.schema:
        if field.name == "network":
            columns[field.name] = pa.array([account.network] * keys.num_rows, pa.string())
        elif field.name == "account_id":
            columns[field.name] = pa.array([account.account_id] * keys.num_rows, pa.string())
        elif field.name in spec.key:
            columns[field.name] = keys.column(field.name).cast(field.type)
        else:
            columns[field.name] = pa.nulls(keys.num_rows, field.type)
    columns["month"] = pa.nulls(keys.num_rows, pa.string())
    return pa.table(columns)


def _nullable(data: pa.Table) -> pa.Table:
    """The table with every field nullable, as a merge source holding removals (keys only) must be."""
    return data.cast(pa.schema([f.with_nullable(True) for f in data.schema]))
