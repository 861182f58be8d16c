"""A simulated social network: the embedded default, and the generator for tests and benchmarks.

Deterministic: every value of an account's day comes from a random generator seeded by
(seed, account, day), so any date range gives the same rows for the days it shares with another
range. Behaviour it reproduces, because the metrics must see it:
- posting cadence with burst days, and engagement per post falling when an account over-posts;
- followers gained and lost every day (the leaky bucket);
- customer questions and complaints answered by named staff after realistic delays, slower out of
  business hours in the account's time zone, and some never answered;
- a few community members (influence leaders) who post often and whom others answer;
- promotional accounts repeating the same few promotional posts.

Options per account (accounts file, `options:`): posts_per_day, requests_per_day, followers,
answer_rate, seed.
"""

from __future__ import annotations

import datetime as dt
import zlib
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

from socialpulse import model
from socialpulse.domain import Account, Interval
from socialpulse.networks import canonical
from socialpulse.networks.base import Connector

EPOCH = dt.date(2020, 1, 1)
HISTORY_DAYS = 365 * 30
METRICS_LOOKBACK_DAYS = 7  # a post's totals keep growing for a week, then settle
MAX_REPLY_DELAY_DAYS = 6  # a reply later than this is treated as never coming

STAFF = ("Alice Moreau", "Bilal Khan", "Chen Wei", "Dana Okafor", "Emil Novak")
LEADER_COUNT = 6
CUSTOMER_POOL = 20_000

DEFAULTS_BY_PURPOSE = {
    # posts/day, inbound requests/day, followers, answer rate
    "service": (2.0, 40.0, 12_000, 0.88),
    "promotions": (6.0, 8.0, 30_000, 0.6),
    "brand": (3.0, 15.0, 50_000, 0.8),
    "community": (2.5, 25.0, 8_000, 0.85),
}

PROMO_TEXTS = (
    "Flash sale! 30% off everything this weekend only. Shop now",
    "Don't miss out: free shipping on all orders over 50",
    "New arrivals are here. Be the first to grab yours",
    "Last chance! Our biggest sale of the season ends tonight",
    "Buy one, get one half price on all accessories",
)
# Original posts: an opener and a subject, cycling so an account does not repeat itself within
# 30 days (10 posts a day at most); only the promotional account flogs the same few lines.
OPENERS = (
    "Behind the scenes:",
    "New on the blog:",
    "Your questions answered:",
    "Tip of the day:",
    "From our team:",
    "Community spotlight:",
    "This week we learned:",
    "A quick guide:",
    "We listened:",
    "Live Q&A recap:",
    "Meet the makers:",
    "Roadmap update:",
)
SUBJECTS = (
    "how we test every product before it ships",
    "cutting packaging waste in half",
    "getting the most out of the new settings page",
    "what you asked us to build next",
    "the people who answer your questions every day",
    "keeping your account secure",
    "our repair programme",
    "making the app faster on older phones",
    "accessibility improvements",
    "how deliveries are planned",
    "the story behind our logo",
    "saving battery with dark mode",
    "three things your feedback changed",
    "our volunteering day",
    "choosing better materials",
    "family sharing explained",
    "what happens to returned items",
    "how to export your data",
    "the night shift of our support team",
    "a year of open feedback sessions",
    "our new help centre",
    "the backstage of our photo shoots",
    "sustainable shipping options",
    "keyboard shortcuts you may not know",
    "the design of our new store",
)
# The simulated network classifies its messages (as no real one does), with these four intents.
SIMULATED_INTENTS = ("question", "complaint", "praise", "other")
REQUEST_TEXTS = {
    "question": (
        "How do I reset my password? The link never arrives",
        "Is there a way to change my delivery address after ordering?",
        "When will the app support dark mode?",
        "Can I get a refund if the item arrived damaged?",
        "Which plan includes family sharing?",
    ),
    "complaint": (
        "My order is two weeks late and nobody answers my emails",
        "The app keeps crashing since the last update",
        "I was charged twice this month, please fix this",
        "Your support line hung up on me again",
    ),
    "praise": (
        "Love the new update, great work!",
        "Best customer service I have had in years",
        "This is exactly what I needed, thank you",
    ),
    "other": (
        "Anyone else watching the launch today?",
        "Interesting read, sharing with my team",
        "Where was this photo taken?",
    ),
}
ANSWER_TEXT = "Thanks for reaching out! We have sent you a direct message with the next steps."
COMMUNITY_ANSWER_TEXT = "I had the same issue, clearing the cache fixed it for me"


