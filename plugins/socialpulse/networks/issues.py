"""What an extraction could not read, kept as data: the rows of the `extraction_issues` table.

A connector degrades per item: a malformed or unreadable item (a comment, a media, one post's insights) is
skipped or gets null metrics, and a metric the network refuses is left out of later requests. Each case
is logged as a warning naming the network, the endpoint and the object, and becomes one row here, so the
validation result and the report can say what is missing instead of showing it as zero.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from socialpulse.domain import Account, Interval

log = logging.getLogger(__name__)


class Issues:
    """The issues of one extraction, and the metric names earlier runs found refused (`known`)."""

    def __init__(self, network: str):
        self.network = network
        self.known: dict[str, str] = {}  # metric name -> why it is unavailable (from the lake)
        self.scrub: Callable[[str], str] = str  # the client's: no secret in a warning or a row
        self._rows: dict[tuple[Any, ...], dict[str, Any]] = {}

    def _text(self, value: str) -> str:
        """Scrubbed, and storable: an answer's id may hold half an emoji (a lone surrogate), which
        Parquet's UTF-8 cannot; it is kept visible as its escape."""
        return self.scrub(value).encode("utf-8", "backslashreplace").decode("utf-8")

    def skipped(self, endpoint: str, object_id: str | None, detail: str) -> None:
        """An item left out of the extraction; `detail` says why (and what to do)."""
        endpoint, object_id, detail = (
            self._text(endpoint),
            self._text(object_id) if object_id else None,
            self._text(detail),
        )
        log.warning(
            "%s GET %s: %s left out, the extraction goes on: %s",
            self.network,
            endpoint,
            object_id or "an item without an id",
            detail,
        )
        self._add("item_skipped", endpoint, object_id, None, detail)

    def unavailable(self, endpoint: str, metric: str, detail: str, object_id: str | None = None) -> None:
        """A metric left null: refused by the network for the account (object_id None) or for one object."""
        endpoint, object_id, detail = (
            self._text(endpoint),
            self._text(object_id) if object_id else None,
            self._text(detail),
        )
        if any(k[0] == "metric_unavailable" and k[2] == object_id and k[3] == metric for k in self._rows):
            return
        log.warning(
            "%s GET %s: metric %s unavailable%s, left null: %s",
            self.network,
            endpoint,
            metric,
            f" for {object_id}" if object_id else "",
            detail,
        )
        self._add("metric_unavailable", endpoint, object_id, metric, detail)

    def refused(self, metric: str) -> bool:
        """Whether the network refused this metric name for the account, in this run or an earlier one."""
        return metric in self.known or any(
            k[0] == "metric_unavailable" and k[2] is None and k[3] == metric for k in self._rows
        )

    @contextmanager
    def item(self, obj: Mapping[str, Any] | Any, what: str) -> Iterator[None]:
        """Run the body for one item of an answer; a MalformedItem skips that item (the body's rows are
        appended last, so nothing of a skipped item remains) and the extraction goes on."""
        from socialpulse.http import MalformedItem

        try:
            yield
        except MalformedItem as exc:
            # the message already names the network and endpoint: keep what follows them
            self.skipped(exc.endpoint, exc.object_id, f"{what}; {str(exc).split(': ', 1)[-1]}")

    def take(self, account: Account, interval: Interval) -> list[dict[str, Any]]:
        """The rows of extraction_issues for this extraction (and a fresh start for the next one)."""
        rows = [
            {
                "network": account.network,
                "account_id": account.account_id,
                "date": interval.days()[0],
                "interval_start": interval.start,
                "interval_end": interval.end,
                **row,
            }
            for row in self._rows.values()
        ]
        self._rows = {}
        return rows

    def _add(self, kind: str, endpoint: str, object_id: str | None, metric: str | None, detail: str) -> None:
        key = (kind, endpoint, object_id, metric)
        self._rows.setdefault(
            key,
            {
                "kind": kind,
                "endpoint": endpoint,
                "object_id": object_id,
                "metric": metric,
                "detail": detail[:1000],
            },
        )
