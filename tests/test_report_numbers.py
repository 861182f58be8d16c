"""The report's numbers are the marts' numbers: one handcrafted lake per case, rendered for real.

Each test is one defect of issue #13, stated as the behaviour the report must have.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import pytest
from helpers import write_config

from socialpulse import metrics, model, report
from socialpulse.classify import classify_tables
from socialpulse.config import load_config
from socialpulse.domain import Interval
from socialpulse.exports import covering_interval
from socialpulse.lake import Lake

UTC = dt.UTC
MONTH = "2026-11"


def at(day: str, time: str = "09:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=UTC)


def days(first: str, last: str) -> list[dt.date]:
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


class ReportLake:
    """Two accounts (care: Europe/Paris, deals: UTC) of write_config, rows published by hand."""

    def __init__(self, folder, extra_config: str = ""):
        folder.mkdir(parents=True, exist_ok=True)
        self.config = load_config(write_config(folder, extra=extra_config))
        self.lake = Lake.from_config(self.config)
        self.accounts = {a.account_id: a for a in self.config.accounts}

    def publish(self, account_id: str, **rows: list[dict]) -> ReportLake:
        account = self.accounts[account_id]
        for table_rows in rows.values():
            for row in table_rows:
                row.setdefault("network", account.network)
                row.setdefault("account_id", account.account_id)
        tables = {name: model.table_from_rows(name, table_rows) for name, table_rows in rows.items()}
        tables = classify_tables(tables)  # as the pipeline does when messages enter the lake
        self.lake.publish(account, covering_interval(tables), tables)
        return self

    def held(self, account_id: str, dates: list[dt.date]) -> ReportLake:
        """The account's daily snapshot for each date: the days the lake holds."""
        account = self.accounts[account_id]
        rows = [
            {
                "handle": account.handle,
                "purpose": account.purpose,
                "time_zone": account.time_zone,
                "snapshot_date": d,
            }
            for d in dates
        ]
        return self.publish(account_id, accounts=rows)

    def render(self, month: str = MONTH) -> dict:
        metrics.compute_marts(self.lake, sla=self.config.sla)
        paths = report.render_report(self.config, "board", month, force=True)
        paths["html_text"] = Path(paths["html"]).read_text()
        paths["email_text"] = Path(paths["email"]).read_text()
        return paths


def request(message_id: str, created_at: dt.datetime, author: str | None = None, **extra) -> dict:
    return {
        "message_id": message_id,
        "thread_id": message_id,
        "created_at": created_at,
        "direction": "inbound",
        "channel": "mention",
        "author_id": author or f"customer-{message_id}",
        "intent": "question",
        "text": "Where is my order?",
        **extra,
    }


def answer(to: dict, created_at: dt.datetime, staff: str | None = "Alice") -> dict:
    return {
        "message_id": f"{to['message_id']}-r",
        "thread_id": to["thread_id"],
        "parent_id": to["message_id"],
        "created_at": created_at,
        "direction": "outbound",
        "channel": to["channel"],
        "author_id": "us",
        "staff_member": staff,
        "text": "On it",
    }


def post(post_id: str, created_at: dt.datetime) -> dict:
    return {"post_id": post_id, "created_at": created_at, "kind": "original", "text": f"post {post_id}"}


def section(page: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}".*?</section>', page, re.S)
    assert match, f"no section {section_id}"
    return match.group(0)


