"""Fake Meta Graph API hosts for a Facebook Page and an Instagram professional account.

Wire format as in the Graph API reference examples: collections are {"data": [...], "paging":
{"cursors": {"before", "after"}, "next": <full URL with the access_token>}}, insights are
{"data": [{"name", "period", "values": [{"value", "end_time"?}], "title", "description", "id"}]},
timestamps look like 2026-11-02T09:15:00+0000, the token travels as ?access_token=, and an
expired token answers HTTP 400 with an OAuthException (code 190).
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any
from urllib.parse import urlencode

from fakes.server import FakeApi, Reply, Request, window

VERSION = "v24.0"
UTC = dt.UTC


def graph_time(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def parse_graph_time(value: str) -> dt.datetime:
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")


def cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def offset_of(value: str | None) -> int:
    return int(base64.b64decode(value).decode().split(":")[1]) if value else 0


class FakeGraphApi(FakeApi):
    """The Graph conventions both fakes share: versioned paths, cursor paging with next URLs, errors."""

    def __init__(self, token: str):
        super().__init__(token, auth="query", token_param="access_token")
        self.extra_fields: dict[str, Any] = {}  # an API that grew a new field on every object
        self.usage_header: str | None = None  # an X-App-Usage value to send with every answer
        self.retired: set[str] = set()  # insights metrics Meta no longer knows: asking for one is a 400

    def refuse_retired(self, request: Request) -> Reply | None:
        """Graph's answer when any name of `metric` is retired; it does not say which one."""
        asked = set(request.query.get("metric", "").split(","))
        if asked & self.retired:
            return Reply(
                400,
                {
                    "error": {
                        "message": "(#100) The value must be a valid insights metric",
                        "type": "OAuthException",
                        "code": 100,
                        "fbtrace_id": "A1b2C3d4E5f",
                    }
                },
            )
        return None

    def graph_route(self, pattern: str, handler) -> None:
        self.route(rf"/{VERSION}/{pattern}", handler)

    def collection(self, request: Request, items: list[dict], default_limit: int = 25) -> Reply:
        """One page of `items` with the cursors and the next URL Graph puts in `paging`."""
        limit = int(request.query.get("limit", default_limit))
        offset = offset_of(request.query.get("after"))
        page, following = window(items, offset, limit)
        paging: dict[str, Any] = {"cursors": {"before": cursor(offset), "after": cursor(offset + len(page))}}
        if following is not None:
            query = {k: v for k, v in request.query.items() if k != "after"}
            paging["next"] = (
                f"{self.base_url}{request.path}?{urlencode({**query, 'after': cursor(following)})}"
            )
        return self.answer({"data": [{**item, **self.extra_fields} for item in page], "paging": paging})

    def answer(self, body: dict) -> Reply:
        headers = {"X-App-Usage": self.usage_header} if self.usage_header else {}
        return Reply(200, body, headers)

    def unauthorized(self) -> Reply:
        return Reply(
            400,
            {
                "error": {
                    "message": "Error validating access token: Session has expired on Monday, 02-Nov-26 10:00:00 PST. "
                    "The current time is Tuesday, 03-Nov-26 01:00:00 PST.",
                    "type": "OAuthException",
                    "code": 190,
                    "error_subcode": 463,
                    "fbtrace_id": "AbCdEfGhIjK",
                }
            },
        )


def since_until(request: Request, items: list[dict], time_field: str) -> list[dict]:
    """Graph's time-based filter: since <= created < until (unix seconds)."""
    since = int(request.query.get("since", 0))
    until = int(request.query.get("until", 2**40))
    return [i for i in items if since <= parse_graph_time(i[time_field]).timestamp() < until]


def insights(
    object_id: str, values: dict[str, Any], period: str = "lifetime", last_day: dict[str, Any] | None = None
) -> dict:
    """A post's insights; with `last_day`, each metric twice as Graph sends it when asked without
    `period`: the lifetime entry, then the day entry (the last day's value)."""

    def entry(name: str, value: Any, period: str) -> dict:
        return {
            "name": name,
            "period": period,
            "values": [{"value": value}],
            "title": name.replace("_", " ").title(),
            "description": f"{period.title()}: {name}",
            "id": f"{object_id}/insights/{name}/{period}",
        }

    data = []
    for name, value in values.items():
        data.append(entry(name, value, period))
        if last_day is not None and name in last_day:
            data.append(entry(name, last_day[name], "day"))
    return {"data": data}


def daily_insights(object_id: str, name: str, per_day: dict[dt.date, int]) -> dict:
    """A period=day metric; Graph stamps each day's value with the end of that day (Pacific)."""
    values = [
        {"value": v, "end_time": graph_time(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(8), UTC))}
        for day, v in sorted(per_day.items())
    ]
    return {
        "data": [
            {
                "name": name,
                "period": "day",
                "values": values,
                "title": name,
                "description": name,
                "id": f"{object_id}/insights/{name}/day",
            }
        ]
    }


