"""Imports at once: four processes replacing rows by key (Lake.replace_rows, the import path) lose and
duplicate nothing, on an empty lake (all creating the tables) and again over their own rows."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from socialpulse import model
from socialpulse.lake import Lake
from socialpulse.paths import REPO_ROOT

# argv: root, account_id, first day (YYYY-MM-DD), days, [start-signal file]
REPLACE = textwrap.dedent(
    """
    import datetime as dt, json, os, sys, time
    from socialpulse.lake import Lake
    from socialpulse.domain import Account, Interval
    from socialpulse.networks.simulated import SimulatedNetwork

    root, account_id, first, days = sys.argv[1:5]
    start_file = sys.argv[5] if len(sys.argv) > 5 else None
    account = Account("simulated", account_id, f"@{account_id}", "service", "UTC", options={"requests_per_day": 150})
    start = dt.datetime.fromisoformat(first).replace(tzinfo=dt.timezone.utc)
    interval = Interval(start, start + dt.timedelta(days=int(days)))
    extracted = SimulatedNetwork(seed=3).extract(account, interval)
    tables = {name: extracted[name] for name in ("posts", "post_metrics_daily", "messages")}
    if start_file:
        print("ready", flush=True)
        while not os.path.exists(start_file):
            time.sleep(0.001)
    print(json.dumps(Lake(root).replace_rows(account, tables)), flush=True)
    """
)
WRITERS = [("care", "2026-03-01"), ("care", "2026-03-04"), ("deals", "2026-03-01"), ("deals", "2026-03-04")]


def _command(*args: str) -> list[str]:
    return [sys.executable, "-c", REPLACE, *args]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT / "plugins")}


def _contents(lake: Lake) -> dict[str, list]:
    return {
        name: lake.read(name).sort_by([(c, "ascending") for c in ("account_id", *spec.key)]).to_pylist()
        for name, spec in model.TABLES.items()
    }


def test_four_concurrent_imports_lose_and_duplicate_nothing(tmp_path: Path):
    serial = tmp_path / "serial"
    for account, day in WRITERS:
        subprocess.run(_command(str(serial), account, day, "3"), env=_env(), check=True, capture_output=True)
    expected = _contents(Lake(serial))
    assert expected["messages"] and expected["posts"]

    root, go = tmp_path / "lake", tmp_path / "go"
    for _ in range(2):
        writers = [
            subprocess.Popen(
                _command(str(root), account, day, "3", str(go)),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=_env(),
            )
            for account, day in WRITERS
        ]
        for writer in writers:
            assert writer.stdout.readline().strip() == "ready"
        go.touch()
        for writer in writers:
            _, err = writer.communicate(timeout=600)
            assert writer.returncode == 0, err[-3000:]
        go.unlink()
        got = _contents(Lake(root))
        for name, spec in model.TABLES.items():
            keys = [tuple(r[c] for c in ("account_id", *spec.key)) for r in got[name]]
            assert len(keys) == len(set(keys)), f"{name}: duplicated rows"
            assert got[name] == expected[name], (
                f"{name}: {len(got[name])} rows, expected {len(expected[name])}"
            )
