"""The SLA: per network, in business hours in the account's time zone, and the monthly figures."""

import datetime as dt

import pytest
from mart_lake import CARE, at, message, reply

from socialpulse.config import SlaPolicy
from socialpulse.domain import Account

NEW_YORK = Account(
    network="facebook", account_id="nyc", handle="nyc", purpose="service", time_zone="America/New_York"
)
BUSINESS = SlaPolicy(
    default_hours=4,
    business_start="09:00",
    business_end="17:00",
    business_days=("mon", "tue", "wed", "thu", "fri"),
)


def account_row(account: Account, day: dt.date) -> dict:
    return {
        "network": account.network,
        "account_id": account.account_id,
        "handle": account.handle,
        "display_name": None,
        "purpose": account.purpose,
        "time_zone": account.time_zone,
        "snapshot_date": day,
    }


def test_sla_hours_per_network_override_the_default(marts):
    facebook = Account(network="facebook", account_id="page", handle="page", purpose="service")
    on_x = message("x1", at("2026-03-02", "10:00"))
    on_facebook = message("f1", at("2026-03-02", "10:00"), account=facebook)
    marts.publish(CARE, messages=[on_x, reply("xr", on_x, at("2026-03-02", "15:00"))])
    marts.publish(
        facebook,
        messages=[on_facebook, reply("fr", on_facebook, at("2026-03-02", "15:00"), account=facebook)],
    )
    marts.compute(sla=SlaPolicy(default_hours=24, per_network={"x": 4}))
    assert (marts.request("x1")["sla_hours"], marts.request("x1")["sla_status"]) == (4, "missed")
    assert (marts.request("f1")["sla_hours"], marts.request("f1")["sla_status"]) == (24, "met")


def test_the_default_sla_applies_where_no_network_has_its_own(marts):
    question = message("q1", at("2026-03-02", "10:00"))
    marts.publish(messages=[question, reply("r1", question, at("2026-03-02", "13:00"))]).compute(
        sla=SlaPolicy(default_hours=2)
    )
    assert marts.request("q1")["sla_status"] == "missed"


def test_business_hours_stop_the_sla_clock_overnight_and_at_the_weekend_in_the_accounts_time_zone(marts):
    # Friday 16:00 in New York (21:00 UTC), answered Monday 10:00 after the switch to summer time
    # (14:00 UTC): 65 calendar hours, but one business hour on Friday and one on Monday.
    friday = message("fri", dt.datetime(2026, 3, 6, 21, 0, tzinfo=dt.UTC), account=NEW_YORK)
    # Saturday, answered Monday 09:30 local: half a business hour.
    saturday = message("sat", at("2026-03-07", "15:00"), account=NEW_YORK)
    marts.publish(
        NEW_YORK,
        accounts=[account_row(NEW_YORK, dt.date(2026, 3, 6))],
        messages=[
            friday,
            reply("r1", friday, at("2026-03-09", "14:00"), account=NEW_YORK),
            saturday,
            reply("r2", saturday, at("2026-03-09", "13:30"), account=NEW_YORK),
        ],
    )
    marts.compute(sla=BUSINESS)
    fri = marts.request("fri")
    assert fri["response_hours"] == 65.0  # what the customer waited, in calendar hours
    assert fri["sla_clock_hours"] == pytest.approx(2.0)
    assert fri["sla_status"] == "met"
    assert marts.request("sat")["sla_clock_hours"] == pytest.approx(0.5)
    marts.compute(sla=SlaPolicy(default_hours=4))
    assert marts.request("fri")["sla_status"] == "missed"


def test_business_hours_default_to_utc_for_an_account_without_a_time_zone_on_record(marts):
    # Monday 16:30 UTC, answered Tuesday 09:30 UTC: half an hour on Monday, half on Tuesday.
    question = message("q1", at("2026-03-02", "16:30"))
    marts.publish(messages=[question, reply("r1", question, at("2026-03-03", "09:30"))]).compute(sla=BUSINESS)
    assert marts.request("q1")["sla_clock_hours"] == pytest.approx(1.0)


def test_an_open_request_outside_business_hours_stays_pending_until_enough_business_time_passes(marts):
    question = message("q1", at("2026-03-06", "16:00"))  # Friday, one business hour left
    marts.publish(messages=[question]).compute(sla=BUSINESS, as_of=at("2026-03-09", "11:59"))
    assert marts.request("q1")["sla_status"] == "pending"  # 1 h Friday + 2 h 59 min Monday
    marts.compute(sla=BUSINESS, as_of=at("2026-03-09", "12:01"))
    assert marts.request("q1")["sla_status"] == "missed"


def test_monthly_response_rate_median_p90_and_within_sla_share(marts):
    rows = []
    for i, hours in enumerate([1, 2, 3, 4, 30]):
        question = message(f"q{i}", at("2026-03-02", "00:00"))
        rows += [
            question,
            reply(
                f"r{i}",
                question,
                question["created_at"] + dt.timedelta(hours=hours),
                staff="Alice" if i < 3 else "Bilal",
            ),
        ]
    rows.append(message("open", at("2026-03-02", "00:00")))
    rows.append(message("late-in-month", at("2026-03-31", "23:00")))  # pending at as_of
    rows.append(message("new", at("2026-04-01", "12:00"), intent="other"))  # sets as_of
    marts.publish(messages=rows).compute()
    march = marts.one("service_monthly", "month = '2026-03'")
    assert (march["requests"], march["answered"], march["open_requests"]) == (7, 5, 2)
    assert march["response_rate"] == pytest.approx(5 / 7)
    assert march["median_response_hours"] == 3.0
    assert march["p90_response_hours"] == pytest.approx(4 + 0.6 * 26)  # linear between 4 h and 30 h
    assert (march["within_sla"], march["missed_sla"], march["pending_sla"]) == (4, 2, 1)
    assert march["within_sla_share"] == pytest.approx(4 / 6)
    staff = {r["staff_member"]: r for r in marts.rows("staff_monthly")}
    assert (staff["Alice"]["first_responses"], staff["Alice"]["median_response_hours"]) == (3, 2.0)
    assert (staff["Bilal"]["first_responses"], staff["Bilal"]["within_sla_share"]) == (2, 0.5)


def test_service_month_over_month_change_compares_with_the_previous_calendar_month(marts):
    rows = []
    for day, hours in [("2026-01-05", 2), ("2026-03-05", 6), ("2026-04-05", 10)]:
        question = message(f"q{day}", at(day, "08:00"))
        rows += [question, reply(f"r{day}", question, question["created_at"] + dt.timedelta(hours=hours))]
    marts.publish(messages=rows).compute()
    by_month = {r["month"]: r for r in marts.rows("service_monthly")}
    assert by_month["2026-03"]["median_response_hours_change"] is None  # no February to compare with
    assert by_month["2026-04"]["median_response_hours_change"] == 4.0
    assert by_month["2026-04"]["requests_change"] == 0
