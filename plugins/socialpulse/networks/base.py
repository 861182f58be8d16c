"""The connector interface every network implements, and the registry that names them.

A connector knows one network's API and nothing else: given an account and a data interval it
returns canonical rows (see socialpulse.model). Adding a network is one module here and one line
in NETWORKS below.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import pyarrow as pa

from socialpulse.domain import Account, Interval
from socialpulse.lazy import load

# network name -> "module:ClassName". Imported lazily so that parsing a DAG stays cheap.
NETWORKS: dict[str, str] = {
    "simulated": "socialpulse.networks.simulated:SimulatedNetwork",
    "x": "socialpulse.networks.x:XNetwork",
    "facebook": "socialpulse.networks.facebook:FacebookNetwork",
    "instagram": "socialpulse.networks.instagram:InstagramNetwork",
    "linkedin": "socialpulse.networks.linkedin:LinkedInNetwork",
    "youtube": "socialpulse.networks.youtube:YouTubeNetwork",
}


class Credentials:
    """A secret and its extras, from an Airflow connection. Never printed: repr hides the secret."""

    def __init__(self, secret: str | None = None, extra: dict[str, Any] | None = None, conn_id: str = ""):
        self._secret = secret
        self.extra = dict(extra or {})
        self.conn_id = conn_id

    @property
    def secret(self) -> str | None:
        return self._secret

    def __repr__(self) -> str:
        return f"Credentials(conn_id={self.conn_id!r}, secret=***)"

    __str__ = __repr__


class ConnectorError(RuntimeError):
    """An extraction failure that the task reports as is: it says what to do, without secrets."""


class Connector(ABC):
    """Extracts one account's canonical rows for one data interval."""

    network: ClassVar[str]

    def __init__(self, credentials: Credentials | None = None, **settings: Any) -> None:
        from socialpulse.networks.issues import Issues  # it reads Account and Interval from here

        self.credentials = credentials
        self.settings = settings
        self.issues = Issues(self.network)  # what this extraction could not read (extraction_issues)

    @abstractmethod
    def extract(self, account: Account, interval: Interval) -> dict[str, pa.Table]:
        """Return canonical tables (name -> Arrow table) for rows dated inside the interval.

        post_metrics_daily and audience_daily hold one row per date of the interval; posts and
        messages those created inside it.
        """


def connector_class(network: str) -> type[Connector]:
    try:
        target = NETWORKS[network]
    except KeyError:
        raise ConnectorError(
            f"unknown network '{network}'; known networks: {', '.join(sorted(NETWORKS))}"
        ) from None
    return load(target)
