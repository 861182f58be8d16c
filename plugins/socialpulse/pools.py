"""The Airflow settings Social Pulse needs, as data: its pools, and the connection each network's
accounts use. `python -m socialpulse airflow-setup` creates the pools and checks the connections;
docker/airflow-init.sh runs it; docs/airflow.md and docs/production.md explain them.

Every task that calls a network's API (the daily extract and the API backfill) takes a slot of
the API pool, whichever DAG it comes from, so its size bounds the calls in flight across all
Celery workers (docs/production.md sizes it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

API_POOL = "socialpulse_api"
API_POOL_DEFAULT_SLOTS = 4
API_POOL_DESCRIPTION = "Social Pulse: concurrent extractions against the networks' APIs"


@dataclass(frozen=True)
class PoolSetting:
    name: str
    slots: int
    description: str


def pools() -> list[PoolSetting]:
    """The pools to create; the API pool's size comes from $SOCIALPULSE_API_POOL_SLOTS (default 4)."""
    slots = os.environ.get("SOCIALPULSE_API_POOL_SLOTS", "").strip()
    return [
        PoolSetting(API_POOL, int(slots) if slots.isdigit() else API_POOL_DEFAULT_SLOTS, API_POOL_DESCRIPTION)
    ]


# What `airflow connections add <conn_id>` needs per network (docs/connectors.md has the details).
CONNECTION_ARGS: dict[str, str] = {
    "x": '--conn-type generic --conn-extra \'{"api_key": "...", "api_key_secret": "...", '
    '"access_token": "...", "access_token_secret": "..."}\'',
    "facebook": '--conn-type generic --conn-password "$PAGE_ACCESS_TOKEN"',
    "instagram": '--conn-type generic --conn-password "$FACEBOOK_ACCESS_TOKEN"',
    "linkedin": '--conn-type generic --conn-extra \'{"client_id": "...", "client_secret": "...", '
    '"refresh_token": "..."}\'',
    "youtube": '--conn-type generic --conn-extra \'{"client_id": "...", "client_secret": "...", '
    '"refresh_token": "..."}\'',
}


def connection_command(network: str, conn_id: str) -> str:
    """The command that creates the connection an account of this network needs."""
    args = CONNECTION_ARGS.get(network, '--conn-type generic --conn-password "$TOKEN"')
    return f"airflow connections add {conn_id} {args}"
