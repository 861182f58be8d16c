"""What Facebook Pages and Instagram share: Meta's Graph API and the shape of an extraction.

Both list a node's posts (a Page's /posts, an Instagram user's /media) with since/until and
paging.next, read each post's insights and comments, and the node's followers. GraphConnector
does that walk; facebook.py and instagram.py say which edge, fields and metrics, and how an item
becomes canonical rows.
"""

from __future__ import annotations

import datetime as dt
import re
from abc import abstractmethod
from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa

from socialpulse import http
from socialpulse.domain import Account, Interval
from socialpulse.networks import canonical
from socialpulse.networks.api import ApiConnector
from socialpulse.networks.base import Credentials

GRAPH_VERSION = "v24.0"
GRAPH_URL = "https://graph.facebook.com"


def graph_outcome(status: int, body: Any) -> http.Outcome | None:
    """Graph reports expired tokens and throttling as error codes, often with HTTP 400."""
    code = http.dig(body, "error.code")
    if code in (102, 190, 10) or (isinstance(code, int) and 200 <= code < 300):
        return http.Outcome.AUTH  # 190: token invalid or expired; 10 and 2xx: permission missing
    if code in (4, 17, 32, 613):
        return http.Outcome.RATE_LIMITED  # app, user, page and custom-level throttling
    return None


def insight_values(fields: http.Fields, response: Mapping[str, Any]) -> dict[str, Any]:
    """{metric name: value} of a Graph post /insights response; absent metrics stay absent.

    Asked without `period`, Graph answers a metric once per period it has (lifetime, then day): the
    lifetime entry wins whatever the order, and the last value of an entry is the latest."""
    chosen: dict[str, tuple[bool, Any]] = {}
    for metric in fields.objects(response, "data"):
        name = fields.string(metric, "name", required=False)
        values = fields.objects(metric, "values")
        if not name:
            continue
        lifetime = metric.get("period") == "lifetime"
        if lifetime or not chosen.get(name, (False, None))[0]:
            chosen[name] = (lifetime, values[-1].get("value") if values else None)
    return {name: value for name, (_, value) in chosen.items()}


INVALID_METRIC = re.compile(r"valid insights metric|metric\[\d+\] must be one of", re.I)


def rejects_metric(error: http.RequestRejected) -> bool:
    """Graph's answer to a metric name it does not (or no longer) know: (#100) ... valid insights metric."""
    return str(error.code) == "100" and bool(INVALID_METRIC.search(error.message))


def unix(moment: dt.datetime) -> int:
    return int(moment.timestamp())


