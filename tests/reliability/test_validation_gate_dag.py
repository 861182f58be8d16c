"""The gate inside the real DAG: a corrupted day fails its validation task with the reason, stays out
of the lake, and the marts computed afterwards do not contain it."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from helpers import write_config

from socialpulse import metrics
from socialpulse.config import load_config
from socialpulse.lake import Lake
from socialpulse.local import load_dags, output_to
from socialpulse.networks.simulated import SimulatedNetwork

UTC = dt.UTC
GOOD_DAY, BAD_DAY = dt.date(2026, 6, 1), dt.date(2026, 6, 2)


def _corrupted_extract(original):
    """Negative likes, a duplicated message id and a reply dated before its parent."""

    def extract(self, account, interval):
        tables = original(self, account, interval)
        metrics = tables["post_metrics_daily"]
        likes = metrics.schema.get_field_index("likes")
        tables["post_metrics_daily"] = metrics.set_column(
            likes, "likes", pa.array([-1] * metrics.num_rows, pa.int64())
        )
        messages = tables["messages"].to_pylist()
        replies = [m for m in messages if m["parent_id"] in {p["message_id"] for p in messages}]
        replies[0]["created_at"] = interval.start  # before its parent, which came later that day
        messages.append(dict(messages[0]))
        tables["messages"] = pa.Table.from_pylist(messages, schema=tables["messages"].schema)
        return tables

    return extract


def test_a_corrupted_day_fails_validation_and_never_reaches_the_marts(tmp_path, airflow_db, monkeypatch):
    config_file = write_config(tmp_path)
    monkeypatch.setenv("SOCIALPULSE_CONFIG", str(config_file))
    log = tmp_path / "task-logs.txt"
    with output_to(log):
        dags = load_dags()
        good = dags["socialpulse_extract"].test(logical_date=dt.datetime.combine(BAD_DAY, dt.time(), UTC))
        with monkeypatch.context() as patch:
            patch.setattr(SimulatedNetwork, "extract", _corrupted_extract(SimulatedNetwork.extract))
            bad = dags["socialpulse_extract"].test(
                logical_date=dt.datetime.combine(BAD_DAY + dt.timedelta(days=1), dt.time(), UTC)
            )
        metrics_run = dags["socialpulse_metrics"].test()
    assert str(good.state).endswith("success") and str(metrics_run.state).endswith("success")
    assert str(bad.state).endswith("failed")
    states = {ti.task_id: str(ti.state) for ti in bad.get_task_instances()}
    failed = {task for task, state in states.items() if state.endswith("failed")}
    # the account's task failed, the run's check says so, and nothing published: no lake event
    assert failed == {"validate_and_publish", "every_account_published"}
    assert states["every_account_published"].endswith("upstream_failed")
    assert states["lake_updated"].endswith("skipped")

    logs = log.read_text()
    assert "validation failed for simulated/care" in logs
    for reason in ("post_metrics_daily.likes", "messages.message_id", "messages.created_at"):
        assert reason in logs, reason

    lake = Lake.from_config(load_config(config_file))
    published_days = {r["created_at"].date() for r in lake.read("messages").to_pylist()}
    assert published_days == {GOOD_DAY}
    assert (lake.root / "staging" / "simulated" / "care").is_dir()  # kept for inspection
    assert any(lake.root.glob("validation/simulated/care/20260602*/result.html"))
    requests = metrics.read_mart(lake, "service_requests").to_pylist()
    assert requests and all(r["created_at"].date() == GOOD_DAY for r in requests)
    assert (
        min(
            r["likes"]
            for r in metrics.read_mart(lake, "post_performance").to_pylist()
            if r["likes"] is not None
        )
        >= 0
    )
