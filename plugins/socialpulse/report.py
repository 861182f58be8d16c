"""The monthly executive report: context from the marts, HTML and PDF from Jinja templates.

The report answers the six questions of docs/metrics.md for one month and one group of accounts.
Privacy: customers who wrote service requests are never named; only influence leaders' public
handles appear. All text from data is autoescaped by Jinja; charts come from charts.py as SVG.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from socialpulse import charts
from socialpulse.config import Config
from socialpulse.lake import Lake, atomic_write_bytes, atomic_write_json

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "include" / "templates"
RESPONSE_BUCKETS = (
    (0, 1, "< 1 h"),
    (1, 4, "1-4 h"),
    (4, 8, "4-8 h"),
    (8, 24, "8-24 h"),
    (24, 48, "1-2 days"),
    (48, None, "> 2 days"),
)


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
    env.filters.update(fmt=format_value, change=format_change, month_name=month_name)
    return env


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
    return dt.datetime.strptime(month, "%Y-%m").strftime("%B %Y")


def previous_month(month: str) -> str:
    first = dt.date.fromisoformat(f"{month}-01")
    return (first - dt.timedelta(days=1)).strftime("%Y-%m")


def _months_back(month: str, count: int) -> list[str]:
    months = [month]
    while len(months) < count:
        months.insert(0, previous_month(months[0]))
    return months


class MartReader:
    """Reads the marts for one report: its accounts only."""

    def __init__(self, lake: Lake, account_keys: tuple[str, ...]):
        self.con = lake.duckdb()
        self.lake = lake
        pairs = [tuple(k.split("/", 1)) for k in account_keys]
        self.con.execute("CREATE TABLE report_accounts (network VARCHAR, account_id VARCHAR)")
        self.con.executemany("INSERT INTO report_accounts VALUES (?, ?)", pairs)

    def rows(self, mart: str, where: str = "TRUE", params: list | None = None, order: str = "") -> list[dict]:
        path = self.lake.mart_path(mart)
        if not path.exists():
            raise FileNotFoundError(f"mart {mart} not found at {path}: run the socialpulse_metrics DAG first")
        sql = f"SELECT m.* FROM read_parquet('{path}') m SEMI JOIN report_accounts USING (network, account_id) WHERE {where} {order}"
        cursor = self.con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def request_authors(self, month: str) -> set[str]:
        """Authors of the month's service requests: customers who must never be named."""
        if not self.lake.has_data("messages"):
            return set()
        sql = (
            f"SELECT DISTINCT m.author_id FROM read_parquet('{self.lake.glob('messages')}', hive_partitioning = false) m "
            f"JOIN read_parquet('{self.lake.mart_path('service_requests')}') r USING (network, account_id, message_id) WHERE r.month = ?"
        )
        return {row[0] for row in self.con.execute(sql, [month]).fetchall()}


