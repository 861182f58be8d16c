"""The order the marts run in comes from the SQL: every file runs, each after the marts it reads."""

from __future__ import annotations

import pytest

from socialpulse import metrics
from socialpulse.paths import SQL_DIR


def test_every_sql_file_but_the_macros_is_a_mart_that_runs():
    files = {p.stem for p in SQL_DIR.glob("*.sql")}
    assert set(metrics.MARTS) == files - {metrics.MACROS}
    assert len(metrics.MARTS) == len(set(metrics.MARTS))


def test_each_mart_runs_after_every_mart_it_reads():
    marts = set(metrics.MARTS)
    for position, mart in enumerate(metrics.MARTS):
        inputs = metrics.mart_inputs(metrics.mart_sql(mart), marts - {mart})
        assert inputs <= set(metrics.MARTS[:position]), f"{mart} reads {inputs} before they are computed"
    # the known chains, so that a reader that finds nothing cannot pass the test above
    assert metrics.mart_inputs(metrics.mart_sql("service_monthly"), marts) >= {
        "service_requests",
        "negative_spikes_daily",
    }


def test_names_in_comments_and_strings_are_not_inputs():
    sql = "-- see service_requests\nSELECT 'service_requests' AS label, x FROM post_performance"
    assert metrics.mart_inputs(sql, {"service_requests", "post_performance"}) == {"post_performance"}


def test_a_new_sql_file_runs_after_its_inputs_without_being_listed(tmp_path):
    (tmp_path / "_macros.sql").write_text("CREATE MACRO one() AS 1;")
    (tmp_path / "a_summary.sql").write_text("SELECT count(*) FROM z_detail")
    (tmp_path / "z_detail.sql").write_text("SELECT * FROM messages")
    assert metrics.mart_order(tmp_path) == ("z_detail", "a_summary")


def test_marts_that_read_each_other_fail_naming_both(tmp_path):
    (tmp_path / "left.sql").write_text("SELECT * FROM right_side")
    (tmp_path / "right_side.sql").write_text("SELECT * FROM left")
    with pytest.raises(
        RuntimeError, match=r"circle: left reads \['right_side'\], right_side reads \['left'\]"
    ):
        metrics.mart_order(tmp_path)
