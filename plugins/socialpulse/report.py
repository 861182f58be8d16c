"""The monthly executive report: context from the marts, HTML and PDF from Jinja templates.

The report answers the six questions of docs/metrics.md for one month and one group of accounts.
Privacy: customers who wrote service requests are never named; only influence leaders' public
handles appear. All text from data is autoescaped by Jinja; charts come from charts.py as SVG.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from socialpulse import charts
from socialpulse.config import Config
from socialpulse.domain import Month
from socialpulse.lake import Lake, atomic_write_bytes, atomic_write_json
from socialpulse.paths import REPORT_SQL_DIR, TEMPLATES_DIR

# table -> Delta version, as a mart set's manifest records them; None: the tables' current versions
Versions = Mapping[str, int | None] | None

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kpi:
    label: str
    value: float | None
    previous: float | None
    unit: str  # "%", "h", "" (count) or "pp"
    higher_is_better: bool = True
    note: str = ""

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def verdict(self) -> str:
        """'better', 'worse' or 'same', judged by the KPI's own direction."""
        if self.change is None or abs(self.change) < 1e-12:
            return "same"
        return "better" if (self.change > 0) == self.higher_is_better else "worse"


def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        fmt=format_value,
        change=format_change,
        month_name=month_name,
        css_string=css_string,
        clip=clip_text,
    )
    return env


def css_string(value: Any) -> Any:
    """A configured string as a quoted CSS string: every character but letters, digits and spaces
    as a CSS hex escape, so no newline, quote, brace, url( or </style> can leave the string."""
    from markupsafe import Markup

    text = str(value)
    escaped = "".join(c if c.isascii() and (c.isalnum() or c == " ") else f"\\{ord(c):x} " for c in text)
    return Markup(f'"{escaped}"')


MAX_WORD = 40
MAX_TEXT = 280


def clip_text(value: Any, max_word: int = MAX_WORD, max_text: int = MAX_TEXT) -> str:
    """Text from data made safe to lay out: every word longer than max_word characters is cut
    (with an ellipsis), and the whole text to max_text. A single unbroken word of thousands of
    characters made WeasyPrint's line breaking superlinear (91 s at 4,000)."""
    if value is None:
        return ""
    words = [w if len(w) <= max_word else w[:max_word] + "…" for w in str(value)[: max_text * 2].split()]
    text = " ".join(words)
    return text if len(text) <= max_text else text[:max_text].rstrip() + "…"


