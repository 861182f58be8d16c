"""Engagement, the leaky bucket, cadence, repetition and promotional share."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from mart_lake import CARE, at

DAY = dt.timedelta(days=1)


def post(
    post_id: str,
    created_at: dt.datetime,
    text: str = "Behind the scenes of our lab",
    kind: str = "original",
    **extra,
) -> dict:
    return {
        "network": CARE.network,
        "account_id": CARE.account_id,
        "post_id": post_id,
        "created_at": created_at,
        "kind": kind,
        "text": text,
        "links": [],
        "staff_member": None,
        "in_reply_to_id": None,
        **extra,
    }


def totals(post_id: str, date: dt.date, **counts) -> dict:
    return {
        "network": CARE.network,
        "account_id": CARE.account_id,
        "post_id": post_id,
        "date": date,
        **counts,
    }


def test_a_posts_latest_snapshot_wins_and_engagements_add_up_what_the_network_reports(marts):
    marts.publish(
        posts=[post("p1", at("2026-03-02", "09:00"))],
        post_metrics_daily=[
            totals("p1", dt.date(2026, 3, 2), impressions=100, likes=5),
            totals(
                "p1",
                dt.date(2026, 3, 4),
                impressions=400,
                likes=20,
                shares=3,
                replies=2,
                link_clicks=4,
                saves=1,
            ),
        ],
    ).compute()
    row = marts.one("post_performance")
    assert (row["impressions"], row["engagements"], row["observed_on"]) == (400, 30, dt.date(2026, 3, 4))


def test_engagement_rate_counts_only_posts_reporting_both_impressions_and_engagements(marts):
    marts.publish(
        posts=[
            post("p1", at("2026-03-02", "09:00")),
            post("p2", at("2026-03-03", "09:00")),
            post("p3", at("2026-03-04", "09:00")),
        ],
        post_metrics_daily=[
            totals("p1", dt.date(2026, 3, 5), impressions=1000, likes=40, shares=10),
            totals("p2", dt.date(2026, 3, 5), likes=30),  # the network gives no impressions for it
            # p3 not measured yet: no engagements, not zero
        ],
    ).compute()
    month = marts.one("engagement_monthly")
    assert month["posts"] == 3
    assert month["engagement_rate"] == pytest.approx(50 / 1000)
    assert month["engagements_per_post"] == pytest.approx((50 + 30) / 2)
    assert (month["amplification"], month["engagements"]) == (10, 80)


def test_conversation_share_is_the_share_of_our_posts_that_reply(marts):
    marts.publish(
        posts=[
            post("p1", at("2026-03-02", "09:00")),
            post("p2", at("2026-03-02", "10:00"), kind="reply"),
            post("p3", at("2026-03-02", "11:00"), kind="original", in_reply_to_id="someone-else"),
            post("p4", at("2026-03-02", "12:00"), kind="share"),
        ]
    ).compute()
    assert marts.one("engagement_monthly")["conversation_share"] == 0.5


def test_engagement_month_over_month_change_is_null_without_the_previous_calendar_month(marts):
    marts.publish(
        posts=[post("jan", at("2026-01-10")), post("mar", at("2026-03-10")), post("apr", at("2026-04-10"))],
        post_metrics_daily=[
            totals("jan", dt.date(2026, 1, 11), impressions=100, likes=10),
            totals("mar", dt.date(2026, 3, 11), impressions=100, likes=10, link_clicks=5),
            totals("apr", dt.date(2026, 4, 11), impressions=100, likes=5, link_clicks=1),
        ],
    ).compute()
    months = {r["month"]: r for r in marts.rows("engagement_monthly")}
    assert months["2026-03"]["engagement_rate_change"] is None
    assert months["2026-04"]["engagement_rate_change"] == pytest.approx(0.06 - 0.15)
    assert months["2026-04"]["link_clicks_change"] == -4


def test_the_leaky_bucket_churn_rate_is_followers_lost_over_followers_at_the_start_of_the_month(marts):
    days = [dt.date(2026, 3, 1) + i * DAY for i in range(3)]
    rows = [
        {
            "network": "x",
            "account_id": "care",
            "date": day,
            "followers_total": total,
            "followers_gained": gained,
            "followers_lost": lost,
        }
        for day, total, gained, lost in zip(days, [1010, 1015, 1005], [20, 10, 0], [10, 5, 10], strict=True)
    ]
    marts.publish(audience_daily=rows).compute()
    month = marts.one("audience_monthly")
    assert (month["gained"], month["lost"], month["net"]) == (30, 25, 5)
    assert month["followers_start"] == 1000  # 1010 at the end of the first day, after +20 -10
    assert month["churn_rate"] == pytest.approx(25 / 1000)


def test_near_duplicate_posts_with_a_new_link_or_price_count_as_repeats_within_30_days(marts):
    marts.publish(
        posts=[
            post("p1", at("2026-03-01", "09:00"), "Flash sale! 30% off everything https://shop.example/a"),
            post("p2", at("2026-03-05", "09:00"), "FLASH SALE: 40% off everything!! https://shop.example/b"),
            post("p3", at("2026-03-05", "10:00"), "Meet the people who answer your questions"),
            post(
                "p4", at("2026-05-01", "09:00"), "Flash sale! 30% off everything"
            ),  # more than 30 days later
        ]
    ).compute()
    repeats = {r["post_id"]: r["is_repeat"] for r in marts.rows("post_performance")}
    assert repeats == {"p1": False, "p2": True, "p3": False, "p4": False}
    march = marts.one("content_monthly", "month = '2026-03'")
    assert (march["repeated_posts"], march["repetition_share"]) == (1, pytest.approx(1 / 3))
    day = marts.one("cadence_daily", "post_date = DATE '2026-03-05'")
    assert (day["posts"], day["repeated_posts"]) == (2, 1)


def test_promotional_share_counts_posts_that_sell(marts):
    marts.publish(
        posts=[
            post("p1", at("2026-03-01", "09:00"), "Buy one, get one half price"),
            post("p2", at("2026-03-02", "09:00"), "Don't miss out: free shipping on all orders"),
            post("p3", at("2026-03-03", "09:00"), "How we cut packaging waste"),
            post("p4", at("2026-03-04", "09:00"), "Thank you to everyone who joined our live Q&A"),
        ]
    ).compute()
    assert marts.one("content_monthly")["promotional_share"] == 0.5


def test_cadence_compares_engagement_per_post_on_busy_days_with_other_days(marts):
    posts, snapshots = [], []
    for day, count, likes in [("2026-03-02", 6, 10), ("2026-03-03", 2, 40), ("2026-03-04", 1, 50)]:
        for i in range(count):
            post_id = f"{day}-{i}"
            posts.append(post(post_id, at(day, f"{9 + i:02d}:00"), f"post {post_id} about {'abcdefgh'[i]}"))
            snapshots.append(totals(post_id, dt.date.fromisoformat(day), impressions=1000, likes=likes))
    marts.publish(posts=posts, post_metrics_daily=snapshots).compute()
    month = marts.one("content_monthly")
    assert (month["posts"], month["active_days"], month["busy_days"], month["max_posts_per_day"]) == (
        9,
        3,
        1,
        6,
    )
    assert month["posts_per_day"] == pytest.approx(9 / 31)
    assert month["engagements_per_post_busy_days"] == 10
    assert month["engagements_per_post_other_days"] == pytest.approx((2 * 40 + 50) / 3)
    assert month["cadence_correlation"] < -0.9


def test_busy_days_are_the_accounts_local_days_not_utc_days(marts):
    """Six posts on one Auckland day (NZDT, UTC+13) fall on two UTC dates: still one busy day."""
    local_hours = (9, 10, 11, 14, 15, 16)  # 20:00, 21:00, 22:00 UTC on the 9th; 01-03:00 on the 10th
    posts = [
        post(f"p{h}", dt.datetime(2026, 3, 10, h, tzinfo=ZoneInfo("Pacific/Auckland")).astimezone(dt.UTC))
        for h in local_hours
    ]
    account = {
        "network": CARE.network,
        "account_id": CARE.account_id,
        "handle": CARE.handle,
        "purpose": CARE.purpose,
        "time_zone": "Pacific/Auckland",
        "snapshot_date": dt.date(2026, 3, 10),
    }
    marts.publish(posts=posts, accounts=[account]).compute()
    days = marts.rows("cadence_daily")
    assert [(d["post_date"], d["posts"]) for d in days] == [(dt.date(2026, 3, 10), 6)]
    month = marts.one("content_monthly")
    assert (month["busy_days"], month["max_posts_per_day"]) == (1, 6)
