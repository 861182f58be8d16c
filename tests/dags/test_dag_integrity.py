"""Every DAG imports cleanly, has no cycles, and keeps heavy imports out of parsing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from socialpulse.local import load_dags
from socialpulse.paths import DAGS_DIR

DAG_FILES = sorted(DAGS_DIR.glob("*.py"))
HEAVY_MODULES = ("pandas", "duckdb", "great_expectations", "weasyprint", "pyarrow.parquet")


@pytest.fixture(scope="module")
def dags():
    return load_dags()


def test_every_dag_file_imports_without_errors(dags):
    assert {"socialpulse_extract", "socialpulse_metrics", "socialpulse_report"} <= set(dags)
    assert {Path(dag.fileloc).name for dag in dags.values()} == {p.name for p in DAG_FILES}


def test_no_dag_has_a_cycle(dags):
    for dag in dags.values():
        dag.check_cycle()  # raises AirflowDagCycleException on a cycle
        assert dag.topological_sort()


def test_every_dag_is_tagged_documented_and_owned_by_socialpulse(dags):
    for dag in dags.values():
        assert "socialpulse" in dag.tags, dag.dag_id
        assert dag.doc_md and dag.doc_md.strip(), dag.dag_id


def test_extract_dag_has_data_intervals_for_backfill(dags):
    """A cron *trigger* timetable has empty intervals; extraction must get real day-long ones."""
    from airflow.sdk import CronDataIntervalTimetable

    assert isinstance(dags["socialpulse_extract"].timetable, CronDataIntervalTimetable)


def test_metrics_dag_is_scheduled_by_the_lake_asset(dags):
    from socialpulse.assets import LAKE

    extract_outlets = {o.uri for t in dags["socialpulse_extract"].tasks for o in getattr(t, "outlets", [])}
    assert LAKE.uri in extract_outlets
    assert LAKE.uri in str(dags["socialpulse_metrics"].timetable.asset_condition)


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_dag_file_does_not_import_heavy_libraries_at_top_level(dag_file):
    probe = (
        "import importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('probe_dag', {str(dag_file)!r})\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        f"print(json.dumps([m for m in {list(HEAVY_MODULES)!r} if m in sys.modules]))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
