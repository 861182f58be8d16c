"""Time to resolution: each edge case of docs/metrics.md ("Time to resolution").

A request is resolved at our last reply of its turn when no new request follows in its thread
within sla.resolution_quiet_hours (24 by default); the examples here use the default.
"""

import datetime as dt

import pytest
from mart_lake import at, message, reply

from socialpulse.config import SlaPolicy

HOUR = dt.timedelta(hours=1)


def later(day: str = "2026-03-09") -> dict:
    """A message in another thread that moves as_of to `day`, so every quiet period has passed."""
    return message(f"later-{day}", at(day, "12:00"), intent="other", text="Nice pics")


def follow_up(message_id: str, to: dict, created_at: dt.datetime, author: str) -> dict:
    """The customer writes again under our reply with something that needs an answer."""
    return message(
        message_id,
        created_at,
        thread=to["thread_id"],
        parent=to["message_id"],
        author=author,
        intent="complaint",
        text="Still not working, it crashes again",
    )


def test_a_request_answered_once_and_left_quiet_is_resolved_at_that_reply(marts):
    question = message("q1", at("2026-03-02", "10:00"))
    marts.publish(messages=[question, reply("r1", question, at("2026-03-02", "13:00")), later()]).compute()
    request = marts.request("q1")
    assert request["resolution_status"] == "resolved"
    assert request["resolved_at"] == at("2026-03-02", "13:00")
    assert request["resolution_hours"] == pytest.approx(3.0)


def test_several_replies_in_one_turn_resolve_at_the_last_one(marts):
    question = message("q1", at("2026-03-02", "10:00"))
    marts.publish(
        messages=[
            question,
            reply("r1", question, at("2026-03-02", "11:00"), staff="Alice"),
            reply("r2", question, at("2026-03-02", "15:00"), staff="Bilal"),
            reply("r3", question, at("2026-03-03", "09:00"), staff="Bilal"),
            later(),
        ]
    ).compute()
    request = marts.request("q1")
    assert (request["response_hours"], request["resolution_hours"]) == (1.0, 23.0)
    assert request["resolved_at"] == at("2026-03-03", "09:00")
    # The first responder owns the resolution, whoever sent the last reply.
    staff = marts.one("staff_monthly")
    assert (staff["staff_member"], staff["resolved"], staff["median_resolution_hours"]) == ("Alice", 1, 23.0)


@pytest.mark.parametrize(
    "hours_after, status",
    [(23, "reopened"), (24, "reopened"), (25, "resolved")],
    ids=["N-1h", "N", "N+1h"],
)
def test_the_customer_writing_again_within_the_quiet_hours_reopens_the_request(marts, hours_after, status):
    question = message("q1", at("2026-03-02", "10:00"), author="ann")
    answer = reply("r1", question, at("2026-03-02", "12:00"))
    again = follow_up("q2", answer, at("2026-03-02", "12:00") + hours_after * HOUR, author="ann")
    marts.publish(
        messages=[question, answer, again, reply("r2", again, again["created_at"] + 2 * HOUR), later()]
    ).compute()
    first, second = marts.request("q1"), marts.request("q2")
    assert first["resolution_status"] == status
    if status == "resolved":
        assert (first["resolved_at"], first["resolution_hours"]) == (at("2026-03-02", "12:00"), 2.0)
    else:
        assert first["resolved_at"] is None and first["resolution_hours"] is None
    # The follow-up is a request of its own, resolved at our reply to it.
    assert (second["resolution_status"], second["resolution_hours"]) == ("resolved", 2.0)
    monthly = marts.one("service_monthly")
    assert (monthly["resolved"], monthly["reopened"]) == (
        2 if status == "resolved" else 1,
        int(status == "reopened"),
    )


