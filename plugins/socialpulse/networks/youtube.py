"""YouTube channels through the YouTube Data API v3 and the YouTube Analytics API v2.

- posts: the channel's uploads playlist (GET /youtube/v3/playlistItems, pageToken paging, newest
  first), then GET /youtube/v3/videos?part=snippet,statistics in batches of 50 for their totals
- messages: GET /youtube/v3/commentThreads?allThreadsRelatedToChannelId=..&order=time, and
  GET /youtube/v3/comments?parentId=.. when a thread has more replies than the thread carries
- audience: GET /youtube/v3/channels?part=statistics (subscriberCount) and the Analytics report
  GET /v2/reports?ids=channel==MINE&metrics=subscribersGained,subscribersLost&dimensions=day

account_id is the channel id (UC...). The token is an OAuth access token of the channel owner.
Options: base_url (both APIs, for tests), data_base_url, analytics_base_url, lookback_days,
page_size (max 50), plus the RetryPolicy fields.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterator

import pyarrow as pa

from socialpulse import http
from socialpulse.http import dig, need
from socialpulse.networks.base import Account, Connector, ConnectorError, Interval

SCOPES = "https://www.googleapis.com/auth/youtube.readonly and https://www.googleapis.com/auth/yt-analytics.readonly"
VIDEOS_PER_CALL = 50  # videos.list takes at most 50 ids


class YouTubeNetwork(Connector):
    network = "youtube"

    def __init__(self, credentials=None, sleep=None, **settings):
        super().__init__(credentials, **settings)
        http.check_options("youtube", settings, {"data_base_url", "analytics_base_url"})
        common = dict(
            auth="bearer",
            permission_hint=SCOPES,
            error_kind=google_error_kind,
            policy=http.RetryPolicy.from_settings(settings),
            sleep=sleep,
        )
        base = settings.get("base_url")
        self.data = http.ApiClient("youtube", settings.get("data_base_url", base or "https://www.googleapis.com"), credentials, **common)
        self.analytics = http.ApiClient(
            "youtube", settings.get("analytics_base_url", base or "https://youtubeanalytics.googleapis.com"), credentials, **common
        )
        self.page_size = min(int(settings.get("page_size", 50)), 50)

    def extract(self, account: Account, interval: Interval) -> dict[str, pa.Table]:
        channel_id = account.account_id
        channels = self.data.get("/youtube/v3/channels", {"part": "statistics,contentDetails", "id": channel_id}).get("items") or []
        if not channels:
            raise ConnectorError(f"youtube: no channel '{channel_id}' visible to connection '{self.data.conn_id}'; check account_id")
        channel = channels[0]
        uploads = need(channel, "contentDetails.relatedPlaylists.uploads", "YouTube channel")
        subscribers = None if dig(channel, "statistics.hiddenSubscriberCount") else http.count(channel, "statistics.subscriberCount")

        since = http.lookback_start(interval, self.settings)
        video_ids = []
        for item in self._items("/youtube/v3/playlistItems", {"part": "contentDetails", "playlistId": uploads}):
            published = http.parse_time(need(item, "contentDetails.videoPublishedAt", "YouTube playlist item"))
            if published < since:
                break  # the uploads playlist lists the newest first
            if published < interval.end:
                video_ids.append(need(item, "contentDetails.videoId", "YouTube playlist item"))

        posts, metrics = [], []
        for i in range(0, len(video_ids), VIDEOS_PER_CALL):
            batch = video_ids[i : i + VIDEOS_PER_CALL]
            response = self.data.get("/youtube/v3/videos", {"part": "snippet,statistics", "id": ",".join(batch), "maxResults": VIDEOS_PER_CALL})
            for video in response.get("items") or []:
                created = http.parse_time(need(video, "snippet.publishedAt", "YouTube video"))
                metrics += http.metric_rows(account, interval, video["id"], created, _counts(video))
                if http.inside(created, interval):
                    posts.append(http.post_row(account, video["id"], created, dig(video, "snippet.title")))
        return http.tables(
            http.account_rows(account, interval),
            posts,
            metrics,
            http.audience_rows(account, interval, subscribers, self._subscriber_changes(interval)),
            self._messages(account, interval, since),
            source=f"youtube/{channel_id}",
        )

    def _items(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        paging = http.TokenPaging("nextPageToken", "pageToken")
        for page in self.data.paginate(path, {**params, "maxResults": self.page_size}, paging):
            yield from page.get("items") or []

    def _messages(self, account: Account, interval: Interval, since: dt.datetime) -> list[dict[str, Any]]:
        """Comments and replies created in the interval, on threads opened since the lookback start."""
        rows = []
        params = {"part": "snippet,replies", "allThreadsRelatedToChannelId": account.account_id, "order": "time", "textFormat": "plainText"}
        for thread in self._items("/youtube/v3/commentThreads", params):
            top = need(thread, "snippet.topLevelComment", "YouTube comment thread")
            video_id = dig(thread, "snippet.videoId")
            if http.parse_time(need(top, "snippet.publishedAt", "YouTube comment")) < since:
                break  # order=time: newest threads first
            rows.append(self._message(account, top, thread["id"], parent=video_id, video_id=video_id))
            replies = dig(thread, "replies.comments", [])
            if (dig(thread, "snippet.totalReplyCount") or 0) > len(replies):
                # a thread carries only a few replies; the rest come from comments.list
                replies = list(self._items("/youtube/v3/comments", {"part": "snippet", "parentId": top["id"], "textFormat": "plainText"}))
            for reply in replies:
                rows.append(self._message(account, reply, thread["id"], parent=dig(reply, "snippet.parentId") or top["id"], video_id=video_id))
        return [r for r in rows if http.inside(r["created_at"], interval)]

    def _message(self, account: Account, comment: dict[str, Any], thread_id: str, parent: str | None, video_id: str | None) -> dict[str, Any]:
        author = need(comment, "snippet.authorChannelId.value", "YouTube comment")
        return http.message_row(
            account,
            message_id=need(comment, "id", "YouTube comment"),
            thread_id=thread_id,
            parent_id=parent,
            post_id=video_id,
            created_at=http.parse_time(need(comment, "snippet.publishedAt", "YouTube comment")),
            outbound=author == account.account_id,
            channel="comment",
            author_id=author,
            author_handle=dig(comment, "snippet.authorDisplayName"),
            text=dig(comment, "snippet.textOriginal") or dig(comment, "snippet.textDisplay"),
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
        columns = [need(c, "name", "YouTube Analytics column header") for c in report.get("columnHeaders") or []]
        for name in ("day", "subscribersGained", "subscribersLost"):
            if name not in columns:
                raise ConnectorError(f"youtube GET /v2/reports: the report lacks the required column '{name}' (columns: {columns})")
        changes = {}
        for row in report.get("rows") or []:
            values = dict(zip(columns, row))
            changes[dt.date.fromisoformat(values["day"])] = (int(values["subscribersGained"]), int(values["subscribersLost"]))
        return changes


def google_error_kind(status: int, body: Any) -> str | None:
    """Google APIs answer 403 both for a missing scope and for an exhausted quota; the reason tells them apart."""
    reasons = {e.get("reason") for e in dig(body, "error.errors", []) if isinstance(e, dict)}
    if reasons & {"rateLimitExceeded", "userRateLimitExceeded"}:
        return "rate_limit"
    if "quotaExceeded" in reasons:
        return "fatal"  # the daily quota resets at midnight Pacific time: waiting in a task will not help
    return None


def _counts(video: dict[str, Any]) -> dict[str, int | None]:
    # statistics values are strings; likeCount is absent when the owner hides it
    return {
        "impressions": None,  # thumbnail impressions are not in the Data or Analytics API
        "likes": http.count(video, "statistics.likeCount"),
        "shares": None,
        "replies": http.count(video, "statistics.commentCount"),
        "link_clicks": None,
        "saves": None,
        "video_views": http.count(video, "statistics.viewCount"),
    }
