"""Influence leaders and the spike flag for complaints and negative messages."""

import datetime as dt

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


def daily_complaints(counts: dict[str, int]) -> list[dict]:
    rows = []
    for day, n in counts.items():
        for i in range(n):
            rows.append(message(f"{day}-{i}", at(day, f"{8 + i % 12:02d}:{i // 12:02d}"), intent="complaint"))
    return rows


def test_a_day_of_many_complaints_after_a_quiet_month_is_flagged_as_a_spike(marts):
    quiet = {(dt.date(2026, 3, 1) + dt.timedelta(days=i)).isoformat(): 1 + i % 2 for i in range(28)}
    marts.publish(messages=daily_complaints({**quiet, "2026-03-29": 12, "2026-03-30": 2})).compute()
    flagged = [r["date"] for r in marts.rows("negative_spikes_daily", "spike")]
    assert flagged == [dt.date(2026, 3, 29)]
    assert marts.one("service_monthly")["spike_days"] == 1


def test_steady_complaint_traffic_and_the_first_days_of_history_are_not_spikes(marts):
    steady = {(dt.date(2026, 3, 1) + dt.timedelta(days=i)).isoformat(): 6 + (i % 3) * 2 for i in range(30)}
    marts.publish(messages=daily_complaints(steady)).compute()
    assert marts.rows("negative_spikes_daily", "spike") == []


def test_unclassified_negative_wording_counts_toward_spikes_and_quiet_days_count_as_zero(marts):
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
    assert (day["negative_messages"], day["baseline_mean"], day["spike"]) == (6, 0.0, True)


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
