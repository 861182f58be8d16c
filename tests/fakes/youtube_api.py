"""Fake YouTube Data API v3 and YouTube Analytics API v2 (one host serves both paths).

Wire format from the API reference's resource representations: list responses carry kind, etag,
pageInfo, nextPageToken and items; statistics are strings; comment threads nest their top-level
comment and a few replies; Analytics reports are columnHeaders plus rows. A bad token gets the
Google error envelope with reason authError. The token endpoint (POST /token, see FakeApi.serve_refresh)
answers like oauth2.googleapis.com: access_token, expires_in, scope, token_type, or HTTP 400 invalid_grant
"Token has been expired or revoked.".
"""

from __future__ import annotations

import datetime as dt

from fakes.server import FakeApi, Reply, Request, window

UTC = dt.UTC
CHANNEL_ID = "UCpulse0000000000000000a"
UPLOADS = "UU" + CHANNEL_ID[2:]


def google_time(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeYouTubeApi(FakeApi):
    def __init__(self, token: str, day: dt.date):
        super().__init__(token, auth="bearer")
        self.day = day
        self.subscribers = "48700"
        self.videos: list[dict] = []
        self.threads: list[dict] = []
        self.replies: dict[str, list[dict]] = {}
        start = dt.datetime.combine(day, dt.time(), UTC)
        for n, age_hours in enumerate([-16, -7, 40, 90, 24 * 60]):
            published = start - dt.timedelta(hours=age_hours)
            video_id = f"vid{n:08d}xx"
            stats = {"viewCount": str(1500 + n), "favoriteCount": "0", "commentCount": str(3)}
            if n != 1:  # the owner hid the likes of one video
                stats["likeCount"] = str(80 + n)
            self.videos.append(
                {
                    "kind": "youtube#video",
                    "etag": f"e{n}",
                    "id": video_id,
                    "snippet": {
                        "publishedAt": google_time(published),
                        "channelId": CHANNEL_ID,
                        "title": f"Video {n}",
                        "description": "...",
                    },
                    "statistics": stats,
                }
            )
            at = max(published, start) + dt.timedelta(hours=3)
            thread_id = f"Ugz{n:06d}thread"
            top = self._comment(thread_id, f"UCviewer{n}", f"@viewer{n}", at, "How do I reset it?", video_id)
            replies = [
                self._comment(
                    f"{thread_id}.r{i}",
                    author,
                    handle,
                    at + dt.timedelta(minutes=20 * (i + 1)),
                    text,
                    video_id,
                    thread_id,
                )
                for i, (author, handle, text) in enumerate(
                    [
                        (CHANNEL_ID, "@PulseChannel", "Hold the button for 10 seconds."),
                        (f"UCviewer{n}", f"@viewer{n}", "That worked, thanks!"),
                        ("UChelper", "@helper", "Same fix worked for me"),
                    ]
                )
            ]
            self.replies[thread_id] = replies
            # a thread carries only some of its replies; the rest come from comments.list
            self.threads.append(
                {
                    "kind": "youtube#commentThread",
                    "etag": f"t{n}",
                    "id": thread_id,
                    "snippet": {
                        "channelId": CHANNEL_ID,
                        "videoId": video_id,
                        "topLevelComment": top,
                        "canReply": True,
                        "totalReplyCount": len(replies),
                        "isPublic": True,
                    },
                    "replies": {"comments": replies[:2]},
                }
            )
        self.threads.sort(
            key=lambda t: t["snippet"]["topLevelComment"]["snippet"]["publishedAt"], reverse=True
        )
        self.route(r"/youtube/v3/channels", self._channels)
        self.route(r"/youtube/v3/playlistItems", self._playlist_items)
        self.route(r"/youtube/v3/videos", self._videos)
        self.route(
            r"/youtube/v3/commentThreads",
            lambda r, m: self.listing(r, self.threads, "youtube#commentThreadListResponse"),
        )
        self.route(
            r"/youtube/v3/comments",
            lambda r, m: self.listing(
                r, self.replies.get(r.query.get("parentId"), []), "youtube#commentListResponse"
            ),
        )
        self.route(r"/v2/reports", self._report)

    def _comment(self, comment_id, author, handle, at, text, video_id, parent=None) -> dict:
        snippet = {
            "channelId": CHANNEL_ID,
            "videoId": video_id,
            "textDisplay": text,
            "textOriginal": text,
            "authorDisplayName": handle,
            "authorChannelUrl": f"http://www.youtube.com/{handle}",
            "authorChannelId": {"value": author},
            "canRate": True,
            "viewerRating": "none",
            "likeCount": 0,
            "publishedAt": google_time(at),
            "updatedAt": google_time(at),
        }
        if parent:
            snippet["parentId"] = parent
        return {"kind": "youtube#comment", "etag": f"c-{comment_id}", "id": comment_id, "snippet": snippet}

    def listing(self, request: Request, items: list[dict], kind: str) -> Reply:
        size = int(request.query.get("maxResults", 5))
        token = request.query.get("pageToken")
        offset = int(token[2:-3]) if token else 0
        page, following = window(items, offset, size)
        body = {
            "kind": kind,
            "etag": "etag",
            "pageInfo": {"totalResults": len(items), "resultsPerPage": size},
            "items": page,
        }
        if following is not None:
            body["nextPageToken"] = f"CA{following}QAA"
        return Reply(200, body)

    def _channels(self, request: Request, match) -> Reply:
        if request.query.get("id") != CHANNEL_ID:
            return Reply(
                200,
                {
                    "kind": "youtube#channelListResponse",
                    "etag": "x",
                    "pageInfo": {"totalResults": 0, "resultsPerPage": 5},
                },
            )
        channel = {
            "kind": "youtube#channel",
            "etag": "c",
            "id": CHANNEL_ID,
            "contentDetails": {"relatedPlaylists": {"likes": "", "uploads": UPLOADS}},
            "statistics": {
                "viewCount": "912345",
                "subscriberCount": self.subscribers,
                "hiddenSubscriberCount": False,
                "videoCount": "5",
            },
        }
        return Reply(
            200,
            {
                "kind": "youtube#channelListResponse",
                "etag": "x",
                "pageInfo": {"totalResults": 1, "resultsPerPage": 5},
                "items": [channel],
            },
        )

    def _playlist_items(self, request: Request, match) -> Reply:
        items = [
            {
                "kind": "youtube#playlistItem",
                "etag": "p",
                "id": f"VVU{v['id']}",
                "contentDetails": {"videoId": v["id"], "videoPublishedAt": v["snippet"]["publishedAt"]},
            }
            for v in sorted(self.videos, key=lambda v: v["snippet"]["publishedAt"], reverse=True)
        ]
        return self.listing(
            request,
            items if request.query.get("playlistId") == UPLOADS else [],
            "youtube#playlistItemListResponse",
        )

    def _videos(self, request: Request, match) -> Reply:
        ids = request.query.get("id", "").split(",")
        if "maxResults" in request.query and "id" in request.query:
            # videos.list: maxResults "is not supported for use in conjunction with the id parameter"
            return Reply(
                400,
                {
                    "error": {
                        "code": 400,
                        "message": "Incompatible parameters specified in the request: maxResults, id",
                        "errors": [
                            {
                                "message": "Incompatible parameters specified in the request: maxResults, id",
                                "domain": "youtube.parameter",
                                "reason": "incompatibleParameters",
                            }
                        ],
                    }
                },
            )
        if len(ids) > 50:
            return Reply(
                400,
                {"error": {"code": 400, "message": "too many ids", "errors": [{"reason": "invalidFilters"}]}},
            )
        return Reply(
            200,
            {
                "kind": "youtube#videoListResponse",
                "etag": "v",
                "items": [v for v in self.videos if v["id"] in ids],
            },
        )

    def _report(self, request: Request, match) -> Reply:
        q = request.query
        assert q.get("ids") == "channel==MINE" and q.get("dimensions") == "day", q
        first, last = dt.date.fromisoformat(q["startDate"]), dt.date.fromisoformat(q["endDate"])
        days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        headers = [{"name": "day", "columnType": "DIMENSION", "dataType": "STRING"}] + [
            {"name": m, "columnType": "METRIC", "dataType": "INTEGER"} for m in q["metrics"].split(",")
        ]
        return Reply(
            200,
            {
                "kind": "youtubeAnalytics#resultTable",
                "columnHeaders": headers,
                "rows": [[d.isoformat(), 14, 3] for d in days],
            },
        )

    def unauthorized(self) -> Reply:
        return Reply(
            401,
            {
                "error": {
                    "code": 401,
                    "message": "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                    "login cookie or other valid authentication credential.",
                    "errors": [
                        {
                            "message": "Invalid Credentials",
                            "domain": "global",
                            "reason": "authError",
                            "location": "Authorization",
                            "locationType": "header",
                        }
                    ],
                    "status": "UNAUTHENTICATED",
                }
            },
        )

    def token_answer(self, token: str) -> dict:
        # Google's token endpoint answers a refresh without a new refresh token
        return {
            "access_token": token,
            "expires_in": 3599,
            "scope": "https://www.googleapis.com/auth/youtube.readonly "
            "https://www.googleapis.com/auth/yt-analytics.readonly",
            "token_type": "Bearer",
        }

    def refused_grant(self) -> Reply:
        return Reply(
            400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
        )