class GraphConnector(ApiConnector):
    """A Graph node (a Page, an Instagram user) whose posts are one edge listed by time."""

    permissions: str  # what to grant when a call is refused
    node_label: str  # how errors name the node: "page", "user"
    node_fields: str  # read from the node itself; must include followers_count
    edge: str  # the node's posts: "posts", "media"
    item_label: str  # how errors name one post: "post", "media"
    item_fields: str
    time_field: str  # when an item was posted
    own_options = frozenset({"graph_version"})

    def connect(self, credentials: Credentials | None) -> http.ApiClient:
        """A client for the versioned Graph API host, token in the query string."""
        base_url = self.settings.get("base_url", GRAPH_URL).rstrip("/")
        return self.api_client(
            f"{base_url}/{self.settings.get('graph_version', GRAPH_VERSION)}/",
            credentials,
            auth="query",
            token_param="access_token",
            permission_hint=self.permissions,
            classify=graph_outcome,
        )

    def extract(self, account: Account, interval: Interval) -> dict[str, pa.Table]:
        node_id = account.account_id
        node = self.client.get(node_id, {"fields": self.node_fields})
        posts, metrics, messages = [], [], []
        params = {
            "fields": self.item_fields,
            "since": unix(self.lookback_start(interval)),
            "until": unix(interval.end),
            "limit": self.page_size,
        }
        path = f"{node_id}/{self.edge}"
        fields = self.client.fields(path, self.item_label)
        for item in self.edge_items(path, params):
            kept = None  # the id of an item read whole
            with self.issues.item(item, f"{self.item_label} left out"):
                item_id = fields.ident(item, "id")
                created = fields.time(item, self.time_field)
                # every post of the lookback window: its counts and comments keep changing
                rows = canonical.metric_rows(account, interval, item_id, created, self.counts(fields, item))
                post = self.post_row(account, fields, item, item_id, created)
                metrics += rows
                if canonical.inside(created, interval):
                    posts.append(post)
                kept = item_id
            messages += self.item_comments(account, interval, kept) if kept else []
        followers = self.client.fields(node_id, self.node_label).count(node, "followers_count")
        audience = canonical.audience_rows(
            account, interval, followers, self.audience_changes(node_id, interval)
        )
        return canonical.tables(
            canonical.account_rows(account, interval),
            posts,
            metrics,
            audience,
            messages,
            source=f"{self.network}/{node_id}",
            issues=self.issues.take(account, interval),
        )

    def edge_items(self, path: str, params: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
        """Every object of a Graph edge (a node's posts, a post's comments), page after page (paging.next)."""
        return self.client.items(path, params, http.NextUrlPaging(), "data")

    def insights(self, path: str, metrics: list[str], params: Mapping[str, Any]) -> dict[str, Any]:
        """GET an /insights edge for these metrics, leaving out names Graph refuses (now or in an earlier
        run: Meta retires metrics every few months). A refused name is an issue of the extraction and its
        column stays null; the other metrics are still read."""
        endpoint = self.client.where(self.client.url(path))
        wanted = []
        for metric in metrics:
            if self.issues.refused(metric):
                why = self.issues.known.get(metric, "refused earlier in this run")
                self.issues.unavailable(endpoint, metric, why)
            else:
                wanted.append(metric)
        if not wanted:
            return {"data": []}
        try:
            return self.client.get(path, {**params, "metric": ",".join(wanted)})
        except http.RequestRejected as error:
            if not rejects_metric(error):
                raise
            if len(wanted) == 1:
                self.issues.unavailable(endpoint, wanted[0], f"{self.network} refused it: {error.message}")
                return {"data": []}
        # Graph does not say which name it refused: ask for each alone
        data: list[Any] = []
        for metric in wanted:
            found = self.insights(path, [metric], params).get("data")
            data += found if isinstance(found, list) else []
        return {"data": data}

    def item_comments(self, account: Account, interval: Interval, item_id: str) -> list[dict[str, Any]]:
        """The comments of one post; none, with an issue, where Graph refuses that post's comments (HTTP 400/404)."""
        try:
            return self.comments(account, interval, item_id)
        except http.RequestRejected as error:
            self.issues.skipped(error.endpoint, item_id, f"its comments were refused: {error.message}")
            return []

    def item_insights(self, path: str, item_id: str, metrics: list[str], params: Mapping[str, Any]):
        """(reader, {metric: value}) of one post's insights. Where Graph will not give this one post's
        insights (a media posted before the account became a business account), its metrics are null."""
        insights = self.client.fields(path, "insights")
        try:
            return insights, insight_values(insights, self.insights(path, metrics, params))
        except (http.RequestRejected, http.MalformedItem) as error:
            detail = error.message if isinstance(error, http.RequestRejected) else str(error)
            for metric in metrics:
                if not self.issues.refused(metric):
                    self.issues.unavailable(insights.endpoint, metric, detail, object_id=item_id)
            return insights, {}

    def daily_insights(
        self, node_id: str, interval: Interval, metrics: list[str], label: str
    ) -> dict[str, dict[dt.date, int | None]]:
        """{metric: {day: value}} of the node's period=day insights over the interval.

        Graph stamps a day's value with the end of that day (the next midnight).
        """
        path = f"{node_id}/insights"
        response = self.insights(
            path,
            metrics,
            {
                "period": "day",
                "since": unix(interval.start),
                "until": unix(interval.end + dt.timedelta(days=1)),
            },
        )
        insights = self.client.fields(path, label)
        by_metric: dict[str, dict[dt.date, int | None]] = {}
        for metric in insights.objects(response, "data"):
            name = insights.string(metric, "name", required=False)
            if name is None:  # nobody asks for a metric without a name
                continue
            for value in insights.objects(metric, "values"):
                day = (insights.time(value, "end_time") - dt.timedelta(days=1)).date()
                by_metric.setdefault(name, {})[day] = insights.count(value, "value")
        return by_metric

    # -- what each network says -----------------------------------------------------------------------
    @abstractmethod
    def counts(self, fields: http.Fields, item: Mapping[str, Any]) -> dict[str, int | None]:
        """The canonical counts of one item (impressions, likes, ...); None where the network does not say."""

    @abstractmethod
    def comments(self, account: Account, interval: Interval, item_id: str) -> list[dict[str, Any]]:
        """The message rows of one item's comments created inside the interval."""

    @abstractmethod
    def post_row(
        self,
        account: Account,
        fields: http.Fields,
        item: Mapping[str, Any],
        item_id: str,
        created: dt.datetime,
    ) -> dict[str, Any]:
        """The item's row of `posts` (canonical.post_row)."""

    @abstractmethod
    def audience_changes(
        self, node_id: str, interval: Interval
    ) -> dict[dt.date, tuple[int | None, int | None]]:
        """{day: (followers gained, followers lost)}; None where the network does not say."""