def test_a_follow_up_in_the_same_second_as_our_reply_is_answered_by_it_and_reopens_nothing(marts):
    # In one second the customer's message comes before ours: the follow-up is in the first turn,
    # our reply answers both, and no request follows that reply.
    question = message("q1", at("2026-03-02", "10:00"), author="ann")
    answer = reply("r1", question, at("2026-03-02", "12:00"))
    again = follow_up("q2", question, at("2026-03-02", "12:00"), author="ann")
    marts.publish(messages=[question, answer, again, later()]).compute()
    first, second = marts.request("q1"), marts.request("q2")
    assert (first["resolution_status"], first["resolved_at"]) == ("resolved", at("2026-03-02", "12:00"))
    assert (second["response_message_id"], second["response_hours"]) == ("r1", 0.0)
    assert second["resolution_status"] == "resolved"


def test_the_quiet_hours_come_from_the_sla_configuration(marts):
    question = message("q1", at("2026-03-02", "10:00"), author="ann")
    answer = reply("r1", question, at("2026-03-02", "12:00"))
    again = follow_up("q2", answer, at("2026-03-02", "18:00"), author="ann")
    marts.publish(messages=[question, answer, again, later()])
    marts.compute(sla=SlaPolicy(resolution_quiet_hours=4))
    assert marts.request("q1")["resolution_status"] == "resolved"
    marts.compute(sla=SlaPolicy(resolution_quiet_hours=8))
    assert marts.request("q1")["resolution_status"] == "reopened"


def test_a_thanks_after_our_reply_does_not_reopen_the_request(marts):
    question = message("q1", at("2026-03-02", "10:00"), author="ann")
    answer = reply("r1", question, at("2026-03-02", "12:00"))
    thanks = message(
        "thanks",
        at("2026-03-02", "12:30"),
        thread="q1",
        parent="r1",
        author="ann",
        intent=None,
        text="thanks!",
    )
    marts.publish(messages=[question, answer, thanks, later()]).compute()
    assert marts.request("q1")["resolution_status"] == "resolved"


def test_an_unanswered_request_is_open_and_has_no_resolution(marts):
    marts.publish(messages=[message("q1", at("2026-03-02", "10:00")), later()]).compute()
    request = marts.request("q1")
    assert (request["resolution_status"], request["resolved_at"], request["resolution_hours"]) == (
        "open",
        None,
        None,
    )
    monthly = marts.one("service_monthly")
    assert (monthly["resolved"], monthly["median_resolution_hours"]) == (0, None)


def test_a_reply_too_recent_at_the_report_time_is_not_resolved_yet(marts):
    question = message("q1", at("2026-03-02", "10:00"))
    marts.publish(messages=[question, reply("r1", question, at("2026-03-02", "12:00"))])
    marts.compute(as_of=at("2026-03-03", "11:00"))  # 23 h after our reply
    assert marts.request("q1")["resolution_status"] == "open"
    marts.compute(as_of=at("2026-03-03", "12:00"))  # 24 h after: nobody wrote within them
    assert marts.request("q1")["resolution_status"] == "resolved"


def test_our_replies_after_the_report_time_do_not_resolve(marts):
    question = message("q1", at("2026-03-02", "10:00"))
    marts.publish(
        messages=[
            question,
            reply("r1", question, at("2026-03-02", "11:00")),
            reply("r2", question, at("2026-03-04", "11:00")),
        ]
    )
    marts.compute(as_of=at("2026-03-03", "12:00"))  # r2 is after as_of
    request = marts.request("q1")
    assert (request["resolution_status"], request["resolution_hours"]) == ("resolved", 1.0)


def test_median_and_p90_of_resolution_per_channel_are_over_resolved_requests(marts):
    rows = []
    for i, hours in enumerate([1, 2, 3, 4, 10]):
        q = message(f"q{i}", at("2026-03-02", "08:00"), channel="direct_message")
        rows += [q, reply(f"r{i}", q, q["created_at"] + hours * HOUR)]
    rows.append(message("open", at("2026-03-02", "09:00"), channel="direct_message"))
    marts.publish(messages=[*rows, later()]).compute()
    channel = marts.one("service_channel_monthly", "channel = 'direct_message'")
    assert (channel["resolved"], channel["median_resolution_hours"]) == (5, 3.0)
    assert channel["p90_resolution_hours"] == pytest.approx(7.6)  # 4 + 0.6 x (10 - 4)
