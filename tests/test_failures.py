"""Errors a retry cannot fix fail at once with one line naming the account and the fix; glitches keep
their retries (socialpulse.failures at the task boundary, and the CLI)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from helpers import write_config

from socialpulse.config import ConfigError
from socialpulse.failures import MissingConnection, fail_fast, permanent_reason
from socialpulse.http import AuthFailed
from socialpulse.local import load_dags, output_to
from socialpulse.networks.base import ConnectorError

X_ACCOUNT = (
    '  - {network: x, account_id: "2244994945", handle: "@acme", purpose: service, time_zone: UTC, '
    "connection_id: socialpulse_x_absent}\n"
)
FIX = "add it: airflow connections add socialpulse_x_absent --conn-type generic --conn-extra"


def config_with_unconnected_x_account(tmp_path):
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("accounts:\n", "accounts:\n" + X_ACCOUNT, 1))
    return path


@pytest.mark.parametrize(
    "error",
    [
        MissingConnection("x/1", "x", "socialpulse_x"),
        ConfigError("config/socialpulse.yml: accounts[0].purpose: 'selling' is not one of [...]"),
        AuthFailed("x GET /2/users/1/tweets: HTTP 401: token expired for connection 'socialpulse_x'"),
    ],
)
def test_a_permanent_error_fails_the_task_at_once_with_one_line(error):
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException) as raised, fail_fast("x/1"):
        raise error
    message = str(raised.value)
    assert "\n" not in message and "x/1" in message
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


@pytest.mark.parametrize(
    "glitch",
    [
        ConnectorError("x GET /2/users/1/tweets failed after 5 attempts: HTTP 503; rerun the task later"),
        TimeoutError("read timed out"),
    ],
)
def test_a_glitch_is_raised_as_it_is_and_keeps_its_retries(glitch):
    assert permanent_reason(glitch) is None
    with pytest.raises(type(glitch)), fail_fast("x/1"):
        raise glitch


def test_the_extract_task_retries_glitches_and_validation_never_retries():
    dag = load_dags()["socialpulse_extract"]
    assert dag.get_task("extract").retries == 2
    assert dag.get_task("validate_and_publish").retries == 0


def test_a_missing_connection_fails_the_extract_at_the_first_try_naming_account_and_fix(
    tmp_path, airflow_db, monkeypatch
):
    monkeypatch.setenv("SOCIALPULSE_CONFIG", str(config_with_unconnected_x_account(tmp_path)))
    log = tmp_path / "task-logs.txt"
    with output_to(log):
        run = load_dags()["socialpulse_extract"].test(logical_date=dt.datetime(2026, 5, 3, tzinfo=dt.UTC))
    extract = {ti.rendered_map_index: ti for ti in run.get_task_instances() if ti.task_id == "extract"}
    failed = extract["x/2244994945"]
    assert str(failed.state).endswith("failed") and failed.try_number == 1  # no retry, no 5-minute wait
    assert all(str(extract[k].state).endswith("success") for k in ("simulated/care", "simulated/deals"))
    logs = log.read_text()
    assert "account x/2244994945: the Airflow connection 'socialpulse_x_absent' does not exist" in logs
    assert FIX in logs


def test_the_cli_says_the_same_in_one_line_without_a_traceback(tmp_path, airflow_db):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "socialpulse",
            "backfill",
            "--account",
            "x/2244994945",
            "--from-date",
            "2026-05-01",
            "--to-date",
            "2026-05-02",
            "--config",
            str(config_with_unconnected_x_account(tmp_path)),
        ],
        check=False,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=300,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and FIX in errors[0] and "account x/2244994945" in errors[0]
