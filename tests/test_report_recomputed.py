"""Every figure of the rendered report, recomputed from the canonical tables in plain Python.

The report may only show what a mart or a report query says; this test holds it to the
definitions of docs/metrics.md without DuckDB: it reads the lake's rows, works each figure out
again with the standard library, formats it as a reader would expect, and compares it with the
rendered HTML, section by section and cell by cell.

The lake: two simulated accounts over September and October 2026. The promotions account never
reports impressions (as YouTube), some of the service account's posts are not measured yet, and a
burst of complaints makes one spike.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import defaultdict
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from helpers import day_interval, write_config

from socialpulse import metrics, report
from socialpulse.classify import classify_tables
from socialpulse.config import load_config
from socialpulse.lake import Lake
from socialpulse.networks.simulated import SimulatedNetwork

MONTH, PREV = "2026-10", "2026-09"
MONTH_END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
SLA = 24.0
QUIET_HOURS = 24.0  # sla.resolution_quiet_hours, by default
ENGAGEMENT = ("likes", "shares", "replies", "link_clicks", "saves")
PROMOTIONAL = re.compile(
    r"(?i)(\bsale\b|\d+\s*% off|\bdiscount|\bdeals?\b|\boffers?\b|\bpromo|\bcoupon|\bshop now\b|\bbuy\b"
    r"|\border now\b|free shipping|new arrivals|last chance|limited time|don'?t miss)"
)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("recomputed")
    config = load_config(write_config(folder))
    lake = Lake.from_config(config)
    network = SimulatedNetwork(seed=config.seed)
    interval = day_interval(dt.date(2026, 9, 1), days=61)
    for account in config.accounts:
        tables = network.extract(account, interval)
        snapshots = tables["post_metrics_daily"].to_pylist()
        if account.account_id == "deals":  # impressions never reported
            snapshots = [{**s, "impressions": None} for s in snapshots]
        else:  # the last three posts of October not measured yet
            late = sorted(p["post_id"] for p in tables["posts"].to_pylist() if p["created_at"].month == 10)[
                -3:
            ]
            snapshots = [s for s in snapshots if s["post_id"] not in late]
            messages = tables["messages"].to_pylist()
            template = next(m for m in messages if m["direction"] == "inbound" and m["intent"] == "complaint")
            for i in range(40):
                created = dt.datetime(2026, 10, 20, 9, i, tzinfo=dt.UTC)
                messages.append(
                    {**template, "message_id": f"burst-{i}", "thread_id": f"burst-{i}", "created_at": created}
                )
            messages += follow_ups(messages)
            tables["messages"] = pa.Table.from_pylist(messages, schema=tables["messages"].schema)
        tables["post_metrics_daily"] = pa.Table.from_pylist(
            snapshots, schema=tables["post_metrics_daily"].schema
        )
        lake.publish(account, interval, classify_tables(tables))  # classified, as the pipeline does
    metrics.compute_marts(lake, sla=config.sla)
    paths = report.render_report(config, "board", MONTH)
    rows = {
        name: lake.read(name).to_pylist()
        for name in ("accounts", "posts", "post_metrics_daily", "audience_daily", "messages")
    }
    return config, paths, rows


def follow_ups(messages: list[dict]) -> list[dict]:
    """Turns that do not end at our first reply, for time to resolution (24 quiet hours): the
    customer writes again 5 h after our reply (reopened) or 30 h after it (resolved, and a new
    request), each answered 2 h later; or we reply a second time 3 h after the first."""
    by_id = {m["message_id"]: m for m in messages}
    ours = sorted(
        (
            m
            for m in messages
            if m["direction"] == "outbound" and m["created_at"].month == 10 and m["parent_id"] in by_id
        ),
        key=lambda m: m["message_id"],
    )[:60]
    added = []
    for i, answer in enumerate(ours):
        request = by_id[answer["parent_id"]]
        if i % 3 == 2:
            gap = 3
            added.append(
                {
                    **answer,
                    "message_id": f"{answer['message_id']}-again",
                    "created_at": answer["created_at"] + dt.timedelta(hours=gap),
                }
            )
            continue
        gap = 5 if i % 3 == 0 else 30
        again = {
            **request,
            "message_id": f"{request['message_id']}-again",
            "parent_id": answer["message_id"],
            "intent": "complaint",
            "text": "Still not working, it crashed again",
            "created_at": answer["created_at"] + dt.timedelta(hours=gap),
        }
        added += [
            again,
            {
                **answer,
                "message_id": f"{again['message_id']}-r",
                "parent_id": again["message_id"],
                "created_at": again["created_at"] + dt.timedelta(hours=2),
            },
        ]
    return added


# -- the rendered report, read back --------------------------------------------------------------
class Tables(HTMLParser):
    """Per section id: its tables, each a list of rows, each a list of cell texts."""

    def __init__(self):
        super().__init__()
        self.sections: dict[str, list[list[list[str]]]] = defaultdict(list)
        self.section = ""
        self.cell: list[str] | None = None
        self.row: list[str] | None = None
        self.svg = 0

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.section = dict(attrs).get("id", "")
        elif tag == "table":
            self.sections[self.section].append([])
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "svg":
            self.svg += 1

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.sections[self.section][-1].append(self.row)
            self.row = None
        elif tag == "svg":
            self.svg -= 1

    def handle_data(self, data):
        if self.cell is not None and not self.svg:
            self.cell.append(data)


def text_of(fragment: str) -> str:

    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


# -- plain-Python definitions ----------------------------------------------------------------------
def fmt(value, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if unit == "%":
        return f"{value * 100:.1f}%"
    if unit == "h":
        return f"{value:.1f} h"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def pts(change) -> str:
    return "n/a" if change is None else f"{change * 100:+.1f} pts"


def quantile(values: list[float], q: float) -> float | None:
    """DuckDB's quantile_cont: linear interpolation between the two nearest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def ratio(num, den):
    return num / den if num is not None and den else None


