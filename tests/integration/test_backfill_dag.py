"""socialpulse_backfill, run for real with dag.test(): export folders mapped per file, API history
per account, and params that say what is missing."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from socialpulse import model
from socialpulse.lake import Lake
from socialpulse.paths import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "exports" / "fixtures"


@pytest.fixture
def backfill_dag(airflow_db, tmp_path, monkeypatch):
    """The DAG as the DAG processor parses it, with a config of one simulated and one Facebook account."""
    from airflow.dag_processing.dagbag import DagBag

    config = tmp_path / "socialpulse.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "lake_root": str(tmp_path / "lake"),
                "accounts": [
                    {"network": "simulated", "account_id": "care", "handle": "@care", "purpose": "service"},
                    {
                        "network": "facebook",
                        "account_id": "183542098374915",
                        "handle": "socialpulse.demo",
                        "purpose": "brand",
                        "time_zone": "Europe/Paris",
                        "connection_id": "socialpulse_facebook",
                        "options": {"date_order": "mdy"},  # Facebook's MM/DD; the fixture's days do not tell
                    },
                ],
            }
        )
    )
    monkeypatch.setenv("SOCIALPULSE_CONFIG", str(config))
    bag = DagBag(dag_folder=str(REPO_ROOT / "dags" / "socialpulse_backfill.py"))
    assert not bag.import_errors
    return bag.dags["socialpulse_backfill"]


def states(run) -> dict[tuple[str, int], str]:
    return {(ti.task_id, ti.map_index): str(ti.state) for ti in run.get_task_instances()}


def published_days(lake: Path, table: str) -> list[str]:
    """The UTC days with rows in the table, as YYYY-MM-DD."""
    spec = model.TABLES[table]
    days = {row[spec.date_column] for row in Lake(lake).read(table).to_pylist()}
    return sorted({(d.date() if isinstance(d, dt.datetime) else d).isoformat() for d in days})


def test_a_folder_of_exports_is_imported_one_mapped_task_per_file(backfill_dag, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in ("facebook_posts.csv", "facebook_page.csv"):
        shutil.copy(FIXTURES / name, folder / name)
    run = backfill_dag.test(
        run_conf={"account": "facebook/183542098374915", "format": "facebook_insights", "path": str(folder)}
    )
    assert str(run.state) == "success", states(run)
    assert states(run)[("import_export", 0)] == "success"
    assert states(run)[("import_export", 1)] == "success"
    assert ("backfill_account", -1) in states(run) and states(run)[("backfill_account", -1)] == "skipped"
    assert len(published_days(tmp_path / "lake", "audience_daily")) == 5
    assert published_days(tmp_path / "lake", "posts")


def test_a_file_moving_stored_rows_fails_its_task_unless_replace_existing(backfill_dag, tmp_path):
    header = "Post ID,Posted,Post Message,Lifetime Post Total Impressions,Reactions\n"
    account = "facebook/183542098374915"

    def import_posts(year: int) -> object:
        folder = tmp_path / f"exports-{year}"
        folder.mkdir()
        (folder / "posts.csv").write_text(
            header
            + "".join(f"p{day},{year}-10-{day:02d} 12:00:00,post {day},{day},1\n" for day in range(1, 6))
        )
        return backfill_dag.test(
            run_conf={"account": account, "format": "facebook_insights", "path": str(folder)}
        )

    assert str(import_posts(2017).state) == "success"
    # the same posts typed a year early would move five stored days: refused, the lake unchanged
    refused = import_posts(2016)
    assert states(refused)[("import_export", 0)] == "failed"
    assert published_days(tmp_path / "lake", "posts") == [f"2017-10-{day:02d}" for day in range(1, 6)]
    moved = backfill_dag.test(
        run_conf={
            "account": account,
            "format": "facebook_insights",
            "path": str(tmp_path / "exports-2016"),
            "replace_existing": True,
        }
    )
    assert str(moved.state) == "success", states(moved)
    assert published_days(tmp_path / "lake", "posts") == [f"2016-10-{day:02d}" for day in range(1, 6)]


def test_api_history_of_a_network_is_backfilled_day_by_day_into_the_lake(backfill_dag, tmp_path):
    run = backfill_dag.test(
        run_conf={"network": "simulated", "from_date": "2026-09-01", "to_date": "2026-09-03", "chunk_days": 2}
    )
    assert str(run.state) == "success", states(run)
    assert states(run)[("backfill_account", 0)] == "success"
    assert published_days(tmp_path / "lake", "audience_daily") == ["2026-09-01", "2026-09-02", "2026-09-03"]


def test_a_run_without_path_or_dates_fails_before_touching_the_lake(backfill_dag, tmp_path):
    run = backfill_dag.test(run_conf={"network": "simulated"})
    assert str(run.state) == "failed"
    assert states(run)[("list_api_accounts", -1)] == "failed"
    assert not (tmp_path / "lake").exists()
