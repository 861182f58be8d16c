"""YouTube channels through the YouTube Data API v3 and the YouTube Analytics API v2.

- posts: the channel's uploads playlist (GET /youtube/v3/playlistItems, pageToken paging, newest
  first), then GET /youtube/v3/videos?part=snippet,statistics in batches of 50 for their totals
- messages: GET /youtube/v3/commentThreads?allThreadsRelatedToChannelId=..&order=time, and
  GET /youtube/v3/comments?parentId=.. when a thread has more replies than the thread carries
- audience: GET /youtube/v3/channels?part=statistics (subscriberCount) and the Analytics report
  GET /v2/reports?ids=channel==MINE&metrics=subscribersGained,subscribersLost&dimensions=day

account_id is the channel id (UC...). The token is an OAuth access token of the channel owner; with a
refresh token, client id and secret in the connection's extra it is refreshed at Google's token endpoint
(access tokens last about an hour). Options: base_url (both APIs, for tests), data_base_url,
analytics_base_url, token_url, lookback_days, page_size (max 50), plus the RetryPolicy fields.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa

from socialpulse import http
from socialpulse.domain import Account, Interval
from socialpulse.http import dig
from socialpulse.networks import canonical
from socialpulse.networks.api import ApiConnector
from socialpulse.networks.base import ConnectorError, Credentials

SCOPES = "https://www.googleapis.com/auth/youtube.readonly and https://www.googleapis.com/auth/yt-analytics.readonly"
VIDEOS_PER_CALL = 50  # videos.list takes at most 50 ids
TOKEN_URL = "https://oauth2.googleapis.com/token"  # Google's OAuth 2.0 token endpoint (refresh_token grant)


class YouTubeNetwork(ApiConnector):
    """self.client reads the Data API, self.analytics the Analytics API, with one token."""

    network = "youtube"
    own_options = frozenset({"data_base_url", "analytics_base_url", "token_url"})
    default_page_size = max_page_size = 50

    def connect(self, credentials: Credentials | None) -> http.ApiClient:
        # one token for both APIs: refreshed once, whichever API finds it expired
        token = http.AccessToken(
            "youtube",
            credentials,
            self.settings.get("token_url", TOKEN_URL),
            policy=self.policy,
            sleep=self.sleep,
        )
        base = self.settings.get("base_url")
        common = dict(auth="bearer", permission_hint=SCOPES, classify=google_outcome)
        self.analytics = self.api_client(
            self.settings.get("analytics_base_url", base or "https://youtubeanalytics.googleapis.com"),
            token,
            **common,
        )
        return self.api_client(
            self.settings.get("data_base_url", base or "https://www.googleapis.com"), token, **common
        )

    def extract(self, account: Account, interval: Interval) -> dict[str, pa.Table]:
        channel_id = account.account_id
        channel_fields = self.client.fields("/youtube/v3/channels", "channel")
        response = self.client.get(
            "/youtube/v3/channels", {"part": "statistics,contentDetails", "id": channel_id}
        )
        channels = channel_fields.objects(response, "items")
        if not channels:
            raise ConnectorError(
                f"youtube GET {channel_fields.endpoint}: no channel '{channel_id}' visible to connection "
                f"'{self.client.conn_id}'; check account_id"
            )
        channel = channels[0]
        uploads = channel_fields.string(channel, "contentDetails.relatedPlaylists.uploads")
        hidden = dig(channel, "statistics.hiddenSubscriberCount") is True
        subscribers = None if hidden else channel_fields.count(channel, "statistics.subscriberCount")

        since = self.lookback_start(interval)
        video_ids = []
        item = self.client.fields("/youtube/v3/playlistItems", "playlist item")
        for entry in self._items(
            "/youtube/v3/playlistItems", {"part": "contentDetails", "playlistId": uploads}
        ):
            published = item.time(entry, "contentDetails.videoPublishedAt")
            if published < since:
                break  # the uploads playlist lists the newest first
            if published < interval.end:
                video_ids.append(item.string(entry, "contentDetails.videoId"))

        posts, metrics = [], []
        video = self.client.fields("/youtube/v3/videos", "video")
        for i in range(0, len(video_ids), VIDEOS_PER_CALL):
            batch = video_ids[i : i + VIDEOS_PER_CALL]
            response = self.client.get(
                "/youtube/v3/videos",
                # maxResults is not supported together with `id` (the ids say how many)
                {"part": "snippet,statistics", "id": ",".join(batch)},
            )
            for entry in video.objects(response, "items"):
                with self.issues.item(entry, "video left out"):
                    video_id, created = video.ident(entry, "id"), video.time(entry, "snippet.publishedAt")
                    rows = canonical.metric_rows(account, interval, video_id, created, _counts(video, entry))
                    title = video.string(entry, "snippet.title", required=False)
                    metrics += rows
                    if canonical.inside(created, interval):
                        posts.append(canonical.post_row(account, video_id, created, title))
        return canonical.tables(
            canonical.account_rows(account, interval),
            posts,
            metrics,
            canonical.audience_rows(account, interval, subscribers, self._subscriber_changes(interval)),
            self._messages(account, interval, since),
            source=f"youtube/{channel_id}",
            issues=self.issues.take(account, interval),
        )

    def _items(self, path: str, params: dict[str, Any]) -> Iterator[Mapping[str, Any]]:
        paging = http.TokenPaging("nextPageToken", "pageToken")
        return self.client.items(path, {**params, "maxResults": self.page_size}, paging, "items")

    def _messages(self, account: Account, interval: Interval, since: dt.datetime) -> list[dict[str, Any]]:
        """Comments and replies created in the interval, on threads opened since the lookback start."""
        rows = []
        params = {
            "part": "snippet,replies",
            "allThreadsRelatedToChannelId": account.account_id,
            "order": "time",
            "textFormat": "plainText",
        }
        threads, replies_of = (
            self.client.fields("/youtube/v3/commentThreads", "comment thread"),
            self.client.fields("/youtube/v3/comments", "comment"),
        )
        for thread in self._items("/youtube/v3/commentThreads", params):
            thread_id = threads.string(thread, "id")
            top = threads.object(thread, "snippet.topLevelComment")
            top_id = threads.string(top, "id")
            video_id = threads.string(thread, "snippet.videoId", required=False)
            if threads.time(top, "snippet.publishedAt") < since:
                break  # order=time: newest threads first
            rows.append(self._message(account, threads, top, thread_id, parent=video_id, video_id=video_id))
            replies, fields = threads.objects(thread, "replies.comments"), threads
            if (threads.count(thread, "snippet.totalReplyCount") or 0) > len(replies):
                # a thread carries only a few replies; the rest come from comments.list
                replies = list(
                    self._items(
                        "/youtube/v3/comments",
                        {"part": "snippet", "parentId": top_id, "textFormat": "plainText"},
                    )
                )
                fields = replies_of
            for reply in replies:
                parent = fields.string(reply, "snippet.parentId", required=False) or top_id
                rows.append(
                    self._message(account, fields, reply, thread_id, parent=parent, video_id=video_id)
                )
        return [r for r in rows if canonical.inside(r["created_at"], interval)]

    def _message(
        self,
        account: Account,
        fields: http.Fields,
        comment: Mapping[str, Any],
        thread_id: str,
        parent: str | None,
        video_id: str | None,
    ) -> dict[str, Any]:
        author = fields.string(comment, "snippet.authorChannelId.value")
        return canonical.message_row(
            account,
            message_id=fields.string(comment, "id"),
            thread_id=thread_id,
            parent_id=parent,
            post_id=video_id,
            created_at=fields.time(comment, "snippet.publishedAt"),
            outbound=author == account.account_id,
            channel="comment",
            author_id=author,
            author_handle=fields.string(comment, "snippet.authorDisplayName", required=False),
            text=fields.string(comment, "snippet.textOriginal", required=False)
            or fields.string(comment, "snippet.textDisplay", required=False),
        )

    def _subscriber_changes(self, interval: Interval) -> dict[dt.date, tuple[int | None, int | None]]:
        days = interval.days()
        report = self.analytics.get(
            "/v2/reports",
            {
                "ids": "channel==MINE",
                "startDate": days[0].isoformat(),
                "endDate": days[-1].isoformat(),
                "metrics": "subscribersGained,subscribersLost",
                "dimensions": "day",
            },
        )
        fields = self.analytics.fields("/v2/reports", "report")
        columns = [fields.string(c, "name") for c in fields.objects(report, "columnHeaders")]
        for name in ("day", "subscribersGained", "subscribersLost"):
            if name not in columns:
                raise fields.error(
                    report, "columnHeaders", f"has no column named '{name}' (columns: {columns})"
                )
        rows = report.get("rows") or []
        if not isinstance(rows, list) or not all(
            isinstance(row, list) and len(row) == len(columns) for row in rows
        ):
            raise fields.error(
                report, "rows", f"should be a list of rows of {len(columns)} values, one per column"
            )
        changes = {}
        for row in rows:
            values = dict(zip(columns, row, strict=True))
            try:
                day = dt.date.fromisoformat(values["day"])
            except (TypeError, ValueError):
                raise fields.error(
                    values, "day", f"should be a date (YYYY-MM-DD), not {http.shown(values['day'])}"
                ) from None
            changes[day] = (
                fields.count(values, "subscribersGained"),
                fields.count(values, "subscribersLost"),
            )
        return changes


def google_outcome(status: int, body: Any) -> http.Outcome | None:
    """Google APIs answer 403 both for a missing scope and for an exhausted quota; the reason tells them apart."""
    reasons = {e.get("reason") for e in dig(body, "error.errors", []) if isinstance(e, dict)}
    if reasons & {"rateLimitExceeded", "userRateLimitExceeded"}:
        return http.Outcome.RATE_LIMITED
    if "quotaExceeded" in reasons:
        return (
            http.Outcome.REJECTED
        )  # the daily quota resets at midnight Pacific time: waiting in a task will not help
    return None


def _counts(fields: http.Fields, video: Mapping[str, Any]) -> dict[str, int | None]:
    # statistics values are strings; likeCount is absent when the owner hides it
    return {
        "impressions": None,  # thumbnail impressions are not in the Data or Analytics API
        "likes": fields.count(video, "statistics.likeCount"),
        "shares": None,
        "replies": fields.count(video, "statistics.commentCount"),
        "link_clicks": None,
        "saves": None,
        "video_views": fields.count(video, "statistics.viewCount"),
    }
