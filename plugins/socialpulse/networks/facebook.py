"""Facebook Pages through Meta's Graph API (also the conventions instagram.py builds on).

- posts: GET /{page-id}/posts (since/until, paging.next); metrics: GET /{post-id}/insights
  (post_media_view, post_clicks_by_type, post_video_views) plus the post's shares and
  reactions/comments summaries
- messages: GET /{post-id}/comments?filter=stream (replies carry `parent`), for posts of the lookback window
- audience: GET /{page-id}?fields=followers_count and GET /{page-id}/insights
  page_daily_follows_unique / page_daily_unfollows_unique (period=day)

The token is a Page access token, sent as the access_token query parameter as the Graph API
documents it (the http layer scrubs it from every URL it prints).
Options: base_url, graph_version, lookback_days, page_size, plus the RetryPolicy fields.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Mapping

import pyarrow as pa

from socialpulse import http
from socialpulse.networks.base import Account, Connector, Credentials, Interval

GRAPH_VERSION = "v24.0"
POST_FIELDS = (
    "id,created_time,message,permalink_url,parent_id,attachments{unshimmed_url},shares,"
    "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)"
)
COMMENT_FIELDS = "id,message,created_time,from{id,name},parent{id}"
POST_METRICS = "post_media_view,post_clicks_by_type,post_video_views"


def graph_client(network: str, base_url: str, credentials: Credentials | None, settings: Mapping[str, Any],
                 permission_hint: str, sleep: Callable[[float], None] | None) -> http.ApiClient:
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


class FacebookNetwork(Connector):
    network = "facebook"

    def __init__(self, credentials=None, sleep=None, **settings):
        super().__init__(credentials, **settings)
        http.check_options("facebook", settings, {"graph_version"})
        self.client = graph_client(
            "facebook", "https://graph.facebook.com", credentials, settings,
            "pages_read_engagement, read_insights, pages_read_user_content", sleep,
        )
        self.page_size = int(settings.get("page_size", 100))

    def extract(self, account: Account, interval: Interval) -> dict[str, pa.Table]:
        page_id = account.account_id
        page = self.client.get(page_id, {"fields": "followers_count,name"})
        posts, metrics, messages = [], [], []
        params = {
            "fields": POST_FIELDS,
            "since": unix(http.lookback_start(interval, self.settings)),
            "until": unix(interval.end),
            "limit": self.page_size,
        }
        listing, post = self.client.fields(f"{page_id}/posts", "page"), self.client.fields(f"{page_id}/posts", "post")
        for batch in self.client.paginate(f"{page_id}/posts", params, http.NextUrlPaging()):
            for item in listing.objects(batch, "data"):
                post_id = post.string(item, "id")
                created = post.time(item, "created_time")
                metrics += http.metric_rows(account, interval, post_id, created, self._counts(post, item))
                messages += self._comments(account, interval, post_id)
                if http.inside(created, interval):
                    links = [post.string(a, "unshimmed_url", required=False) for a in post.objects(item, "attachments.data")]
                    kind = "share" if item.get("parent_id") else "original"
                    posts.append(http.post_row(account, post_id, created, post.string(item, "message", required=False), kind,
                                               [link for link in links if link]))
        followers = self.client.fields(page_id, "page").count(page, "followers_count")
        return http.tables(
            http.account_rows(account, interval),
            posts,
            metrics,
            http.audience_rows(account, interval, followers, self._follows(page_id, interval)),
            messages,
            source=f"facebook/{page_id}",
        )

    def _counts(self, post: http.Fields, item: dict[str, Any]) -> dict[str, int | None]:
        path = f"{http.segment(item['id'])}/insights"
        insights = self.client.fields(path, "insights")
        values = insight_values(insights, self.client.get(path, {"metric": POST_METRICS}))
        clicks = values.get("post_clicks_by_type")
        return {
            "impressions": insights.count(values, "post_media_view"),
            "likes": post.count(item, "reactions.summary.total_count"),
            "shares": post.count(item, "shares.count"),
            "replies": post.count(item, "comments.summary.total_count"),
            "link_clicks": insights.count(clicks, "link clicks") if isinstance(clicks, dict) else None,
            "saves": None,  # Facebook does not report saves of a Page post
            "video_views": insights.count(values, "post_video_views"),
        }

    def _comments(self, account: Account, interval: Interval, post_id: str) -> list[dict[str, Any]]:
        params = {"fields": COMMENT_FIELDS, "filter": "stream", "order": "chronological", "limit": self.page_size}
        path = f"{http.segment(post_id)}/comments"
        listing, comment = self.client.fields(path, "page"), self.client.fields(path, "comment")
        rows = []
        for batch in self.client.paginate(path, params, http.NextUrlPaging()):
            for item in listing.objects(batch, "data"):
                created = comment.time(item, "created_time")
                if not http.inside(created, interval):
                    continue
                comment_id = comment.string(item, "id")
                author = comment.string(item, "from.id")
                parent = comment.string(item, "parent.id", required=False)
                ours = author == account.account_id
                rows.append(
                    http.message_row(
                        account,
                        message_id=comment_id,
                        thread_id=parent or comment_id,  # replies hang under one top-level comment
                        parent_id=parent or post_id,
                        post_id=post_id,
                        created_at=created,
                        outbound=ours,
                        channel="comment",
                        author_id=author,
                        author_handle=account.handle if ours else comment.string(item, "from.name", required=False),
                        text=comment.string(item, "message", required=False),
                    )
                )
        return rows

    def _follows(self, page_id: str, interval: Interval) -> dict[dt.date, tuple[int | None, int | None]]:
        """Daily follows and unfollows; a day's value is stamped with the end of that day."""
        path = f"{page_id}/insights"
        response = self.client.get(
            path,
            {
                "metric": "page_daily_follows_unique,page_daily_unfollows_unique",
                "period": "day",
                "since": unix(interval.start),
                "until": unix(interval.end + dt.timedelta(days=1)),
            },
        )
        insights = self.client.fields(path, "page insights")
        by_metric: dict[str, dict[dt.date, int | None]] = {}
        for metric in insights.objects(response, "data"):
            name = insights.string(metric, "name", required=False)
            for value in insights.objects(metric, "values"):
                day = (insights.time(value, "end_time") - dt.timedelta(days=1)).date()
                by_metric.setdefault(name, {})[day] = insights.count(value, "value")
        gained = by_metric.get("page_daily_follows_unique", {})
        lost = by_metric.get("page_daily_unfollows_unique", {})
        return {day: (gained.get(day), lost.get(day)) for day in set(gained) | set(lost)}