def _sum(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return float(sum(values)) if values else None


def _ratio(num: float | None, den: float | None) -> float | None:
    return num / den if num is not None and den else None


def build_context(config: Config, report_name: str, month: str) -> dict[str, Any]:
    """Everything the templates show, computed from the marts for `month` (YYYY-MM)."""
    report = config.report(report_name)
    lake = Lake.from_config(config)
    marts = MartReader(lake, report.accounts)
    prev = previous_month(month)
    accounts = {a.key: a for a in config.accounts if a.key in report.accounts}

    def month_rows(mart: str, m: str) -> list[dict]:
        return marts.rows(mart, "month = ?", [m])

    engagement, engagement_prev = (
        month_rows("engagement_monthly", month),
        month_rows("engagement_monthly", prev),
    )
    audience, audience_prev = month_rows("audience_monthly", month), month_rows("audience_monthly", prev)
    service, service_prev = month_rows("service_monthly", month), month_rows("service_monthly", prev)
    if not (engagement or audience or service):
        raise ValueError(
            f"no data for {month} in report '{report_name}' (accounts {', '.join(report.accounts)}): "
            "extract that month first (backfill the socialpulse_extract DAG)"
        )

    def engagement_rate(rows: list[dict]) -> float | None:
        return _ratio(_sum(rows, "engagements"), _sum(rows, "impressions"))

    def per_post(rows: list[dict]) -> float | None:
        return _ratio(_sum(rows, "engagements"), _sum(rows, "posts"))

    requests = marts.rows("service_requests", "month = ?", [month])
    requests_prev = marts.rows("service_requests", "month = ?", [prev])

    def response_rate(rows: list[dict]) -> float | None:
        return _ratio(sum(1 for r in rows if r["responded_at"] is not None), len(rows))

    def median_hours(rows: list[dict]) -> float | None:
        hours = sorted(r["response_hours"] for r in rows if r["response_hours"] is not None)
        if not hours:
            return None
        mid = len(hours) // 2
        return hours[mid] if len(hours) % 2 else (hours[mid - 1] + hours[mid]) / 2

    def within_sla(rows: list[dict]) -> float | None:
        judged = [r for r in rows if r["sla_status"] in ("met", "missed")]
        return _ratio(sum(1 for r in judged if r["sla_status"] == "met"), len(judged))

    sla = config.sla_hours
    # "within 24 h" only when one plain clock applies to every channel; otherwise "within SLA"
    within = "within SLA" if (config.sla.per_network or config.sla.business_hours) else f"within {sla:g} h"
    kpis = [
        Kpi(
            "Engagement rate",
            engagement_rate(engagement),
            engagement_rate(engagement_prev),
            "%",
            note="engagements / impressions",
        ),
        Kpi("Engagements per post", per_post(engagement), per_post(engagement_prev), ""),
        Kpi("Net followers", _sum(audience, "net"), _sum(audience_prev, "net"), "", note="gained - lost"),
        Kpi(
            "Response rate",
            response_rate(requests),
            response_rate(requests_prev),
            "%",
            note="requests answered",
        ),
        Kpi(
            "Median first response",
            median_hours(requests),
            median_hours(requests_prev),
            "h",
            higher_is_better=False,
        ),
        Kpi(f"Answered {within}", within_sla(requests), within_sla(requests_prev), "%"),
    ]

    # Per channel: one row per account.
    def by_key(rows: list[dict]) -> dict[str, dict]:
        return {f"{r['network']}/{r['account_id']}": r for r in rows}

    eng, aud, srv = by_key(engagement), by_key(audience), by_key(service)
    channels = []
    for key, account in accounts.items():
        e, a, s = eng.get(key, {}), aud.get(key, {}), srv.get(key, {})
        channels.append(
            {
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
            }
        )
    names = [c["name"] for c in channels]

    # Trend: six months of engagement rate and SLA share, all accounts together.
    months = _months_back(month, 6)
    trend_eng, trend_sla = [], []
    for m in months:
        trend_eng.append(engagement_rate(month_rows("engagement_monthly", m)))
        trend_sla.append(within_sla(marts.rows("service_requests", "month = ?", [m])))
    history = [(m, e, s) for m, e, s in zip(months, trend_eng, trend_sla) if e is not None or s is not None]
    # Two charts, not one: a 4% rate and an 85% share on one axis would flatten the first.
    labels = [dt.datetime.strptime(m, "%Y-%m").strftime("%b") for m, _, _ in history]
    trend_charts = [
        charts.line_chart(
            "Engagement rate, six months",
            labels,
            {"engagement rate": [e for _, e, _ in history]},
            unit="%",
            width=330,
        ),
        charts.line_chart(
            f"Answered {within}, six months",
            labels,
            {within: [s for _, _, s in history]},
            unit="%",
            width=330,
        ),
    ]

    # Customer service.
    counts = [0] * len(RESPONSE_BUCKETS)
    for r in requests:
        h = r["response_hours"]
        if h is None:
            continue
        for i, (low, high, _) in enumerate(RESPONSE_BUCKETS):
            if h >= low and (high is None or h < high):
                counts[i] += 1
                break
    month_end = dt.datetime.combine(
        dt.date.fromisoformat(f"{month}-01") + dt.timedelta(days=32), dt.time(), dt.UTC
    ).replace(day=1)
    backlog = [
        {
            "account": accounts[f"{r['network']}/{r['account_id']}"].handle,
            "channel": r["channel"].replace("_", " "),
            "intent": r["intent"] or "request",
            "created_at": r["created_at"],
            "age_days": (month_end - r["created_at"]).total_seconds() / 86400,
        }
        for r in sorted(requests, key=lambda r: r["created_at"])
        if r["responded_at"] is None or r["responded_at"] >= month_end
    ]
    staff_rows = marts.rows("staff_monthly", "month = ?", [month])
    staff: dict[str, dict] = {}
    for r in staff_rows:
        entry = staff.setdefault(
            r["staff_member"], {"name": r["staff_member"], "first_responses": 0, "met": 0.0, "hours": []}
        )
        entry["first_responses"] += r["first_responses"]
        entry["met"] += r["within_sla_share"] * r["first_responses"]
    for r in requests:
        if r["responder"] in staff and r["response_hours"] is not None:
            staff[r["responder"]]["hours"].append(r["response_hours"])
    staff_table = sorted(
        (
            {
                "name": s["name"],
                "first_responses": s["first_responses"],
                "median_response_hours": median_hours([{"response_hours": h} for h in s["hours"]]),
                "within_sla_share": s["met"] / s["first_responses"] if s["first_responses"] else None,
            }
            for s in staff.values()
        ),
        key=lambda s: -s["first_responses"],
    )

    # Top posts by engagement (not reach), leaders, cadence.
    top_posts = marts.rows(
        "post_performance",
        "month = ? AND engagements IS NOT NULL",
        [month],
        "ORDER BY engagements DESC, post_id LIMIT 5",
    )
    for p in top_posts:
        p["account"] = accounts[f"{p['network']}/{p['account_id']}"].handle
        p["engagement_rate"] = _ratio(p["engagements"], p["impressions"])
    # Privacy first: whoever asked us for help this month is not named, even as a leader.
    requesters = marts.request_authors(month)
    leaders = [
        leader
        for leader in marts.rows(
            "influence_leaders_monthly", "month = ?", [month], "ORDER BY score DESC, author_id"
        )
        if leader["author_id"] not in requesters
    ][:5]
    cadence = marts.rows("cadence_daily", "month = ?", [month])
    cadence_points: dict[str, list[tuple[float, float]]] = {}
    for r in cadence:
        name = accounts[f"{r['network']}/{r['account_id']}"].display_name or r["account_id"]
        cadence_points.setdefault(name, []).append((r["posts"], r["engagements_per_post"]))
    content = by_key(month_rows("content_monthly", month))
    # Days when complaints or negative messages spiked (negative_spikes_daily defines a spike).
    spikes = [
        {
            "account": accounts[f"{r['network']}/{r['account_id']}"].handle,
            "date": r["date"],
            "negative_messages": r["negative_messages"],
            "inbound_messages": r["inbound_messages"],
            "baseline_mean": r["baseline_mean"],
        }
        for r in marts.rows(
            "negative_spikes_daily", "month = ? AND spike", [month], "ORDER BY date, network, account_id"
        )
    ]

    return {
        "title": report.title,
        "report_name": report.name,
        "month": month,
        "previous_month": prev,
        "sla_hours": sla,
        "within": within,
        "kpis": kpis,
        "channels": channels,
        "trend_charts": trend_charts,
        "service": {
            "requests": len(requests),
            "answered": sum(1 for r in requests if r["responded_at"] is not None),
            "sla_chart": charts.grouped_bars(
                f"Share answered {within}",
                names,
                {
                    within: [c["within_sla_share"] for c in channels],
                    "response rate": [c["response_rate"] for c in channels],
                },
                unit="%",
                target=0.9,
                target_label="90% target",
            ),
            "distribution_chart": charts.histogram(
                "Time to first response", [b[2] for b in RESPONSE_BUCKETS], counts
            ),
            "staff": staff_table,
            "backlog": backlog[:15],
            "backlog_total": len(backlog),
        },
        "audience_chart": charts.grouped_bars(
            "Followers gained and lost",
            names,
            {"gained": [c["gained"] for c in channels], "lost": [c["lost"] for c in channels]},
        ),
        "top_posts": top_posts,
        "leaders": leaders,
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
                "repeated_posts": content.get(key, {}).get("repeated_posts"),
                "promotional_share": content.get(key, {}).get("promotional_share"),
                "promotional_share_change": content.get(key, {}).get("promotional_share_change"),
            }
            for key, account in accounts.items()
        ],
        "spikes": spikes,
        "quality": data_quality(lake, list(accounts.values()), month),
        "generated_for": month_name(month),
        "report_date": month_end.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def data_quality(lake: Lake, accounts: list, month: str) -> list[dict]:
    """Per account: validation runs of the month passed/failed and the freshest published day."""
    rows = []
    for account in accounts:
        results = sorted(
            (lake.root / "validation" / account.network / account.account_id).glob(
                f"{month.replace('-', '')}*/result.json"
            )
        )
        passed = failed = 0
        for path in results:
            if json.loads(path.read_text()).get("success"):
                passed += 1
            else:
                failed += 1
        days = sorted(
            p.name.removeprefix("date=")
            for p in (lake.table_dir("messages") / f"network={account.network}").glob("date=*")
            if (p / f"{account.account_id}.parquet").exists()
        )
        rows.append(
            {
                "account": account.handle,
                "network": account.network,
                "passed": passed,
                "failed": failed,
                "freshest": days[-1] if days else None,
            }
        )
    return rows


