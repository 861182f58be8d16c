"""Influence leaders and the spike flag for complaints and negative messages."""

import datetime as dt
import statistics

import pytest
from mart_lake import at, message, reply


def test_influence_score_counts_replies_from_other_members_but_not_ours_or_their_own(marts):
    leader = message("l1", at("2026-03-02", "10:00"), intent="other", author="leader")
    second = message("l2", at("2026-03-03", "10:00"), intent="other", author="leader")
    marts.publish(
        messages=[
            leader,
            second,
            message("a", at("2026-03-02", "11:00"), thread="l1", parent="l1", intent="other", author="ann"),
            message("b", at("2026-03-02", "12:00"), thread="l1", parent="l1", intent="other", author="bob"),
            message("c", at("2026-03-03", "11:00"), thread="l2", parent="l2", intent="other", author="ann"),
            message(
                "self", at("2026-03-02", "13:00"), thread="l1", parent="l1", intent="other", author="leader"
            ),
            message(
                "deep", at("2026-03-02", "14:00"), thread="l1", parent="a", intent="other", author="cat"
            ),  # answers ann
            reply("ours", leader, at("2026-03-02", "15:00")),
        ]
    ).compute()
    leaders = {r["author_id"]: r for r in marts.rows("influence_leaders_monthly")}
    top = leaders["leader"]
    assert (top["messages"], top["replies_received"], top["distinct_repliers"]) == (3, 3, 2)
    assert top["score"] == 3 + 3 * 3 and top["rank"] == 1
    assert leaders["ann"]["replies_received"] == 1  # cat's reply to a reply counts for ann
    assert "bob" not in leaders  # nobody answered bob


def daily_messages(days: dict[str, tuple[int, int]]) -> list[dict]:
    """Per day (messages, of which negative): unclassified customer messages, as real networks send."""
    rows = []
    for day, (n, negative) in days.items():
        for i in range(n):
            text = "The app keeps crashing, this is awful" if i < negative else "Thanks, that helped!"
            rows.append(
                message(f"{day}-{i}", at(day, f"{8 + i % 12:02d}:{i // 12:02d}"), intent=None, text=text)
            )
    return rows


def days_from(first: dt.date, count: int) -> list[str]:
    return [(first + dt.timedelta(days=i)).isoformat() for i in range(count)]


def test_a_day_whose_negative_share_jumps_well_above_its_baseline_is_flagged(marts):
    normal = {day: (40, 2 + i % 2) for i, day in enumerate(days_from(dt.date(2026, 3, 1), 28))}  # 5-7.5%
    marts.publish(
        messages=daily_messages({**normal, "2026-03-29": (40, 14), "2026-03-30": (40, 3)})
    ).compute()
    flagged = [r["date"] for r in marts.rows("negative_spikes_daily", "spike")]
    assert flagged == [dt.date(2026, 3, 29)]
    day = marts.one("negative_spikes_daily", "date = DATE '2026-03-29'")
    assert day["negative_share"] == 14 / 40 and day["baseline_days"] == 28
    assert day["baseline_share"] == sum(n for _, n in normal.values()) / (40 * 28)
    shares = [n / 40 for _, n in normal.values()]
    assert day["baseline_share_sd"] == pytest.approx(statistics.stdev(shares))  # sample, n - 1
    assert marts.one("service_monthly")["spike_days"] == 1


def test_more_messages_at_the_usual_share_are_not_a_spike_as_in_the_first_weeks_of_the_2017_data(marts):
    # The first weeks of the real 2017 data: volume climbs from a few to hundreds of messages a
    # day while the negative share stays at a normal 4-8%. A rule on counts flagged five days.
    ramp = {}
    for i, day in enumerate(days_from(dt.date(2026, 3, 1), 40)):
        n = min(25 + 12 * i, 300)
        ramp[day] = (n, max(1, round(n * (0.04 + 0.04 * (i % 3) / 2))))
    marts.publish(messages=daily_messages(ramp)).compute()
    days = marts.rows("negative_spikes_daily")
    assert max(d["negative_messages"] for d in days) > 3 * days[7]["baseline_mean"]  # counts do jump
    assert all(0.03 <= d["negative_share"] <= 0.09 for d in days)
    assert marts.rows("negative_spikes_daily", "spike") == []


def test_a_jump_in_share_on_a_day_with_too_few_messages_is_not_a_spike(marts):
    normal = {day: (40, 2) for day in days_from(dt.date(2026, 3, 1), 28)}
    marts.publish(messages=daily_messages({**normal, "2026-03-29": (8, 6)})).compute()
    assert marts.rows("negative_spikes_daily", "spike") == []


def test_negative_messages_are_the_classifiers_and_quiet_days_count_as_zero_volume(marts):
    rows = [message("first", at("2026-03-01", "09:00"), intent=None, text="hello")]
    rows += [
        message(
            f"n{i}",
            at("2026-03-20", "09:00") + dt.timedelta(minutes=i),
            intent=None,
            text="The app keeps crashing, awful",
        )
        for i in range(6)
    ]
    marts.publish(messages=rows).compute()
    day = marts.one("negative_spikes_daily", "date = DATE '2026-03-20'")
    assert (day["negative_messages"], day["inbound_messages"], day["baseline_mean"]) == (6, 6, 0.0)
    assert day["baseline_days"] == 1 and not day["spike"]  # one day of history is no baseline


def test_a_message_stored_by_two_of_our_accounts_gets_each_accounts_replies_once(marts):
    from mart_lake import CARE

    from socialpulse.domain import Account

    deals = Account(network=CARE.network, account_id="deals", handle="@deals", purpose="promotions")
    # The same tweet mentions both accounts: each stores it. One reply is held by care only.
    tweet = {"intent": "other", "author": "leader"}
    marts.publish(
        CARE,
        messages=[
            message("t1", at("2026-03-02", "10:00"), **tweet),
            message("r1", at("2026-03-02", "11:00"), thread="t1", parent="t1", intent="other", author="ann"),
        ],
    )
    marts.publish(deals, messages=[message("t1", at("2026-03-02", "10:00"), account=deals, **tweet)])
    marts.compute()
    rows = marts.rows("influence_leaders_monthly", order="ORDER BY account_id")
    assert [(r["account_id"], r["author_id"], r["replies_received"], r["score"]) for r in rows] == [
        ("care", "leader", 1, 4)
    ]


def test_the_first_weeks_of_the_real_2017_data_are_not_spikes(tmp_path):
    """SpotifyCares, October 2017: from one message a day to about 180 at a steady negative share."""
    from mart_lake import TEST_DATA, MartLake

    from socialpulse.domain import Account
    from socialpulse.exports import import_file

    marts = MartLake(tmp_path / "lake")
    account = Account(network="x", account_id="spotify-requests", handle="@SpotifyCares", purpose="service")
    import_file(marts.lake, "twcs", TEST_DATA / "twcs-spotify-requests" / "support_requests.csv", account)
    marts.compute()
    october = marts.rows("negative_spikes_daily", "date BETWEEN DATE '2017-10-01' AND DATE '2017-10-31'")
    assert max(d["inbound_messages"] for d in october) > 100 * max(1, october[0]["inbound_messages"]) / 2
    assert max(d["negative_messages"] for d in october[:10]) > 10 * october[3]["baseline_mean"]  # counts jump
    assert all(0.2 < d["negative_share"] < 0.5 for d in october if d["inbound_messages"] >= 100)
    assert [d["date"] for d in october if d["spike"]] == []
