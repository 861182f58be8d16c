"""LinkedIn Pages through the Community Management API (versioned /rest endpoints, Rest.li 2.0).

- posts: GET /rest/posts?q=author&author={org urn}&sortBy=CREATED (start/count paging, newest first)
- metrics: GET /rest/organizationalEntityShareStatistics?q=organizationalEntity&shares=List(..)&ugcPosts=List(..)
  (lifetime totalShareStatistics per post)
- messages: GET /rest/socialActions/{post urn}/comments, and the same for a comment urn to read its replies
- audience: GET /rest/networkSizes/{org urn}?edgeType=COMPANY_FOLLOWED_BY_MEMBER (total) and
  GET /rest/organizationalEntityFollowerStatistics with DAY timeIntervals (gains; LinkedIn gives no losses)

account_id is the numeric organization id. Options: base_url, linkedin_version (YYYYMM), lookback_days,
page_size, plus the RetryPolicy fields.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterator
from urllib.parse import quote

import pyarrow as pa

from socialpulse import http
from socialpulse.http import dig, need
from socialpulse.networks.base import Account, Connector, Interval

LINKEDIN_VERSION = "202609"
STATS_BATCH = 20  # posts per share-statistics request, to keep the URL short


def urn(value: str) -> str:
    """A URN as one URL path segment or query value, Rest.li 2.0 style (':' and ',' escaped)."""
    return quote(value, safe="")


def ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


class LinkedInNetwork(Connector):
    network = "linkedin"

    def __init__(self, credentials=None, sleep=None, **settings):
        super().__init__(credentials, **settings)
        http.check_options("linkedin", settings, {"linkedin_version"})
        self.client = http.ApiClient(
            "linkedin",
            settings.get("base_url", "https://api.linkedin.com"),
            credentials,
            auth="bearer",
            permission_hint="r_organization_social, rw_organization_admin (ADMINISTRATOR or ANALYST role on the Page)",
            headers={"LinkedIn-Version": str(settings.get("linkedin_version", LINKEDIN_VERSION)), "X-Restli-Protocol-Version": "2.0.0"},
            policy=http.RetryPolicy.from_settings(settings),
            sleep=sleep,
        )
        self.page_size = int(settings.get("page_size", 50))

    def extract(self, account: Account, interval: Interval) -> dict[str, pa.Table]:
        org = f"urn:li:organization:{account.account_id}"
        since = http.lookback_start(interval, self.settings)
        recent = []
        for post in self._collection("/rest/posts", {"q": "author", "author": org, "sortBy": "CREATED"}):
            created = http.parse_time(need(post, "createdAt", "LinkedIn post"))
            if created < since:
                break  # sorted newest first: everything after this is older still
            if created < interval.end:
                recent.append((post, created))

        stats = self._share_statistics(org, [p["id"] for p, _ in recent])
        posts, metrics, messages = [], [], []
        for post, created in recent:
            metrics += http.metric_rows(account, interval, post["id"], created, _counts(stats.get(post["id"])))
            messages += self._comments(account, org, interval, post["id"])
            if http.inside(created, interval):
                article = dig(post, "content.article.source")
                kind = "share" if post.get("reshareContext") else "original"
                posts.append(http.post_row(account, post["id"], created, post.get("commentary"), kind, [article] if article else []))
        followers = self.client.get(f"/rest/networkSizes/{urn(org)}", {"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"})
        return http.tables(
            http.account_rows(account, interval),
            posts,
            metrics,
            http.audience_rows(account, interval, http.count(followers, "firstDegreeSize"), self._follower_gains(org, interval)),
            messages,
            source=f"linkedin/{account.account_id}",
        )

    def _collection(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        paging = http.OffsetPaging()
        for page in self.client.paginate(path, {**params, "start": 0, "count": self.page_size}, paging):
            yield from page.get("elements") or []

    def _share_statistics(self, org: str, post_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Lifetime totals per post urn. Shares and ugcPosts go in separate List(...) parameters."""
        stats: dict[str, dict[str, Any]] = {}
        for i in range(0, len(post_ids), STATS_BATCH):
            batch = post_ids[i : i + STATS_BATCH]
            query = [f"q=organizationalEntity&organizationalEntity={urn(org)}"]
            for param, kind in (("shares", ":share:"), ("ugcPosts", ":ugcPost:")):
                ids = [urn(p) for p in batch if kind in p]
                if ids:
                    query.append(f"{param}=List({','.join(ids)})")
            # Rest.li List(...) syntax must reach the server unescaped, so the query is built here
            response = self.client.get("/rest/organizationalEntityShareStatistics?" + "&".join(query))
            for element in response.get("elements") or []:
                post_id = element.get("share") or element.get("ugcPost")
                if post_id:
                    stats[post_id] = element.get("totalShareStatistics") or {}
        return stats

    def _comments(self, account: Account, org: str, interval: Interval, post_id: str) -> list[dict[str, Any]]:
        rows = []
        for comment in self._collection(f"/rest/socialActions/{urn(post_id)}/comments", {}):
            root = need(comment, "commentUrn", "LinkedIn comment")
            rows.append(self._message(account, org, comment, post_id, thread=root, parent=post_id))
            if (dig(comment, "commentsSummary.aggregatedTotalComments") or 0) > 0:
                for reply in self._collection(f"/rest/socialActions/{urn(root)}/comments", {}):
                    rows.append(self._message(account, org, reply, post_id, thread=root, parent=root))
        return [r for r in rows if http.inside(r["created_at"], interval)]

    def _message(self, account: Account, org: str, comment: dict[str, Any], post_id: str, thread: str, parent: str) -> dict[str, Any]:
        actor = need(comment, "actor", "LinkedIn comment")
        ours = actor == org
        return http.message_row(
            account,
            message_id=need(comment, "commentUrn", "LinkedIn comment"),
            thread_id=thread,
            parent_id=parent,
            post_id=post_id,
            created_at=http.parse_time(need(comment, "created.time", "LinkedIn comment")),
            outbound=ours,
            channel="comment",
            author_id=actor,
            author_handle=account.handle if ours else None,  # a member's name needs another API product
            text=dig(comment, "message.text"),
            # LinkedIn names the member who commented on the organization's behalf
            staff_member=dig(comment, "created.impersonator") if ours else None,
        )

    def _follower_gains(self, org: str, interval: Interval) -> dict[dt.date, tuple[int | None, int | None]]:
        start = dt.datetime.combine(interval.days()[0], dt.time(), dt.timezone.utc)
        end = dt.datetime.combine(interval.days()[-1] + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
        query = (
            f"q=organizationalEntity&organizationalEntity={urn(org)}"
            f"&timeIntervals=(timeRange:(start:{ms(start)},end:{ms(end)}),timeGranularityType:DAY)"
        )
        response = self.client.get("/rest/organizationalEntityFollowerStatistics?" + query)
        gains = {}
        for element in response.get("elements") or []:
            day = http.parse_time(need(element, "timeRange.start", "LinkedIn follower statistics")).date()
            organic, paid = http.count(element, "followerGains.organicFollowerGain"), http.count(element, "followerGains.paidFollowerGain")
            gains[day] = (None if organic is None and paid is None else (organic or 0) + (paid or 0), None)
        return gains


def _counts(stats: dict[str, Any] | None) -> dict[str, int | None]:
    stats = stats or {}
    return {
        "impressions": http.count(stats, "impressionCount"),
        "likes": http.count(stats, "likeCount"),
        "shares": http.count(stats, "shareCount"),
        "replies": http.count(stats, "commentCount"),
        "link_clicks": http.count(stats, "clickCount"),  # LinkedIn counts every click on the post, not only links
        "saves": None,
        "video_views": None,
    }