def format_value(value: Any, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if unit == "%":
        return f"{value * 100:.1f}%"
    if unit == "h":
        return f"{value:.1f} h"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def format_change(kpi: Kpi) -> str:
    change = kpi.change
    if change is None:
        return "no data for"
    arrow = "▲" if change > 0 else "▼" if change < 0 else "="
    if kpi.unit == "%":
        return f"{arrow} {abs(change) * 100:.1f} pts"
    if kpi.unit == "h":
        return f"{arrow} {abs(change):.1f} h"
    return f"{arrow} {format_value(abs(change))}"


def month_name(month: str) -> str:
    """'2026-10' as 'October 2026' (a template filter)."""
    return Month.parse(month).name


TREND_MONTHS = 13
# A best-time-to-post cell with fewer posts reporting engagements is shown as too few to judge.
POSTING_MIN_POSTS = 3


class MartReader:
    """The marts (and the canonical tables) of one report month, restricted to its accounts.

    The report computes nothing itself: every figure is a mart's column or the result of a report
    query (include/sql/report/*.sql) run here over the marts, with the table report_accounts and
    the variables report_month ('YYYY-MM') and month_end (the month's end, UTC).
    """

    def __init__(
        self,
        lake: Lake,
        account_keys: tuple[str, ...],
        month: str,
        sla_target: float = 0.9,
        marts_run: str | None = None,
    ):
        """marts_run: the mart set to read (default: the current one); the canonical tables are read
        at the versions that set was computed from, so a report always reads one consistent state."""
        from socialpulse import metrics

        self.lake = lake
        self.manifest = lake.marts_manifest(marts_run)
        self.marts_run = self.manifest["run_id"]
        missing = [
            m for m in metrics.MARTS if not all(f.exists() for f in lake.mart_files(m, self.marts_run))
        ]
        if missing:
            hint = (
                f"it was pruned: rebuild it with `python -m socialpulse metrics --recompute-run {self.marts_run}`"
                if self.manifest.get("pruned")
                else "run the socialpulse_metrics DAG (or `python -m socialpulse metrics`) first"
            )
            raise FileNotFoundError(
                f"mart(s) {', '.join(missing)} not found in mart set {self.marts_run} "
                f"under {lake.marts_dir()}: {hint}"
            )
        self.con = metrics.connect(lake, versions=self.manifest["versions"])
        metrics.attach_marts(self.con, lake, self.manifest)
        pairs = [tuple(k.split("/", 1)) for k in account_keys]
        self.con.execute("CREATE TABLE report_accounts (network VARCHAR, account_id VARCHAR)")
        self.con.executemany("INSERT INTO report_accounts VALUES (?, ?)", pairs)
        self.con.execute("SET VARIABLE report_month = ?", [month])
        self.con.execute("SET VARIABLE month_end = CAST(? AS TIMESTAMPTZ)", [month_end(month)])
        self.con.execute("SET VARIABLE sla_target = ?", [float(sla_target)])
        self.con.execute("SET VARIABLE posting_min_posts = ?", [POSTING_MIN_POSTS])

    def _fetch(self, sql: str, params: list | None = None) -> list[dict]:
        cursor = self.con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def rows(self, mart: str, where: str = "TRUE", params: list | None = None, order: str = "") -> list[dict]:
        """A mart's rows for the report's accounts."""
        return self._fetch(
            f"SELECT m.* FROM {mart} m SEMI JOIN report_accounts USING (network, account_id) WHERE {where} {order}",
            params,
        )

    def query(self, name: str) -> list[dict]:
        """The rows of the report query include/sql/report/<name>.sql."""
        return self._fetch((REPORT_SQL_DIR / f"{name}.sql").read_text())


def month_end(month: str) -> dt.datetime:
    """The instant the month ends: the first of the next month, 00:00 UTC."""
    return Month.parse(month).interval().end


def build_context(
    config: Config, report_name: str, month: str, marts_run: str | None = None
) -> dict[str, Any]:
    """Everything the templates show for `month` (YYYY-MM): marts' columns and report queries only.

    marts_run: the mart set to read (default: the current one); the context names it and the
    table versions it was computed from (marts_run, table_versions), for the report's record.
    """
    report = config.report(report_name)
    lake = Lake.from_config(config)
    marts = MartReader(lake, report.accounts, month, report.sla_target, marts_run)
    prev = str(Month.parse(month).previous())
    accounts = {a.key: a for a in config.accounts if a.key in report.accounts}

    def month_rows(mart: str, m: str) -> list[dict]:
        return marts.rows(mart, "month = ?", [m])

    engagement, audience, service = (
        month_rows("engagement_monthly", month),
        month_rows("audience_monthly", month),
        month_rows("service_monthly", month),
    )
    if not (engagement or audience or service):
        raise ValueError(
            f"no data for {month} in report '{report_name}' (accounts {', '.join(report.accounts)}): "
            "extract that month first (backfill the socialpulse_extract DAG)"
        )
    totals = {r["month"]: r for r in marts.query("totals")}
    now, before = totals.get(month, {}), totals.get(prev, {})

    sla = config.sla.default_hours
    # "within 24 h" only when one plain clock applies to every channel; otherwise "within SLA"
    within = "within SLA" if (config.sla.per_network or config.sla.business_hours) else f"within {sla:g} h"

    def kpi(label: str, key: str, unit: str, **kwargs: Any) -> Kpi:
        return Kpi(label, now.get(key), before.get(key), unit, **kwargs)

    kpis = [
        kpi(
            "Engagement rate", "engagement_rate", "%", note="engagements / impressions, posts reporting both"
        ),
        kpi("Engagements per post", "engagements_per_post", "", note="posts reporting engagements"),
        kpi("Net followers", "net_followers", "", note="gained - lost"),
        kpi("Response rate", "response_rate", "%", note="requests answered"),
        kpi("Median first response", "median_response_hours", "h", higher_is_better=False),
        kpi(f"Answered {within}", "within_sla_share", "%", note="of requests judged"),
    ]

    # Per channel: one row per account, the marts' own columns.
    def by_key(rows: list[dict]) -> dict[str, dict]:
        return {f"{r['network']}/{r['account_id']}": r for r in rows}

    eng, aud, srv = by_key(engagement), by_key(audience), by_key(service)
    content = by_key(month_rows("content_monthly", month))
    channels: list[dict[str, Any]] = []
    for key, account in accounts.items():
        e, a, s = eng.get(key, {}), aud.get(key, {}), srv.get(key, {})
        channels.append(
            {
                "key": key,
                "name": account.display_name or account.handle,
                "handle": account.handle,
                "network": account.network,
                "purpose": account.purpose,
                "posts": e.get("posts"),
                "engagement_rate": e.get("engagement_rate"),
                "engagement_rate_change": e.get("engagement_rate_change"),
                "engagements_per_post": e.get("engagements_per_post"),
                "amplification": e.get("amplification"),
                "conversation": e.get("conversation"),
                "link_clicks": e.get("link_clicks"),
                "conversation_share": e.get("conversation_share"),
                "gained": a.get("gained"),
                "lost": a.get("lost"),
                "net": a.get("net"),
                "churn_rate": a.get("churn_rate"),
                "requests": s.get("requests"),
                "response_rate": s.get("response_rate"),
                "median_response_hours": s.get("median_response_hours"),
                "p90_response_hours": s.get("p90_response_hours"),
                "within_sla_share": s.get("within_sla_share"),
                "resolved": s.get("resolved"),
                "median_resolution_hours": s.get("median_resolution_hours"),
                "p90_resolution_hours": s.get("p90_resolution_hours"),
                "backlog_at_month_end": s.get("backlog_at_month_end"),
            }
        )
    names = [c["name"] for c in channels]

    # Trend: up to 13 months where the lake has them, all accounts together.
    window = {str(m) for m in Month.parse(month).back(TREND_MONTHS)}
    history = [r for m, r in sorted(totals.items()) if m in window]
    labels = [f"{Month.parse(r['month']).first_day:%b %y}" for r in history]
    span = f"{len(history)} month{'s' if len(history) != 1 else ''}"
    # Two charts, not one: a 4% rate and an 85% share on one axis would flatten the first.
    trend_charts = [
        charts.line_chart(
            f"Engagement rate, last {span}",
            labels,
            {"engagement rate": [r["engagement_rate"] for r in history]},
            unit="%",
            width=330,
        ),
        charts.line_chart(
            f"Answered {within}, last {span}",
            labels,
            {within: [r["within_sla_share"] for r in history]},
            unit="%",
            width=330,
            target=report.sla_target,
            target_label=f"{report.sla_target * 100:g}% target",
        ),
    ]

    # Customer service.
    buckets = marts.query("response_times")
    backlog = [
        {
            **r,
            "account": accounts[f"{r['network']}/{r['account_id']}"].handle,
            "channel": r["channel"].replace("_", " "),
        }
        for r in marts.query("backlog")
    ]
    staff_table = marts.query("staff")

    # Top posts by engagement (not reach), leaders, cadence.
    top_posts = marts.query("top_posts")
    for p in top_posts:
        p["account"] = accounts[f"{p['network']}/{p['account_id']}"].handle
    # Privacy first: whoever asked us for help this month is not named, even as a leader.
    leaders = marts.query("leaders")
    hidden_leaders = marts.query("leaders_hidden")[0]["hidden_leaders"]
    cadence_points: dict[str, list[tuple[float, float]]] = {}
    for r in month_rows("cadence_daily", month):
        name = accounts[f"{r['network']}/{r['account_id']}"].display_name or r["account_id"]
        cadence_points.setdefault(name, []).append((r["posts"], r["engagements_per_post"]))
    # The best time to post: a heatmap per account, in its own time zone (posting_times.sql).
    posting_cells: dict[str, list[dict]] = {}
    for r in marts.query("posting_times"):
        posting_cells.setdefault(f"{r['network']}/{r['account_id']}", []).append(r)
    posting_times = []
    for key, account in accounts.items():
        cells = posting_cells.get(key, [])
        months = (
            f"{month_name(cells[0]['window_start'])} to {month_name(month)}" if cells else month_name(month)
        )
        title = f"{account.display_name or account.handle}: posts of {months} ({account.time_zone} time)"
        posting_times.append(
            charts.heatmap(title, cells, min_posts=POSTING_MIN_POSTS)
            if cells
            else charts.empty_chart(title, "No posts in these three months", height=40)
        )
    # Days when complaints or negative messages spiked (negative_spikes_daily defines a spike).
    spikes = [
        {**r, "account": accounts[f"{r['network']}/{r['account_id']}"].handle}
        for r in marts.rows(
            "negative_spikes_daily", "month = ? AND spike", [month], "ORDER BY date, network, account_id"
        )
    ]
    summary = findings(
        marts.query("findings"),
        {key: a.display_name or a.handle for key, a in accounts.items()},
        within,
        month_name(prev),
    )
    quality = data_quality(lake, list(accounts.values()), month, marts.marts_run, marts.manifest["versions"])
    incomplete = [q for q in quality if q["missing_days"]]

    # The languages customers wrote in, over the report's accounts (language_monthly).
    language_mix = marts.query("languages")

    return {
        "title": report.title,
        "report_name": report.name,
        "month": month,
        "marts_run": marts.marts_run,
        "table_versions": marts.manifest["versions"],
        "previous_month": prev,
        "sla_hours": sla,
        "sla_target": report.sla_target,
        "within": within,
        "kpis": kpis,
        "findings": summary,
        "totals": now,
        "channels": channels,
        "trend_charts": trend_charts,
        "service": {
            "requests": now.get("requests", 0),
            "answered": now.get("answered", 0),
            "resolved": now.get("resolved", 0),
            "median_resolution_hours": now.get("median_resolution_hours"),
            "quiet_hours": config.sla.resolution_quiet_hours,
            "sla_chart": charts.grouped_bars(
                f"Share answered {within}",
                names,
                {
                    within: [c["within_sla_share"] for c in channels],
                    "response rate": [c["response_rate"] for c in channels],
                },
                unit="%",
                target=report.sla_target,
                target_label=f"{report.sla_target * 100:g}% target",
            ),
            "distribution_chart": charts.histogram(
                "Time to first response", [b["label"] for b in buckets], [b["requests"] for b in buckets]
            ),
            "buckets": buckets,
            "staff": staff_table,
            "backlog": backlog[:15],
            "backlog_listed": len(backlog),
            "backlog_total": now.get("backlog_at_month_end"),
        },
        "audience_chart": charts.grouped_bars(
            "Followers gained and lost",
            names,
            {"gained": [c["gained"] for c in channels], "lost": [c["lost"] for c in channels]},
        ),
        "top_posts": top_posts,
        "leaders": leaders,
        "hidden_leaders": hidden_leaders,
        "cadence_chart": charts.scatter(
            "Posts per day against engagements per post",
            cadence_points,
            "posts that day",
            "engagements per post",
        ),
        "repetition": [
            {
                "name": account.display_name or account.handle,
                "purpose": account.purpose,
                "posts": content.get(key, {}).get("posts"),
                "busy_days": content.get(key, {}).get("busy_days"),
                "repeated_posts": content.get(key, {}).get("repeated_posts"),
                "promotional_share": content.get(key, {}).get("promotional_share"),
                "promotional_share_change": content.get(key, {}).get("promotional_share_change"),
            }
            for key, account in accounts.items()
        ],
        "posting_times": posting_times,
        "posting_min_posts": POSTING_MIN_POSTS,
        "spikes": spikes,
        "language_mix": language_mix,
        "quality": quality,
        "incomplete": incomplete,
        "generated_for": month_name(month),
        "report_date": month_end(month).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def findings(rows: list[dict], names: dict[str, str], within: str, previous: str) -> list[dict]:
    """Three to five findings in words for page one, from the rows of findings.sql, by rule.

    Rules, most important first (each row of findings.sql feeds one rule):
    1. sla: a channel answering a smaller share within the SLA than the target; worst first.
    2. busy_days: a channel whose posts on busy days (more than 4 posts) earned at least 20% less
       engagement each than on other days.
    3. followers_lost: followers lost changed by at least 10% against the previous month.
    4. backlog: more requests open at month end than a month before.
    5. engagement_rate: the engagement rate moved by at least 0.1 points.
    At most five are shown; with fewer than three, rules 5 and 4 are stated below their thresholds
    (the engagement rate and the backlog as they are).
    """
    by_kind: dict[str, list[dict]] = {}
    for r in rows:
        by_kind.setdefault(r["kind"], []).append(r)
    out: list[dict] = []

    def add(text: str, section: str, rule: str) -> None:
        out.append({"text": text, "section": section, "rule": rule})

    for r in sorted(by_kind.get("sla", []), key=lambda r: r["value"]):
        if r["value"] < r["reference"]:
            add(
                f"{names.get(r['account'], r['account'])} answered {_pct(r['value'])} of requests {within}, "
                f"against a {_pct(r['reference'])} target",
                "2",
                "sla",
            )
    for r in sorted(
        by_kind.get("busy_days", []), key=lambda r: r["relative"] if r["relative"] is not None else 0
    ):
        if r["relative"] is not None and r["relative"] <= -0.2:
            add(
                f"{names.get(r['account'], r['account'])}: posts on days with more than 4 posts earned "
                f"{_pct(-r['relative'])} less engagement each",
                "5",
                "busy_days",
            )
    lost = next(iter(by_kind.get("followers_lost", [])), None)
    if lost and lost["relative"] is not None and abs(lost["relative"]) >= 0.1:
        add(
            f"Followers lost {'rose' if lost['relative'] > 0 else 'fell'} by {_pct(abs(lost['relative']))} "
            f"({format_value(lost['reference'])} in {previous}, {format_value(lost['value'])} now)",
            "4",
            "followers_lost",
        )
    backlog = next(iter(by_kind.get("backlog", [])), None)
    rate = next(iter(by_kind.get("engagement_rate", [])), None)
    backlog_shown = rate_shown = False
    if backlog and backlog["difference"] is not None and backlog["difference"] > 0:
        add(
            f"{format_value(backlog['value'])} requests were still unanswered at month end, "
            f"{format_value(backlog['difference'])} more than a month before",
            "3",
            "backlog",
        )
        backlog_shown = True
    if rate and rate["difference"] is not None and abs(rate["difference"]) >= 0.001:
        add(
            f"The engagement rate {'rose' if rate['difference'] > 0 else 'fell'} "
            f"{abs(rate['difference']) * 100:.1f} points to {format_value(rate['value'], '%')}",
            "1",
            "engagement_rate",
        )
        rate_shown = True
    if len(out) < 3 and rate and not rate_shown:
        add(f"The engagement rate was {format_value(rate['value'], '%')}", "1", "engagement_rate")
    if len(out) < 3 and backlog and not backlog_shown:
        add(f"{format_value(backlog['value'])} requests were still unanswered at month end", "3", "backlog")
    return out[:5]


def month_days(month: str) -> list[dt.date]:
    return Month.parse(month).days()


def covered_days(
    lake: Lake, account: Any, month: str, versions: Versions = None, as_of: str | None = None
) -> set[dt.date]:
    """The days of the month the lake holds for an account: a day is held when a validation run
    that passed covered it (an extraction, even of a quiet day with no rows), or when any
    canonical table has rows of the account for it (history published by other paths).
    versions and as_of: the table versions and start time of a mart set (see data_quality)."""
    days = set(month_days(month))
    held: set[dt.date] = set()
    folder = lake.root / "validation" / account.network / account.account_id
    for result in validation_results(folder, "*", as_of):
        if not result.get("success") or result.get("imported_from"):
            continue  # an export file holds the days it has rows of, not every day between them
        start = dt.datetime.fromisoformat(result["interval"]["start"])
        end = dt.datetime.fromisoformat(result["interval"]["end"])
        day = start.date()
        while dt.datetime.combine(day, dt.time(), dt.UTC) < end:
            if day in days:
                held.add(day)
            day += dt.timedelta(days=1)
    if days - held:
        held |= days & days_with_rows(lake, account, month, versions)
    return held


def validated_at(result: dict) -> dt.datetime:
    """When a validation result was written; one written before that was recorded, long ago."""
    stamp = result.get("validated_at")
    return dt.datetime.fromisoformat(stamp) if stamp else dt.datetime.min.replace(tzinfo=dt.UTC)


def validation_results(folder: Any, pattern: str, as_of: str | None = None) -> list[dict]:
    """The validation result of each interval folder under `folder` matching `pattern`: the latest
    one, or with as_of (an ISO time) the latest validated at or before it (quality.keep_earlier_result
    keeps the replaced ones); an interval first validated after as_of has none."""
    results = []
    for interval in sorted(folder.glob(pattern)) if folder.exists() else ():
        latest = interval / "result.json"
        if as_of is None:
            if latest.exists():
                results.append(json.loads(latest.read_text()))
            continue
        candidates = [
            json.loads(p.read_text()) for p in [latest, *interval.glob("result-*.json")] if p.exists()
        ]
        then = [r for r in candidates if validated_at(r) <= dt.datetime.fromisoformat(as_of)]
        if then:
            results.append(max(then, key=validated_at))
    return results


def days_with_rows(lake: Lake, account: Any, month: str, versions: Versions = None) -> set[dt.date]:
    """The UTC days of the month with rows of the account in any canonical table (at `versions`:
    the table versions a mart set was computed from; default the current ones)."""
    from socialpulse import model

    con = lake.duckdb()
    try:
        con.execute("SET TimeZone = 'UTC'")
        lake.register_tables(con, versions)
        union = " UNION ".join(
            f"SELECT DISTINCT CAST({spec.date_column} AS DATE) AS day FROM {name} "
            "WHERE network = ? AND account_id = ?"
            for name, spec in model.TABLES.items()
        )
        rows = con.execute(
            f"SELECT day FROM ({union}) WHERE strftime(day, '%Y-%m') = ?",
            [account.network, account.account_id] * len(model.TABLES) + [month],
        ).fetchall()
    finally:
        con.close()
    return {row[0] for row in rows}


def freshest_day(lake: Lake, account: Any, versions: Versions = None) -> str | None:
    """The account's latest UTC day with messages in the lake (YYYY-MM-DD) at `versions`, or None."""
    con = lake.duckdb()
    try:
        con.execute("SET TimeZone = 'UTC'")
        lake.register_tables(con, versions)
        day = con.execute(
            "SELECT max(CAST(created_at AS DATE)) FROM messages WHERE network = ? AND account_id = ?",
            [account.network, account.account_id],
        ).fetchone()[0]
    finally:
        con.close()
    return day.isoformat() if day else None


def day_ranges(days: list[dt.date]) -> str:
    """'3-5, 9 Nov 2026' style: consecutive days as ranges, in order."""
    if not days:
        return ""
    days = sorted(days)
    runs: list[list[dt.date]] = [[days[0], days[0]]]
    for day in days[1:]:
        if day == runs[-1][1] + dt.timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    parts = [f"{a.day}" if a == b else f"{a.day}-{b.day}" for a, b in runs]
    return f"{', '.join(parts)} {days[0]:%b %Y}"


def data_quality(
    lake: Lake, accounts: list, month: str, marts_run: str | None = None, versions: Versions = None
) -> list[dict]:
    """Per account: validation runs of the month passed/failed (extractions, and imported files with
    rows in the month), the freshest published day, the days
    of the month the lake does not hold (a month with missing days is incomplete), and what the
    extractions could not read (extraction_issues_monthly: items skipped, metrics unavailable,
    replies an imported export lists but lacks, which make the response figures incomplete).
    The days held and the freshest day are read at `versions` (an audit re-render's set's); the
    validation runs are counted as they stood when the set started (marts_run's started_at): a run
    validated later is not counted, and a replaced one counts as it was then."""
    rows = []
    issues = {}
    run = marts_run or lake.current_marts_run()
    # the rendered set's start; without a set named (missing_data), the runs as they stand now
    as_of = lake.marts_manifest(marts_run).get("started_at") if marts_run is not None else None
    if run is not None and all(f.exists() for f in lake.mart_files("extraction_issues_monthly", run)):
        from socialpulse import metrics

        for issue in metrics.read_mart(lake, "extraction_issues_monthly", run).to_pylist():
            if issue["month"] == month:
                issues[(issue["network"], issue["account_id"])] = issue
    for account in accounts:
        folder = lake.root / "validation" / account.network / account.account_id
        runs = [
            r
            for r in validation_results(folder, f"{month.replace('-', '')}*", as_of)
            if not r.get("imported_from")
        ]
        # an imported file's validation counts in every month it has rows of
        runs += [r for r in validation_results(folder, "*_import-*", as_of) if month in r.get("months", [])]
        passed = sum(1 for r in runs if r.get("success"))
        failed = len(runs) - passed
        missing = sorted(set(month_days(month)) - covered_days(lake, account, month, versions, as_of))
        rows.append(
            {
                "account": account.handle,
                "network": account.network,
                "passed": passed,
                "failed": failed,
                "freshest": freshest_day(lake, account, versions),
                "missing_days": missing,
                "missing": day_ranges(missing),
                "days_held": len(month_days(month)) - len(missing),
                "days_in_month": len(month_days(month)),
                **{
                    k: issues.get((account.network, account.account_id), {}).get(k)
                    for k in (
                        "items_skipped",
                        "metrics_unavailable",
                        "posts_without_insights",
                        "replies_absent",
                    )
                },
            }
        )
    return rows


def missing_data(config: Config, report_name: str, month: str) -> list[str]:
    """What is missing for the report's month: one line per account with missing days (empty: complete)."""
    report = config.report(report_name)
    lake = Lake.from_config(config)
    accounts = [a for a in config.accounts if a.key in report.accounts]
    return [
        f"{q['account']} ({q['network']}): {len(q['missing_days'])} of {q['days_in_month']} days missing ({q['missing']})"
        for q in data_quality(lake, accounts, month)
        if q["missing_days"]
    ]


def ready_to_send(config: Config, report_name: str, month: str) -> tuple[bool, str]:
    """Whether the scheduled report of a month may be sent now, and why (for the task log).

    A month with missing days is held back while the report's incomplete_month is 'wait' (the
    default: a later extraction or backfill may still fill them); with 'send' it goes out, marked
    incomplete in the email and the PDF.
    """
    missing = missing_data(config, report_name, month)
    if not missing:
        return True, f"{report_name} {month}: every day of every account is in the lake"
    listed = "; ".join(missing)
    if config.report(report_name).incomplete_month == "send":
        return True, f"{report_name} {month} is sent marked incomplete: {listed}"
    return False, (
        f"{report_name} {month} waits for missing days: {listed}. Extract or backfill them "
        "(socialpulse_extract / socialpulse_backfill), or set incomplete_month: send in the report's "
        "configuration to send it marked incomplete"
    )


def pdf_name(report_name: str, month: str) -> str:
    """The archived PDF's name, which is also the attachment's name in the email."""
    return f"social-pulse-{report_name}-{month}.pdf"


def build_message(
    config: Config, report_name: str, month: str, context: dict, email_html: str, email_text: str, pdf: bytes
) -> bytes:
    """The whole email as one MIME message: plain text and HTML alternatives, the PDF attached as
    application/pdf. Delivery sends exactly these bytes, so body and attachment are one render's."""
    from email.message import EmailMessage
    from email.policy import SMTP

    report = config.report(report_name)
    digest = hashlib.sha256(email_html.encode() + pdf).hexdigest()[:20]
    message = EmailMessage(policy=SMTP)
    subject = (
        "[Incomplete month] " if context["incomplete"] else ""
    ) + f"{context['title']}: {context['generated_for']}"
    message["Subject"] = " ".join(subject.split())  # a configured newline must not end the header
    if report.sender:  # else delivery takes the SMTP connection's From email
        message["From"] = report.sender
    message["To"] = ", ".join(report.recipients)
    message["Message-ID"] = f"<socialpulse.{report_name}.{month}.{digest}@socialpulse.invalid>"
    message["X-Social-Pulse-Report"] = f"{report_name}/{month}"
    message.set_content(email_text)
    message.add_alternative(email_html, subtype="html")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=pdf_name(report_name, month))
    return message.as_bytes()


def render_report(
    config: Config, report_name: str, month: str, force: bool = False, marts_run: str | None = None
) -> dict[str, str]:
    """Render the report for a month: HTML, PDF and the email, archived under reports/.

    message.eml is the whole email (body, text part and PDF) in one file written in one atomic
    write; it is what delivery sends. report.html, the PDF and email.html beside it are the
    same render, for people reading the archive. A report already sent (or whose send is in
    doubt) is not re-rendered unless force: the archive keeps what was sent. rendered.json records
    the mart set (marts_run) and the table versions the render read; marts_run re-renders from an
    earlier set, for an audit (default: the current set). An audit of a month already sent goes to
    audits/<marts_run>/ beside the archive, which it never touches (and delivery never sends).
    """
    from socialpulse import delivery
    from socialpulse.pdf import render_pdf

    folder = Lake.from_config(config).report_dir(report_name, month)
    audit = marts_run is not None and delivery.delivered(config, report_name, month)
    if marts_run is not None and audit:
        folder = folder / "audits" / marts_run
    html_path, pdf_path, email_path = (
        folder / "report.html",
        folder / pdf_name(report_name, month),
        folder / "email.html",
    )
    paths = {
        "report": report_name,
        "month": month,
        "html": str(html_path),
        "pdf": str(pdf_path),
        "email": str(email_path),
        "message": str(folder / delivery.MESSAGE),
    }
    if not audit and delivery.delivered(config, report_name, month) and not force:
        # The archive must stay what the recipients received; --force re-renders on purpose.
        log.info(
            "%s for %s was already sent (or its send is in doubt); keeping the archived files",
            report_name,
            month,
        )
        return paths
    started = time.perf_counter()
    context = build_context(config, report_name, month, marts_run)
    env = environment()
    html = env.get_template("report.html.j2").render(**context)
    email_html = env.get_template("email.html.j2").render(**context)
    email_text = env.get_template("email.txt.j2").render(**context)
    pdf = render_pdf(html, config.report(report_name).render_timeout_seconds)
    message = build_message(config, report_name, month, context, email_html, email_text, pdf)
    # The email first, whole: a kill after it leaves the archive copies behind, never a mixed email.
    atomic_write_bytes(folder / delivery.MESSAGE, message)
    atomic_write_bytes(html_path, html.encode())
    atomic_write_bytes(email_path, email_html.encode())
    atomic_write_bytes(pdf_path, pdf)
    atomic_write_json(
        folder / "rendered.json",
        {
            "report": report_name,
            "month": month,
            "subject": ("[Incomplete month] " if context["incomplete"] else "")
            + f"{context['title']}: {context['generated_for']}",
            "incomplete": [q["account"] for q in context["incomplete"]],
            "marts_run": context["marts_run"],
            "table_versions": context["table_versions"],
        },
    )
    log.info("rendered %s for %s in %.1f s: %s", report_name, month, time.perf_counter() - started, pdf_path)
    return paths