# A real answer to GET /{ig-media-id}/insights for a media posted before the account was a business account
MEDIA_BEFORE_CONVERSION = {
    "error": {
        "message": "Invalid parameter",
        "type": "OAuthException",
        "code": 100,
        "error_subcode": 2108006,
        "is_transient": False,
        "error_user_title": "Media Posted Before Business Account Conversion",
        "error_user_msg": "The media was posted before the most recent time that the user's account was "
        "converted to a business account from a personal account.",
        "fbtrace_id": "AxYz0123456",
    }
}


def last_day_values(values: dict[str, Any]) -> dict[str, Any]:
    """What a period=day entry says besides the lifetime one: a smaller, last-day figure."""
    return {k: v // 10 if isinstance(v, int) else v for k, v in values.items()}


class FakeFacebookApi(FakeGraphApi):
    """A Page with posts over the days before `day`, comments and replies (the Page answers some)."""

    def __init__(self, token: str, page_id: str, day: dt.date):
        super().__init__(token)
        self.page_id = page_id
        self.day = day
        self.followers = 48_210
        self.posts: list[dict] = []
        self.comments: dict[str, list[dict]] = {}
        self.post_insights: dict[str, dict] = {}
        # Meta shows a comment's id and author only to a token whose person may do MODERATE on the Page
        self.moderate = True
        start = dt.datetime.combine(day, dt.time(), UTC)
        # six posts: two on the day itself, four on the five days before, one long ago (outside the lookback)
        for n, age_hours in enumerate([-15, -9, 20, 50, 75, 110, 24 * 30]):
            created = start - dt.timedelta(hours=age_hours)
            post_id = f"{page_id}_{9000 + n}"
            post = {
                "id": post_id,
                "created_time": graph_time(created),
                "message": f"Post number {n}",
                "permalink_url": f"https://www.facebook.com/{page_id}/posts/{9000 + n}",
                "reactions": {"data": [], "summary": {"total_count": 40 + n, "viewer_reaction": "NONE"}},
                "comments": {
                    "data": [],
                    "summary": {"order": "ranked", "total_count": 3, "can_comment": True},
                },
            }
            if n % 2 == 0:  # Graph leaves `shares` out when nobody shared the post
                post["shares"] = {"count": 5 + n}
            if n == 0:
                post["attachments"] = {
                    "data": [{"unshimmed_url": "https://example.com/launch", "type": "share"}]
                }
            if n == 1:  # a photo post: its attachment is the Page's own photo, not a link out
                post["attachments"] = {
                    "data": [
                        {
                            "unshimmed_url": f"https://www.facebook.com/photo.php?fbid=77{n}&set=a.1&type=3",
                            "type": "photo",
                        }
                    ]
                }
            self.posts.append(post)
            self.post_insights[post_id] = {
                "post_media_view": 1000 + 10 * n,
                "post_clicks_by_type": {"link clicks": 7 + n, "other clicks": 30},
                "post_video_views": 0,
            }
            self.comments[post_id] = self._thread(
                post_id, created, max(created, start) + dt.timedelta(hours=1), n
            )
        self.posts.sort(key=lambda p: p["created_time"], reverse=True)
        self.graph_route(r"(\d+)", self._page)
        self.graph_route(
            r"(\d+)/posts", lambda r, m: self.collection(r, since_until(r, self.posts, "created_time"))
        )
        self.graph_route(r"(\d+_\d+)/insights", self._post_insights)
        self.graph_route(r"(\d+_\d+)/comments", self._comments)
        self.graph_route(r"(\d+)/insights", self._page_insights)

    def _thread(self, post_id: str, posted: dt.datetime, first: dt.datetime, n: int) -> list[dict]:
        """A comment from the day before (older posts only), a customer's question and the Page's answer, in filter=stream order."""
        question = {
            "id": f"{post_id}_c1",
            "message": "Does this ship to Canada?",
            "created_time": graph_time(first),
            "from": {"id": f"5550{n}", "name": f"Customer {n}"},
        }
        answer = {
            "id": f"{post_id}_c2",
            "message": "Yes, within 5 days!",
            "created_time": graph_time(first + dt.timedelta(minutes=42)),
            "from": {"id": self.page_id, "name": "Pulse Care"},
            "parent": {"id": question["id"]},
        }
        earlier = {
            "id": f"{post_id}_c0",
            "message": "First!",
            "created_time": graph_time(first - dt.timedelta(days=1, hours=1)),
            "from": {"id": f"5560{n}", "name": f"Early bird {n}"},
        }
        return ([earlier] if parse_graph_time(earlier["created_time"]) > posted else []) + [question, answer]

    def _metrics(self, post_id: str, request: Request) -> dict:
        asked = request.query.get("metric", "").split(",")
        return {k: v for k, v in self.post_insights[post_id].items() if k in asked}

    def _post_insights(self, request: Request, match) -> Reply:
        post_id = match.group(1)
        refused = self.refuse_retired(request)
        if refused:
            return refused
        values = self._metrics(post_id, request)
        if request.query.get("period") == "lifetime":
            return self.answer(insights(post_id, values))
        # no period: every metric twice, lifetime then day (the last day's share of the total)
        return self.answer(insights(post_id, values, last_day=last_day_values(values)))

    def _comments(self, request: Request, match) -> Reply:
        comments = self.comments[match.group(1)]
        if not self.moderate:
            comments = [{k: v for k, v in c.items() if k not in ("id", "from")} for c in comments]
        return self.collection(request, comments)

    def _page(self, request: Request, match) -> Reply:
        return self.answer({"followers_count": self.followers, "name": "Pulse Care", "id": match.group(1)})

    def _page_insights(self, request: Request, match) -> Reply:
        refused = self.refuse_retired(request)
        if refused:
            return refused
        days = [self.day - dt.timedelta(days=1), self.day]
        follows = daily_insights(
            match.group(1), "page_daily_follows_unique", {d: 31 + i for i, d in enumerate(days)}
        )
        unfollows = daily_insights(
            match.group(1), "page_daily_unfollows_unique", {d: 4 + i for i, d in enumerate(days)}
        )
        asked = request.query.get("metric", "").split(",")
        data = [m for m in follows["data"] + unfollows["data"] if m["name"] in asked]
        return self.answer({"data": data})


class FakeInstagramApi(FakeGraphApi):
    """An Instagram professional account with media, comments with nested replies and daily new followers."""

    def __init__(self, token: str, user_id: str, day: dt.date):
        super().__init__(token)
        self.user_id = user_id
        self.day = day
        self.followers = 12_873
        self.media: list[dict] = []
        self.comments: dict[str, list[dict]] = {}
        self.media_insights: dict[str, dict] = {}
        self.insights_refused: set[str] = set()  # media whose insights Graph will not give (error 2108006)
        start = dt.datetime.combine(day, dt.time(), UTC)
        kinds = [
            ("IMAGE", "FEED"),
            ("VIDEO", "REELS"),
            ("CAROUSEL_ALBUM", "FEED"),
            ("IMAGE", "FEED"),
            ("VIDEO", "REELS"),
        ]
        for n, age_hours in enumerate([-10, -3, 30, 70, 24 * 20]):
            created = start - dt.timedelta(hours=age_hours)
            media_id = f"1790{n:011d}"
            media_type, product = kinds[n]
            self.media.append(
                {
                    "id": media_id,
                    "caption": f"Caption {n} #pulse",
                    "media_type": media_type,
                    "media_product_type": product,
                    "timestamp": graph_time(created),
                    "permalink": f"https://www.instagram.com/p/Abc{n}/",
                    "like_count": 120 + n,
                    "comments_count": 2,
                }
            )
            self.media_insights[media_id] = {"views": 3000 + n, "shares": 4 + n, "saved": 9 + n}
            at = max(created, start) + dt.timedelta(hours=2)
            # `old` is from before the test day, on media already posted then (n >= 2)
            top = {
                "id": f"1800{n:011d}",
                "text": "Where can I buy this?",
                "timestamp": graph_time(at),
                "username": f"fan{n}",
                "from": {"id": f"6770{n}", "username": f"fan{n}"},
                "replies": {
                    "data": [
                        {
                            "id": f"1801{n:011d}",
                            "text": "Link in bio!",
                            "timestamp": graph_time(at + dt.timedelta(minutes=15)),
                            "username": "pulse_care",
                            "from": {"id": user_id, "username": "pulse_care"},
                        }
                    ]
                },
            }
            old = {
                "id": f"1802{n:011d}",
                "text": "Nice",
                "timestamp": graph_time(at - dt.timedelta(days=2)),
                "username": f"old{n}",
                "from": {"id": f"6780{n}", "username": f"old{n}"},
            }
            self.comments[media_id] = [top, old] if n >= 2 else [top]
        self.graph_route(r"(\d+)", self._user)
        self.graph_route(
            r"(\d+)/media", lambda r, m: self.collection(r, since_until(r, self.media, "timestamp"))
        )
        self.graph_route(r"(\d+)/comments", lambda r, m: self.collection(r, self.comments[m.group(1)]))
        self.graph_route(r"(\d+)/insights", self._insights)

    def _user(self, request: Request, match) -> Reply:
        return self.answer(
            {"followers_count": self.followers, "username": "pulse_care", "id": match.group(1)}
        )

    def _insights(self, request: Request, match) -> Reply:
        object_id = match.group(1)
        refused = self.refuse_retired(request)
        if refused:
            return refused
        if object_id in self.insights_refused:
            return Reply(400, MEDIA_BEFORE_CONVERSION)
        if object_id == self.user_id:
            return self.answer(
                daily_insights(
                    object_id, "follower_count", {self.day - dt.timedelta(days=1): 17, self.day: 23}
                )
            )
        asked = request.query.get("metric", "").split(",")
        return self.answer(
            insights(object_id, {k: v for k, v in self.media_insights[object_id].items() if k in asked})
        )
