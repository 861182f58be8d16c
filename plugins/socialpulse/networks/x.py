"""X (Twitter) through the X API v2.

- posts and their metrics: GET /2/users/:id/tweets (start_time/end_time, next_token paging)
- inbound messages: GET /2/users/:id/mentions, with the authors' usernames expanded
- outbound messages: our own tweets that reply to someone else
- audience: GET /2/users/:id?user.fields=public_metrics (followers_count; X gives no gained/lost)
- direct messages (option direct_messages): GET /2/dm_events, the account's DMs sent and received,
  newest first, the last 30 days at most; a conversation is a thread (dm_conversation_id)

Authentication: where the connection's extra holds the account's OAuth 1.0a keys (api_key,
api_key_secret, access_token, access_token_secret) every request is signed with them (user context, no
expiry); otherwise the connection's password is sent as a bearer token (app-only, or an OAuth 2.0 user
token, which expires after two hours).

Options: base_url, lookback_days, page_size (5..100), non_public_metrics (true needs user context of the
account itself and only covers tweets younger than 30 days), direct_messages (true needs user context:
OAuth 1.0a keys of an app allowed Direct Messages, or an OAuth 2.0 user token with dm.read; without it the
run goes on without DMs, with a warning), plus the RetryPolicy fields.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from socialpulse import http
from socialpulse.domain import Account, Interval
from socialpulse.networks import canonical
from socialpulse.networks.api import ApiConnector
from socialpulse.networks.base import ConnectorError, Credentials

TWEET_FIELDS = (
    "created_at,public_metrics,conversation_id,in_reply_to_user_id,referenced_tweets,entities,author_id"
)
# X's own hosts: an attached photo's URL (x.com/.../photo/1) or a quoted post is not a link followed out
PLATFORM_HOSTS = ("x.com", "twitter.com", "t.co", "twimg.com")
DM_EVENT_FIELDS = "id,event_type,text,sender_id,dm_conversation_id,created_at,participant_ids"

log = logging.getLogger(__name__)


class XNetwork(ApiConnector):
    network = "x"
    own_options = frozenset({"non_public_metrics", "direct_messages"})

    def __init__(self, credentials=None, sleep=None, **settings):
        super().__init__(credentials, sleep, **settings)
        self.non_public = bool(settings.get("non_public_metrics", False))
        self.direct_messages = bool(settings.get("direct_messages", False))

    def connect(self, credentials: Credentials | None) -> http.ApiClient:
        return self.api_client(
            self.settings.get("base_url", "https://api.x.com"),
            http.OAuth1Signer.from_credentials("x", credentials) or credentials,
            auth="bearer",
            permission_hint="tweet.read users.read (and a user-context token for non_public_metrics)",
        )

    def extract(self, account: Account, interval: Interval) -> dict[str, pa.Table]:
        user_id = account.account_id
        user_path = f"/2/users/{user_id}"
        response = self.client.get(user_path, {"user.fields": "public_metrics,username"})
        user = self.client.fields(user_path, "user")
        if "data" not in response:
            if response.get("errors"):  # X answers 200 with `errors` for an unknown user
                details = "; ".join(str(e.get("detail")) for e in user.objects(response, "errors"))
                raise ConnectorError(
                    self.client.scrub(
                        f"x GET {user.endpoint}: no user {user_id} ({details}); account_id must be the numeric user id, not the @handle"
                    )
                )
            raise user.error(response, "data", http.MISSING)
        followers = user.count(user.object(response, "data"), "public_metrics.followers_count")

        tweet_fields = TWEET_FIELDS + (",non_public_metrics" if self.non_public else "")
        timeline_path, mentions_path = f"/2/users/{user_id}/tweets", f"/2/users/{user_id}/mentions"
        timeline = self._tweets(timeline_path, self.lookback_start(interval), interval, tweet_fields)
        mentions = self._tweets(mentions_path, interval.start, interval, TWEET_FIELDS)
        tweet, mention = (
            self.client.fields(timeline_path, "tweet"),
            self.client.fields(mentions_path, "mention"),
        )
        own_ids = {t["id"] for t in timeline if isinstance(t.get("id"), str)}

        posts, metrics, messages = [], [], []
        for t in timeline:
            with self.issues.item(t, "tweet left out"):
                tweet_id, created = tweet.string(t, "id"), tweet.time(t, "created_at")
                rows = canonical.metric_rows(account, interval, tweet_id, created, self._counts(tweet, t))
                if not canonical.inside(created, interval):
                    metrics += rows
                    continue
                replied_to = _reference(tweet, t, "replied_to")
                kind = "reply" if replied_to else "share" if _reference(tweet, t, "retweeted") else "original"
                links = [
                    tweet.string(u, "expanded_url", required=False) or tweet.string(u, "url", required=False)
                    for u in tweet.objects(t, "entities.urls")
                    if not u.get("media_key")  # an attached photo or video, not a link to another site
                ]
                post = canonical.post_row(
                    account,
                    tweet_id,
                    created,
                    tweet.string(t, "text", required=False),
                    kind,
                    canonical.external_links(links, PLATFORM_HOSTS),
                    replied_to,
                )
                # A reply to someone else is our answer in a conversation; a reply to ourselves is a thread.
                answer = (
                    [self._message(account, tweet, t, created, own_ids, outbound=True)]
                    if replied_to and t.get("in_reply_to_user_id") != user_id
                    else []
                )
                metrics += rows
                posts.append(post)
                messages += answer
        for t in mentions:
            with self.issues.item(t, "mention left out"):
                created = mention.time(t, "created_at")
                if canonical.inside(created, interval):
                    outbound = mention.string(t, "author_id") == user_id
                    messages.append(self._message(account, mention, t, created, own_ids, outbound=outbound))
        if self.direct_messages:
            messages += self._direct_messages(account, interval)

        return canonical.tables(
            canonical.account_rows(account, interval),
            posts,
            metrics,
            canonical.audience_rows(account, interval, followers),
            messages,
            source=f"x/{user_id}",
            issues=self.issues.take(account, interval),
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
        page_fields, user = self.client.fields(path, "page"), self.client.fields(path, "included user")
        tweets = []
        for page in self.client.paginate(
            path, params, http.TokenPaging("meta.next_token", "pagination_token")
        ):
            usernames = {
                user.string(u, "id"): user.string(u, "username", required=False)
                for u in page_fields.objects(page, "includes.users")
            }
            for tweet in page_fields.objects(page, "data"):
                tweets.append(
                    {
                        **tweet,
                        "_username": usernames.get(author)
                        if isinstance(author := tweet.get("author_id"), str)
                        else None,
                    }
                )
        return tweets

    def _direct_messages(self, account: Account, interval: Interval) -> list[dict[str, Any]]:
        """DMs sent or received inside the interval; none, with a warning, when the token may not read them."""
        path = "/2/dm_events"
        params = {
            "dm_event.fields": DM_EVENT_FIELDS,
            "event_types": "MessageCreate",
            "expansions": "sender_id",
            "user.fields": "username",
            "max_results": self.page_size,
        }
        page_fields, event, user = (
            self.client.fields(path, "page"),
            self.client.fields(path, "DM event"),
            self.client.fields(path, "included user"),
        )
        rows = []
        try:
            for page in self.client.paginate(
                path, params, http.TokenPaging("meta.next_token", "pagination_token")
            ):
                usernames = {
                    user.string(u, "id"): user.string(u, "username", required=False)
                    for u in page_fields.objects(page, "includes.users")
                }
                older = False
                for item in page_fields.objects(page, "data"):
                    with self.issues.item(item, "direct message left out"):
                        if event.string(item, "event_type") != "MessageCreate":
                            continue  # a participant joining or leaving a group is not a message
                        created = event.time(item, "created_at")
                        older = older or created < interval.start
                        if canonical.inside(created, interval):
                            rows.append(self._direct_message(account, event, item, created, usernames))
                if older:
                    break  # newest first: the following pages are older still
        except http.PermissionDenied:
            log.warning(
                "x GET %s: HTTP 403, the credentials of connection '%s' may not read direct messages (they must be the "
                "account's OAuth 1.0a keys of an app whose permissions include Direct Messages, with the access token "
                "generated after that permission was set, or an OAuth 2.0 user-context token with dm.read, tweet.read, "
                "users.read); this run reads no DMs. Set the account option direct_messages: false to stop asking",
                path,
                self.client.conn_id,
            )
            return []
        return rows

    def _direct_message(
        self,
        account: Account,
        fields: http.Fields,
        item: Mapping[str, Any],
        created: dt.datetime,
        usernames: dict[str, str | None],
    ) -> dict[str, Any]:
        sender = fields.string(item, "sender_id")
        outbound = sender == account.account_id
        username = account.handle if outbound else usernames.get(sender)
        return canonical.message_row(
            account,
            message_id=fields.string(item, "id"),
            # a conversation is the thread: our next DM in it answers the customer's (response times)
            thread_id=fields.string(item, "dm_conversation_id"),
            parent_id=None,  # DMs do not reply to a particular message
            post_id=None,
            created_at=created,
            outbound=outbound,
            channel="direct_message",
            author_id=sender,
            author_handle=(username if username.startswith("@") else f"@{username}") if username else None,
            text=fields.string(item, "text", required=False),
        )

    def _counts(self, fields: http.Fields, tweet: Mapping[str, Any]) -> dict[str, int | None]:
        public = fields.object(tweet, "public_metrics")
        private = fields.object(tweet, "non_public_metrics")
        retweets, quotes = fields.count(public, "retweet_count"), fields.count(public, "quote_count")
        impressions = fields.count(private, "impression_count")
        return {
            "impressions": impressions
            if impressions is not None
            else fields.count(public, "impression_count"),
            "likes": fields.count(public, "like_count"),
            "shares": None if retweets is None else min(retweets + (quotes or 0), http.INT64_MAX),
            "replies": fields.count(public, "reply_count"),
            "link_clicks": fields.count(private, "url_link_clicks"),
            "saves": fields.count(public, "bookmark_count"),
            "video_views": None,  # on the media object, not the tweet; not requested
        }

    def _message(
        self,
        account: Account,
        fields: http.Fields,
        tweet: Mapping[str, Any],
        created,
        own_ids: set[str],
        outbound: bool,
    ) -> dict[str, Any]:
        conversation = fields.string(tweet, "conversation_id")
        username = account.handle if outbound else tweet.get("_username")
        return canonical.message_row(
            account,
            message_id=fields.string(tweet, "id"),
            thread_id=conversation,
            parent_id=_reference(fields, tweet, "replied_to"),
            post_id=conversation if conversation in own_ids else None,
            created_at=created,
            outbound=outbound,
            channel="mention",
            author_id=account.account_id if outbound else fields.string(tweet, "author_id"),
            author_handle=(username if username.startswith("@") else f"@{username}") if username else None,
            text=fields.string(tweet, "text", required=False),
        )


def _reference(fields: http.Fields, tweet: Mapping[str, Any], kind: str) -> str | None:
    """The id of the tweet this one replies to / retweets (referenced_tweets), if any."""
    for ref in fields.objects(tweet, "referenced_tweets"):
        if ref.get("type") == kind:
            return fields.string(ref, "id")
    return None
