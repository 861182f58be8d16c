"""Instagram professional accounts through the Instagram API with Facebook Login (Graph API).

- posts: GET /{ig-user-id}/media (since/until, paging.next); metrics: like_count/comments_count on the
  media and GET /{ig-media-id}/insights views,shares,saved
- messages: GET /{ig-media-id}/comments with their replies, for media of the lookback window
- audience: GET /{ig-user-id}?fields=followers_count and GET /{ig-user-id}/insights
  metric=follower_count&period=day (new followers per day; Instagram gives no unfollows per day)

Options: base_url, graph_version, lookback_days, page_size, plus the RetryPolicy fields.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa

from socialpulse import http
from socialpulse.http import dig, need
from socialpulse.networks.base import Account, Connector, Interval
from socialpulse.networks.facebook import graph_client, insight_values, unix

MEDIA_FIELDS = "id,caption,media_type,media_product_type,timestamp,permalink,like_count,comments_count"
REPLY_FIELDS = "id,text,timestamp,username,from"
COMMENT_FIELDS = f"{REPLY_FIELDS},replies{{{REPLY_FIELDS}}}"
MEDIA_METRICS = "views,shares,saved"
VIDEO_TYPES = {"VIDEO", "REELS"}


class InstagramNetwork(Connector):
    network = "instagram"

    def __init__(self, credentials=None, sleep=None, **settings):
        super().__init__(credentials, **settings)
        http.check_options("instagram", settings, {"graph_version"})
        self.client = graph_client(
            "instagram", "https://graph.facebook.com", credentials, settings,
            "instagram_basic, instagram_manage_insights, instagram_manage_comments, pages_read_engagement", sleep,
        )
        self.page_size = int(settings.get("page_size", 100))

    def extract(self, account: Account, interval: Interval) -> dict[str, pa.Table]:
        user_id = account.account_id
        user = self.client.get(user_id, {"fields": "followers_count,username"})
        posts, metrics, messages = [], [], []
        params = {
            "fields": MEDIA_FIELDS,
            "since": unix(http.lookback_start(interval, self.settings)),
            "until": unix(interval.end),
            "limit": self.page_size,
        }
        for batch in self.client.paginate(f"{user_id}/media", params, http.NextUrlPaging()):
            for media in batch.get("data") or []:
                created = http.parse_time(need(media, "timestamp", "Instagram media"))
                metrics += http.metric_rows(account, interval, media["id"], created, self._counts(media))
                messages += self._comments(account, interval, media["id"])
                if http.inside(created, interval):
                    # media are always originals, and links in captions are not clickable
                    posts.append(http.post_row(account, media["id"], created, media.get("caption")))
        return http.tables(
            http.account_rows(account, interval),
            posts,
            metrics,
            http.audience_rows(account, interval, http.count(user, "followers_count"), self._new_followers(user_id, interval)),
            messages,
            source=f"instagram/{user_id}",
        )

    def _counts(self, media: dict[str, Any]) -> dict[str, int | None]:
        insights = insight_values(self.client.get(f"{media['id']}/insights", {"metric": MEDIA_METRICS}))
        views = insights.get("views")
        return {
            "impressions": views,  # `views` replaced `impressions` (deprecated April 2025)
            "likes": http.count(media, "like_count"),
            "shares": insights.get("shares"),
            "replies": http.count(media, "comments_count"),
            "link_clicks": None,
            "saves": insights.get("saved"),
            "video_views": views if media.get("media_type") in VIDEO_TYPES or media.get("media_product_type") == "REELS" else None,
        }

    def _comments(self, account: Account, interval: Interval, media_id: str) -> list[dict[str, Any]]:
        params = {"fields": COMMENT_FIELDS, "limit": self.page_size}
        rows = []
        for batch in self.client.paginate(f"{media_id}/comments", params, http.NextUrlPaging()):
            for comment in batch.get("data") or []:
                rows.append(self._message(account, comment, media_id, thread=comment["id"], parent=media_id))
                for reply in dig(comment, "replies.data", []):
                    rows.append(self._message(account, reply, media_id, thread=comment["id"], parent=comment["id"]))
        return [r for r in rows if http.inside(r["created_at"], interval)]

    def _message(self, account: Account, comment: dict[str, Any], media_id: str, thread: str, parent: str) -> dict[str, Any]:
        author = need(comment, "from.id", "Instagram comment")
        username = dig(comment, "from.username") or comment.get("username")
        return http.message_row(
            account,
            message_id=need(comment, "id", "Instagram comment"),
            thread_id=thread,
            parent_id=parent,
            post_id=media_id,
            created_at=http.parse_time(need(comment, "timestamp", "Instagram comment")),
            outbound=author == account.account_id,
            channel="comment",
            author_id=author,
            author_handle=f"@{username}" if username else None,
            text=comment.get("text"),
        )

    def _new_followers(self, user_id: str, interval: Interval) -> dict[dt.date, tuple[int | None, int | None]]:
        response = self.client.get(
            f"{user_id}/insights",
            {"metric": "follower_count", "period": "day", "since": unix(interval.start), "until": unix(interval.end + dt.timedelta(days=1))},
        )
        daily = {}
        for metric in response.get("data") or []:
            for value in metric.get("values") or []:
                day = (http.parse_time(need(value, "end_time", "Instagram account insights")) - dt.timedelta(days=1)).date()
                daily[day] = (value.get("value"), None)
        return daily
