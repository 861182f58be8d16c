"""One lake asset event per extract run, whatever the number of accounts: one metrics run per extract run."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers import write_config

from socialpulse.assets import LAKE
from socialpulse.local import load_dags

UTC = dt.UTC


@pytest.fixture(scope="module")
def dags():
    return load_dags()


def test_only_the_final_task_of_the_extract_dag_updates_the_lake_asset(dags):
    extract = dags["socialpulse_extract"]
    updating = [t for t in extract.tasks if any(o.name == LAKE.name for o in getattr(t, "outlets", []))]
    assert [t.task_id for t in updating] == ["lake_updated"]
    final = updating[0]
    # after every mapped publish, whatever their outcome; not mapped itself: one event per run
    assert final.upstream_task_ids == {"validate_and_publish"}
    assert final.trigger_rule == "all_done"
    assert not getattr(final, "is_mapped", False)
    # the run still fails when an account failed
    assert extract.get_task("every_account_published").trigger_rule == "all_success"
    assert extract.get_task("every_account_published").upstream_task_ids == {"validate_and_publish"}


def test_an_extract_run_of_two_accounts_emits_one_lake_event(dags, airflow_db, tmp_path, monkeypatch):
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    monkeypatch.setenv("SOCIALPULSE_CONFIG", str(write_config(tmp_path)))
    runs = []
    for day in (dt.date(2026, 5, 2), dt.date(2026, 5, 3)):
        run = dags["socialpulse_extract"].test(logical_date=dt.datetime.combine(day, dt.time(), UTC))
        assert str(run.state).endswith("success")
        runs.append(run.run_id)
    with create_session() as session:
        events = session.execute(
            select(AssetEvent.source_run_id, AssetEvent.source_task_id, func.count())
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetModel.name == LAKE.name, AssetEvent.source_run_id.in_(runs))
            .group_by(AssetEvent.source_run_id, AssetEvent.source_task_id)
        ).all()
    assert sorted(events) == sorted((run_id, "lake_updated", 1) for run_id in runs)
