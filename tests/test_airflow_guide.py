"""docs/airflow.md, "Run it in your Airflow": its copy-paste sequence, run as written in a fresh
AIRFLOW_HOME (SQLite, the standalone commands, no Docker), sets Airflow up and runs a day of the
extract DAG end to end."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from pathlib import Path

from socialpulse.lake import Lake

REPO_ROOT = Path(__file__).resolve().parents[1]
GUIDE = REPO_ROOT / "docs" / "airflow.md"
MARKER = "# -- Social Pulse in your Airflow"


def guide_sequence() -> str:
    blocks = re.findall(r"```sh\n(.*?)```", GUIDE.read_text(), re.S)
    (sequence,) = [b for b in blocks if b.startswith(MARKER)]
    return sequence


def test_the_guide_has_one_tested_sequence_that_sets_up_pool_connections_and_runs_a_dag():
    sequence = guide_sequence()
    for step in (
        "airflow db migrate",
        "python -m socialpulse airflow-setup",
        "airflow connections add smtp_default",
        "airflow dags test socialpulse_extract",
    ):
        assert step in sequence


def test_the_guide_sequence_runs_in_a_fresh_airflow_home(tmp_path):
    home = tmp_path / "airflow"
    # Nothing of the test session's own Airflow (conftest.py) leaks in: only what the guide sets.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SOCIALPULSE", "PYTHONPATH"))}
    env.update(AIRFLOW_HOME=str(home), PATH=f"{REPO_ROOT / '.venv' / 'bin'}{os.pathsep}{env['PATH']}")
    script = "set -euo pipefail\n" + guide_sequence()
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-5000:]
    assert "pool socialpulse_api: created with 4 slots" in output
    assert (
        "connection smtp_default (report executive): MISSING; add it: airflow connections add smtp_default"
        in output
    )
    assert "connection smtp_default (report executive): exists" in output
    assert "socialpulse_report" in output
    lake = Lake(home / "socialpulse-lake")
    days = {r["created_at"].date() for r in lake.read("messages").to_pylist()}
    assert days == {dt.date(2026, 10, 1)}, output[-3000:]
