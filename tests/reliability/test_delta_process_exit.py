"""A process that publishes to the Delta lake and reads it back exits 0, every time.

delta-rs's own Arrow scan (DeltaTable.to_pyarrow_table) made 7 of 12 such processes abort at exit
with code 134 (delta-rs issue 2184); an Airflow task or CLI command that does its work and then
exits 134 is a failed run. The lake reads through the version's file list instead: this test runs
the real write-then-read sequence in fresh processes and checks their exit codes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from socialpulse.paths import REPO_ROOT

WRITE_THEN_READ = textwrap.dedent(
    """
    import datetime as dt, sys
    import duckdb
    from socialpulse.lake import Lake
    from socialpulse.domain import Account, Interval
    from socialpulse.networks.simulated import SimulatedNetwork

    account = Account("simulated", "care", "@acme_care", "service", "UTC")
    day = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=int(sys.argv[2]))
    interval = Interval(day, day + dt.timedelta(days=1))
    lake = Lake(sys.argv[1])
    tables = SimulatedNetwork(seed=3).extract(account, interval)
    lake.publish(account, interval, tables)
    lake.replace_rows(account, {"posts": tables["posts"]})  # the import path: a merge commit
    assert lake.read("messages").num_rows > 0
    con = duckdb.connect()
    lake.register_tables(con)
    assert con.execute("SELECT count(*) FROM posts").fetchone()[0] > 0
    print("done", flush=True)
    """
)


def test_write_then_read_processes_exit_cleanly_every_time(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "plugins")}
    codes = []
    for run in range(10):
        done = subprocess.run(
            [sys.executable, "-c", WRITE_THEN_READ, str(tmp_path / "lake"), str(run % 3)],
            check=False,
            capture_output=True,
            text=True,
            env=env,
        )
        assert "done" in done.stdout, done.stderr[-2000:]
        codes.append(done.returncode)
    assert codes == [0] * 10, codes
