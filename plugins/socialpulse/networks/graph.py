"""What Facebook Pages and Instagram share: Meta's Graph API and the shape of an extraction.

Both list a node's posts (a Page's /posts, an Instagram user's /media) with since/until and
paging.next, read each post's insights and comments, and the node's followers. GraphConnector
does that walk; facebook.py and instagram.py say which edge, fields and metrics, and how an item
becomes canonical rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import pyarrow as pa

from socialpulse import http
from socialpulse.networks.base import Account, Connector, Credentials, Interval

GRAPH_VERSION = "v24.0"
GRAPH_URL = "https://graph.facebook.com"


def graph_client(
    network: str,
    base_url: str,
    credentials: Credentials | None,
    settings: Mapping[str, Any],
    permission_hint: str,
    sleep: Callable[[float], None] | None,
) -> http.ApiClient:
    """A client for a versioned Graph API host, token in the query string."""
    version = settings.get("graph_version", GRAPH_VERSION)
    return http.ApiClient(
        network,
        f"{settings.get('base_url', base_url).rstrip('/')}/{version}/",
        credentials,
        auth="query",
        token_param="access_token",
        permission_hint=permission_hint,
        error_kind=graph_error_kind,
        policy=http.RetryPolicy.from_settings(settings),
        sleep=sleep,
    )


def graph_error_kind(status: int, body: Any) -> str | None:
    """Graph reports expired tokens and throttling as error codes, often with HTTP 400."""
    code = http.dig(body, "error.code")
    if code in (102, 190, 10) or (isinstance(code, int) and 200 <= code < 300):
        return "auth"  # 190: token invalid or expired; 10 and 2xx: permission missing
    if code in (4, 17, 32, 613):
        return "rate_limit"  # app, user, page and custom-level throttling
    return None


def insight_values(fields: http.Fields, response: Mapping[str, Any]) -> dict[str, Any]:
    """{metric name: latest value} of a Graph /insights response; absent metrics stay absent."""
    latest = {}
    for metric in fields.objects(response, "data"):
        name = fields.string(metric, "name", required=False)
        values = fields.objects(metric, "values")
        if name:
            latest[name] = values[-1].get("value") if values else None
    return latest


def unix(moment: dt.datetime) -> int:
    return int(moment.timestamp())


class GraphConnector(Connector):
    """A Graph node (a Page, an Instagram user) whose posts are one edge listed by time."""

    permissions: str  # what to grant when a call is refused
    node_label: str  # how errors name the node: "page", "user"
    node_fields: str  # read from the node itself; must include followers_count
    edge: str  # the node's posts: "posts", "media"
    item_label: str  # how errors name one post: "post", "media"
    item_fields: str
    time_field: str  # when an item was posted

    def __init__(self, credentials=None, sleep=None, **settings):
        super().__init__(credentials, **settings)
        http.check_options(self.network, settings, {"graph_version"})
        self.client = graph_client(self.network, GRAPH_URL, credentials, settings, self.permissions, sleep)
        self.page_size = int(settings.get("page_size", 100))

    def extract(self, account: Account, interval: Interval) -> dict[str, pa.Table]:
        node_id = account.account_id
        node = self.client.get(node_id, {"fields": self.node_fields})
        posts, metrics, messages = [], [], []
        params = {
            "fields": self.item_fields,
            "since": unix(http.lookback_start(interval, self.settings)),
            "until": unix(interval.end),
            "limit": self.page_size,
        }
        path = f"{node_id}/{self.edge}"
        listing, fields = self.client.fields(path, "page"), self.client.fields(path, self.item_label)
        for batch in self.client.paginate(path, params, http.NextUrlPaging()):
            for item in listing.objects(batch, "data"):
                item_id = fields.string(item, "id")
                created = fields.time(item, self.time_field)
                # every post of the lookback window: its counts and comments keep changing
                metrics += http.metric_rows(account, interval, item_id, created, self.counts(fields, item))
                messages += self.comments(account, interval, item_id)
                if http.inside(created, interval):
                    posts.append(self.post_row(account, fields, item, item_id, created))
        followers = self.client.fields(node_id, self.node_label).count(node, "followers_count")
        return http.tables(
            http.account_rows(account, interval),
            posts,
            metrics,
            http.audience_rows(account, interval, followers, self.audience_changes(node_id, interval)),
            messages,
            source=f"{self.network}/{node_id}",
        )

    def daily_insights(
        self, node_id: str, interval: Interval, metrics: str, label: str
    ) -> dict[str, dict[dt.date, int | None]]:
        """{metric: {day: value}} of the node's period=day insights over the interval.

        Graph stamps a day's value with the end of that day (the next midnight).
        """
        path = f"{node_id}/insights"
        response = self.client.get(
            path,
            {
                "metric": metrics,
                "period": "day",
                "since": unix(interval.start),
                "until": unix(interval.end + dt.timedelta(days=1)),
            },
        )
        insights = self.client.fields(path, label)
        by_metric: dict[str, dict[dt.date, int | None]] = {}
        for metric in insights.objects(response, "data"):
            name = insights.string(metric, "name", required=False)
            for value in insights.objects(metric, "values"):
                day = (insights.time(value, "end_time") - dt.timedelta(days=1)).date()
                by_metric.setdefault(name, {})[day] = insights.count(value, "value")
        return by_metric

    # -- what each network says -----------------------------------------------------------------------
    def counts(self, fields: http.Fields, item: dict[str, Any]) -> dict[str, int | None]:
        raise NotImplementedError

    def comments(self, account: Account, interval: Interval, item_id: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    def post_row(
        self, account: Account, fields: http.Fields, item: dict[str, Any], item_id: str, created: dt.datetime
    ) -> dict[str, Any]:
        raise NotImplementedError

    def audience_changes(
        self, node_id: str, interval: Interval
    ) -> dict[dt.date, tuple[int | None, int | None]]:
        """{day: (followers gained, followers lost)}; None where the network does not say."""
        raise NotImplementedError
