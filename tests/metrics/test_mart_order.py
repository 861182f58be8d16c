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


def test_each_group_of_an_incremental_run_holds_every_mart_its_marts_read_in_run_order():
    seconds = {"influence_leaders_monthly": 5.0, "post_performance": 0.1}
    groups = metrics.mart_groups(metrics.MARTS, seconds)
    assert sorted(m for group in groups for m in group) == sorted(metrics.MARTS)
    marts = set(metrics.MARTS)
    for group in groups:
        assert list(group) == [m for m in metrics.MARTS if m in group]
        for mart in group:
            reads = metrics.mart_inputs(
                metrics.mart_sql(mart) + (metrics.read_sql(mart) or ""), marts - {mart}
            )
            assert reads <= set(group), f"{mart} reads {reads - set(group)} of another group"
    assert groups[0] == ("influence_leaders_monthly",)  # the longest by the seconds given
    assert {"service_requests", "service_monthly", "negative_spikes_daily"} <= set(groups[1] + groups[2])
    assert len(groups) > 2  # groups that could run beside each other


def test_a_failing_mart_of_one_group_fails_the_run_after_the_groups_running_end():
    import duckdb

    con = duckdb.connect()
    ran: list[str] = []

    def compute(cursor, mart: str) -> None:
        if mart == "bad":
            raise RuntimeError("mart bad failed")
        # each connection has the run's variables, as the mart SQL reads them
        assert cursor.execute("SELECT getvariable('sla_hours')").fetchone() == (24.0,)
        ran.append(mart)

    groups = [("bad",), ("a", "b"), ("c",)]
    with pytest.raises(RuntimeError, match="mart bad failed"):
        metrics._in_parallel(con, groups, compute, metrics.SlaPolicy(default_hours=24), None)
    assert "a" in ran and "b" in ran  # the group beside it ended as it began
