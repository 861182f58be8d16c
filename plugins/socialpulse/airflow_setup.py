"""`python -m socialpulse airflow-setup`: the Airflow side of Social Pulse, from the data in
socialpulse.pools. Idempotent: run it after `airflow db migrate`, and again whenever you like.

1. Creates each pool that does not exist (an existing pool keeps the size it has been given).
2. Records what it set up in the Airflow Variable `socialpulse_setup`: the DAGs' first task reads it
   and fails at once, naming this command, when it is missing. (Airflow 3's Task SDK gives tasks no
   access to pools, and a task whose pool does not exist is never queued: it waits in "scheduled"
   with no message. The marker is how a task can tell the set-up never ran.)
3. Checks that every Airflow connection the accounts file names exists (each account's, each
   report's SMTP connection, the lake's), printing the command that adds each missing one.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from socialpulse.config import Config
from socialpulse.pools import API_POOL, connection_command, pools

SETUP_VARIABLE = "socialpulse_setup"
SMTP_ARGS = (
    "--conn-type smtp --conn-host smtp.example.com --conn-port 587 --conn-login ... --conn-password ..."
)
LAKE_ARGS = (
    '--conn-type aws --conn-login "$ACCESS_KEY" --conn-password "$SECRET_KEY" '
    '--conn-extra \'{"endpoint_url": "https://..."}\''
)


def needed_connections(config: Config) -> list[tuple[str, str, str]]:
    """(conn_id, who needs it, the command that adds it) for every connection the config names."""
    needed = [
        (a.connection_id, f"account {a.key}", connection_command(a.network, a.connection_id))
        for a in config.accounts
        if a.connection_id
    ]
    needed += [
        (r.smtp_conn_id, f"report {r.name}", f"airflow connections add {r.smtp_conn_id} {SMTP_ARGS}")
        for r in config.reports
    ]
    if config.lake_conn_id:
        needed.append(
            (config.lake_conn_id, "the lake", f"airflow connections add {config.lake_conn_id} {LAKE_ARGS}")
        )
    unique: dict[str, tuple[str, str, str]] = {}
    for item in needed:
        unique.setdefault(item[0], item)  # one line per connection, the first that needs it
    return list(unique.values())


def connection_exists(conn_id: str) -> bool:
    """In the metadata database, an AIRFLOW_CONN_* variable or a secrets backend."""
    from airflow.models.connection import Connection

    try:
        Connection.get_connection_from_secrets(conn_id)
    except Exception as exc:
        if type(exc).__name__ == "AirflowNotFoundException":
            return False
        raise
    return True


def setup(config: Config, out: Callable[[str], None] = print) -> list[str]:
    """Create the pools, write the marker, check the connections; returns the missing conn_ids."""
    from airflow.models.pool import Pool
    from airflow.models.variable import Variable

    for pool in pools():
        existing = Pool.get_pool(pool.name)
        if existing is None:
            Pool.create_or_update_pool(pool.name, pool.slots, pool.description, include_deferred=False)
            out(f"pool {pool.name}: created with {pool.slots} slots")
        else:
            out(f"pool {pool.name}: exists with {existing.slots} slots (kept)")
    Variable.set(SETUP_VARIABLE, json.dumps({"pools": [p.name for p in pools()]}))
    missing = []
    for conn_id, who, command in needed_connections(config):
        if connection_exists(conn_id):
            out(f"connection {conn_id} ({who}): exists")
        else:
            missing.append(conn_id)
            out(f"connection {conn_id} ({who}): MISSING; add it: {command}")
    return missing


def check_setup_marker() -> None:
    """In a task: fail at once, without retries, when airflow-setup never ran in this Airflow."""
    from airflow.sdk import Variable
    from airflow.sdk.exceptions import AirflowFailException

    if Variable.get(SETUP_VARIABLE, default=None) is None:
        raise AirflowFailException(
            f"Airflow is not set up for Social Pulse: the pool '{API_POOL}' the extract tasks need was "
            f"never created, and without it they would wait in 'scheduled' forever. "
            f"Run: python -m socialpulse airflow-setup"
        )
