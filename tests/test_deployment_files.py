"""The files production is built from agree with what the tests run: the image's lock is the test
lock without the test tools, and docker-compose.yml wires the settings the integration test uses."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]


def pins(lock_name: str) -> dict[str, str]:
    text = (REPO_ROOT / lock_name).read_text()
    return {
        m.group(1).lower(): m.group(2) for m in re.finditer(r"^([A-Za-z0-9_.\-\[\]]+)==(\S+)", text, re.M)
    }


def test_the_runtime_lock_is_the_test_lock_without_the_test_tools():
    full, runtime = pins("requirements.lock"), pins("requirements-runtime.lock")
    assert runtime and {name: full.get(name) for name in runtime} == runtime  # same versions
    for tool in ("pytest", "hypothesis", "moto", "pypdf"):
        assert tool in full and tool not in runtime
    for needed in ("apache-airflow", "great-expectations", "duckdb", "weasyprint", "s3fs"):
        assert needed in runtime


def test_compose_runs_celery_with_the_lake_in_the_object_store_and_the_worker_preload():
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    env = compose["x-airflow-common"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert "s3://" in env["SOCIALPULSE_LAKE_ROOT"] and env["SOCIALPULSE_LAKE_CONN_ID"] == "socialpulse_lake"
    assert "AIRFLOW_CONN_SOCIALPULSE_LAKE" in compose["services"]["airflow-worker"]["environment"]
    module, _, attribute = env["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"].rpartition(".")
    assert isinstance(getattr(importlib.import_module(module), attribute), dict)
    services = set(compose["services"])
    assert {
        "postgres",
        "redis",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "airflow-worker",
        "airflow-init",
        "mailpit",
        "minio",
        "minio-init",
    } <= services
    assert "requirements-runtime.lock" in (REPO_ROOT / "docker" / "Dockerfile").read_text()
