"""Running the real DAGs on one machine without a scheduler: the embedded default behind `make demo`.

Airflow's metadata lives in SQLite under a local folder, the DAGs run in-process with `dag.test()`,
and email goes to an SMTP server on loopback that stores each message as an .eml file.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import TYPE_CHECKING

from socialpulse.paths import DAGS_DIR, PLUGINS_DIR

if TYPE_CHECKING:
    from aiosmtpd.controller import Controller


def airflow_environment(home: Path, lake_root: Path, smtp_port: int | None = None) -> dict[str, str]:
    """Environment for a self-contained Airflow: SQLite metadata, this repo's DAGs and plugins."""
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PLUGINS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "SOCIALPULSE_LAKE_ROOT": str(lake_root),
        "GX_ANALYTICS_ENABLED": "False",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PLUGINS_DIR), os.environ.get("PYTHONPATH")])),
    }
    if smtp_port is not None:
        env["AIRFLOW_CONN_SMTP_DEFAULT"] = json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": smtp_port,
                "extra": {"disable_tls": True, "disable_ssl": True, "retry_limit": 2, "timeout": 10},
            }
        )
    return env


def migrate_metadata_db(log_file: Path) -> None:
    """`airflow db migrate` and `socialpulse airflow-setup` (the API pool), as docker/airflow-init.sh
    does, in subprocesses (the Airflow CLI configures logging its own way)."""
    commands = (["airflow", "db", "migrate"], ["socialpulse", "airflow-setup"])
    with open(log_file, "ab") as log:
        for command in commands:
            subprocess.run(
                [sys.executable, "-m", *command],
                check=True,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=os.environ.copy(),
            )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """A real SMTP server on loopback (aiosmtpd) that keeps every message it receives as an .eml file."""

    def __init__(self, folder: Path, port: int | None = None):
        self.folder = folder
        self.port = port or free_port()
        self._controller: Controller | None = None

    def __enter__(self) -> Mailbox:
        from aiosmtpd.controller import Controller

        self.folder.mkdir(parents=True, exist_ok=True)
        folder = self.folder

        class SaveToFolder:
            async def handle_DATA(self, server, session, envelope):
                name = f"{time.time_ns()}.eml"
                (folder / name).write_bytes(envelope.original_content or envelope.content)
                (folder / f"{name}.rcpt").write_text("\n".join(envelope.rcpt_tos))
                return "250 Message accepted for delivery"

        self._controller = Controller(SaveToFolder(), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._controller:
            self._controller.stop()

    def messages(self) -> list:
        return [
            message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(self.folder.glob("*.eml"))
        ]

    def recipients(self) -> list[list[str]]:
        return [p.read_text().splitlines() for p in sorted(self.folder.glob("*.eml.rcpt"))]


@contextlib.contextmanager
def output_to(log_file: Path) -> Iterator[None]:
    """Send everything written to stdout/stderr (file descriptors included) to a log file."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    # sys.stdout may be a Python object of its own (pytest's capture, for one): point it at the
    # file descriptors too. These streams are never closed, because loggers keep a reference to
    # the stream they first saw; after the block the descriptors lead back to the terminal.
    stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115 (never closed, see above)
    stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    # Log handlers made earlier hold the stdout/stderr objects of their time: they follow too.
    retargeted = _retarget_stream_handlers({id(sys.stdout): stdout, id(sys.stderr): stderr})
    with open(log_file, "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                yield
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                for handler, stream in retargeted:
                    handler.setStream(stream)
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
                os.close(saved[0])
                os.close(saved[1])


def _retarget_stream_handlers(new_streams: dict[int, object]) -> list[tuple[logging.StreamHandler, object]]:
    """Point every logging StreamHandler writing to a stream in new_streams (by id) at its new stream;
    returns (handler, old stream) pairs to restore."""
    loggers = [
        logging.getLogger(),
        *(v for v in logging.Logger.manager.loggerDict.values() if isinstance(v, logging.Logger)),
    ]
    retargeted = []
    for logger in loggers:
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler and id(handler.stream) in new_streams:
                old = handler.setStream(new_streams[id(handler.stream)])
                if old is not None:
                    retargeted.append((handler, old))
    return retargeted


def load_dags() -> dict:
    """The repository's DAGs, parsed the way the DAG processor does; fails on any import error."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    return bag.dags
