"""The lake in an S3-compatible object store: the same Delta tables, atomic commits and idempotent
publishes as on a local disk, with credentials only from an Airflow connection."""

from __future__ import annotations

import datetime as dt

import pytest
from fakes.object_store import ACCESS_KEY, SECRET_KEY, s3_bucket
from helpers import CARE, DEALS, day_interval, write_config

from socialpulse import metrics
from socialpulse.classify import classify_tables
from socialpulse.config import load_config
from socialpulse.lake import Lake
from socialpulse.networks.simulated import SimulatedNetwork

DAY = dt.date(2026, 3, 10)


@pytest.fixture(scope="module")
def store():
    with s3_bucket() as bucket:
        yield bucket


@pytest.fixture
def s3_lake(store, request):
    prefix = f"t-{request.node.name[:40]}"
    return Lake(store.url(prefix), store.storage_options()), prefix


def _extract(account, interval):
    """An extraction as the pipeline stages it: its messages classified."""
    return classify_tables(SimulatedNetwork(seed=3).extract(account, interval))


def test_publish_commits_delta_tables_partitioned_by_network_and_month_as_objects(store, s3_lake):
    lake, prefix = s3_lake
    interval = day_interval(DAY, days=2)
    tables = _extract(CARE, interval)
    lake.stage(CARE, interval, tables)
    assert any("/staging/" in key for key in store.keys(prefix))
    lake.publish(CARE, interval, lake.read_staged(CARE, interval))
    keys = store.keys(prefix)
    assert f"{prefix}/lake/messages/_delta_log/00000000000000000000.json" in keys
    data = [k for k in keys if k.startswith(f"{prefix}/lake/messages/") and k.endswith(".parquet")]
    assert data and all("/network=simulated/month=2026-03/" in k for k in data)
    assert len(data) == 1  # two days of one account: one file, not one per day
    assert not any("/staging/" in key or key.endswith(".partial") for key in keys)  # staging is cleared
    assert lake.read("messages").num_rows == tables["messages"].num_rows
    assert lake.versions()["messages"] == 0


def test_republishing_replaces_the_accounts_rows_and_drops_days_the_source_no_longer_has(store, s3_lake):
    lake, _ = s3_lake
    interval = day_interval(DAY, days=2)
    care, deals = _extract(CARE, interval), _extract(DEALS, interval)
    lake.publish(CARE, interval, care)
    lake.publish(DEALS, interval, deals)
    lake.publish(CARE, interval, care)
    assert lake.read("messages").num_rows == care["messages"].num_rows + deals["messages"].num_rows
    first_day_only = care["messages"].filter(
        [row["created_at"].date() == DAY for row in care["messages"].select(["created_at"]).to_pylist()]
    )
    lake.publish(CARE, interval, {"messages": first_day_only})
    stored = lake.read("messages").to_pylist()
    assert {r["created_at"].date() for r in stored if r["account_id"] == "care"} == {DAY}
    assert len(stored) == first_day_only.num_rows + deals["messages"].num_rows
    assert lake.versions()["messages"] == 3  # one commit per publish


def test_marts_from_the_object_store_equal_marts_from_a_local_copy(store, s3_lake, tmp_path):
    lake, prefix = s3_lake
    interval = day_interval(DAY, days=3)
    local = Lake(tmp_path / "local")
    for account in (CARE, DEALS):
        tables = _extract(account, interval)
        lake.publish(account, interval, tables)
        local.publish(account, interval, tables)
    remote_rows = metrics.compute_marts(lake)
    local_rows = metrics.compute_marts(local)
    assert remote_rows == local_rows and remote_rows["service_requests"] > 0
    # one of the set's files, and the pointer to the set
    assert {
        f"{prefix}/marts/current.json",
        f"{prefix}/marts/{next(iter(lake.marts_manifest()['files']['service_monthly'].values()))}",
    } <= set(store.keys(prefix))
    # and the next day's run, incremental on both, carries the same rows over from the object store
    later = day_interval(DAY + dt.timedelta(days=3))
    for account in (CARE, DEALS):
        tables = _extract(account, later)
        lake.publish(account, later, tables)
        local.publish(account, later, tables)
    assert metrics.compute_marts(lake) == metrics.compute_marts(local)
    assert lake.marts_manifest()["mode"] == local.marts_manifest()["mode"] == "incremental"
    for mart in metrics.MARTS:
        remote = metrics.read_mart(lake, mart).to_pylist()
        assert sorted(map(repr, remote)) == sorted(map(repr, metrics.read_mart(local, mart).to_pylist())), (
            mart
        )


@pytest.mark.parametrize("form", ["json", "uri"])
def test_the_configured_lake_takes_its_credentials_from_the_airflow_connection(
    store, tmp_path, monkeypatch, airflow_db, form
):
    config_file = write_config(tmp_path)
    monkeypatch.setenv("SOCIALPULSE_LAKE_ROOT", store.url(f"configured-{form}") + "/")
    monkeypatch.setenv("SOCIALPULSE_LAKE_CONN_ID", "socialpulse_lake")
    monkeypatch.setenv(
        "AIRFLOW_CONN_SOCIALPULSE_LAKE", store.connection_json() if form == "json" else store.connection_uri()
    )
    config = load_config(config_file)
    assert config.lake_root == store.url(f"configured-{form}") and config.lake_conn_id == "socialpulse_lake"
    lake = Lake.from_config(config)
    interval = day_interval(DAY)
    lake.publish(CARE, interval, _extract(CARE, interval))
    assert store.keys(f"configured-{form}/lake/posts/")
    # the URL and the repr name the bucket; the credentials stay out of both
    for text in (str(lake.root), repr(lake), str(lake.mart_run_dir("a-run"))):
        assert SECRET_KEY not in text and ACCESS_KEY not in text
    assert not (tmp_path / "lake").exists()  # nothing went to the local disk


def test_a_local_path_and_a_file_url_are_the_same_local_lake(tmp_path):
    assert not Lake(tmp_path).remote
    assert Lake(f"file://{tmp_path}").root == tmp_path.resolve()