def _stable_int(*parts: object) -> int:
    return zlib.crc32("|".join(map(str, parts)).encode())


def _rng(seed: int, account: Account, day: dt.date, stream: str) -> np.random.Generator:
    return np.random.default_rng(
        [seed, _stable_int(account.network, account.account_id, stream), day.toordinal()]
    )


class SimulatedNetwork(Connector):
    network = "simulated"

    def __init__(self, credentials=None, seed: int = 7, **settings):
        super().__init__(credentials, **settings)
        self.seed = int(seed)

    # -- the connector interface ------------------------------------------------------------
    def extract(self, account: Account, interval: Interval) -> dict[str, pa.Table]:
        days = interval.days()
        posts = self._posts_for_days(account, days)
        messages = self._messages_created_in(account, interval)
        return {
            "accounts": model.table_from_rows("accounts", canonical.account_rows(account, interval)),
            "posts": _filter_time(posts, "created_at", interval),
            "post_metrics_daily": self._post_metrics(account, days),
            "audience_daily": self._audience(account, days),
            "messages": messages,
        }

    # -- parameters ---------------------------------------------------------------------------
    def _params(self, account: Account) -> tuple[float, float, int, float, int]:
        posts, requests, followers, answer_rate = DEFAULTS_BY_PURPOSE.get(
            account.purpose, DEFAULTS_BY_PURPOSE["brand"]
        )
        o = account.options
        return (
            float(o.get("posts_per_day", posts)),
            float(o.get("requests_per_day", requests)),
            int(o.get("followers", followers)),
            float(o.get("answer_rate", answer_rate)),
            int(o.get("seed", self.seed)),
        )

    # -- posts and their metrics ------------------------------------------------------------------
    def _day_posts(self, account: Account, day: dt.date) -> dict[str, np.ndarray]:
        posts_per_day, _, followers, _, seed = self._params(account)
        rng = _rng(seed, account, day, "posts")
        burst = rng.random() < 0.15  # some days an account floods its channel
        n = int(rng.poisson(posts_per_day * (2.5 if burst else 1.0)))
        seconds = np.sort(rng.integers(7 * 3600, 21 * 3600, size=n))
        kind = rng.choice(np.array(model.POST_KINDS), size=n, p=[0.75, 0.15, 0.10])
        promo = account.purpose == "promotions"
        if promo:
            text_idx = rng.integers(0, len(PROMO_TEXTS), size=n)
            texts = np.array(PROMO_TEXTS)[text_idx]
        else:
            slots = day.toordinal() * 10 + np.arange(n)
            texts = np.array(
                [
                    f"{OPENERS[k % len(OPENERS)]} {SUBJECTS[(k // len(OPENERS)) % len(SUBJECTS)]}"
                    for k in slots
                ]
            )
        has_link = rng.random(n) < (0.9 if promo else 0.4)
        has_video = rng.random(n) < 0.2
        staff = np.array(STAFF)[rng.integers(0, len(STAFF), size=n)]
        # Engagement per post falls once an account posts more than ~4 times a day.
        fatigue = 1.0 / (1.0 + 0.35 * max(0, n - 4))
        reach = followers * rng.uniform(0.04, 0.25, size=n) * rng.lognormal(0, 0.4, size=n)
        impressions = np.maximum(reach, 50).astype(np.int64)
        rate = rng.uniform(0.02, 0.08, size=n) * fatigue * (0.6 if promo else 1.0)
        likes = rng.binomial(impressions, rate * 0.7)
        shares = rng.binomial(impressions, rate * 0.12)
        replies = rng.binomial(impressions, rate * 0.08)
        clicks = np.where(has_link, rng.binomial(impressions, rate * 0.5), 0)
        saves = rng.binomial(impressions, rate * 0.05)
        views = np.where(has_video, rng.binomial(impressions, 0.35), -1)
        start = dt.datetime.combine(day, dt.time(), dt.UTC)
        return {
            "post_id": np.array(
                [f"{account.account_id}-p{day:%Y%m%d}-{i:03d}" for i in range(n)], dtype=object
            ),
            "created_at": np.array([start + dt.timedelta(seconds=int(s)) for s in seconds], dtype=object),
            "kind": kind,
            "text": texts,
            "has_link": has_link,
            "staff": staff,
            "impressions": impressions,
            "likes": likes,
            "shares": shares,
            "replies": replies,
            "link_clicks": clicks,
            "saves": saves,
            "video_views": views,
        }

    def _posts_for_days(self, account: Account, days: list[dt.date]) -> pa.Table:
        rows = []
        for day in days:
            p = self._day_posts(account, day)
            for i in range(len(p["post_id"])):
                rows.append(
                    canonical.post_row(
                        account,
                        p["post_id"][i],
                        p["created_at"][i],
                        str(p["text"][i]),
                        kind=str(p["kind"][i]),
                        links=[f"https://example.com/{account.account_id}/{p['post_id'][i]}"]
                        if p["has_link"][i]
                        else [],
                        staff_member=str(p["staff"][i]),
                    )
                )
        return model.table_from_rows("posts", rows)

    def _post_metrics(self, account: Account, days: list[dt.date]) -> pa.Table:
        rows = []
        # a day's posts are reported on each of the lookback days after it: draw them once
        drawn: dict[dt.date, dict[str, np.ndarray]] = {}
        for day in days:
            for age in range(METRICS_LOOKBACK_DAYS):
                posted = day - dt.timedelta(days=age)
                if posted not in drawn:
                    drawn[posted] = self._day_posts(account, posted)
                p = drawn[posted]
                grown = 1.0 - np.exp(-(age + 1) / 1.2)  # totals approach their final value
                for i in range(len(p["post_id"])):
                    finals = {col: int(p[col][i]) for col in model.COUNT_COLUMNS}
                    counts = {col: None if v < 0 else round(v * grown) for col, v in finals.items()}
                    rows.append(canonical.metric_row(account, p["post_id"][i], day, counts))
        return model.table_from_rows("post_metrics_daily", rows)

    # -- audience -------------------------------------------------------------------------------
    # Bounded, and a connector lives as long as its task: keeping it in the cache is fine.
    @lru_cache(maxsize=256)  # noqa: B019
    def _audience_history(self, account: Account) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Daily gained, lost and total followers from EPOCH on, drawn once per account."""
        _, _, followers, _, seed = self._params(account)
        rng = np.random.default_rng([seed, _stable_int(account.network, account.account_id, "audience")])
        gained = rng.poisson(followers * 0.0030, size=HISTORY_DAYS)
        # a bad day now and then: the bucket leaks faster than it fills
        leak = np.where(rng.random(HISTORY_DAYS) < 0.08, 2.2, 1.0)
        lost = rng.poisson(followers * 0.0022 * leak)
        total = followers + np.cumsum(gained - lost)
        return total, gained, lost

    def _audience(self, account: Account, days: list[dt.date]) -> pa.Table:
        total, gained, lost = self._audience_history(account)
        rows = []
        for day in days:
            i = (day - EPOCH).days
            if not 0 <= i < HISTORY_DAYS:
                continue  # the simulated accounts exist from EPOCH for HISTORY_DAYS
            rows.append(canonical.audience_row(account, day, int(total[i]), int(gained[i]), int(lost[i])))
        return model.table_from_rows("audience_daily", rows)

    # -- conversations ----------------------------------------------------------------------------
    def _day_conversations(self, account: Account, day: dt.date) -> dict[str, np.ndarray]:
        """Every message of the threads opened on `day`, including replies dated on later days."""
        _, requests_per_day, _, answer_rate, seed = self._params(account)
        rng = _rng(seed, account, day, "messages")
        tz = ZoneInfo(account.time_zone)
        n = int(rng.poisson(requests_per_day))
        start = dt.datetime.combine(day, dt.time(), dt.UTC)
        start_us = int(start.timestamp() * 1e6)
        created = start_us + np.sort(rng.integers(0, 86_400 * 10**6, size=n))
        intent = rng.choice(np.array(SIMULATED_INTENTS), size=n, p=[0.45, 0.2, 0.2, 0.15])
        channel = rng.choice(np.array(model.CHANNELS), size=n, p=[0.35, 0.4, 0.25])
        leader = rng.random(n) < 0.12
        leader_idx = rng.integers(0, LEADER_COUNT, size=n)
        customer_idx = rng.integers(0, CUSTOMER_POOL, size=n)
        prefix = f"{account.account_id}-m{day:%Y%m%d}"
        ids = np.array([f"{prefix}-{i:05d}" for i in range(n)], dtype=object)
        author_id = np.where(
            leader, np.char.add("L", leader_idx.astype(str)), np.char.add("C", customer_idx.astype(str))
        )
        author_id = np.char.add(f"{account.account_id}-", author_id).astype(object)
        handle = np.where(
            leader,
            np.char.add(f"@{account.account_id}_fan", leader_idx.astype(str)),
            np.char.add("@user", customer_idx.astype(str)),
        ).astype(object)
        # A comment hangs under one of the day's posts published before it; with none, it is a mention.
        day_posts = self._day_posts(account, day)
        post_us = np.array([int(t.timestamp() * 1e6) for t in day_posts["created_at"]], dtype=np.int64)
        latest_before = np.searchsorted(post_us, created, side="right") - 1
        channel = np.where((channel == "comment") & (latest_before < 0), "mention", channel)
        on_post = channel == "comment"
        post_id = np.full(n, None, dtype=object)
        if on_post.any():
            pick = rng.integers(0, np.iinfo(np.int64).max, size=n) % (np.maximum(latest_before, 0) + 1)
            post_id[on_post] = np.asarray(day_posts["post_id"], dtype=object)[pick[on_post]]
        texts = np.array(
            [
                REQUEST_TEXTS[k][j % len(REQUEST_TEXTS[k])]
                for k, j in zip(intent, rng.integers(0, 100, size=n), strict=True)
            ],
            dtype=object,
        )
        texts = np.where(leader, "Great discussion about this, what does everyone think?", texts).astype(
            object
        )
        intent = np.where(leader, "other", intent)

        messages = {
            "message_id": ids,
            "thread_id": ids.copy(),
            "parent_id": post_id.copy(),
            "post_id": post_id,
            "created_us": created,
            "direction": np.full(n, "inbound", dtype=object),
            "channel": channel.astype(object),
            "author_id": author_id,
            "author_handle": handle,
            "staff_member": np.full(n, None, dtype=object),
            "intent": intent.astype(object),
            "text": texts,
        }
        parts = [messages]

        # Our answers: requests are answered after a lognormal delay (median ~2 h); one arriving
        # outside 08:00-20:00 local time waits for the morning.
        is_request = np.isin(intent, ("question", "complaint")) & ~leader
        answered = is_request & (rng.random(n) < answer_rate)
        delay_us = (rng.lognormal(np.log(2 * 3600), 1.1, size=n) * 1e6).astype(np.int64)
        reply_at = created + delay_us
        offset = tz.utcoffset(start + dt.timedelta(hours=12))
        assert offset is not None  # a ZoneInfo always knows its offset
        offset_us = int(offset.total_seconds() * 1e6)
        local_hour = ((reply_at + offset_us) // 3_600_000_000) % 24
        night = (local_hour < 8) | (local_hour >= 20)
        to_morning = ((8 - local_hour) % 24) * 3_600_000_000 + rng.integers(0, 3600 * 10**6, size=n)
        reply_at = np.where(night, reply_at + to_morning, reply_at)
        answered &= reply_at - created <= MAX_REPLY_DELAY_DAYS * 86_400 * 10**6
        if answered.any():
            idx = np.flatnonzero(answered)
            staff = np.array(STAFF, dtype=object)[rng.integers(0, len(STAFF), size=len(idx))]
            parts.append(
                {
                    "message_id": np.char.add(ids[idx].astype(str), "-r").astype(object),
                    "thread_id": ids[idx],
                    "parent_id": ids[idx],
                    "post_id": post_id[idx],
                    "created_us": reply_at[idx],
                    "direction": np.full(len(idx), "outbound", dtype=object),
                    "channel": channel[idx].astype(object),
                    "author_id": np.full(len(idx), account.account_id, dtype=object),
                    "author_handle": np.full(len(idx), account.handle, dtype=object),
                    "staff_member": staff,
                    "intent": np.full(len(idx), None, dtype=object),
                    "text": np.full(len(idx), ANSWER_TEXT, dtype=object),
                }
            )
        # The community answers too: leaders' posts draw replies, and some public questions get a
        # customer's answer before (or instead of) ours.
        community = leader | (is_request & (channel != "direct_message") & (rng.random(n) < 0.15))
        if community.any():
            idx = np.flatnonzero(community)
            helper = rng.integers(0, CUSTOMER_POOL, size=len(idx))
            parts.append(
                {
                    "message_id": np.char.add(ids[idx].astype(str), "-c").astype(object),
                    "thread_id": ids[idx],
                    "parent_id": ids[idx],
                    "post_id": post_id[idx],
                    "created_us": created[idx]
                    + (rng.exponential(3600, size=len(idx)) * 1e6).astype(np.int64)
                    + 1_000_000,
                    "direction": np.full(len(idx), "inbound", dtype=object),
                    "channel": np.where(channel[idx] == "direct_message", "mention", channel[idx]).astype(
                        object
                    ),
                    "author_id": np.char.add(f"{account.account_id}-C", helper.astype(str)).astype(object),
                    "author_handle": np.char.add("@user", helper.astype(str)).astype(object),
                    "staff_member": np.full(len(idx), None, dtype=object),
                    "intent": np.full(len(idx), "other", dtype=object),
                    "text": np.full(len(idx), COMMUNITY_ANSWER_TEXT, dtype=object),
                }
            )
        return {key: np.concatenate([p[key] for p in parts]) for key in messages}

    def _messages_created_in(self, account: Account, interval: Interval) -> pa.Table:
        first = interval.start.date() - dt.timedelta(days=MAX_REPLY_DELAY_DAYS + 1)
        opened = [first + dt.timedelta(days=i) for i in range((interval.days()[-1] - first).days + 1)]
        chunks = [self._day_conversations(account, day) for day in opened]
        cols = {key: np.concatenate([c[key] for c in chunks]) for key in chunks[0]}
        start_us = int(interval.start.timestamp() * 1e6)
        end_us = int(interval.end.timestamp() * 1e6)
        keep = (cols["created_us"] >= start_us) & (cols["created_us"] < end_us)
        order = np.argsort(cols["created_us"][keep], kind="stable")
        n = int(keep.sum())
        arrays = {}
        for field in model.MESSAGES.schema:
            name = field.name
            if name == "created_at":
                arrays[name] = pa.array(cols["created_us"][keep][order], type=pa.int64()).cast(model.UTC_TS)
            elif name in ("network", "account_id"):
                arrays[name] = pa.array([getattr(account, name)] * n, type=pa.string())
            elif name not in cols:  # derived later, when the messages enter the lake
                arrays[name] = pa.nulls(n, field.type)
            else:
                arrays[name] = pa.array(cols[name][keep][order], type=field.type)
        return pa.table(arrays, schema=model.MESSAGES.schema)


def _filter_time(table: pa.Table, column: str, interval: Interval) -> pa.Table:
    import pyarrow.compute as pc

    ts = table.column(column)
    mask = pc.and_(
        pc.greater_equal(ts, pa.scalar(interval.start, model.UTC_TS)),
        pc.less(ts, pa.scalar(interval.end, model.UTC_TS)),
    )
    return table.filter(mask)
