"""What the connector tests share besides fixtures: the token, fast retry settings, a pipeline run into a temporary lake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from socialpulse import pipeline
from socialpulse.config import load_config
from socialpulse.lake import Lake
from socialpulse.networks.base import Credentials

TOKEN = "tok-SECRET-4f9a1c7e-do-not-print"
# Waits a test can afford: retries back off in milliseconds; a longer rate limit fails the call.
FAST = {
    "backoff_seconds": 0.001,
    "max_backoff_seconds": 0.01,
    "timeout_seconds": 2,
    "max_rate_limit_wait_seconds": 5,
}


class Sleeps(list):
    """A sleep() that records what it was asked to wait instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def run_pipeline(
    tmp_path: Path,
    account: dict[str, Any],
    interval,
    secret: str | None = TOKEN,
    extra: dict[str, Any] | None = None,
) -> tuple[dict[str, int], dict[str, int], Path]:
    """Extract one account through the pipeline, validate and publish it; returns both counts and the lake.
    The connection holds `secret` as its password and `extra` as its extra."""
    lake = tmp_path / "lake"
    path = tmp_path / "socialpulse.yml"
    path.write_text(yaml.safe_dump({"lake_root": str(lake), "accounts": [account]}))
    config = load_config(path)
    acct = config.accounts[0]
    staged = pipeline.extract(
        config,
        acct,
        interval,
        credentials=lambda conn_id: Credentials(secret=secret, extra=extra, conn_id=conn_id),
    )
    published = pipeline.validate_and_publish(config, acct, interval)
    return staged, published, lake


def lake_rows(lake: Path, table: str) -> list[dict[str, Any]]:
    """The table's rows as readers see them: its current Delta version (older files are not rows)."""
    return Lake(lake).read(table).to_pylist()


def assert_no_secret(lake: Path, *texts: str) -> None:
    """The token appears in no text given and in no file written under the lake."""
    for text in texts:
        assert TOKEN not in text
    for path in lake.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), f"token leaked into {path}"