def month_of(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).strftime("%Y-%m")


class Recomputed:
    def __init__(self, config, rows):
        self.config = config
        self.accounts = [a for a in config.accounts]
        zones = {}
        for a in sorted(rows["accounts"], key=lambda r: r["snapshot_date"]):
            zones[(a["network"], a["account_id"])] = a["time_zone"]
        self.zones = zones
        # posts with their latest totals
        latest: dict[tuple, dict] = {}
        for s in rows["post_metrics_daily"]:
            key = (s["network"], s["post_id"])
            if key not in latest or s["date"] > latest[key]["date"]:
                latest[key] = s
        self.posts = []
        for p in rows["posts"]:
            t = latest.get((p["network"], p["post_id"]), {})
            reported = [t.get(c) for c in ENGAGEMENT if t.get(c) is not None]
            self.posts.append(
                {
                    **p,
                    "month": month_of(p["created_at"]),
                    "impressions": t.get("impressions"),
                    "engagements": sum(reported) if reported else None,
                }
            )
        self.messages = rows["messages"]
        self.audience = rows["audience_daily"]
        self.requests = self._requests()

    def _requests(self) -> list[dict]:
        as_of: dict[str, dt.datetime] = {}
        for m in self.messages:
            as_of[m["network"]] = max(as_of.get(m["network"], m["created_at"]), m["created_at"])
        ours = defaultdict(list)
        for m in self.messages:
            if m["direction"] == "outbound":
                ours[(m["network"], m["account_id"], m["thread_id"])].append(m)
        requested = defaultdict(list)
        for m in self.messages:
            is_request = m["direction"] == "inbound" and m["intent"] in ("question", "complaint")
            if is_request and m["created_at"] <= as_of[m["network"]]:
                requested[(m["network"], m["account_id"], m["thread_id"])].append(m["created_at"])
        requests = []
        for m in self.messages:
            if m["direction"] != "inbound" or m["intent"] not in ("question", "complaint"):
                continue
            cutoff = as_of[m["network"]]
            if m["created_at"] > cutoff:
                continue
            later = sorted(
                (
                    o
                    for o in ours[(m["network"], m["account_id"], m["thread_id"])]
                    if o["created_at"] >= m["created_at"]
                ),
                key=lambda o: (o["created_at"], o["message_id"]),
            )
            first = later[0] if later and later[0]["created_at"] <= cutoff else None
            hours = (first["created_at"] - m["created_at"]).total_seconds() / 3600 if first else None
            resolution = None
            if first is not None:
                # the turn: our replies from the first response up to the next request of the
                # thread (a request in the same second as our reply comes before it)
                thread_requests = requested[(m["network"], m["account_id"], m["thread_id"])]
                next_request = min((t for t in thread_requests if t > first["created_at"]), default=None)
                last = max(
                    o["created_at"]
                    for o in later
                    if o["created_at"] <= cutoff and (next_request is None or o["created_at"] < next_request)
                )
                quiet = dt.timedelta(hours=QUIET_HOURS)
                if (next_request is None or next_request - last > quiet) and cutoff - last >= quiet:
                    resolution = (last - m["created_at"]).total_seconds() / 3600
            if first is not None:
                status = "met" if hours <= SLA else "missed"
            else:
                status = "missed" if (cutoff - m["created_at"]).total_seconds() / 3600 > SLA else "pending"
            requests.append(
                {
                    **m,
                    "month": month_of(m["created_at"]),
                    "responded_at": first["created_at"] if first else None,
                    "responder": first["staff_member"] if first else None,
                    "hours": hours,
                    "status": status,
                    "resolution": resolution,
                }
            )
        return requests

    # engagement
    def engagement(self, posts: list[dict]) -> dict:
        both = [p for p in posts if p["engagements"] is not None and p["impressions"] is not None]
        measured = [p["engagements"] for p in posts if p["engagements"] is not None]
        return {
            "posts": len(posts),
            "rate": ratio(
                sum(p["engagements"] for p in both) if both else None, sum(p["impressions"] for p in both)
            ),
            "per_post": ratio(float(sum(measured)) if measured else None, len(measured)),
        }

    def posts_of(self, month: str, account=None) -> list[dict]:
        return [
            p
            for p in self.posts
            if p["month"] == month
            and (account is None or (p["network"], p["account_id"]) == (account.network, account.account_id))
        ]

    # service
    def requests_of(self, month: str, account=None) -> list[dict]:
        return [
            r
            for r in self.requests
            if r["month"] == month
            and (account is None or (r["network"], r["account_id"]) == (account.network, account.account_id))
        ]

    @staticmethod
    def service(requests: list[dict]) -> dict:
        hours = [r["hours"] for r in requests if r["hours"] is not None]
        resolved = [r["resolution"] for r in requests if r["resolution"] is not None]
        met = sum(r["status"] == "met" for r in requests)
        missed = sum(r["status"] == "missed" for r in requests)
        return {
            "requests": len(requests),
            "answered": len(hours),
            "rate": ratio(len(hours), len(requests)),
            "median": statistics.median(hours) if hours else None,
            "p90": quantile(hours, 0.9),
            "within": ratio(met, met + missed),
            "resolved": len(resolved),
            "resolution_median": statistics.median(resolved) if resolved else None,
            "resolution_p90": quantile(resolved, 0.9),
        }

    def backlog(self, account=None) -> list[dict]:
        return sorted(
            (
                r
                for r in self.requests
                if r["created_at"] < MONTH_END
                and (r["responded_at"] is None or r["responded_at"] >= MONTH_END)
                and (
                    account is None
                    or (r["network"], r["account_id"]) == (account.network, account.account_id)
                )
            ),
            key=lambda r: (r["created_at"], r["network"], r["account_id"], r["message_id"]),
        )

    # audience
    def audience_of(self, month: str, account) -> dict:
        days = sorted(
            (
                d
                for d in self.audience
                if (d["network"], d["account_id"]) == (account.network, account.account_id)
                and d["date"].strftime("%Y-%m") == month
            ),
            key=lambda d: d["date"],
        )
        if not days:
            return {"gained": None, "lost": None, "net": None, "churn": None}
        gained = sum(d["followers_gained"] for d in days)
        lost = sum(d["followers_lost"] for d in days)
        first = days[0]
        start = first["followers_total"] - (first["followers_gained"] or 0) + (first["followers_lost"] or 0)
        return {"gained": gained, "lost": lost, "net": gained - lost, "churn": ratio(lost, start)}

    # content, in the account's own days
    def local_days(self, account) -> dict[dt.date, list[dict]]:
        zone = ZoneInfo(self.zones.get((account.network, account.account_id), "UTC"))
        by_day = defaultdict(list)
        for p in self.posts:
            if (p["network"], p["account_id"]) == (account.network, account.account_id):
                by_day[p["created_at"].astimezone(zone).date()].append(p)
        return by_day

    def content(self, month: str, account) -> dict:
        def normalised(text):
            return re.sub(r"(?:https?://\S+|[^a-z])+", " ", (text or "").lower()).strip()

        mine = sorted(
            (
                p
                for p in self.posts
                if (p["network"], p["account_id"]) == (account.network, account.account_id)
            ),
            key=lambda p: (p["created_at"], p["post_id"]),
        )
        last_seen: dict[str, dt.datetime] = {}
        repeats = set()
        for p in mine:
            n = normalised(p["text"])
            if n and n in last_seen and last_seen[n] >= p["created_at"] - dt.timedelta(days=30):
                repeats.add(p["post_id"])
            last_seen[n] = p["created_at"]
        days = {d: ps for d, ps in self.local_days(account).items() if d.strftime("%Y-%m") == month}
        posts = [p for ps in days.values() for p in ps]
        if not posts:
            return {"posts": None, "busy": None, "repeated": None, "promo": None}
        return {
            "posts": len(posts),
            "busy": sum(len(ps) > 4 for ps in days.values()),
            "repeated": sum(p["post_id"] in repeats for p in posts),
            "promo": sum(bool(PROMOTIONAL.search(p["text"] or "")) for p in posts) / len(posts),
        }

    def posting_times(self, account) -> list[str]:
        """The heatmap's cells as their tooltips: engagements per post by local weekday and hour
        over the report month and the two before, struck through below 3 posts reporting."""
        zone = ZoneInfo(self.zones.get((account.network, account.account_id), "UTC"))
        window = {"2026-08", "2026-09", MONTH}
        cells = defaultdict(list)
        for p in self.posts:
            local = p["created_at"].astimezone(zone)
            mine = (p["network"], p["account_id"]) == (account.network, account.account_id)
            if mine and local.strftime("%Y-%m") in window:
                cells[(local.isoweekday(), local.hour)].append(p["engagements"])
        days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
        titles = []
        for day in range(1, 8):
            for hour in range(24):
                when = f"{days[day - 1]} {hour:02d}:00-{hour + 1:02d}:00"
                found = cells.get((day, hour))
                if not found:
                    titles.append(f"{when}: no posts")
                    continue
                measured = [e for e in found if e is not None]
                counts = f"{len(found)} posts, {len(measured)} reporting engagements"
                if not measured:
                    titles.append(f"{when}: engagements not reported ({counts})")
                elif len(measured) < 3:
                    titles.append(f"{when}: too few posts to judge ({counts})")
                else:
                    per_post = sum(measured) / len(measured)
                    titles.append(f"{when}: {per_post:,.1f} engagements per post ({counts})")
        return titles

    def spikes(self, account) -> list[tuple[dt.date, int, float, float, int]]:
        daily: dict[dt.date, list[int]] = {}
        for m in self.messages:
            if m["direction"] == "inbound" and (m["network"], m["account_id"]) == (
                account.network,
                account.account_id,
            ):
                counts = daily.setdefault(m["created_at"].astimezone(dt.UTC).date(), [0, 0])
                counts[0] += 1
                counts[1] += bool(m["is_negative"])
        first, last = min(daily), max(daily)
        calendar = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        found = []
        for i, day in enumerate(calendar):
            # the 28 days before, those with messages: the share is defined on them
            base = [daily[d] for d in calendar[max(0, i - 28) : i] if d in daily]
            if len(base) < 7 or day.strftime("%Y-%m") != MONTH or day not in daily:
                continue
            inbound, n = daily[day]
            share = n / inbound
            usual = sum(b[1] for b in base) / sum(b[0] for b in base)
            sd = statistics.stdev(b[1] / b[0] for b in base)  # the sample standard deviation
            if inbound >= 10 and n >= 5 and share > usual + 3 * sd and share >= usual + 0.05:
                found.append((day, n, share, usual, inbound))
        return found

    def languages(self, accounts) -> list[list[str]]:
        counts: dict[str | None, int] = {}
        keys = {(a.network, a.account_id) for a in accounts}
        for m in self.messages:
            inbound = m["direction"] == "inbound" and (m["network"], m["account_id"]) in keys
            if inbound and m["created_at"].strftime("%Y-%m") == MONTH:
                counts[m["language"]] = counts.get(m["language"], 0) + 1
        total = sum(counts.values())
        ordered = sorted(counts.items(), key=lambda kv: (kv[0] is None, -kv[1], kv[0] or ""))
        return [
            [code or "undetermined (too short to tell)", fmt(n), fmt(n / total, "%")] for code, n in ordered
        ]


