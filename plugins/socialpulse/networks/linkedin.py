"""LinkedIn Pages through the Community Management API (versioned /rest endpoints, Rest.li 2.0).

- posts: GET /rest/posts?q=author&author={org urn}&sortBy=CREATED (start/count paging, newest first)
- metrics: GET /rest/organizationalEntityShareStatistics?q=organizationalEntity&shares=List(..)&ugcPosts=List(..)
  (lifetime totalShareStatistics per post)
- messages: GET /rest/socialActions/{post urn}/comments, and the same for a comment urn to read its replies
- audience: GET /rest/networkSizes/{org urn}?edgeType=COMPANY_FOLLOWED_BY_MEMBER (total) and
  GET /rest/organizationalEntityFollowerStatistics with DAY timeIntervals (gains; LinkedIn gives no losses)

account_id is the numeric organization id. The token is a Page admin's 3-legged OAuth access token; with a
refresh token, client id and secret in the connection's extra it is refreshed at LinkedIn's token endpoint.
Options: base_url, linkedin_version (YYYYMM), token_url, lookback_days, page_size, plus the RetryPolicy fields.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

import pyarrow as pa

from socialpulse import http, model
from socialpulse.domain import Account, Interval
from socialpulse.http import dig
from socialpulse.networks import canonical
from socialpulse.networks.api import ApiConnector
from socialpulse.networks.base import Credentials

LINKEDIN_VERSION = (
    "202608"  # the latest in "Recent Marketing API Changes" (Aug 2026); supported a year at least
)
# programmatic refresh tokens (approved partners only): access tokens last 60 days, refresh tokens a year
TOKEN_URL = "https://www.linkedin.com/oauth/v2/accessToken"
STATS_BATCH = 20  # posts per share-statistics request, to keep the URL short


def urn(value: str) -> str:
    """A URN as one URL path segment or query value, Rest.li 2.0 style (':' and ',' escaped)."""
    return quote(value, safe="")


def ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


class LinkedInNetwork(ApiConnector):
    network = "linkedin"
    own_options = frozenset({"linkedin_version", "token_url"})
    default_page_size = 50

    def connect(self, credentials: Credentials | None) -> http.ApiClient:
        return self.api_client(
            self.settings.get("base_url", "https://api.linkedin.com"),
            credentials,
            auth="bearer",
            token_url=self.settings.get("token_url", TOKEN_URL),
            permission_hint=(
                "r_organization_social, rw_organization_admin (the ADMINISTRATOR role on the Page; "
                "ANALYST reads statistics but not comments)"
            ),
            headers={
                "LinkedIn-Version": str(self.settings.get("linkedin_version", LINKEDIN_VERSION)),
                "X-Restli-Protocol-Version": "2.0.0",
            },
        )

    def extract(self, account: Account, interval: Interval) -> dict[str, pa.Table]:
        org = f"urn:li:organization:{account.account_id}"
        since = self.lookback_start(interval)
        post = self.client.fields("/rest/posts", "post")
        recent = []
        for item in self._collection("/rest/posts", {"q": "author", "author": org, "sortBy": "CREATED"}):
            created = None
            with self.issues.item(item, "post left out"):
                post_id, created = post.string(item, "id"), post.time(item, "createdAt")
            if created is None:
                continue
            if created < since:
                break  # sorted newest first: everything after this is older still
            if created < interval.end:
                recent.append((item, post_id, created))

        stats = self._share_statistics(org, [post_id for _, post_id, _ in recent])
        posts, metrics, messages = [], [], []
        for item, post_id, created in recent:
            metrics += canonical.metric_rows(
                account, interval, post_id, created, stats.get(post_id, UNKNOWN_COUNTS)
            )
            messages += self._comments(account, org, interval, post_id)
            if canonical.inside(created, interval):
                with self.issues.item(item, "post left out"):
                    article = post.string(item, "content.article.source", required=False)
                    kind = "share" if item.get("reshareContext") else "original"
                    posts.append(
                        canonical.post_row(
                            account,
                            post_id,
                            created,
                            post.string(item, "commentary", required=False),
                            kind,
                            [article] if article else [],
                        )
                    )
        size_path = f"/rest/networkSizes/{urn(org)}"
        followers = self.client.get(size_path, {"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"})
        return canonical.tables(
            canonical.account_rows(account, interval),
            posts,
            metrics,
            canonical.audience_rows(
                account,
                interval,
                self.client.fields(size_path, "network size").count(followers, "firstDegreeSize"),
                self._follower_gains(org, interval),
            ),
            messages,
            source=f"linkedin/{account.account_id}",
            issues=self.issues.take(account, interval),
        )

    def _collection(self, path: str, params: dict[str, Any]) -> Iterator[Mapping[str, Any]]:
        params = {**params, "start": 0, "count": self.page_size}
        return self.client.items(path, params, http.OffsetPaging(), "elements")

    def _share_statistics(self, org: str, post_ids: list[str]) -> dict[str, dict[str, int | None]]:
        """Lifetime totals per post urn. Shares and ugcPosts go in separate List(...) parameters."""
        stats: dict[str, dict[str, int | None]] = {}
        for i in range(0, len(post_ids), STATS_BATCH):
            batch = post_ids[i : i + STATS_BATCH]
            query = [f"q=organizationalEntity&organizationalEntity={urn(org)}"]
            for param, kind in (("shares", ":share:"), ("ugcPosts", ":ugcPost:")):
                ids = [urn(p) for p in batch if kind in p]
                if ids:
                    query.append(f"{param}=List({','.join(ids)})")
            # Rest.li List(...) syntax must reach the server unescaped, so the query is built here
            path = "/rest/organizationalEntityShareStatistics?" + "&".join(query)
            response = self.client.get(path)
            element = self.client.fields(path, "share statistics")
            for item in element.objects(response, "elements"):
                post_id = element.string(item, "share", required=False) or element.string(
                    item, "ugcPost", required=False
                )
                if post_id:
                    stats[post_id] = _counts(element, element.object(item, "totalShareStatistics"))
        return stats

    def _comments(self, account: Account, org: str, interval: Interval, post_id: str) -> list[dict[str, Any]]:
        path = f"/rest/socialActions/{urn(post_id)}/comments"
        try:
            rows = []
            comments = self.client.fields(path, "comment")
            for comment in self._collection(path, {}):
                with self.issues.item(comment, f"comment on {post_id} and its replies left out"):
                    root = comment_urn(comments, comment)
                    top = self._message(account, org, comments, comment, post_id, thread=root, parent=post_id)
                    replies = []
                    if (comments.count(comment, "commentsSummary.aggregatedTotalComments") or 0) > 0:
                        replies = self._replies(account, org, post_id, root)
                    rows += [top, *replies]
        except http.PermissionDenied as refused:
            # reading comments needs the ADMINISTRATOR or DIRECT_SPONSORED_CONTENT_POSTER role: the posts,
            # statistics and followers are still worth having
            self.issues.skipped(
                self.client.where(self.client.url(path)),
                post_id,
                f"comments not readable ({refused}); give the token's member the ADMINISTRATOR or "
                f"DIRECT_SPONSORED_CONTENT_POSTER role on the Page",
            )
            return []
        return [r for r in rows if canonical.inside(r["created_at"], interval)]

    def _replies(self, account: Account, org: str, post_id: str, root: str) -> list[dict[str, Any]]:
        reply_path = f"/rest/socialActions/{urn(root)}/comments"
        replies, rows = self.client.fields(reply_path, "reply"), []
        for reply in self._collection(reply_path, {}):
            with self.issues.item(reply, f"reply to {root} left out"):
                rows.append(self._message(account, org, replies, reply, post_id, thread=root, parent=root))
        return rows

    def _message(
        self,
        account: Account,
        org: str,
        fields: http.Fields,
        comment: Mapping[str, Any],
        post_id: str,
        thread: str,
        parent: str,
    ) -> dict[str, Any]:
        actor = fields.string(comment, "actor")
        ours = actor == org
        return canonical.message_row(
            account,
            message_id=comment_urn(fields, comment),
            thread_id=thread,
            parent_id=parent,
            post_id=post_id,
            created_at=fields.time(comment, "created.time"),
            outbound=ours,
            channel="comment",
            author_id=actor,
            author_handle=account.handle if ours else None,  # a member's name needs another API product
            text=fields.string(comment, "message.text", required=False),
            # LinkedIn names the member who commented on the organization's behalf
            staff_member=fields.string(comment, "created.impersonator", required=False) if ours else None,
        )

    def _follower_gains(self, org: str, interval: Interval) -> dict[dt.date, tuple[int | None, int | None]]:
        start = dt.datetime.combine(interval.days()[0], dt.time(), dt.UTC)
        end = dt.datetime.combine(interval.days()[-1] + dt.timedelta(days=1), dt.time(), dt.UTC)
        query = (
            f"q=organizationalEntity&organizationalEntity={urn(org)}"
            f"&timeIntervals=(timeRange:(start:{ms(start)},end:{ms(end)}),timeGranularityType:DAY)"
        )
        path = "/rest/organizationalEntityFollowerStatistics?" + query
        response = self.client.get(path)
        element = self.client.fields(path, "follower statistics")
        gains: dict[dt.date, tuple[int | None, int | None]] = {}
        for item in element.objects(response, "elements"):
            day = element.time(item, "timeRange.start").date()
            organic, paid = (
                _net_gain(element, item, "followerGains.organicFollowerGain"),
                _net_gain(element, item, "followerGains.paidFollowerGain"),
            )
            if organic is None and paid is None:
                gains[day] = (None, None)
                continue
            # a gain is net of the members who left that day: a negative one is a loss
            net = max(min((organic or 0) + (paid or 0), http.INT64_MAX), -http.INT64_MAX)
            gains[day] = (net, None) if net >= 0 else (0, -net)
        return gains


def comment_urn(fields: http.Fields, comment: Mapping[str, Any]) -> str:
    """A comment's URN: commentUrn, else `$URN` (some versions send only that), else built from object and id."""
    for name in ("commentUrn", "$URN"):
        value = fields.string(comment, name, required=False)
        if value:
            return value
    activity, comment_id = fields.string(comment, "object"), fields.string(comment, "id")
    return f"urn:li:comment:({activity},{comment_id})"


def _net_gain(fields: http.Fields, item: Mapping[str, Any], path: str) -> int | None:
    """A follower gain, which LinkedIn reports net of losses: an integer that may be negative."""
    value = dig(item, path)
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return value
    return fields.count(item, path)


UNKNOWN_COUNTS = dict.fromkeys(model.COUNT_COLUMNS)  # a post LinkedIn has no statistics for


def _counts(fields: http.Fields, stats: Mapping[str, Any]) -> dict[str, int | None]:
    return {
        "impressions": fields.count(stats, "impressionCount"),
        "likes": fields.count(stats, "likeCount"),
        "shares": fields.count(stats, "shareCount"),
        "replies": fields.count(stats, "commentCount"),
        "link_clicks": fields.count(
            stats, "clickCount"
        ),  # LinkedIn counts every click on the post, not only links
        "saves": None,
        "video_views": None,
    }
