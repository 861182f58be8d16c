"""Manual triggers, as Airflow 3 makes them: the UI, `airflow dags trigger` and the REST API's
POST /api/v2/dags/{dag_id}/dagRuns with `"logical_date": null` create a run without a logical date and
without a data interval (only run_after). Both DAGs run such a run to success: the extract covers the
last full UTC day before run_after, the report the last full month (socialpulse.runs)."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from helpers import write_config

from socialpulse.config import load_config
from socialpulse.lake import Lake
from socialpulse.local import Mailbox, load_dags, output_to

UTC = dt.UTC
TRIGGERED_AT = dt.datetime(2026, 7, 3, 14, 30, tzinfo=UTC)  # the extract covers 2 July
REPORT_TRIGGERED_AT = dt.datetime(2026, 8, 12, 9, tzinfo=UTC)  # the report covers July


def api_trigger(dag, payload: dict) -> dict:
    """What POST /api/v2/dags/{dag_id}/dagRuns makes of a payload: Airflow's own request model and
    its validate_context (airflow.api_fastapi.core_api.datamodels.dag_run), on the serialized DAG
    the api-server holds."""
    from airflow.api_fastapi.core_api.datamodels.dag_run import TriggerDAGRunPostBody
    from airflow.serialization.serialized_objects import DagSerialization

    body = TriggerDAGRunPostBody.model_validate(payload)
    return body.validate_context(DagSerialization.deserialize_dag(DagSerialization.serialize_dag(dag)))


def run_as_triggered(dag, payload: dict):
    """Run the DAG with the logical date, run_after and conf the API gives the run it creates."""
    params = api_trigger(dag, payload)
    return dag.test(
        logical_date=params["logical_date"], run_after=params["run_after"], run_conf=params["conf"]
    )


@pytest.fixture(scope="module")
def manual_runs(tmp_path_factory, airflow_db):
    root = tmp_path_factory.mktemp("manual")
    config_file = write_config(root, smtp_conn_id="smtp_manual")
    patch = pytest.MonkeyPatch()
    with Mailbox(root / "mailbox") as mailbox, output_to(root / "task-logs.txt"):
        patch.setenv("SOCIALPULSE_CONFIG", str(config_file))
        patch.setenv(
            "AIRFLOW_CONN_SMTP_MANUAL",
            json.dumps(
                {
                    "conn_type": "smtp",
                    "host": "127.0.0.1",
                    "port": mailbox.port,
                    "extra": {"disable_tls": True, "disable_ssl": True, "retry_limit": 1},
                }
            ),
        )
        dags = load_dags()
        extract_params = api_trigger(
            dags["socialpulse_extract"], {"logical_date": None, "run_after": TRIGGERED_AT.isoformat()}
        )
        extract = run_as_triggered(
            dags["socialpulse_extract"], {"logical_date": None, "run_after": TRIGGERED_AT.isoformat()}
        )
        report = run_as_triggered(
            dags["socialpulse_report"], {"logical_date": None, "run_after": REPORT_TRIGGERED_AT.isoformat()}
        )
        messages = mailbox.messages()
    patch.undo()
    yield {
        "extract_params": extract_params,
        "extract": extract,
        "report": report,
        "messages": messages,
        "lake": Lake.from_config(load_config(config_file)),
        "logs": (root / "task-logs.txt").read_text(),
    }


def test_the_api_gives_a_manual_run_no_logical_date_and_no_data_interval(manual_runs):
    params = manual_runs["extract_params"]
    assert params["logical_date"] is None and params["data_interval"] is None
    assert params["run_after"] == TRIGGERED_AT


def test_a_manual_extract_run_succeeds_and_covers_the_last_full_day(manual_runs):
    run = manual_runs["extract"]
    assert run.logical_date is None and run.data_interval_start is None
    states = {(ti.task_id, ti.map_index): str(ti.state) for ti in run.get_task_instances()}
    assert str(run.state).endswith("success"), (states, manual_runs["logs"][-3000:])
    lake = manual_runs["lake"]
    days = {r["created_at"].date() for r in lake.read("messages").to_pylist()}
    assert days == {dt.date(2026, 7, 2)}


def test_a_manual_report_run_succeeds_and_reports_the_last_full_month(manual_runs):
    run = manual_runs["report"]
    assert run.logical_date is None
    assert str(run.state).endswith("success"), manual_runs["logs"][-3000:]
    assert (manual_runs["lake"].report_dir("board", "2026-07")).is_dir()
    assert len(manual_runs["messages"]) == 1 and "July 2026" in manual_runs["messages"][0]["Subject"]


def test_mapped_task_instances_are_labelled_by_account_and_report(manual_runs):
    extract_labels = {
        ti.rendered_map_index for ti in manual_runs["extract"].get_task_instances() if ti.task_id == "extract"
    }
    assert extract_labels == {"simulated/care", "simulated/deals"}
    render_labels = {
        ti.rendered_map_index for ti in manual_runs["report"].get_task_instances() if ti.task_id == "render"
    }
    assert render_labels == {"board 2026-07"}


@pytest.fixture(scope="module")
def report_params():
    return load_dags()["socialpulse_report"].params


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "2026-7", "July"])
def test_the_api_refuses_a_month_param_that_is_not_a_month(report_params, month):
    from airflow.sdk.exceptions import ParamValidationError

    params = copy.deepcopy(report_params)
    with pytest.raises(ParamValidationError, match="month"):
        params.update({"month": month})
        params.validate()