def test_every_figure_of_the_report_is_what_the_canonical_tables_say(rendered):
    config, paths, rows = rendered
    page = Path(paths["html"]).read_text()
    email = text_of(Path(paths["email"]).read_text())
    parsed = Tables()
    parsed.feed(page)
    tables = parsed.sections
    want = Recomputed(config, rows)
    accounts = want.accounts
    name = {a.key: a.display_name or a.handle for a in accounts}

    # Page one: the KPI cards against September, and the email's summary.
    summary = text_of(re.search(r'<section id="summary".*?</section>', page, re.S).group(0))
    now_e, prev_e = want.engagement(want.posts_of(MONTH)), want.engagement(want.posts_of(PREV))
    now_s = want.service(want.requests_of(MONTH))
    net = sum(want.audience_of(MONTH, a)["net"] for a in accounts)
    cards = {
        "Engagement rate": fmt(now_e["rate"], "%"),
        "Engagements per post": fmt(now_e["per_post"]),
        "Net followers": fmt(net),
        "Response rate": fmt(now_s["rate"], "%"),
        "Median first response": fmt(now_s["median"], "h"),
        "Answered within 24 h": fmt(now_s["within"], "%"),
    }
    for label, value in cards.items():
        assert f"{label} {value}" in summary, label
        assert f"{label} {value}" in email, label
    assert f"▲ {abs(now_e['rate'] - prev_e['rate']) * 100:.1f} pts" in summary or (
        f"▼ {abs(now_e['rate'] - prev_e['rate']) * 100:.1f} pts" in summary
    )
    backlog = want.backlog()
    # The findings in words: the SLA rule, with the channel's own share.
    for account in accounts:
        within = want.service(want.requests_of(MONTH, account))["within"]
        finding = (
            f"{name[account.key]} answered {within * 100:.0f}% of requests within 24 h, against a 90% target"
        )
        assert (finding in summary) == (within < 0.9), finding
    assert (
        f"{now_s['answered']:,} of {now_s['requests']:,} requests answered; {len(backlog):,} still open"
        in email
    )

    # 1. Channels.
    channels = tables["channels"][0][1:]
    for row, account in zip(channels, accounts, strict=True):
        e = want.engagement(want.posts_of(MONTH, account))
        p = want.engagement(want.posts_of(PREV, account))
        change = e["rate"] - p["rate"] if e["rate"] is not None and p["rate"] is not None else None
        assert row[0].startswith(name[account.key])
        assert row[2:6] == [fmt(e["posts"]), fmt(e["rate"], "%"), pts(change), fmt(e["per_post"])], (
            account.key
        )
    assert accounts[1].account_id == "deals" and channels[1][3] == "n/a"  # no impressions: no rate

    # 2. Service per channel, staff, backlog, spikes.
    service = tables["service"]
    for row, account in zip(service[0][2:], accounts, strict=True):  # two header rows
        s = want.service(want.requests_of(MONTH, account))
        expected = [
            fmt(s["requests"]),
            fmt(s["rate"], "%"),
            fmt(s["median"], "h"),
            fmt(s["p90"], "h"),
            fmt(s["within"], "%"),
            fmt(s["resolved"]),
            fmt(s["resolution_median"], "h"),
            fmt(s["resolution_p90"], "h"),
        ]
        assert row == [name[account.key], *expected], account.key
    staff = defaultdict(list)
    for r in want.requests_of(MONTH):
        if r["responded_at"] is not None:
            staff[r["responder"] or "unattributed"].append(r)
    expected_staff = sorted(
        (
            [
                who,
                fmt(len(rs)),
                fmt(statistics.median(r["hours"] for r in rs), "h"),
                fmt(quantile([r["hours"] for r in rs], 0.9), "h"),
                fmt(sum(r["status"] == "met" for r in rs) / len(rs), "%"),
                fmt(len(resolved := [r["resolution"] for r in rs if r["resolution"] is not None])),
                fmt(statistics.median(resolved) if resolved else None, "h"),
                fmt(quantile(resolved, 0.9), "h"),
            ]
            for who, rs in staff.items()
        ),
        key=lambda row: (-int(row[1].replace(",", "")), row[0]),
    )
    assert service[1][2:] == expected_staff
    # Time to resolution beside first response: the turns above are in the figures.
    october = want.requests_of(MONTH)
    assert any(r["resolution"] is not None and r["resolution"] > r["hours"] for r in october)  # replied twice
    assert any(
        r["hours"] is not None and r["resolution"] is None and r["created_at"].day < 25 for r in october
    )
    assert (
        f"{now_s['answered']:,} answered; {now_s['resolved']:,} resolved, "
        f"in a median {fmt(now_s['resolution_median'], 'h')}."
    ) in text_of(re.search(r'<section id="service".*?</section>', page, re.S).group(0))
    assert f"Still unanswered at month end: {len(backlog):,}, oldest first" in page
    handle = {(a.network, a.account_id): a.handle for a in accounts}
    assert service[2][1:] == [
        [
            handle[(r["network"], r["account_id"])],
            r["channel"].replace("_", " "),
            r["intent"],
            r["created_at"].strftime("%d %b %Y %H:%M"),
            f"{(MONTH_END - r['created_at']).total_seconds() / 86400:.1f} days",
        ]
        for r in backlog[:15]
    ]
    assert any(r["month"] == PREV for r in backlog)  # September's open requests count too
    spikes = [(a, s) for a in accounts for s in want.spikes(a)]
    assert spikes and service[3][1:] == [
        [a.handle, day.strftime("%a %d %b"), fmt(n), fmt(share, "%"), fmt(usual, "%"), fmt(inbound)]
        for a, (day, n, share, usual, inbound) in spikes
    ]
    assert service[4][1:] == want.languages(accounts)

    # 4. Audience.
    for row, account in zip(tables["audience"][0][1:], accounts, strict=True):
        a = want.audience_of(MONTH, account)
        assert row == [
            name[account.key],
            fmt(a["gained"]),
            fmt(a["lost"]),
            fmt(a["net"]),
            fmt(a["churn"], "%"),
        ]

    # 5. Top posts by engagements, and content in each account's own days.
    top = sorted(
        (p for p in want.posts_of(MONTH) if p["engagements"] is not None),
        key=lambda p: (-p["engagements"], p["post_id"]),
    )[:5]
    content = tables["content"]
    assert [row[1:] for row in content[0][1:]] == [
        [
            handle[(p["network"], p["account_id"])],
            p["created_at"].strftime("%d %b"),
            fmt(p["engagements"]),
            fmt(ratio(p["engagements"], p["impressions"]), "%"),
        ]
        for p in top
    ]
    for row, account in zip(content[1][1:], accounts, strict=True):
        c, before = want.content(MONTH, account), want.content(PREV, account)
        change = (
            c["promo"] - before["promo"] if c["promo"] is not None and before["promo"] is not None else None
        )
        assert row == [
            name[account.key],
            account.purpose,
            fmt(c["posts"]),
            fmt(c["busy"]),
            fmt(c["repeated"]),
            fmt(c["promo"], "%"),
            pts(change),
        ]

    # The best time to post: one heatmap per account, every cell's figures in its tooltip.
    content_html = re.search(r'<section id="content".*?</section>', page, re.S).group(0)
    heatmaps = [
        [unescape(t) for t in re.findall(r"<title>([^<]*)</title>", svg)[1:]]
        for svg in re.findall(r"<svg.*?</svg>", content_html, re.S)
        if "Mon 00:00-01:00" in svg
    ]
    assert heatmaps == [want.posting_times(a) for a in accounts]
    shown = [t for titles in heatmaps for t in titles if "engagements per post" in t]
    assert shown and any("too few posts" in t for titles in heatmaps for t in titles)

    # 6. Influence leaders, without this month's requesters.
    requesters = {(r["network"], r["author_id"]) for r in want.requests_of(MONTH)}
    inbound = [m for m in want.messages if m["direction"] == "inbound"]
    by_id = {(m["network"], m["account_id"], m["message_id"]): m for m in inbound}
    posted, received = defaultdict(int), defaultdict(int)
    for m in inbound:
        posted[(m["network"], m["account_id"], month_of(m["created_at"]), m["author_id"])] += 1
        parent = by_id.get((m["network"], m["account_id"], m["parent_id"])) if m["parent_id"] else None
        if parent and parent["author_id"] != m["author_id"]:
            received[
                (parent["network"], parent["account_id"], month_of(parent["created_at"]), parent["author_id"])
            ] += 1
    leaders = sorted(
        (
            (posted[key] + 3 * replies, key[3], key[0], key[1], posted[key], replies)
            for key, replies in received.items()
            if key[2] == MONTH and (key[0], key[3]) not in requesters
        ),
        key=lambda t: (-t[0], t[1], t[2], t[3]),
    )[:5]
    handles = {m["author_id"]: m["author_handle"] for m in inbound}
    assert leaders and tables["community"][0][1:] == [
        [handles[author] or author, fmt(messages), fmt(replies), fmt(score)]
        for score, author, _, _, messages, replies in leaders
    ]

    # Data quality: the lake holds every day of October for both accounts.
    for row, account in zip(tables["quality"][0][1:], accounts, strict=True):
        assert row[0] == account.handle and row[-2:] == ["31 of 31", "none"]


