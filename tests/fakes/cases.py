"""The networks under test, registered once: each one's loopback fake, connector, account and the
interval the fake has data for. The fault tests (tests/networks/test_connector_faults.py) and the
payload property tests (tests/reliability/test_api_payload_properties.py) both run these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fakes.graph_api import FakeFacebookApi, FakeInstagramApi
from fakes.harness import FAST, TOKEN
from fakes.linkedin_api import FakeLinkedInApi
from fakes.server import FakeApi
from fakes.x_api import ACCOUNT_ID as X_ACCOUNT_ID
from fakes.x_api import FakeXApi
from fakes.youtube_api import CHANNEL_ID, FakeYouTubeApi

from socialpulse.domain import Account, Interval
from socialpulse.networks.base import Connector, Credentials
from socialpulse.networks.facebook import FacebookNetwork
from socialpulse.networks.instagram import InstagramNetwork
from socialpulse.networks.linkedin import LinkedInNetwork
from socialpulse.networks.x import XNetwork
from socialpulse.networks.youtube import YouTubeNetwork

UTC = dt.UTC
GRAPH_DAY = dt.date(2026, 11, 2)  # the day the Graph, LinkedIn and YouTube fakes have data for
GRAPH_INTERVAL = Interval(dt.datetime(2026, 11, 2, tzinfo=UTC), dt.datetime(2026, 11, 3, tzinfo=UTC))
X_INTERVAL = Interval(  # when X's mentions were recorded
    dt.datetime(2022, 10, 7, tzinfo=UTC), dt.datetime(2022, 10, 8, tzinfo=UTC)
)
PAGE_ID, IG_USER_ID, ORG_ID = "1122334455", "17841400000000001", "2414183"


@dataclass(frozen=True)
class NetworkCase:
    """One network under test: its fake, its connector, and a paginated endpoint to break."""

    make_fake: Callable[[], FakeApi]
    connector: type[Connector]
    account: Account
    interval: Interval
    paged: str  # path regex of a paginated endpoint
    page_size: int = 5  # small enough that the fake's data spans several pages

    def extract(self, fake: FakeApi, sleep: Callable[[float], None], **settings: Any) -> dict:
        """The account's interval, extracted from the running fake with the test connection's token;
        FAST retries and this case's page size unless `settings` say otherwise."""
        credentials = Credentials(secret=TOKEN, conn_id=f"socialpulse_{self.account.network}")
        options = {**FAST, "page_size": self.page_size, **settings}
        return self.connector(credentials, sleep=sleep, base_url=fake.base_url, **options).extract(
            self.account, self.interval
        )


CASES: dict[str, NetworkCase] = {
    "x": NetworkCase(
        lambda: FakeXApi(TOKEN),
        XNetwork,
        Account("x", X_ACCOUNT_ID, "@Twitter", "service"),
        X_INTERVAL,
        r"/mentions$",
    ),
    "facebook": NetworkCase(
        lambda: FakeFacebookApi(TOKEN, PAGE_ID, GRAPH_DAY),
        FacebookNetwork,
        Account("facebook", PAGE_ID, "Pulse Care", "service"),
        GRAPH_INTERVAL,
        rf"/{PAGE_ID}/posts$",
        page_size=4,
    ),
    "instagram": NetworkCase(
        lambda: FakeInstagramApi(TOKEN, IG_USER_ID, GRAPH_DAY),
        InstagramNetwork,
        Account("instagram", IG_USER_ID, "@pulse_care", "brand"),
        GRAPH_INTERVAL,
        r"/media$",
        page_size=3,
    ),
    "linkedin": NetworkCase(
        lambda: FakeLinkedInApi(TOKEN, ORG_ID, GRAPH_DAY),
        LinkedInNetwork,
        Account("linkedin", ORG_ID, "Pulse", "brand"),
        GRAPH_INTERVAL,
        r"/rest/posts$",
        page_size=2,
    ),
    "youtube": NetworkCase(
        lambda: FakeYouTubeApi(TOKEN, GRAPH_DAY),
        YouTubeNetwork,
        Account("youtube", CHANNEL_ID, "Pulse", "brand"),
        GRAPH_INTERVAL,
        r"/commentThreads$",
        page_size=2,
    ),
}
