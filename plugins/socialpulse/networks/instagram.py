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
        listing, media = self.client.fields(f"{user_id}/media", "page"), self.client.fields(f"{user_id}/media", "media")
        for batch in self.client.paginate(f"{user_id}/media", params, http.NextUrlPaging()):
            for item in listing.objects(batch, "data"):
                media_id = media.string(item, "id")
                created = media.time(item, "timestamp")
                metrics += http.metric_rows(account, interval, media_id, created, self._counts(media, item))
                messages += self._comments(account, interval, media_id)
                if http.inside(created, interval):
                    # media are always originals, and links in captions are not clickable
                    posts.append(http.post_row(account, media_id, created, media.string(item, "caption", required=False)))
        followers = self.client.fields(user_id, "user").count(user, "followers_count")
        return http.tables(
            http.account_rows(account, interval),
            posts,
            metrics,
            http.audience_rows(account, interval, followers, self._new_followers(user_id, interval)),
            messages,
            source=f"instagram/{user_id}",
        )

    def _counts(self, media: http.Fields, item: dict[str, Any]) -> dict[str, int | None]:
        path = f"{http.segment(item['id'])}/insights"
        insights = self.client.fields(path, "insights")
        values = insight_values(insights, self.client.get(path, {"metric": MEDIA_METRICS}))
        views = insights.count(values, "views")
        video = media.string(item, "media_type", required=False) in VIDEO_TYPES or item.get("media_product_type") == "REELS"
        return {
            "impressions": views,  # `views` replaced `impressions` (deprecated April 2025)
            "likes": media.count(item, "like_count"),
            "shares": insights.count(values, "shares"),
            "replies": media.count(item, "comments_count"),
            "link_clicks": None,
            "saves": insights.count(values, "saved"),
            "video_views": views if video else None,
        }

    def _comments(self, account: Account, interval: Interval, media_id: str) -> list[dict[str, Any]]:
        params = {"fields": COMMENT_FIELDS, "limit": self.page_size}
        path = f"{http.segment(media_id)}/comments"
        listing, comments = self.client.fields(path, "page"), self.client.fields(path, "comment")
        rows = []
        for batch in self.client.paginate(path, params, http.NextUrlPaging()):
            for comment in listing.objects(batch, "data"):
                thread = comments.string(comment, "id")
                rows.append(self._message(account, comments, comment, media_id, thread=thread, parent=media_id))
                for reply in comments.objects(comment, "replies.data"):
                    rows.append(self._message(account, comments, reply, media_id, thread=thread, parent=thread))
        return [r for r in rows if http.inside(r["created_at"], interval)]

    def _message(self, account: Account, fields: http.Fields, comment: dict[str, Any], media_id: str, thread: str, parent: str) -> dict[str, Any]:
        author = fields.string(comment, "from.id")
        username = fields.string(comment, "from.username", required=False) or fields.string(comment, "username", required=False)
        return http.message_row(
            account,
            message_id=fields.string(comment, "id"),
            thread_id=thread,
            parent_id=parent,
            post_id=media_id,
            created_at=fields.time(comment, "timestamp"),
            outbound=author == account.account_id,
            channel="comment",
            author_id=author,
            author_handle=f"@{username}" if username else None,
            text=fields.string(comment, "text", required=False),
        )

    def _new_followers(self, user_id: str, interval: Interval) -> dict[dt.date, tuple[int | None, int | None]]:
        path = f"{user_id}/insights"
        response = self.client.get(
            path,
            {"metric": "follower_count", "period": "day", "since": unix(interval.start), "until": unix(interval.end + dt.timedelta(days=1))},
        )
        insights = self.client.fields(path, "account insights")
        daily = {}
        for metric in insights.objects(response, "data"):
            for value in insights.objects(metric, "values"):
                day = (insights.time(value, "end_time") - dt.timedelta(days=1)).date()
                daily[day] = (insights.count(value, "value"), None)
        return daily
