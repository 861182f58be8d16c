"""A mart's DuckDB settings (metrics.MART_SETTINGS) hold for its statements only."""

import duckdb
import pytest

from socialpulse import metrics


def _disabled(con) -> str:
    return con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0]


def test_a_marts_settings_hold_while_it_runs_and_the_defaults_come_back_after_it():
    con = duckdb.connect()
    default = _disabled(con)
    with metrics.mart_settings(con, "service_requests"):
        assert _disabled(con) == "build_side_probe_side"
    assert _disabled(con) == default
    with metrics.mart_settings(con, "influence_leaders_monthly"):
        assert _disabled(con) == default


def test_the_defaults_come_back_when_the_mart_fails():
    con = duckdb.connect()
    default = _disabled(con)
    with pytest.raises(duckdb.Error), metrics.mart_settings(con, "service_requests"):
        con.execute("SELECT * FROM no_such_table")
    assert _disabled(con) == default


def test_every_mart_with_settings_is_a_mart():
    assert set(metrics.MART_SETTINGS) <= set(metrics.MARTS)
