"""The best time to post (posting_times_monthly): engagement per post by local weekday and hour."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from mart_lake import CARE
from test_content_and_audience import post, totals

AUCKLAND = ZoneInfo("Pacific/Auckland")


def account_in(time_zone: str) -> dict:
    return {
        "network": CARE.network,
        "account_id": CARE.account_id,
        "handle": CARE.handle,
        "purpose": CARE.purpose,
        "time_zone": time_zone,
        "snapshot_date": dt.date(2026, 3, 1),
    }


def auckland(day: int, hour: int, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=AUCKLAND).astimezone(dt.UTC)


def test_posts_fall_in_the_accounts_local_weekday_and_hour(marts):
    # Tuesday 10 March 09:00 in Auckland is Monday 9 March 20:00 UTC.
    posts = [post("p1", auckland(10, 9)), post("p2", auckland(17, 9, 3))]
    snapshots = [totals("p1", dt.date(2026, 3, 11), likes=10), totals("p2", dt.date(2026, 3, 18), likes=20)]
    marts.publish(
        posts=posts, post_metrics_daily=snapshots, accounts=[account_in("Pacific/Auckland")]
    ).compute()
    cell = marts.one("posting_times_monthly", "month = '2026-03'")
    assert (cell["month"], cell["weekday"], cell["hour"]) == ("2026-03", 2, 9)
    assert (cell["posts"], cell["posts_with_engagements"], cell["engagements_per_post"]) == (2, 2, 15.0)


def test_a_network_that_reports_no_engagements_leaves_the_cell_null_not_zero(marts):
    posts = [post("p1", auckland(10, 9)), post("p2", auckland(10, 9).replace(minute=30))]
    snapshots = [
        totals("p1", dt.date(2026, 3, 11), impressions=500, video_views=40),
        totals("p2", dt.date(2026, 3, 11), impressions=300),
    ]
    marts.publish(
        posts=posts, post_metrics_daily=snapshots, accounts=[account_in("Pacific/Auckland")]
    ).compute()
    cell = marts.one("posting_times_monthly", "month = '2026-03'")
    assert (cell["posts"], cell["posts_with_engagements"]) == (2, 0)
    assert cell["engagements_per_post"] is None and cell["engagement_rate"] is None


def test_engagement_per_post_is_over_the_posts_reporting_and_the_rate_over_those_reporting_both(marts):
    when = auckland(10, 9)
    posts = [post(f"p{i}", when + dt.timedelta(minutes=i)) for i in range(3)]
    snapshots = [
        totals("p0", dt.date(2026, 3, 11), impressions=100, likes=10),
        totals("p1", dt.date(2026, 3, 11), likes=30),  # no impressions
        # p2 not measured yet
    ]
    marts.publish(
        posts=posts, post_metrics_daily=snapshots, accounts=[account_in("Pacific/Auckland")]
    ).compute()
    cell = marts.one("posting_times_monthly", "month = '2026-03'")
    assert (cell["posts"], cell["posts_with_engagements"], cell["posts_reporting_both"]) == (3, 2, 1)
    assert cell["engagements_per_post"] == 20.0
    assert cell["engagement_rate"] == pytest.approx(0.1)


def test_the_window_is_the_month_and_the_two_before_it(marts):
    # One post on a Monday at 10:00 UTC in each month from January to April.
    mondays = [dt.datetime(2026, m, d, 10, tzinfo=dt.UTC) for m, d in ((1, 5), (2, 2), (3, 2), (4, 6))]
    posts = [post(f"p{i}", t) for i, t in enumerate(mondays)]
    snapshots = [totals(f"p{i}", t.date(), likes=10 * (i + 1)) for i, t in enumerate(mondays)]
    marts.publish(posts=posts, post_metrics_daily=snapshots, accounts=[account_in("UTC")]).compute()
    cells = {r["month"]: r for r in marts.rows("posting_times_monthly")}
    # April's posts are in the windows of May and June too, months without posts of their own
    assert sorted(cells) == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    assert (cells["2026-06"]["window_start"], cells["2026-06"]["posts"]) == ("2026-04", 1)
    assert (cells["2026-03"]["window_start"], cells["2026-03"]["posts"]) == ("2026-01", 3)
    assert cells["2026-03"]["engagements_per_post"] == 20.0  # January, February, March
    assert (cells["2026-04"]["posts"], cells["2026-04"]["engagements_per_post"]) == (3, 30.0)
