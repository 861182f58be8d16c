"""A fake X API v2 built from real recorded responses (tests/data/x-api-v2, from tweepy's cassettes).

The recordings give real tweet ids, texts, users, next_tokens and rate-limit headers, but mostly
default fields only. What the connector asks for beyond them is filled in the documented shape:
- created_at: decoded from the tweet id itself (a snowflake holds its creation time, exactly);
- conversation_id / referenced_tweets / in_reply_to_user_id / author_id: the recorded mentions are
  made replies to @Twitter's recorded tweet or conversation starters, written by the real users of
  the recorded followers page;
- public_metrics: deterministic numbers derived from the id;
- @Twitter's own replies to six of the mentions (ids one minute after the mention's), so the
  account has outbound messages and more than one page of tweets.
The server honours start_time, end_time, max_results (5..100, as the API does) and pagination_token.

Direct messages (GET /2/dm_events) were not recorded; they follow the documented shape (docs.x.com,
Direct Messages lookup: id, event_type, text, sender_id, dm_conversation_id, created_at,
participant_ids; newest first; one-to-one conversation ids are "{smaller_user_id}-{larger_user_id}"):
customers of the recorded followers page write to @Twitter on the test day and are answered, one of
them twice, one never; a group conversation has a ParticipantsJoin event. A token without dm.read
(dm_read = False) gets X's 403 for an app-only token.

Given OAuth 1.0a keys (oauth1=OAuth1Keys(...)), the fake accepts only requests signed with them
(fakes/oauth1.py checks each signature from the raw request) and refuses any other with X's 401
body, the one X API v2 sends to a bad OAuth 1.0a signature (xdevplatform/xurl issue #8); an app whose
permissions lack Direct Messages (dm_read = False) gets X's 403 "oauth1-permissions" for DMs.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from fakes.oauth1 import OAuth1Keys, OAuth1Verifier
from fakes.server import FakeApi, Reply, Request, window

REPO_ROOT = Path(__file__).resolve().parents[2]
RECORDINGS = REPO_ROOT / "tests" / "data" / "x-api-v2"
TWITTER_EPOCH_MS = 1288834974657
ACCOUNT_ID = "783214"  # @Twitter, whose timeline and mentions were recorded
REPLIED_MENTIONS = 6


def recording(name: str) -> dict[str, Any]:
    """The first interaction of a recorded cassette: request, status, headers, body."""
    return json.loads((RECORDINGS / f"{name}.json").read_text())[0]


def snowflake_time(tweet_id: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(((int(tweet_id) >> 22) + TWITTER_EPOCH_MS) / 1000, dt.UTC)


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def public_metrics(tweet_id: str) -> dict[str, int]:
    seed = int(tweet_id) % 9973
    return {
        "retweet_count": seed % 40,
        "reply_count": seed % 17,
        "like_count": seed % 500,
        "quote_count": seed % 7,
        "bookmark_count": seed % 11,
        "impression_count": 1000 + seed,
    }


class FakeXApi(FakeApi):
    def __init__(self, token: str, oauth1: OAuth1Keys | None = None):
        super().__init__(token, auth="bearer")
        self.oauth1 = OAuth1Verifier(oauth1) if oauth1 else None
        self.user = recording("get_user")
        self.timeline_recording = recording("get_users_tweets")
        self.mentions_recording = recording("get_users_mentions")
        self.followers = recording("get_users_followers")["body"]["data"]
        self.followers_count = 65_432_100
        self.extra_fields: dict[str, Any] = {}  # added to every tweet: an API that grew a new field
        self.drop_fields: set[str] = set()  # removed from every tweet: an API that lost one
        self.mentions, self.timeline = self._build()
        self.dm_events = self._build_dms()
        self.dm_read = True  # False: the token may not read DMs (app-only, or no dm.read scope)
        self.route(r"/2/users/(\d+)", self._get_user)
        self.route(
            r"/2/users/(\d+)/tweets", lambda r, m: self._timeline(r, self.timeline, self.timeline_recording)
        )
        self.route(
            r"/2/users/(\d+)/mentions", lambda r, m: self._timeline(r, self.mentions, self.mentions_recording)
        )
        self.route(r"/2/dm_events", self._dm_events)

    # -- data --------------------------------------------------------------------------------------------
    def _build(self) -> tuple[list[dict], list[dict]]:
        own = [
            {
                **t,
                "author_id": ACCOUNT_ID,
                "conversation_id": t["id"],
                "created_at": iso(snowflake_time(t["id"])),
                "public_metrics": public_metrics(t["id"]),
                "entities": {
                    "urls": [
                        # an attached photo, as X v2 lists it among the urls (with its media_key)
                        {
                            "start": 40,
                            "end": 63,
                            "url": "https://t.co/3OQ4eGsUku",
                            "expanded_url": "https://twitter.com/Twitter/status/1577730467436138524/photo/1",
                            "display_url": "pic.twitter.com/3OQ4eGsUku",
                            "media_key": "3_1577730440903938048",
                        },
                        {
                            "start": 10,
                            "end": 33,
                            "url": "https://t.co/Zx9Yw8Vu7T",
                            "expanded_url": "https://example.com/status-page",
                            "display_url": "example.com/status-page",
                        },
                    ]
                },
            }
            for t in self.timeline_recording["body"]["data"]
        ]
        root = own[0]["id"]  # the recorded mixed-media tweet, inside the lookback window of the test day
        mentions = []
        for i, t in enumerate(self.mentions_recording["body"]["data"]):
            author = self.followers[i % len(self.followers)]
            mention = {
                **t,
                "author_id": author["id"],
                "created_at": iso(snowflake_time(t["id"])),
                "public_metrics": public_metrics(t["id"]),
                "in_reply_to_user_id": ACCOUNT_ID,
            }
            if i % 2 == 0:  # every other mention answers @Twitter's tweet; the rest open a conversation
                mention.update(conversation_id=root, referenced_tweets=[{"type": "replied_to", "id": root}])
            else:
                mention["conversation_id"] = t["id"]
            mentions.append(mention)
        replies = []
        for mention in mentions[:REPLIED_MENTIONS]:
            reply_id = str(int(mention["id"]) + (60_000 << 22))  # one minute later
            replies.append(
                {
                    "id": reply_id,
                    "edit_history_tweet_ids": [reply_id],
                    "text": "We're looking into it, sorry for the trouble.",
                    "author_id": ACCOUNT_ID,
                    "created_at": iso(snowflake_time(reply_id)),
                    "conversation_id": mention["conversation_id"],
                    "in_reply_to_user_id": mention["author_id"],
                    "referenced_tweets": [{"type": "replied_to", "id": mention["id"]}],
                    "public_metrics": public_metrics(reply_id),
                }
            )
        timeline = sorted(own + replies, key=lambda t: int(t["id"]), reverse=True)
        return mentions, timeline

    def _build_dms(self) -> list[dict]:
        day = dt.datetime(2022, 10, 7, tzinfo=dt.UTC)
        events = []

        def event(
            at: dt.datetime,
            n: int,
            sender: str,
            conversation: str,
            text: str,
            kind: str = "MessageCreate",
            **more,
        ) -> None:
            event_id = str(((int(at.timestamp() * 1000) - TWITTER_EPOCH_MS) << 22) + n)
            events.append(
                {
                    "id": event_id,
                    "event_type": kind,
                    "text": text,
                    "sender_id": sender,
                    "dm_conversation_id": conversation,
                    "created_at": iso(at),
                    **more,
                }
            )

        for i, customer in enumerate(self.followers[:4]):
            conversation = "-".join(sorted((ACCOUNT_ID, customer["id"]), key=int))
            asked = day + dt.timedelta(hours=8 + i)
            event(
                asked,
                1,
                customer["id"],
                conversation,
                "Hi, my account was locked this morning, can you help?",
            )
            if i < 3:  # the fourth customer is still waiting
                event(
                    asked + dt.timedelta(minutes=20 * (i + 1)),
                    2,
                    ACCOUNT_ID,
                    conversation,
                    "Sorry about that! Check your email for a reset link.",
                )
            if i == 0:  # a follow-up, answered again
                event(
                    asked + dt.timedelta(hours=2),
                    3,
                    customer["id"],
                    conversation,
                    "The link expired, what now?",
                )
                event(
                    asked + dt.timedelta(hours=3),
                    4,
                    ACCOUNT_ID,
                    conversation,
                    "Sent a new one, valid for 24 hours.",
                )
        group = "1578398451921985538"  # the group conversation id of docs.x.com's example
        event(
            day + dt.timedelta(hours=14),
            5,
            ACCOUNT_ID,
            group,
            "",
            "ParticipantsJoin",
            participant_ids=[self.followers[5]["id"]],
        )
        event(
            day - dt.timedelta(days=2),
            6,
            self.followers[4]["id"],
            "-".join(sorted((ACCOUNT_ID, self.followers[4]["id"]), key=int)),
            "An old message, before the test day",
        )
        return sorted(events, key=lambda e: int(e["id"]), reverse=True)

    def user_of(self, user_id: str) -> dict[str, Any] | None:
        if user_id == ACCOUNT_ID:
            return {"id": ACCOUNT_ID, "name": "Twitter", "username": "Twitter"}
        return next((u for u in self.followers if u["id"] == user_id), None)

    # -- endpoints -----------------------------------------------------------------------------------------
    def _get_user(self, request: Request, match) -> Reply:
        data = dict(self.user["body"]["data"])
        if match.group(1) != data["id"]:
            return Reply(
                200,
                {
                    "errors": [
                        {
                            "detail": f"Could not find user with id: [{match.group(1)}].",
                            "title": "Not Found Error",
                        }
                    ]
                },
            )
        if "public_metrics" in request.query.get("user.fields", ""):
            data["public_metrics"] = {
                "followers_count": self.followers_count,
                "following_count": 12,
                "tweet_count": 15000,
                "listed_count": 90000,
            }
        return Reply(200, {"data": data}, self._rate_headers(self.user))

    def _timeline(self, request: Request, tweets: list[dict], recorded: dict) -> Reply:
        q = request.query
        size = int(q.get("max_results", 10))
        if not 5 <= size <= 100:
            return Reply(
                400,
                {
                    "errors": [
                        {
                            "parameters": {"max_results": [str(size)]},
                            "message": f"The `max_results` query parameter value [{size}] is not between 5 and 100",
                        }
                    ],
                    "title": "Invalid Request",
                    "detail": "One or more parameters to your request was invalid.",
                    "type": "https://api.twitter.com/2/problems/invalid-request",
                },
            )
        start = _parse(q.get("start_time"))
        end = _parse(q.get("end_time"))
        selected = [
            t
            for t in tweets
            if (start is None or snowflake_time(t["id"]) >= start)
            and (end is None or snowflake_time(t["id"]) < end)
        ]
        recorded_token = recorded["body"]["meta"]["next_token"]
        token = q.get("pagination_token")
        offset = 0 if token is None else size if token == recorded_token else int(token.split("-")[1])
        page, following = window(selected, offset, size)
        page = [self._shape(t, q.get("tweet.fields", "")) for t in page]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if following is not None:
            # the first page carries the real recorded token; later ones are this fake's own
            meta["next_token"] = recorded_token if offset == 0 else f"page-{following}"
        body: dict[str, Any] = {"meta": meta}
        if page:
            body["data"] = page
            self._expand_users(body, page, q, "author_id")
        return Reply(200, body, self._rate_headers(recorded))

    def _expand_users(self, body: dict[str, Any], items: list[dict], query: dict, field: str) -> None:
        """includes.users for the items' user ids in `field`, when the request asks for that expansion."""
        if field in query.get("expansions", ""):
            ids = {item[field] for item in items if item.get(field)}
            body["includes"] = {"users": [u for u in map(self.user_of, sorted(ids)) if u]}

    def _dm_events(self, request: Request, match) -> Reply:
        if not self.dm_read and self.oauth1:
            return Reply(
                403,
                {
                    "title": "Forbidden",
                    "type": "https://api.twitter.com/2/problems/oauth1-permissions",
                    "status": 403,
                    "detail": "Your client app is not configured with the appropriate oauth1 app permissions for this endpoint.",
                },
            )
        if not self.dm_read:
            return Reply(
                403,
                {
                    "title": "Unsupported Authentication",
                    "type": "https://api.twitter.com/2/problems/unsupported-authentication",
                    "status": 403,
                    "detail": "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  "
                    "Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].",
                },
            )
        q = request.query
        size = int(q.get("max_results", 100))
        if not 1 <= size <= 100:
            return Reply(
                400,
                {"title": "Invalid Request", "detail": "One or more parameters to your request was invalid."},
            )
        events = [
            e for e in self.dm_events if e["event_type"] in q.get("event_types", e["event_type"]).split(",")
        ]
        token = q.get("pagination_token")
        offset = int(token.split("-")[-1]) if token else 0
        page, following = window(events, offset, size)
        wanted = {"id", "event_type", "text"} | set(filter(None, q.get("dm_event.fields", "").split(",")))
        page = [
            {**{k: v for k, v in e.items() if k in wanted and k not in self.drop_fields}, **self.extra_fields}
            for e in page
        ]
        meta: dict[str, Any] = {"result_count": len(page)}
        if following is not None:
            meta["next_token"] = f"dm-page-{following}"
        body: dict[str, Any] = {"meta": meta}
        if page:
            body["data"] = page
            self._expand_users(body, page, q, "sender_id")
        return Reply(200, body)

    def _shape(self, tweet: dict, fields: str) -> dict:
        """A tweet as the API returns it: default fields plus those asked for in tweet.fields."""
        wanted = {"id", "text", "edit_history_tweet_ids"} | set(filter(None, fields.split(",")))
        shaped = {k: v for k, v in tweet.items() if k in wanted and k not in self.drop_fields}
        return {**shaped, **self.extra_fields}

    def _rate_headers(self, recorded: dict) -> dict[str, str]:
        headers = recorded["headers"]
        return {
            name: headers[name][0]
            for name in ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset")
            if name in headers
        }

    def unauthorized(self) -> Reply:
        return Reply(
            401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
        )

    def _authorized(self, request: Request) -> bool:
        if self.oauth1 is None:
            return super()._authorized(request)
        return self.oauth1.check(
            request.method,
            request.headers.get("Host", ""),
            request.path,
            request.raw_query,
            request.headers.get("Authorization"),
        )


def too_many_requests(retry_after: str | None = None, reset: int | None = None) -> Reply:
    headers = {"x-rate-limit-limit": "1500", "x-rate-limit-remaining": "0"}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    if reset is not None:
        headers["x-rate-limit-reset"] = str(reset)
    return Reply(
        429,
        {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429},
        headers,
    )


def _parse(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
