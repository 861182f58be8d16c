"""The CLI's mistakes are one clear line, never a traceback: `report` with a wrong report name, a
missing config, a month that is not a month or has not ended; `import` with an unknown format."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from helpers import write_config


def socialpulse(*args):
    return subprocess.run(
        [sys.executable, "-m", "socialpulse", *args],
        check=False,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=300,
    )


def one_error_line(result) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, result.stdout
    return lines[-1]


def test_a_wrong_report_name_names_the_reports_that_exist(tmp_path):
    result = socialpulse(
        "report", "--month", "2026-01", "--report", "bored", "--config", str(write_config(tmp_path))
    )
    assert result.returncode == 2
    assert (
        one_error_line(result) == f"error: {tmp_path / 'socialpulse.yml'}: no report 'bored' (known: board)"
    )


def test_a_missing_config_names_the_file(tmp_path):
    result = socialpulse("report", "--month", "2026-01", "--config", str(tmp_path / "missing.yml"))
    assert result.returncode == 2
    assert "configuration file not found" in one_error_line(result)


def test_a_month_that_has_not_ended_names_the_last_full_month(tmp_path):
    this_month = dt.date.today().strftime("%Y-%m")
    result = socialpulse("report", "--month", this_month, "--config", str(write_config(tmp_path)))
    assert result.returncode == 2
    assert f"month {this_month} has not ended yet" in one_error_line(result)


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "oct"])
def test_a_month_that_is_not_a_month_is_refused_by_the_argument_parser(tmp_path, month):
    result = socialpulse("report", "--month", month, "--config", str(write_config(tmp_path)))
    assert result.returncode == 2
    assert "give YYYY-MM with a month 01-12" in one_error_line(result)


def test_month_has_help():
    result = socialpulse("report", "--help")
    assert "--month YYYY-MM" in result.stdout and "the month to report, one that has ended" in result.stdout


def test_an_unknown_export_format_names_the_formats_that_exist(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text("a,b\n1,2\n")
    result = socialpulse(
        "import",
        "--account",
        "simulated/care",
        "--format",
        "twitter",
        str(export),
        "--config",
        str(write_config(tmp_path)),
    )
    assert result.returncode == 2
    line = one_error_line(result)
    assert "unknown export format 'twitter'; known formats:" in line and "twcs" in line
    assert "fix the file" not in result.stderr
