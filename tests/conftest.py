"""Test-wide set-up: a private Airflow home on SQLite, created before anything imports Airflow."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from socialpulse.local import airflow_environment, migrate_metadata_db

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="socialpulse-test-airflow-"))
os.environ.update(airflow_environment(_AIRFLOW_HOME, _AIRFLOW_HOME / "lake"))
# Tests name their own config and lake; nothing from the developer's shell leaks in.
for _name in ("SOCIALPULSE_CONFIG", "SOCIALPULSE_LAKE_ROOT", "SOCIALPULSE_LAKE_CONN_ID"):
    os.environ.pop(_name, None)


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """Airflow's metadata database (SQLite) with the API pool, set up once per test session as the
    demo sets up its own."""
    migrate_metadata_db(_AIRFLOW_HOME / "migrate.log")
    return _AIRFLOW_HOME
