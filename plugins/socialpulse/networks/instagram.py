"""Instagram professional accounts through the Instagram API with Facebook Login (Graph API).

- posts: GET /{ig-user-id}/media (since/until, paging.next); metrics: like_count/comments_count on the
  media and GET /{ig-media-id}/insights views,shares,saved
- messages: GET /{ig-media-id}/comments with their replies, for media of the lookback window
- audience: GET /{ig-user-id}?fields=followers_count and GET /{ig-user-id}/insights
  metric=follower_count&period=day (new followers per day; Instagram gives no unfollows per day)

Options: base_url, graph_version, lookback_days, page_size, plus the RetryPolicy fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from socialpulse import http
from socialpulse.domain import Account, Interval
from socialpulse.networks import canonical
from socialpulse.networks.graph import GraphConnector

MEDIA_FIELDS = "id,caption,media_type,media_product_type,timestamp,permalink,like_count,comments_count"
REPLY_FIELDS = "id,text,timestamp,username,from"
COMMENT_FIELDS = f"{REPLY_FIELDS},replies{{{REPLY_FIELDS}}}"
MEDIA_METRICS = ["views", "shares", "saved"]
VIDEO_TYPES = {"VIDEO", "REELS"}


class InstagramNetwork(GraphConnector):
    network = "instagram"
    permissions = (
        "instagram_basic, instagram_manage_insights, instagram_manage_comments, pages_read_engagement"
    )
    node_label, node_fields = "user", "followers_count,username"
    edge, item_label, item_fields, time_field = "media", "media", MEDIA_FIELDS, "timestamp"

    def post_row(self, account, fields, item, item_id, created):
        # media are always originals, and links in captions are not clickable
        return canonical.post_row(account, item_id, created, fields.string(item, "caption", required=False))

    def counts(self, media: http.Fields, item: Mapping[str, Any]) -> dict[str, int | None]:
        path = f"{http.segment(item['id'])}/insights"
        insights, values = self.item_insights(path, item["id"], MEDIA_METRICS, {})
        views = insights.count(values, "views")
        video = (
            media.string(item, "media_type", required=False) in VIDEO_TYPES
            or item.get("media_product_type") == "REELS"
        )
        return {
            "impressions": views,  # `views` replaced `impressions` (deprecated April 2025)
            "likes": media.count(item, "like_count"),
            "shares": insights.count(values, "shares"),
            "replies": media.count(item, "comments_count"),
            "link_clicks": None,
            "saves": insights.count(values, "saved"),
            "video_views": views if video else None,
        }

    def comments(self, account: Account, interval: Interval, media_id: str) -> list[dict[str, Any]]:
        params = {"fields": COMMENT_FIELDS, "limit": self.page_size}
        path = f"{http.segment(media_id)}/comments"
        comments = self.client.fields(path, "comment")
        rows = []
        for comment in self.edge_items(path, params):
            with self.issues.item(comment, f"comment of {media_id} and its replies left out"):
                thread = comments.ident(comment, "id")
                top = self._message(account, comments, comment, media_id, thread=thread, parent=media_id)
                replies = []
                for reply in comments.objects(comment, "replies.data"):
                    with self.issues.item(reply, f"reply to {thread} left out"):
                        replies.append(
                            self._message(account, comments, reply, media_id, thread=thread, parent=thread)
                        )
                rows += [top, *replies]
        return [r for r in rows if canonical.inside(r["created_at"], interval)]

    def _message(
        self,
        account: Account,
        fields: http.Fields,
        comment: Mapping[str, Any],
        media_id: str,
        thread: str,
        parent: str,
    ) -> dict[str, Any]:
        author = fields.string(comment, "from.id")
        username = fields.string(comment, "from.username", required=False) or fields.string(
            comment, "username", required=False
        )
        return canonical.message_row(
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

    def audience_changes(self, user_id: str, interval: Interval):
        # new followers per day; Instagram gives no unfollows per day
        daily = self.daily_insights(user_id, interval, ["follower_count"], "account insights")
        return {day: (gained, None) for day, gained in daily.get("follower_count", {}).items()}
