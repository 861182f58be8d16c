"""A fake LinkedIn Community Management API (versioned /rest endpoints, Rest.li 2.0 protocol).

Wire format from Microsoft Learn's examples: collections are {"paging": {"start", "count", "links"},
"elements": [...]}, times are epoch milliseconds, ids are URNs that travel URL-encoded in paths and
queries, batch statistics take List(urn,urn) parameters. Requests without the LinkedIn-Version or
X-Restli-Protocol-Version header are refused, as the real API does. The token endpoint (POST
/oauth/v2/accessToken, see FakeApi.serve_refresh) answers as Microsoft Learn's "Programmatic refresh
tokens" page shows: a new access token with the refresh token and its remaining life, or HTTP 400
invalid_request for an expired or revoked refresh token.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

from fakes.server import FakeApi, Reply, Request, window

UTC = dt.UTC


def ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


class FakeLinkedInApi(FakeApi):
    def __init__(self, token: str, org_id: str, day: dt.date):
        super().__init__(token, auth="bearer")
        self.org = f"urn:li:organization:{org_id}"
        self.day = day
        self.followers = 10_234
        self.posts: list[dict] = []
        self.stats: dict[str, dict] = {}
        self.comments: dict[str, list[dict]] = {}  # post or comment urn -> its comments
        # how a comment names itself: "commentUrn" (documented), "$URN" (some versions send only that and
        # `id`), or "object+id" (neither URN: only the activity and the comment's id)
        self.comment_urn_as = "commentUrn"
        self.follower_gain = 12  # organicFollowerGain per day; net of losses, so it may be negative
        self.comments_forbidden = False  # a member without ADMINISTRATOR (or DSC poster) reading comments
        start = dt.datetime.combine(day, dt.time(), UTC)
        for n, age_hours in enumerate([-14, -8, 26, 60, 100, 24 * 40]):
            created = start - dt.timedelta(hours=age_hours)
            kind = "ugcPost" if n % 2 else "share"
            post_urn = f"urn:li:{kind}:70{n:017d}"
            post = {
                "id": post_urn,
                "author": self.org,
                "commentary": f"Update {n} from the team",
                "visibility": "PUBLIC",
                "createdAt": ms(created),
                "publishedAt": ms(created),
                "lastModifiedAt": ms(created),
                "lifecycleState": "PUBLISHED",
                "isReshareDisabledByAuthor": False,
                "distribution": {
                    "feedDistribution": "MAIN_FEED",
                    "targetEntities": [],
                    "thirdPartyDistributionChannels": [],
                },
                "lifecycleStateInfo": {"isEditedByAuthor": False},
            }
            if n == 0:
                post["content"] = {"article": {"source": "https://example.com/report", "title": "Our report"}}
            if n == 1:
                post["reshareContext"] = {"parent": "urn:li:share:6999999999999999999"}
            self.posts.append(post)
            self.stats[post_urn] = {
                "uniqueImpressionsCount": 800 + n,
                "shareCount": 3 + n,
                "engagement": 0.031,
                "clickCount": 25 + n,
                "likeCount": 60 + n,
                "impressionCount": 1500 + n,
                "commentCount": 2,
            }
            at = max(created, start) + dt.timedelta(hours=1)
            activity = f"urn:li:activity:71{n:017d}"
            question = self._comment(
                activity,
                f"{n}01",
                "urn:li:person:member" + str(n),
                at,
                "When is the next webinar?",
                replies=1,
            )
            answer = self._comment(
                activity,
                f"{n}02",
                self.org,
                at + dt.timedelta(minutes=30),
                "Next Tuesday, link in the post!",
                impersonator="urn:li:person:staffAda",
                parent=question["commentUrn"],
            )
            self.comments[post_urn] = [question]
            self.comments[question["commentUrn"]] = [answer]
        self.posts.sort(key=lambda p: p["createdAt"], reverse=True)
        self.route(r"/rest/posts", self._posts)
        self.route(r"/rest/organizationalEntityShareStatistics", self._share_statistics)
        self.route(r"/rest/socialActions/([^/]+)/comments", self._comments)
        self.route(
            r"/rest/networkSizes/([^/]+)", lambda r, m: Reply(200, {"firstDegreeSize": self.followers})
        )
        self.route(r"/rest/organizationalEntityFollowerStatistics", self._follower_statistics)

    def _comment(
        self,
        activity: str,
        comment_id: str,
        actor: str,
        at: dt.datetime,
        text: str,
        replies: int = 0,
        impersonator: str | None = None,
        parent: str | None = None,
    ) -> dict:
        created = {"actor": actor, "time": ms(at)}
        if impersonator:
            created["impersonator"] = impersonator
        comment = {
            "actor": actor,
            "commentUrn": f"urn:li:comment:({activity},{comment_id})",
            "id": comment_id,
            "created": created,
            "lastModified": created,
            "message": {"text": text, "attributes": []},
            "object": activity,
            "commentsSummary": {"selectedComments": [], "aggregatedTotalComments": replies},
        }
        if parent:
            comment["parentComment"] = parent
        return comment

    def _answer(self, request: Request) -> Reply:
        if request.method == "POST":  # the token endpoint (www.linkedin.com in production) is not versioned
            return super()._answer(request)
        if self.expired or not self._authorized(request):
            return self.unauthorized()
        if (
            request.headers.get("LinkedIn-Version") is None
            or request.headers.get("X-Restli-Protocol-Version") != "2.0.0"
        ):
            return Reply(
                400,
                {
                    "status": 400,
                    "code": "VERSION_MISSING",
                    "message": "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
                },
            )
        return super()._answer(request)

    def collection(self, request: Request, items: list[dict]) -> Reply:
        start, count = int(request.query.get("start", 0)), int(request.query.get("count", 10))
        page, following = window(items, start, count)
        links = (
            []
            if following is None
            else [
                {
                    "type": "application/json",
                    "rel": "next",
                    "href": f"{request.path}?start={following}&count={count}",
                }
            ]
        )
        return Reply(200, {"paging": {"start": start, "count": count, "links": links}, "elements": page})

    def _posts(self, request: Request, match) -> Reply:
        q = request.query
        if q.get("q") != "author" or q.get("author") != self.org:
            return Reply(400, {"status": 400, "message": "Invalid query parameters passed to request"})
        return self.collection(request, self.posts)

    def _share_statistics(self, request: Request, match) -> Reply:
        wanted = []
        for param in ("shares", "ugcPosts"):
            value = request.query.get(param, "")
            if value:
                assert value.startswith("List(") and value.endswith(")"), value
                wanted += value[5:-1].split(",")
        elements = [
            {
                "totalShareStatistics": self.stats[u],
                ("share" if ":share:" in u else "ugcPost"): u,
                "organizationalEntity": self.org,
            }
            for u in wanted
            if u in self.stats
        ]
        return Reply(200, {"paging": {"start": 0, "count": 10, "links": []}, "elements": elements})

    def _comments(self, request: Request, match) -> Reply:
        if self.comments_forbidden:
            return Reply(
                403,
                {
                    "status": 403,
                    "serviceErrorCode": 100,
                    "code": "ACCESS_DENIED",
                    "message": "Not enough permissions to access: partnerApiSocialActions.GET_ALL.20240601",
                },
            )
        comments = self.comments.get(unquote(match.group(1)), [])
        return self.collection(request, [self._named(c) for c in comments])

    def _named(self, comment: dict) -> dict:
        if self.comment_urn_as == "commentUrn":
            return comment
        renamed = {k: v for k, v in comment.items() if k != "commentUrn"}
        if self.comment_urn_as == "$URN":
            renamed["$URN"] = comment["commentUrn"]
        return renamed

    def _follower_statistics(self, request: Request, match) -> Reply:
        ranges = request.query.get("timeIntervals", "")
        start = int(ranges.split("start:")[1].split(",")[0])
        end = int(ranges.split("end:")[1].split(")")[0])
        elements = []
        for day_start in range(start, end, 86_400_000):
            elements.append(
                {
                    "timeRange": {"start": day_start, "end": day_start + 86_400_000},
                    "followerGains": {"organicFollowerGain": self.follower_gain, "paidFollowerGain": 1},
                    "organizationalEntity": self.org,
                }
            )
        return Reply(200, {"paging": {"start": 0, "count": 10, "links": []}, "elements": elements})

    def unauthorized(self) -> Reply:
        return Reply(
            401,
            {
                "status": 401,
                "serviceErrorCode": 65602,
                "code": "EXPIRED_ACCESS_TOKEN",
                "message": "The token used in the request has expired",
            },
        )

    def token_answer(self, token: str) -> dict:
        # Microsoft Learn, "Programmatic refresh tokens", step 2: the refresh token comes back with its remaining life
        return {
            "access_token": token,
            "expires_in": 5_184_000,
            "refresh_token": self.grant["refresh_token"],
            "refresh_token_expires_in": 439_200,
            "scope": "r_organization_social,rw_organization_admin",
        }

    def refused_grant(self) -> Reply:
        return Reply(
            400,
            {
                "error": "invalid_request",
                "error_description": "The provided authorization grant or refresh token is invalid, expired or revoked",
            },
        )
