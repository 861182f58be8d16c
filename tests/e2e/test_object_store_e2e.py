"""The real DAGs with the lake in an S3-compatible object store, as docker-compose runs them with
MinIO: extraction, validation, marts, the PDF report and its email, all through s3:// objects."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fakes.object_store import ACCESS_KEY, SECRET_KEY, s3_bucket
from helpers import write_config

from socialpulse import metrics
from socialpulse.config import load_config
from socialpulse.lake import Lake
from socialpulse.local import Mailbox, load_dags

UTC = dt.UTC
DAYS = (dt.date(2026, 10, 30), dt.date(2026, 10, 31))
MONTH = "2026-10"


@pytest.fixture(scope="module")
def s3_run(tmp_path_factory, airflow_db):
    root = tmp_path_factory.mktemp("s3-e2e")
    config_file = write_config(root, smtp_conn_id="smtp_s3", extra="lake_conn_id: socialpulse_lake\n")
    patch = pytest.MonkeyPatch()
    with s3_bucket() as store, Mailbox(root / "mailbox") as mailbox:
        patch.setenv("SOCIALPULSE_CONFIG", str(config_file))
        patch.setenv("SOCIALPULSE_LAKE_ROOT", store.url())
        patch.setenv("AIRFLOW_CONN_SOCIALPULSE_LAKE", store.connection_json())
        patch.setenv(
            "AIRFLOW_CONN_SMTP_S3",
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
        states = [
            str(
                dags["socialpulse_extract"]
                .test(logical_date=dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), UTC))
                .state
            )
            for day in DAYS
        ]
        states.append(str(dags["socialpulse_metrics"].test().state))
        states.append(
            str(dags["socialpulse_report"].test(logical_date=dt.datetime(2026, 11, 1, 6, tzinfo=UTC)).state)
        )
        config = load_config(config_file)
        # An independent copy of the bucket's Delta tables, fetched with boto3, for the marts check.
        local = root / "copy"
        for key in store.keys("lake/lake/"):
            target = local / key.removeprefix("lake/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(store.get(key))
        objects = {key: store.get(key) for key in store.keys()}  # noqa: SIM118 (an S3 bucket, not a dict)
        yield {
            "root": root,
            "store": store,
            "config": config,
            "states": states,
            "objects": objects,
            "messages": mailbox.messages(),
            "local_copy": Lake(local),
            "lake": Lake.from_config(config),
        }
    patch.undo()


def test_every_run_succeeds_with_every_file_in_the_bucket(s3_run):
    assert all(state.endswith("success") for state in s3_run["states"]), s3_run["states"]
    keys = set(s3_run["objects"])
    assert "lake/lake/messages/_delta_log/00000000000000000000.json" in keys
    published = {
        (r["account_id"], r["created_at"].date()) for r in s3_run["lake"].read("messages").to_pylist()
    }
    assert published == {(account, day) for day in DAYS for account in ("care", "deals")}
    assert all(
        "/network=simulated/month=" in key
        for key in keys
        if key.startswith("lake/lake/") and key.endswith(".parquet")
    )
    current = json.loads(s3_run["lake"].marts_dir().joinpath("current.json").read_text())["run_id"]
    files = s3_run["lake"].marts_manifest(current)["files"]
    assert {mart for mart, parts in files.items() if parts} == set(metrics.MARTS) - set(metrics.VIEW_MARTS)
    assert {f"lake/marts/{name}" for parts in files.values() for name in parts.values()} <= keys
    assert f"lake/marts/{current}/manifest.json" in keys
    assert {
        f"lake/reports/board/{MONTH}/{name}" for name in ("report.html", "email.html", "delivery.json")
    } <= keys
    assert any(
        key.startswith("lake/validation/simulated/care/") and key.endswith("result.html") for key in keys
    )
    assert not any("/staging/" in key or key.endswith(".partial") for key in keys)
    assert not (s3_run["root"] / "lake").exists()  # nothing was written to the local disk


def test_the_email_carries_the_pdf_stored_in_the_bucket(s3_run):
    assert len(s3_run["messages"]) == 1
    attachment = next(s3_run["messages"][0].iter_attachments())
    stored_pdf = [
        body
        for key, body in s3_run["objects"].items()
        if key.startswith(f"lake/reports/board/{MONTH}/") and key.endswith(".pdf")
    ]
    assert stored_pdf and attachment.get_content() == stored_pdf[0]


def test_marts_in_the_bucket_equal_marts_computed_from_a_copy_of_its_tables(s3_run):
    local = s3_run["local_copy"]
    metrics.compute_marts(local, sla=s3_run["config"].sla)
    lake = s3_run["lake"]
    for mart in ("service_monthly", "engagement_monthly", "audience_monthly", "staff_monthly"):
        stored = sorted(map(repr, metrics.read_mart(lake, mart).to_pylist()))
        expected = sorted(map(repr, metrics.read_mart(local, mart).to_pylist()))
        assert stored == expected and stored, mart


def test_no_object_holds_the_object_store_credentials(s3_run):
    for key, body in s3_run["objects"].items():
        assert SECRET_KEY.encode() not in body and ACCESS_KEY.encode() not in body, key
