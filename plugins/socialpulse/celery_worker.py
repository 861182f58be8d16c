"""Celery settings for Social Pulse workers: Airflow's own, plus the heavy imports done once.

Airflow's Celery worker forks every task from its pool processes, and already preloads a few
Airflow modules before the pool starts (celery_executor_utils.on_celery_import_modules). Our
tasks import Great Expectations (about 8-12 s here), pandas, pyarrow and DuckDB; importing them
once in the worker, before it forks, spares every validation task that cost. Select it with

    AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS=socialpulse.celery_worker.CELERY_CONFIG

(docker-compose.yml does). The scheduler reads the same setting; the imports run only in workers.
"""

from __future__ import annotations

import logging
import time

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
from celery.signals import import_modules

log = logging.getLogger(__name__)

# Airflow's configuration unchanged (the same object, so team-specific settings still apply).
CELERY_CONFIG = DEFAULT_CELERY_CONFIG

PRELOAD = ("great_expectations", "pandas", "pyarrow.parquet", "duckdb")


@import_modules.connect
def preload_task_modules(*args, **kwargs) -> None:
    import importlib

    started = time.perf_counter()
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:  # a worker without them still runs tasks, just slower to start
            log.warning("could not preload %s", name, exc_info=True)
    log.info("preloaded %s in %.1f s", ", ".join(PRELOAD), time.perf_counter() - started)
