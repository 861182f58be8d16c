"""Failures no retry can fix fail the extract task at once; every API task has an overall time bound.

A missing connection, a refused token or a mistyped option used to go through the DAG's two retries
(five minutes apart, after the HTTP layer's own); now the task raises AirflowFailException, which Airflow
does not retry. execution_timeout bounds a whole task however its requests behave.
"""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from airflow.sdk.exceptions import AirflowFailException
from fakes.harness import FAST, TOKEN
from fakes.youtube_api import CHANNEL_ID, FakeYouTubeApi

from socialpulse import pipeline
from socialpulse.http import AuthFailed, Unrecoverable
from socialpulse.local import load_dags

UTC = dt.UTC
START, END = dt.datetime(2026, 11, 2, tzinfo=UTC), dt.datetime(2026, 11, 3, tzinfo=UTC)


@pytest.fixture(scope="module")
def dags():
    return load_dags()


def test_a_missing_connection_is_unrecoverable_and_says_what_to_create():
    with pytest.raises(Unrecoverable, match="no Airflow connection 'socialpulse_nowhere': create it"):
        pipeline.airflow_credentials("socialpulse_nowhere")


@pytest.mark.parametrize(
    ("dag_id", "task_id"), [("socialpulse_extract", "extract"), ("socialpulse_backfill", "backfill_account")]
)
def test_every_api_task_has_an_execution_timeout(dags, dag_id, task_id):
    timeout = dags[dag_id].get_task(task_id).execution_timeout
    assert timeout is not None and dt.timedelta(0) < timeout <= dt.timedelta(hours=12)


def extract_task(dags, tmp_path, monkeypatch, account: dict):
    path = tmp_path / "socialpulse.yml"
    path.write_text(yaml.safe_dump({"lake_root": str(tmp_path / "lake"), "accounts": [account]}))
    monkeypatch.setenv("SOCIALPULSE_CONFIG", str(path))
    task = dags["socialpulse_extract"].get_task("extract")
    key = f"{account['network']}/{account['account_id']}"
    return lambda: task.python_callable(key, data_interval_start=START, data_interval_end=END)


def test_the_extract_task_fails_at_once_without_its_connection(dags, tmp_path, monkeypatch):
    run = extract_task(
        dags,
        tmp_path,
        monkeypatch,
        {
            "network": "youtube",
            "account_id": CHANNEL_ID,
            "handle": "Pulse",
            "purpose": "brand",
            "connection_id": "socialpulse_nowhere",
        },
    )
    with pytest.raises(
        AirflowFailException, match="the Airflow connection 'socialpulse_nowhere' does not exist"
    ):
        run()


def test_the_extract_task_fails_at_once_on_a_refused_token_but_retries_an_outage(dags, tmp_path, monkeypatch):
    fake = FakeYouTubeApi(TOKEN, START.date()).start()
    try:
        monkeypatch.setenv(
            "AIRFLOW_CONN_SOCIALPULSE_YOUTUBE", f'{{"conn_type": "generic", "password": "{TOKEN}"}}'
        )
        account = {
            "network": "youtube",
            "account_id": CHANNEL_ID,
            "handle": "Pulse",
            "purpose": "brand",
            "connection_id": "socialpulse_youtube",
            "options": {"base_url": fake.base_url, **FAST, "max_attempts": 2},
        }
        run = extract_task(dags, tmp_path, monkeypatch, account)
        fake.expired = True
        with pytest.raises(AirflowFailException, match="token expired or missing permission") as error:
            run()
        assert isinstance(error.value.__context__, AuthFailed) and TOKEN not in str(error.value)

        fake.expired = False
        from fakes.server import Reply

        fake.fail(r"/youtube/v3/channels$", Reply(503, {}), Reply(503, {}))
        with pytest.raises(Exception) as outage:  # worth a retry of the task later: not AirflowFailException
            run()
        assert not isinstance(outage.value, AirflowFailException) and "failed after 2 attempts" in str(
            outage.value
        )
    finally:
        fake.stop()
