"""Fixtures of the connector tests: a recorded sleep and the test connection's credentials."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The fake APIs and the test harness live in tests/fakes, a sibling of this folder; tests/ is not a package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fakes.harness import TOKEN, Sleeps

from socialpulse.networks.base import Credentials


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def credentials() -> Credentials:
    return Credentials(secret=TOKEN, conn_id="socialpulse_test")
