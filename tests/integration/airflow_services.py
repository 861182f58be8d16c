"""A real Airflow on this machine's PostgreSQL: metadata database, API server, scheduler, DAG processor,
and with the CeleryExecutor a Celery worker on this machine's Redis.

Everything runs in subprocesses with their own environment, so the pytest process (and its SQLite
Airflow home from tests/conftest.py) is never touched. Each test run gets a fresh database that is
dropped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from socialpulse.local import free_port
from socialpulse.paths import REPO_ROOT
from socialpulse.pools import API_POOL

POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
REDIS = "redis://127.0.0.1:6379"
# Compiled bytecode shared by every service and task process across test runs: without it each
# task process compiles Airflow and Great Expectations from source again (tens of seconds here).
BYTECODE_CACHE = Path(tempfile.gettempdir()) / "socialpulse-it-pycache"


def unreachable_services() -> str | None:
    """Why PostgreSQL or Redis on 127.0.0.1 cannot be used, or None when both answer."""
    import psycopg
    import redis

    try:
        psycopg.connect(dbname="postgres", connect_timeout=3, **POSTGRES).close()
    except psycopg.OperationalError as exc:
        return f"no PostgreSQL reachable at {POSTGRES['host']}:{POSTGRES['port']} as user {POSTGRES['user']}: {exc}".strip()
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"no Redis reachable at {REDIS} for the Celery broker: {exc}"
    return None


def services_or_skip() -> None:
    """Skip unless PostgreSQL and Redis answer; fail instead where CI requires them."""
    reason = unreachable_services()
    if reason and os.environ.get("SOCIALPULSE_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{reason} (SOCIALPULSE_REQUIRE_POSTGRES=1: this test must run here)")
    if reason:
        pytest.skip(reason)


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True, **POSTGRES) as conn:
        conn.execute(sql)


def query(database: str, sql: str, *params: Any) -> list[tuple]:
    import psycopg

    with psycopg.connect(dbname=database, connect_timeout=5, **POSTGRES) as conn:
        return conn.execute(sql, params).fetchall()


class AirflowOnPostgres:
    """Starts Airflow's services against a fresh PostgreSQL database; a context manager that cleans up."""

    def __init__(
        self,
        workdir: Path,
        config_file: Path,
        lake_root: Path | str,
        executor: str = "LocalExecutor",
        extra_env: dict[str, str] | None = None,
    ):
        self.workdir = workdir
        self.executor = executor
        self.database = f"socialpulse_it_{secrets.token_hex(4)}"
        self.port = free_port()
        self.broker = f"{REDIS}/{secrets.randbelow(15) + 1}"
        self.logs = workdir / "service-logs"
        self.processes: dict[str, subprocess.Popen] = {}
        self.env = self._environment(config_file, lake_root)
        self.env.update(extra_env or {})

    def _environment(self, config_file: Path, lake_root: Path | str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SOCIALPULSE_"))}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # compiled once into BYTECODE_CACHE, not per task
        env.update(
            {
                "AIRFLOW_HOME": str(self.workdir / "airflow"),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": (
                    f"postgresql+psycopg2://{POSTGRES['user']}@{POSTGRES['host']}:{POSTGRES['port']}/{self.database}"
                ),
                "AIRFLOW__CORE__EXECUTOR": self.executor,
                # two CPUs here: a few task processes at a time keep the services responsive
                "AIRFLOW__CORE__PARALLELISM": "4",
                # Celery: a queue of our own, so a shared Redis never hands our tasks to another worker
                "AIRFLOW__CELERY__BROKER_URL": self.broker,
                "AIRFLOW__CELERY__RESULT_BACKEND": (
                    f"db+postgresql://{POSTGRES['user']}@{POSTGRES['host']}:{POSTGRES['port']}/{self.database}"
                ),
                "AIRFLOW__OPERATORS__DEFAULT_QUEUE": self.database,
                # as in docker-compose.yml: workers import Great Expectations & co. once, before forking tasks
                "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": "socialpulse.celery_worker.CELERY_CONFIG",
                "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
                "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                # Airflow 3 tasks report to the API server's execution API, signed with a shared JWT secret
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.port}/execution/",
                "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{self.port}",
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
                "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
                "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
                "SOCIALPULSE_CONFIG": str(config_file),
                "SOCIALPULSE_LAKE_ROOT": str(lake_root),
                "GX_ANALYTICS_ENABLED": "False",
                "PYTHONPATH": str(REPO_ROOT / "plugins"),
                "PYTHONPYCACHEPREFIX": str(BYTECODE_CACHE),
            }
        )
        return env

    def airflow(self, *args: str, timeout: float = 300) -> str:
        """Run one `airflow ...` command to completion; its output, or an error that shows it."""
        done = subprocess.run(
            [sys.executable, "-m", "airflow", *args],
            check=False,  # a failure raises below, with the command's output
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.workdir,
        )
        if done.returncode != 0:
            raise AssertionError(
                f"`airflow {' '.join(args)}` exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return done.stdout

    def __enter__(self) -> AirflowOnPostgres:
        self.logs.mkdir(parents=True, exist_ok=True)
        _admin(f'CREATE DATABASE "{self.database}"')
        try:
            self.airflow("db", "migrate")
            # as docker/airflow-init.sh does: without the pool, extract tasks would never be scheduled
            done = subprocess.run(
                [sys.executable, "-m", "socialpulse", "airflow-setup"],
                check=False,
                env={**self.env, "SOCIALPULSE_API_POOL_SLOTS": "2"},
                capture_output=True,
                text=True,
                timeout=300,
                cwd=self.workdir,
            )
            if done.returncode != 0 or f"pool {API_POOL}" not in done.stdout:
                raise AssertionError(f"airflow-setup exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
            for service, args in self._services().items():
                # own session: the whole process group (task processes included) is stopped at the end
                with open(self.logs / f"{service}.log", "wb") as log:
                    self.processes[service] = subprocess.Popen(
                        [sys.executable, "-m", "airflow", *args],
                        env=self.env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        cwd=self.workdir,
                        start_new_session=True,
                    )
        except BaseException:
            self.__exit__()
            raise
        return self

    def _services(self) -> dict[str, list[str]]:
        services = {
            "api-server": ["api-server", "--port", str(self.port), "--workers", "1"],
            "scheduler": ["scheduler"],
            "dag-processor": ["dag-processor"],
        }
        if self.executor == "CeleryExecutor":
            services["celery-worker"] = [
                "celery",
                "worker",
                "--queues",
                self.database,
                "--concurrency",
                "4",
                "--skip-serve-logs",
                "--celery-hostname",
                f"{self.database}@%h",
                "--without-gossip",
                "--without-mingle",
            ]
        return services

    def __exit__(self, *exc) -> None:
        for process in self.processes.values():
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
        _admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        if self.executor == "CeleryExecutor":
            import redis

            # only the keys of our own queue: the Redis may be shared
            redis.Redis.from_url(self.broker).delete(self.database, f"_kombu.binding.{self.database}")

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise AssertionError(
                    f"airflow {name} exited with {process.returncode}:\n{self.service_log(name)}"
                )

    def service_log(self, name: str, chars: int = 4000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def query(self, sql: str, *params: Any) -> list[tuple]:
        return query(self.database, sql, *params)

    def wait_for(self, what: str, condition, timeout: float, every: float = 3) -> Any:
        """Poll `condition()` until it returns something truthy; fail with the services' logs after `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            result = condition()
            if result:
                return result
            time.sleep(every)
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n" + self.diagnosis())

    def diagnosis(self) -> str:
        """The states of runs and tasks, the tail of each service log and of failed task logs."""
        parts = [
            "dag runs: " + repr(self.query("SELECT run_id, run_type, state FROM dag_run ORDER BY run_id"))
        ]
        parts.append(
            "task instances: "
            + repr(
                self.query(
                    "SELECT run_id, task_id, map_index, state, try_number FROM task_instance WHERE state IS DISTINCT FROM 'success' ORDER BY run_id"
                )
            )
        )
        for name in self.processes:
            parts.append(f"--- {name} ---\n{self.service_log(name, 2500)}")
        for path in sorted((self.workdir / "airflow" / "logs").rglob("*.log"))[-3:]:
            parts.append(f"--- {path} ---\n{path.read_text(errors='replace')[-2500:]}")
        return "\n".join(parts)


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
