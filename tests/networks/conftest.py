"""Fixtures of the connector tests: a recorded sleep and the test connection's credentials."""

from __future__ import annotations

import pytest
from fakes.harness import TOKEN, Sleeps

from socialpulse.networks.base import Credentials


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def credentials() -> Credentials:
    return Credentials(secret=TOKEN, conn_id="socialpulse_test")
