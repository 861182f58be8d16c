"""The summary in words on page one: each rule of report.findings, stated and tested alone."""

from __future__ import annotations

import datetime as dt

from test_report_numbers import ReportLake, answer, at, days, post, request, section, text_of

from socialpulse.report import findings

NAMES = {"x/care": "Pulse Care", "x/deals": "Pulse Deals"}


def row(kind, value, reference, account=None, section="1"):
    relative = value / reference - 1 if reference else None
    return {
        "kind": kind,
        "account": account,
        "value": value,
        "reference": reference,
        "relative": relative,
        "difference": value - reference if reference is not None else None,
        "section": section,
    }


def texts(rows):
    return [f["text"] for f in findings(rows, NAMES, "within 24 h", "October 2026")]


def test_a_channel_below_the_sla_target_is_named_worst_first():
    rows = [row("sla", 0.61, 0.9, "x/deals"), row("sla", 0.95, 0.9, "x/care"), row("sla", 0.8, 0.9, "x/care")]
    assert texts(rows)[:2] == [
        "Pulse Deals answered 61% of requests within 24 h, against a 90% target",
        "Pulse Care answered 80% of requests within 24 h, against a 90% target",
    ]
    assert not any("95%" in t for t in texts(rows))


def test_busy_days_are_a_finding_when_they_cost_a_fifth_of_the_engagement_or_more():
    assert "Pulse Deals: posts on days with more than 4 posts earned 60% less engagement each" in texts(
        [row("busy_days", 40.0, 100.0, "x/deals")]
    )
    assert not any(
        "busy" in t or "more than 4" in t for t in texts([row("busy_days", 85.0, 100.0, "x/deals")])
    )


def test_followers_lost_are_a_finding_when_they_moved_by_a_tenth_or_more():
    assert "Followers lost rose by 20% (500 in October 2026, 600 now)" in texts(
        [row("followers_lost", 600, 500)]
    )
    assert "Followers lost fell by 50% (500 in October 2026, 250 now)" in texts(
        [row("followers_lost", 250, 500)]
    )
    assert not any("Followers" in t for t in texts([row("followers_lost", 520, 500)]))


def test_a_growing_backlog_is_a_finding():
    assert "374 requests were still unanswered at month end, 184 more than a month before" in texts(
        [row("backlog", 374, 190)]
    )


def test_an_engagement_rate_move_of_a_tenth_of_a_point_is_a_finding():
    assert "The engagement rate fell 0.5 points to 4.5%" in texts([row("engagement_rate", 0.045, 0.05)])


def test_three_to_five_findings_most_important_first():
    many = [row("sla", 0.5 + i / 100, 0.9, "x/care") for i in range(6)]
    assert len(texts(many)) == 5
    quiet = [row("engagement_rate", 0.0450, 0.0451), row("backlog", 10, 12), row("followers_lost", 100, 100)]
    assert texts(quiet) == [
        "The engagement rate was 4.5%",
        "10 requests were still unanswered at month end",
    ]  # below every threshold: the two facts stated plainly, never invented ones


def test_the_findings_are_on_page_one_with_their_section(tmp_path):
    lake = ReportLake(tmp_path)
    lake.held("care", days("2026-10-01", "2026-11-30")).held("deals", days("2026-10-01", "2026-11-30"))
    asked = [request(f"q{i}", at("2026-11-01")) for i in range(4)]
    later = request("thanks", at("2026-11-03"), intent="praise")  # the report time: 3 Nov
    lake.publish("care", messages=[*asked, answer(asked[0], at("2026-11-01", "10:00")), later])
    lake.publish(
        "deals",
        posts=[post("d1", at("2026-11-03"))],
        post_metrics_daily=[{"post_id": "d1", "date": dt.date(2026, 11, 4), "impressions": 100, "likes": 5}],
    )
    summary = text_of(section(lake.render()["html_text"], "summary"))
    assert "Acme Care answered 25% of requests within 24 h, against a 90% target. (section 2)" in summary