def content_heights(pdf: bytes) -> list[float]:
    """Per PDF page, how far down its content reaches, as a share of the page's content area:
    the lowest line of text (tables, notes and the charts' labels alike), page header and footer
    (in the margins) left out."""
    from io import BytesIO

    from pypdf import PdfReader

    shares = []
    for page in PdfReader(BytesIO(pdf)).pages:
        height = float(page.mediabox.height)
        top, bottom = height - 22 / 25.4 * 72, 20 / 25.4 * 72  # base.html.j2's @page margins
        lows: list[float] = []

        def visit(text, cm, tm, font, size, lows=lows, top=top, bottom=bottom):
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]  # the text's baseline on the page
            if text.strip() and bottom < y < top:
                lows.append(y)

        page.extract_text(visitor_text=visit)
        shares.append((top - min(lows)) / (top - bottom) if lows else 0.0)
    return shares


def test_no_page_of_the_pdf_is_nearly_empty(rendered):
    """Sections flow on from page to page (no forced break leaves a page with a table's tail or a
    lone footnote), and every page but the last is filled at least halfway down; the last holds
    at least a whole section, the data-quality table with its notes."""
    _, paths, _ = rendered
    pdf = Path(paths["pdf"]).read_bytes()
    shares = content_heights(pdf)
    assert len(shares) > 2 and all(share >= 0.5 for share in shares[:-1]), [f"{s:.0%}" for s in shares]
    from io import BytesIO

    from pypdf import PdfReader

    last = PdfReader(BytesIO(pdf)).pages[-1].extract_text()
    assert (
        "Data quality" in last
        and "Validations passed" in last
        and "validated with Great Expectations" in last
    )
