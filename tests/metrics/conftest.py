"""The marts fixture: an empty lake in tmp_path for each metric test."""

import pytest
from mart_lake import MartLake


@pytest.fixture
def marts(tmp_path) -> MartLake:
    return MartLake(tmp_path / "lake")
