"""A publish killed mid-way (a real SIGKILL) leaves every table at its old version or its new one,
never a mix inside a table, and its rerun gives the same lake as a clean run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from socialpulse import model
from socialpulse.lake import Lake
from socialpulse.paths import REPO_ROOT

PUBLISH_80_DAYS = textwrap.dedent(
    """
    import datetime as dt, sys
    from socialpulse.lake import Lake
    from socialpulse.domain import Account, Interval
    from socialpulse.networks.simulated import SimulatedNetwork

    seed = int(sys.argv[2])
    account = Account("simulated", "care", f"@acme_care{seed}", "service", "UTC", options={"requests_per_day": 400})
    interval = Interval(dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(2026, 3, 22, tzinfo=dt.timezone.utc))
    tables = SimulatedNetwork(seed=seed).extract(account, interval)
    print("generated", flush=True)
    Lake(sys.argv[1]).publish(account, interval, tables)
    print("published", flush=True)
    """
)


def _publish(root: Path, seed: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "plugins")}
    return subprocess.Popen(
        [sys.executable, "-c", PUBLISH_80_DAYS, str(root), str(seed)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def _contents(root: Path) -> dict[str, list]:
    lake = Lake(root)
    return {
        name: lake.read(name).sort_by([(c, "ascending") for c in spec.key]).to_pylist()
        for name, spec in model.TABLES.items()
    }


def test_sigkill_mid_publish_leaves_each_table_whole_at_its_old_or_new_version(tmp_path):
    killed_root, clean_root = tmp_path / "killed", tmp_path / "clean"
    assert _publish(killed_root, seed=3).wait() == 0
    old = _contents(killed_root)
    assert _publish(clean_root, seed=4).wait() == 0
    new = _contents(clean_root)
    changed = [t for t in model.TABLES if old[t] != new[t]]  # another seed and handle
    assert {"accounts", "posts", "messages"} <= set(changed)

    writer = _publish(killed_root, seed=4)
    assert writer.stdout.readline().strip() == "generated"
    first_commit = killed_root / "lake" / changed[0] / "_delta_log" / f"{1:020d}.json"
    deadline = time.monotonic() + 60
    while not first_commit.exists() and time.monotonic() < deadline:
        time.sleep(0.002)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert writer.returncode == -signal.SIGKILL, "the writer finished before it could be killed"

    after_kill = _contents(killed_root)
    states = {
        t: "old" if after_kill[t] == old[t] else "new" if after_kill[t] == new[t] else "mixed"
        for t in changed
    }
    assert "mixed" not in states.values(), states
    assert "old" in states.values(), f"killed too late to show anything: {states}"

    assert _publish(killed_root, seed=4).wait() == 0  # the rerun
    assert _contents(killed_root) == new
