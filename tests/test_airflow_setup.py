"""`python -m socialpulse airflow-setup`: creates the API pool, is safe to run again, and says which
connection of the accounts file is missing and how to add it; the DAGs' first task fails clearly
when the set-up never ran (a missing pool would leave the extract tasks "scheduled" forever)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from helpers import write_config

from socialpulse.airflow_setup import SETUP_VARIABLE, needed_connections
from socialpulse.config import load_config
from socialpulse.local import load_dags, output_to

X_ACCOUNT = (
    '  - {network: x, account_id: "2244994945", handle: "@acme", purpose: service, time_zone: UTC, '
    "connection_id: socialpulse_x_setup}\n"
)


def accounts_file(tmp_path):
    """The test config with an X account whose connection is socialpulse_x_setup."""
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("accounts:\n", "accounts:\n" + X_ACCOUNT, 1))
    return path


def socialpulse(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "socialpulse", *args],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def test_the_config_names_every_connection_it_needs(tmp_path):
    needed = {
        conn_id: command for conn_id, _, command in needed_connections(load_config(accounts_file(tmp_path)))
    }
    assert set(needed) == {"socialpulse_x_setup", "smtp_test"}
    assert needed["socialpulse_x_setup"].startswith(
        "airflow connections add socialpulse_x_setup --conn-type generic"
    )
    assert "access_token_secret" in needed["socialpulse_x_setup"]
    assert needed["smtp_test"].startswith("airflow connections add smtp_test --conn-type smtp")


def test_setup_creates_the_pool_and_prints_how_to_add_each_missing_connection(tmp_path, airflow_db):
    config = accounts_file(tmp_path)
    first = socialpulse(
        "airflow-setup", "--config", str(config), env={"AIRFLOW_CONN_SMTP_TEST": "smtp://localhost:25"}
    )
    assert first.returncode == 0, first.stderr
    assert "pool socialpulse_api:" in first.stdout
    assert "connection smtp_test (report board): exists" in first.stdout
    missing = [line for line in first.stdout.splitlines() if "MISSING" in line]
    assert missing == [
        "connection socialpulse_x_setup (account x/2244994945): MISSING; add it: airflow connections add "
        'socialpulse_x_setup --conn-type generic --conn-extra \'{"api_key": "...", "api_key_secret": "...", '
        '"access_token": "...", "access_token_secret": "..."}\''
    ]
    pool = subprocess.run(
        [sys.executable, "-m", "airflow", "pools", "get", "socialpulse_api", "--output", "json"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert json.loads(pool.stdout)[0]["pool"] == "socialpulse_api"


def test_setup_is_idempotent_and_strict_fails_while_a_connection_is_missing(tmp_path, airflow_db):
    config = accounts_file(tmp_path)
    strict = socialpulse("airflow-setup", "--config", str(config), "--strict")
    assert strict.returncode == 1 and "MISSING" in strict.stdout
    assert "Traceback" not in strict.stderr
    complete = {
        "AIRFLOW_CONN_SMTP_TEST": "smtp://localhost:25",
        "AIRFLOW_CONN_SOCIALPULSE_X_SETUP": json.dumps({"conn_type": "generic", "password": "t"}),
    }
    again = socialpulse("airflow-setup", "--config", str(config), "--strict", env=complete)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "pool socialpulse_api: exists with" in again.stdout and "MISSING" not in again.stdout


def test_a_missing_config_is_one_line_with_exit_code_2(tmp_path):
    result = socialpulse("airflow-setup", "--config", str(tmp_path / "nope.yml"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: configuration file not found: {tmp_path / 'nope.yml'} (set SOCIALPULSE_CONFIG)"
    ]


def test_without_the_setup_the_extract_dag_fails_at_its_first_task_naming_the_command(
    tmp_path, airflow_db, monkeypatch
):
    from airflow.models.variable import Variable

    monkeypatch.setenv("SOCIALPULSE_CONFIG", str(write_config(tmp_path)))
    marker = Variable.get(SETUP_VARIABLE, default_var=None)
    assert marker is not None  # the session's Airflow was set up with airflow-setup
    Variable.delete(SETUP_VARIABLE)
    try:
        with output_to(tmp_path / "task-logs.txt"):
            run = load_dags()["socialpulse_extract"].test(logical_date=dt.datetime(2026, 5, 2, tzinfo=dt.UTC))
    finally:
        Variable.set(SETUP_VARIABLE, marker)
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert str(run.state).endswith("failed")
    assert states["check_setup"].endswith("failed")
    assert not any(s.endswith("success") for task, s in states.items() if task != "check_setup"), states
    assert "Run: python -m socialpulse airflow-setup" in (tmp_path / "task-logs.txt").read_text()


@pytest.mark.parametrize("dag_id", ["socialpulse_extract", "socialpulse_backfill"])
def test_the_setup_check_runs_before_any_task_that_takes_a_pool_slot(dag_id):
    dag = load_dags()[dag_id]
    check = dag.get_task("check_setup")
    assert check.pool == "default_pool"
    for task in dag.tasks:
        if task.pool == "socialpulse_api":
            assert "check_setup" in task.get_flat_relative_ids(upstream=True), task.task_id
