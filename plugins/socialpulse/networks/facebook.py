"""Facebook Pages through Meta's Graph API.

- posts: GET /{page-id}/posts (since/until, paging.next); metrics: GET /{post-id}/insights
  (post_media_view, post_clicks_by_type, post_video_views) plus the post's shares and
  reactions/comments summaries
- messages: GET /{post-id}/comments?filter=stream (replies carry `parent`), for posts of the lookback window
- audience: GET /{page-id}?fields=followers_count and GET /{page-id}/insights
  page_daily_follows_unique / page_daily_unfollows_unique (period=day)

The token is a Page access token, sent as the access_token query parameter as the Graph API
documents it (the http layer scrubs it from every URL it prints). The walk itself is graph.py's.
Options: base_url, graph_version, lookback_days, page_size, plus the RetryPolicy fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from socialpulse import http
from socialpulse.domain import Account, Interval
from socialpulse.networks import canonical
from socialpulse.networks.graph import GraphConnector

POST_FIELDS = (
    "id,created_time,message,permalink_url,parent_id,attachments{unshimmed_url,type},shares,"
    "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)"
)
COMMENT_FIELDS = "id,message,created_time,from{id,name},parent{id}"
POST_METRICS = ["post_media_view", "post_clicks_by_type", "post_video_views"]
PAGE_METRICS = ["page_daily_follows_unique", "page_daily_unfollows_unique"]
# where a Page's own photos, videos and albums live: an attachment there is media, not a link followed out
PLATFORM_HOSTS = ("facebook.com", "fb.com", "fb.watch", "fb.me", "fbcdn.net", "instagram.com")


class FacebookNetwork(GraphConnector):
    network = "facebook"
    permissions = "pages_read_engagement, read_insights, pages_read_user_content"
    node_label, node_fields = "page", "followers_count,name"
    edge, item_label, item_fields, time_field = "posts", "post", POST_FIELDS, "created_time"

    def post_row(self, account, fields, item, item_id, created):
        links = [
            fields.string(a, "unshimmed_url", required=False)
            for a in fields.objects(item, "attachments.data")
            if a.get("type") in (None, "share")  # photo, album, video_inline...: the Page's own media
        ]
        kind = "share" if item.get("parent_id") else "original"
        return canonical.post_row(
            account,
            item_id,
            created,
            fields.string(item, "message", required=False),
            kind,
            canonical.external_links(links, PLATFORM_HOSTS),
        )

    def counts(self, post: http.Fields, item: Mapping[str, Any]) -> dict[str, int | None]:
        path = f"{http.segment(item['id'])}/insights"
        # period=lifetime: without it Graph sends each metric twice (lifetime, then the last day)
        insights, values = self.item_insights(path, item["id"], POST_METRICS, {"period": "lifetime"})
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

    def comments(self, account: Account, interval: Interval, post_id: str) -> list[dict[str, Any]]:
        params = {
            "fields": COMMENT_FIELDS,
            "filter": "stream",
            "order": "chronological",
            "limit": self.page_size,
        }
        path = f"{http.segment(post_id)}/comments"
        comment = self.client.fields(path, "comment")
        rows = []
        for item in self.edge_items(path, params):
            with self.issues.item(item, f"comment of {post_id} left out"):
                self._no_moderate_task(item, post_id, path)
                created = comment.time(item, "created_time")
                if not canonical.inside(created, interval):
                    continue
                comment_id = comment.string(item, "id")
                author = comment.string(item, "from.id")
                parent = comment.string(item, "parent.id", required=False)
                ours = author == account.account_id
                rows.append(
                    canonical.message_row(
                        account,
                        message_id=comment_id,
                        thread_id=parent or comment_id,  # replies hang under one top-level comment
                        parent_id=parent or post_id,
                        post_id=post_id,
                        created_at=created,
                        outbound=ours,
                        channel="comment",
                        author_id=author,
                        author_handle=account.handle
                        if ours
                        else comment.string(item, "from.name", required=False),
                        text=comment.string(item, "message", required=False),
                    )
                )
        return rows

    def _no_moderate_task(self, item: Mapping[str, Any], post_id: str, path: str) -> None:
        """Meta leaves a comment's id and author out unless the token's person may do the MODERATE task."""
        if not item.get("id") or not isinstance(item.get("from"), dict):
            raise http.MalformedItem(
                f"facebook GET {self.client.where(self.client.url(path))}: a comment of post {post_id} has no "
                f"id or author: Meta shows them only to a person who may do the MODERATE task on the Page; "
                f"give the token's person that task (docs/connectors.md)",
                endpoint=self.client.where(self.client.url(path)),
                object_id=item.get("id") if isinstance(item.get("id"), str) else None,
                field="id" if not item.get("id") else "from",
            )

    def audience_changes(self, page_id: str, interval: Interval):
        daily = self.daily_insights(page_id, interval, PAGE_METRICS, "page insights")
        gained = daily.get("page_daily_follows_unique", {})
        lost = daily.get("page_daily_unfollows_unique", {})
        return {day: (gained.get(day), lost.get(day)) for day in set(gained) | set(lost)}
