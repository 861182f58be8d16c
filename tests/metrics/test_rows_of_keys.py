"""incremental.rows_of_keys: an incremental run reads only the files whose statistics admit a changed key."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from socialpulse import incremental, model


class FilesOf:
    """The one thing rows_of_keys asks of a lake: a table's data files."""

    def __init__(self, files: list[str]):
        self.files = files

    def table_files(self, table: str, version: int | None = None) -> list[str]:
        return self.files


def write_messages(path, account: str, threads: list[str], statistics: bool = True) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    # only what the test reads; a file may lack columns (null when read)
    schema = pa.schema([f.with_nullable(True) for f in model.MESSAGES.schema if f.name != "network"])
    rows = [
        {
            "account_id": account,
            "message_id": f"{thread}-1",
            "thread_id": thread,
            "created_at": dt.datetime(2026, 1, 14, 9, tzinfo=dt.UTC),
            "direction": "inbound",
        }
        for thread in threads
    ]
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path, write_statistics=statistics)
    return str(path)


def test_only_the_files_whose_statistics_admit_a_key_are_read(tmp_path):
    folder = tmp_path / "messages" / "network=facebook" / "month=2026-01"
    # ids that begin with the account's, as Facebook's do
    holding = write_messages(folder / "a.parquet", "111", ["111_5", "111_7", "111_9"])
    other_account = write_messages(folder / "b.parquet", "222", ["222_5", "222_8"])
    # in the key's range but another account: its account statistics rule it out
    other_range = write_messages(folder / "c.parquet", "111", ["111_1", "111_2"])
    unknown = write_messages(folder / "d.parquet", "111", ["111_0"], statistics=False)
    con = duckdb.connect()
    con.register("empty_messages", model.empty("messages"))
    con.execute("CREATE TABLE _messages_canonical AS SELECT * FROM empty_messages")
    con.execute(
        "CREATE TABLE keys AS SELECT 'facebook' AS network, '111' AS account_id, '111_7' AS thread_id"
    )

    sql = incremental.rows_of_keys(
        con,
        FilesOf([holding, other_account, other_range, unknown]),  # type: ignore[arg-type]
        "messages",
        None,
        "keys",
        ("network", "account_id", "thread_id"),
    )

    assert holding in sql and unknown in sql  # a file without statistics may hold any key
    assert other_account not in sql and other_range not in sql
    rows = con.execute(f"SELECT network, thread_id FROM {sql} SEMI JOIN keys USING (thread_id)").fetchall()
    assert rows == [("facebook", "111_7")]
    assert [
        d[0] for d in con.execute(f"DESCRIBE SELECT * FROM {sql}").fetchall()
    ] == model.MESSAGES.schema.names


def test_no_key_reads_no_file(tmp_path):
    folder = tmp_path / "messages" / "network=x" / "month=2026-01"
    file = write_messages(folder / "a.parquet", "1", ["100"])
    con = duckdb.connect()
    con.register("empty_messages", model.empty("messages"))
    con.execute("CREATE TABLE _messages_canonical AS SELECT * FROM empty_messages")
    con.execute("CREATE TABLE keys (network VARCHAR, account_id VARCHAR, thread_id VARCHAR)")

    sql = incremental.rows_of_keys(
        con,
        FilesOf([file]),
        "messages",
        None,
        "keys",
        ("network", "account_id", "thread_id"),  # type: ignore[arg-type]
    )

    assert file not in sql and con.execute(f"SELECT count(*) FROM {sql}").fetchone() == (0,)


def test_only_the_row_groups_whose_statistics_admit_an_account_s_keys_are_scanned(tmp_path):
    # a compacted month: one file, each account's rows sorted together in row groups of their own
    path = tmp_path / "messages" / "network=facebook" / "month=2026-01" / "compacted.parquet"
    path.parent.mkdir(parents=True)
    parts = [
        pq.read_table(write_messages(tmp_path / f"{i}.parquet", account, threads))
        for i, (account, threads) in enumerate(
            [("111", ["111_1", "111_2"]), ("111", ["111_5", "111_7"]), ("222", ["222_6", "222_7"])]
        )
    ]
    with pq.ParquetWriter(path, parts[0].schema) as writer:
        for part in parts:
            writer.write_table(part)  # a row group each
    con = duckdb.connect()
    con.register("empty_messages", model.empty("messages"))
    con.execute("CREATE TABLE _messages_canonical AS SELECT * FROM empty_messages")
    # a day's threads are thousands: more than DuckDB checks one by one against the statistics
    # (dynamic_or_filter_threshold), so a join with them bounds by their range alone
    con.execute(
        "CREATE TABLE keys AS SELECT * FROM (VALUES ('facebook', '111', '111_5'), ('facebook', '111', '111_7')) "
        "k(network, account_id, thread_id) "
        "UNION ALL SELECT 'facebook', '222', '222_9' || i FROM range(100, 200) r(i)"
    )
    sql = incremental.rows_of_keys(
        con, FilesOf([str(path)]), "messages", None, "keys", ("network", "account_id", "thread_id")
    )
    profile = tmp_path / "profile.json"
    con.execute("SET enable_profiling = 'json'")
    con.execute("SET profiling_mode = 'detailed'")
    con.execute(f"SET profiling_output = '{profile}'")
    rows = con.execute(f"SELECT thread_id FROM {sql} SEMI JOIN keys USING (thread_id) ORDER BY 1").fetchall()
    con.execute("SET enable_profiling = 'no_output'")

    assert rows == [("111_5",), ("111_7",)]

    def parquet_scans(node: dict) -> list[dict]:
        scans = [node] if node["name"] == "READ_PARQUET" else []
        return scans + [s for child in node.get("children", []) for s in parquet_scans(child)]

    scans = [s for node in json.loads(profile.read_text())["operator"] for s in parquet_scans(node)]
    # of the file's three row groups, the one of 111_5 and 111_7: a join alone reads 222's too, in
    # the range of all the keys
    assert [(s["row_groups_scanned"], s["total_row_groups_to_scan"]) for s in scans] == [(1, 3)]


def test_a_row_group_that_many_accounts_share_is_read_once_not_once_an_account(tmp_path):
    # a month of quiet accounts: every account's rows in the file's one row group
    path = tmp_path / "messages" / "network=facebook" / "month=2026-01" / "compacted.parquet"
    path.parent.mkdir(parents=True)
    accounts = [f"{n}" for n in range(111, 116)]
    parts = [
        pq.read_table(write_messages(tmp_path / f"{a}.parquet", a, [f"{a}_1", f"{a}_2"])) for a in accounts
    ]
    pq.write_table(pa.concat_tables(parts), path)
    con = duckdb.connect()
    con.register("empty_messages", model.empty("messages"))
    con.execute("CREATE TABLE _messages_canonical AS SELECT * FROM empty_messages")
    con.execute(
        "CREATE TABLE keys AS SELECT 'facebook' AS network, a AS account_id, a || '_2' AS thread_id "
        f"FROM unnest({accounts}) t(a)"
    )
    sql = incremental.rows_of_keys(
        con, FilesOf([str(path)]), "messages", None, "keys", ("network", "account_id", "thread_id")
    )
    assert sql.count(str(path)) == 1  # one scan, not one for each of the five accounts
    rows = con.execute(f"SELECT thread_id FROM {sql} SEMI JOIN keys USING (thread_id) ORDER BY 1").fetchall()
    assert rows == [(f"{a}_2",) for a in accounts]