def pdf_name(report_name: str, month: str) -> str:
    """The archived PDF's name, which is also the attachment's name in the email."""
    return f"social-pulse-{report_name}-{month}.pdf"


def render_report(config: Config, report_name: str, month: str, force: bool = False) -> dict[str, str]:
    """Render the report for a month to HTML, PDF and the email body, archived under reports/.

    A report already delivered is not re-rendered (unless force): the archive keeps what was sent.
    """
    from weasyprint import HTML

    folder = Lake.from_config(config).report_dir(report_name, month)
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
    }
    if (folder / "delivery.json").exists() and not force:
        # The archive must stay what the recipients received; --force re-renders on purpose.
        log.info(
            "%s for %s was already delivered; keeping the archived files that were sent", report_name, month
        )
        return paths
    started = time.perf_counter()
    context = build_context(config, report_name, month)
    env = environment()
    html = env.get_template("report.html.j2").render(**context)
    email = env.get_template("email.html.j2").render(**context)
    atomic_write_bytes(html_path, html.encode())
    atomic_write_bytes(email_path, email.encode())
    atomic_write_bytes(pdf_path, HTML(string=html, base_url=str(TEMPLATES_DIR)).write_pdf())
    atomic_write_json(
        folder / "rendered.json",
        {"report": report_name, "month": month, "subject": f"{context['title']}: {context['generated_for']}"},
    )
    log.info("rendered %s for %s in %.1f s: %s", report_name, month, time.perf_counter() - started, pdf_path)
    return paths