def text_of(fragment: str) -> str:
    """The visible text of an HTML fragment, tags dropped and whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


@pytest.fixture
def lake(tmp_path) -> ReportLake:
    built = ReportLake(tmp_path)
    for account_id in ("care", "deals"):
        built.held(account_id, days("2026-10-01", "2026-11-30"))
    return built


def test_backlog_at_month_end_counts_older_requests_still_unanswered(lake):
    october = [request(f"oct{i}", at("2026-10-10")) for i in range(4)]
    november = [request(f"nov{i}", at("2026-11-20")) for i in range(3)]
    messages = [*october, *november]
    messages.append(answer(october[0], at("2026-10-10", "10:00")))  # answered in October
    messages.append(answer(october[1], at("2026-12-02", "10:00")))  # answered after November
    messages.append(answer(november[0], at("2026-11-20", "10:00")))
    lake.publish("care", messages=messages)
    rendered = lake.render()
    # open at the end of November: oct1 (answered in December), oct2, oct3, nov1, nov2
    assert "Still unanswered at month end: 5, oldest first" in rendered["html_text"]
    assert "5 still open at month end" in text_of(rendered["email_text"])
    backlog = text_of(section(rendered["html_text"], "service").split("Still unanswered")[1])
    assert backlog.count("10 Oct 2026") == 3 and backlog.count("20 Nov 2026") == 2


def test_engagement_cards_count_only_posts_reporting_both_figures(lake):
    """care reports impressions; deals, like YouTube, never does; one post is not measured yet."""
    lake.publish(
        "care",
        posts=[post("c1", at("2026-11-03"))],
        post_metrics_daily=[
            {"post_id": "c1", "date": dt.date(2026, 11, 4), "impressions": 1000, "likes": 40, "shares": 5}
        ],
    )
    lake.publish(
        "deals",
        posts=[post("d1", at("2026-11-03")), post("d2", at("2026-11-29"))],
        post_metrics_daily=[{"post_id": "d1", "date": dt.date(2026, 11, 4), "likes": 500}],
    )
    summary = text_of(section(lake.render()["html_text"], "summary"))
    assert "Engagement rate 4.5%" in summary  # 45 / 1,000 (not 545 / 1,000)
    assert "Engagements per post 272.5" in summary  # 545 / 2 posts measured (not / 3 posts)


def test_kpis_without_a_previous_month_say_there_is_nothing_to_compare(lake):
    lake.publish(
        "care",
        posts=[post("c1", at("2026-11-03"))],
        post_metrics_daily=[{"post_id": "c1", "date": dt.date(2026, 11, 4), "impressions": 100, "likes": 4}],
    )
    rendered = lake.render()
    summary = text_of(section(rendered["html_text"], "summary"))
    assert "no data for vs" not in summary
    assert "no October 2026 figure to compare" in summary
    assert "no data for" not in text_of(rendered["email_text"])


def test_staff_table_shows_the_unattributed_median_and_the_shares_are_labelled_apart(lake):
    first, second = request("q1", at("2026-11-02")), request("q2", at("2026-11-03"))
    lake.publish(
        "care",
        messages=[
            first,
            second,
            answer(first, at("2026-11-02", "11:00"), staff=None),  # unsigned: 2 h
            answer(second, at("2026-11-04", "15:00"), staff="Bea"),  # 30 h: missed
            request("q3", at("2026-11-01")),  # never answered, past 24 h: missed
        ],
    )
    service = section(lake.render()["html_text"], "service")
    staff = text_of(service.split("who answered")[1].split("</table>")[0])
    assert "unattributed 1 2.0 h 2.0 h 100.0%" in staff
    assert "Bea 1 30.0 h 30.0 h 0.0%" in staff
    assert "Of these, sent within 24 h" in staff
    # the channel's share is of every request judged: 1 met of 3 (q2 late, q3 unanswered)
    assert "33.3%" in text_of(service.split("who answered")[0])


def test_when_every_leader_asked_for_help_the_report_says_so(lake):
    leader = request("l1", at("2026-11-02"), author="leader", intent="question")
    lake.publish(
        "care",
        messages=[
            leader,
            request(
                "c1", at("2026-11-02", "10:00"), author="ann", intent="other", parent_id="l1", thread_id="l1"
            ),
        ],
    )
    community = text_of(section(lake.render()["html_text"], "community"))
    assert "No community conversations this month" not in community
    assert "No leader can be named this month: all 1 also asked us for help" in community


def test_busy_days_are_counted_in_the_channels_time_zone(tmp_path):
    built = ReportLake(tmp_path)
    care = built.accounts["care"]  # Europe/Paris: 23:30 UTC on 2 Nov is 00:30 on 3 Nov
    built.held("care", days("2026-11-01", "2026-11-30")).held("deals", days("2026-11-01", "2026-11-30"))
    times = [at("2026-11-02", "23:10"), at("2026-11-02", "23:20"), at("2026-11-02", "23:30")]
    times += [at("2026-11-03", "08:00"), at("2026-11-03", "09:00"), at("2026-11-03", "10:00")]
    built.publish("care", posts=[post(f"p{i}", t) for i, t in enumerate(times)])
    content = section(built.render()["html_text"], "content")
    assert care.time_zone == "Europe/Paris"
    row = text_of(next(r for r in content.split("<tr>") if "Acme Care" in r and "service" in r))
    assert row.startswith("Acme Care service 6 1 ")  # six posts, one busy day (3 Nov, Paris)


def test_missing_days_are_listed_per_account_and_the_month_is_marked_incomplete(tmp_path):
    built = ReportLake(tmp_path)
    built.held("care", days("2026-11-01", "2026-11-30"))
    built.held("deals", [*days("2026-11-01", "2026-11-05"), dt.date(2026, 11, 30)])  # 6 of 30 days
    built.publish("deals", posts=[post("d1", at("2026-11-30"))])
    rendered = built.render()
    quality = text_of(section(rendered["html_text"], "quality"))
    assert "@acme_deals simulated" in quality and "6 of 30 6-29 Nov 2026" in quality
    assert "@acme_care simulated" in quality and "30 of 30 none" in quality
    notice = "Incomplete month: some days are missing from the data."
    assert notice in text_of(section(rendered["html_text"], "summary"))
    assert notice in text_of(rendered["email_text"])
    assert "@acme_deals: 6 of 30 days held, missing 6-29 Nov 2026." in text_of(rendered["email_text"])
    import json

    subject = json.loads((built.lake.report_dir("board", MONTH) / "rendered.json").read_text())["subject"]
    assert subject.startswith("[Incomplete month] ")


def test_a_missing_day_holds_back_the_scheduled_send_unless_configured_to_send_marked(tmp_path):
    waiting = ReportLake(tmp_path / "wait")
    waiting.held("care", days("2026-11-01", "2026-11-30")).held("deals", days("2026-11-02", "2026-11-30"))
    ready, why = report.ready_to_send(waiting.config, "board", MONTH)
    assert not ready and "@acme_deals (simulated): 1 of 30 days missing (1 Nov 2026)" in why
    sending = ReportLake(tmp_path / "send", extra_config="    incomplete_month: send\n")
    sending.held("care", days("2026-11-01", "2026-11-30")).held("deals", days("2026-11-02", "2026-11-30"))
    ready, why = report.ready_to_send(sending.config, "board", MONTH)
    assert ready and "marked incomplete" in why


def test_a_quiet_day_that_was_extracted_and_validated_is_not_missing(tmp_path):
    from socialpulse import quality

    built = ReportLake(tmp_path)
    built.held("care", days("2026-11-01", "2026-11-30")).held("deals", days("2026-11-02", "2026-11-30"))
    quiet = Interval(at("2026-11-01", "00:00"), at("2026-11-02", "00:00"))
    outcome = quality.validate(
        built.lake, built.accounts["deals"], quiet, {name: model.empty(name) for name in model.TABLES}
    )
    assert outcome.success
    ready, _ = report.ready_to_send(built.config, "board", MONTH)
    assert ready
