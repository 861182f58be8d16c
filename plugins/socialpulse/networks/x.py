"""X (Twitter) through the X API v2.

- posts and their metrics: GET /2/users/:id/tweets (start_time/end_time, next_token paging)
- inbound messages: GET /2/users/:id/mentions, with the authors' usernames expanded
- outbound messages: our own tweets that reply to someone else
- audience: GET /2/users/:id?user.fields=public_metrics (followers_count; X gives no gained/lost)

Options: base_url, lookback_days, page_size (5..100), non_public_metrics (true needs a user-context
token of the account itself and only covers tweets younger than 30 days), plus the RetryPolicy fields.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa

from socialpulse import http
from socialpulse.http import dig, need
from socialpulse.networks.base import Account, Connector, ConnectorError, Interval

TWEET_FIELDS = "created_at,public_metrics,conversation_id,in_reply_to_user_id,referenced_tweets,entities,author_id"


class XNetwork(Connector):
    network = "x"

    def __init__(self, credentials=None, sleep=None, **settings):
        super().__init__(credentials, **settings)
        http.check_options("x", settings, {"non_public_metrics"})
        self.client = http.ApiClient(
            "x",
            settings.get("base_url", "https://api.x.com"),
            credentials,
            auth="bearer",
            permission_hint="tweet.read users.read (and a user-context token for non_public_metrics)",
            policy=http.RetryPolicy.from_settings(settings),
            sleep=sleep,
        )
        self.page_size = int(settings.get("page_size", 100))
        self.non_public = bool(settings.get("non_public_metrics", False))

    def extract(self, account: Account, interval: Interval) -> dict[str, pa.Table]:
        user_id = account.account_id
        response = self.client.get(f"/2/users/{user_id}", {"user.fields": "public_metrics,username"})
        if "data" not in response:  # X answers 200 with `errors` for an unknown user
            details = "; ".join(str(e.get("detail")) for e in response.get("errors") or [])
            raise ConnectorError(f"x: no user {user_id} ({details}); account_id must be the numeric user id, not the @handle")
        followers = http.count(response["data"], "public_metrics.followers_count")

        tweet_fields = TWEET_FIELDS + (",non_public_metrics" if self.non_public else "")
        timeline = self._tweets(f"/2/users/{user_id}/tweets", http.lookback_start(interval, self.settings), interval, tweet_fields)
        own_ids = {t["id"] for t in timeline}
        mentions = self._tweets(f"/2/users/{user_id}/mentions", interval.start, interval, TWEET_FIELDS)

        posts, metrics, messages = [], [], []
        for tweet in timeline:
            created = http.parse_time(need(tweet, "created_at", "X tweet"))
            metrics += http.metric_rows(account, interval, tweet["id"], created, self._counts(tweet))
            if not http.inside(created, interval):
                continue
            replied_to = _reference(tweet, "replied_to")
            kind = "reply" if replied_to else "share" if _reference(tweet, "retweeted") else "original"
            links = [u.get("expanded_url") or u.get("url") for u in dig(tweet, "entities.urls", [])]
            posts.append(http.post_row(account, tweet["id"], created, tweet.get("text"), kind, links, replied_to))
            # A reply to someone else is our answer in a conversation; a reply to ourselves is a thread.
            if replied_to and tweet.get("in_reply_to_user_id") != user_id:
                messages.append(self._message(account, tweet, created, own_ids, outbound=True))
        for tweet in mentions:
            created = http.parse_time(need(tweet, "created_at", "X mention"))
            if http.inside(created, interval):
                outbound = need(tweet, "author_id", "X mention") == user_id
                messages.append(self._message(account, tweet, created, own_ids, outbound=outbound))

        return http.tables(
            http.account_rows(account, interval),
            posts,
            metrics,
            http.audience_rows(account, interval, followers),
            messages,
            source=f"x/{user_id}",
        )

    def _tweets(self, path: str, since: dt.datetime, interval: Interval, fields: str) -> list[dict[str, Any]]:
        """Every tweet of a timeline created in [since, interval.end), usernames of authors attached."""
        params = {
            "start_time": http.iso(since),
            "end_time": http.iso(interval.end),
            "max_results": self.page_size,
            "tweet.fields": fields,
            "expansions": "author_id",
            "user.fields": "username",
        }
        tweets = []
        for page in self.client.paginate(path, params, http.TokenPaging("meta.next_token", "pagination_token")):
            usernames = {u["id"]: u.get("username") for u in dig(page, "includes.users", [])}
            for tweet in page.get("data") or []:
                tweets.append({**tweet, "_username": usernames.get(tweet.get("author_id"))})
        return tweets

    def _counts(self, tweet: dict[str, Any]) -> dict[str, int | None]:
        public = tweet.get("public_metrics") or {}
        private = tweet.get("non_public_metrics") or {}
        retweets, quotes = http.count(public, "retweet_count"), http.count(public, "quote_count")
        impressions = http.count(private, "impression_count")
        return {
            "impressions": impressions if impressions is not None else http.count(public, "impression_count"),
            "likes": http.count(public, "like_count"),
            "shares": None if retweets is None else retweets + (quotes or 0),
            "replies": http.count(public, "reply_count"),
            "link_clicks": http.count(private, "url_link_clicks"),
            "saves": http.count(public, "bookmark_count"),
            "video_views": None,  # on the media object, not the tweet; not requested
        }

    def _message(self, account: Account, tweet: dict[str, Any], created, own_ids: set[str], outbound: bool) -> dict[str, Any]:
        conversation = need(tweet, "conversation_id", "X tweet")
        username = account.handle if outbound else tweet.get("_username")
        return http.message_row(
            account,
            message_id=tweet["id"],
            thread_id=conversation,
            parent_id=_reference(tweet, "replied_to"),
            post_id=conversation if conversation in own_ids else None,
            created_at=created,
            outbound=outbound,
            channel="mention",
            author_id=account.account_id if outbound else need(tweet, "author_id", "X mention"),
            author_handle=(username if username.startswith("@") else f"@{username}") if username else None,
            text=tweet.get("text"),
        )


def _reference(tweet: dict[str, Any], kind: str) -> str | None:
    """The id of the tweet this one replies to / retweets (referenced_tweets), if any."""
    for ref in tweet.get("referenced_tweets") or []:
        if ref.get("type") == kind:
            return ref.get("id")
    return None
