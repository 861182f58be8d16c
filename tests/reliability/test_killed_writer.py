"""A task killed mid-write (a real SIGKILL) leaves no partial partition, and its rerun gives the same rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyarrow.parquet as pq

from socialpulse import model
from socialpulse.lake import Lake
from socialpulse.paths import REPO_ROOT

PUBLISH_80_DAYS = textwrap.dedent(
    """
    import datetime as dt, sys
    from socialpulse.lake import Lake
    from socialpulse.domain import Account, Interval
    from socialpulse.networks.simulated import SimulatedNetwork

    account = Account("simulated", "care", "@acme_care", "service", "UTC", options={"requests_per_day": 400})
    interval = Interval(dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(2026, 3, 22, tzinfo=dt.timezone.utc))
    tables = SimulatedNetwork(seed=3).extract(account, interval)
    print("generated", flush=True)
    Lake(sys.argv[1]).publish(account, interval, tables)
    print("published", flush=True)
    """
)


def _publish(root: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "plugins")}
    return subprocess.Popen(
        [sys.executable, "-c", PUBLISH_80_DAYS, str(root)], stdout=subprocess.PIPE, text=True, env=env
    )


def _visible_files(root: Path) -> list[Path]:
    return sorted((root / "lake").glob("*/*/*/*.parquet"))


def test_sigkill_mid_publish_leaves_only_whole_files_and_a_rerun_matches_a_clean_run(tmp_path):
    killed_root, clean_root = tmp_path / "killed", tmp_path / "clean"
    writer = _publish(killed_root)
    assert writer.stdout.readline().strip() == "generated"
    deadline = time.monotonic() + 60
    while len(_visible_files(killed_root)) < 40 and time.monotonic() < deadline:
        time.sleep(0.005)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert writer.returncode == -signal.SIGKILL, "the writer finished before it could be killed"

    visible = _visible_files(killed_root)
    assert 40 <= len(visible) < 5 * 80  # it was killed part-way
    for path in visible:
        pq.read_table(path)  # every file a reader can see is whole: this raises on a torn file
    assert not [
        p
        for p in (killed_root / "lake").rglob("*")
        if p.is_file() and not p.name.endswith(".parquet") and not p.name.endswith(".partial")
    ]

    rerun = _publish(killed_root)
    assert rerun.wait() == 0
    clean = _publish(clean_root)
    assert clean.wait() == 0
    for table, spec in model.TABLES.items():
        order = [(column, "ascending") for column in spec.key]
        assert (
            Lake(killed_root).read(table).sort_by(order).equals(Lake(clean_root).read(table).sort_by(order))
        ), table
