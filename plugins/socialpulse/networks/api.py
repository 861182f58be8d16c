"""What every connector of an HTTP API shares: the options it reads, its client, its page size, its lookback.

A network module subclasses ApiConnector, names its own options and default page size, and builds its
client in connect(); the rest of the constructor is here, once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from abc import abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from socialpulse import http
from socialpulse.domain import Interval
from socialpulse.networks.base import Connector, Credentials

DEFAULT_LOOKBACK_DAYS = 7  # a post's totals keep moving for about a week
COMMON_OPTIONS = frozenset(
    {"base_url", "lookback_days", "page_size", *(f.name for f in dataclasses.fields(http.RetryPolicy))}
)


class ApiConnector(Connector):
    """A connector reading one network's HTTP API through an http.ApiClient."""

    own_options: ClassVar[frozenset[str]] = frozenset()  # the network's options besides COMMON_OPTIONS
    default_page_size: ClassVar[int] = 100
    max_page_size: ClassVar[int | None] = None  # the most the API gives in one page, where it caps it

    def __init__(
        self,
        credentials: Credentials | None = None,
        sleep: Callable[[float], None] | None = None,  # time.sleep; tests pass a recorder
        **settings: Any,
    ) -> None:
        super().__init__(credentials, **settings)
        self.check_options()
        self.policy = http.RetryPolicy.from_settings(settings)
        self.sleep = sleep
        page_size = int(settings.get("page_size", self.default_page_size))
        self.page_size = min(page_size, self.max_page_size) if self.max_page_size else page_size
        self.client = self.connect(credentials)
        self.issues.scrub = self.client.scrub

    @abstractmethod
    def connect(self, credentials: Credentials | None) -> http.ApiClient:
        """The client of the network's API (built with api_client(); a network with two APIs keeps the other)."""

    def api_client(self, base_url: str, credentials: Any, **options: Any) -> http.ApiClient:
        """An ApiClient for this network with the account's retry policy."""
        return http.ApiClient(
            self.network, base_url, credentials, policy=self.policy, sleep=self.sleep, **options
        )

    def check_options(self) -> None:
        """Refuse an option no code reads: a typo would otherwise silently fall back to a default."""
        known = COMMON_OPTIONS | self.own_options
        unknown = sorted(set(self.settings) - known)
        if unknown:
            raise http.Unrecoverable(
                f"{self.network}: unknown option(s) {unknown} in the account's `options:`; known: {sorted(known)}"
            )

    def lookback_start(self, interval: Interval) -> dt.datetime:
        """Oldest creation time of a post whose metrics are re-read in this interval."""
        days = int(self.settings.get("lookback_days", DEFAULT_LOOKBACK_DAYS))
        return min(interval.start, interval.end - dt.timedelta(days=days))
