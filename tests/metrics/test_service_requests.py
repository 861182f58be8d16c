"""What counts as a service request and as our response: each edge case of docs/metrics.md."""

import datetime as dt

import pytest
from mart_lake import CARE, at, message, reply

from socialpulse.domain import Account

HOUR = dt.timedelta(hours=1)


def test_a_question_answered_by_us_is_met_with_its_first_response_time(marts):
    question = message("q1", at("2026-03-02", "10:00"))
    marts.publish(
        messages=[question, reply("r1", question, at("2026-03-02", "12:30"), staff="Alice")]
    ).compute()
    request = marts.request("q1")
    assert request["responded_at"] == at("2026-03-02", "12:30")
    assert request["response_hours"] == pytest.approx(2.5)
    assert (request["responder"], request["response_message_id"], request["sla_status"]) == (
        "Alice",
        "r1",
        "met",
    )


def test_praise_and_other_messages_are_not_service_requests(marts):
    marts.publish(
        messages=[
            message("praise", at("2026-03-02", "10:00"), intent="praise"),
            message("other", at("2026-03-02", "11:00"), intent="other"),
            message("complaint", at("2026-03-02", "12:00"), intent="complaint"),
        ]
    ).compute()
    assert [r["message_id"] for r in marts.rows("service_requests")] == ["complaint"]


def test_a_request_answered_only_by_another_customer_stays_unanswered(marts):
    question = message("q1", at("2026-03-02", "10:00"), channel="comment", author="asker")
    helper = message(
        "help",
        at("2026-03-02", "10:05"),
        thread="q1",
        parent="q1",
        author="helper",
        intent="other",
        channel="comment",
        text="Clearing the cache fixed it for me",
    )
    later = message("later", at("2026-03-05", "10:00"), intent="other")  # moves as_of three days on
    marts.publish(messages=[question, helper, later]).compute()
    request = marts.request("q1")
    assert request["responded_at"] is None and request["responder"] is None
    assert request["community_replies"] == 1
    assert request["sla_status"] == "missed"


def test_only_our_earliest_reply_is_the_response_when_we_reply_several_times(marts):
    question = message("q1", at("2026-03-02", "10:00"))
    marts.publish(
        messages=[
            question,
            reply("r2", question, at("2026-03-02", "15:00"), staff="Bilal"),
            reply("r1", question, at("2026-03-02", "11:00"), staff="Alice"),
            reply("r3", question, at("2026-03-03", "09:00"), staff="Alice"),
        ]
    ).compute()
    request = marts.request("q1")
    assert (request["response_message_id"], request["responder"], request["response_hours"]) == (
        "r1",
        "Alice",
        1.0,
    )
    staff = {r["staff_member"]: r for r in marts.rows("staff_monthly")}
    assert set(staff) == {"Alice"}  # Bilal sent a reply but no first response
    assert (staff["Alice"]["first_responses"], staff["Alice"]["replies"]) == (1, 2)


def test_our_reply_sent_before_a_request_is_not_its_response(marts):
    opener = message("q1", at("2026-03-02", "10:00"))
    answer = reply("r1", opener, at("2026-03-02", "11:00"))
    follow_up = message("q2", at("2026-03-02", "12:00"), thread="q1", parent="r1")
    marts.publish(messages=[opener, answer, follow_up]).compute()
    assert marts.request("q2")["responded_at"] is None


def test_an_unclassified_follow_up_after_our_reply_opens_a_new_request_answered_by_our_next_reply(marts):
    # Real networks do not classify messages: customer turns are the requests.
    opener = message("t1", at("2026-03-02", "10:00"), intent=None, author="ann")
    first = reply("r1", opener, at("2026-03-02", "11:00"), staff="Alice")
    follow_up = message("t2", at("2026-03-02", "12:00"), thread="t1", parent="r1", intent=None, author="ann")
    second = reply("r2", follow_up, at("2026-03-02", "16:00"), staff="Chen")  # a reply to a reply
    marts.publish(messages=[opener, first, follow_up, second]).compute()
    assert marts.request("t1")["response_message_id"] == "r1"
    later = marts.request("t2")
    assert (later["response_message_id"], later["responder"], later["response_hours"]) == ("r2", "Chen", 4.0)


def test_unclassified_messages_sent_before_our_reply_are_one_request_timed_from_the_first(marts):
    opener = message("t1", at("2026-03-02", "10:00"), intent=None, author="ann")
    again = message("t2", at("2026-03-02", "10:30"), thread="t1", parent="t1", intent=None, author="ann")
    answer = reply("r1", again, at("2026-03-02", "12:00"))
    marts.publish(messages=[opener, again, answer]).compute()
    assert [r["message_id"] for r in marts.rows("service_requests")] == ["t1"]
    assert marts.request("t1")["response_hours"] == 2.0


def test_an_unclassified_message_is_a_request_when_the_classifier_says_it_needs_an_answer(marts):
    def unclassified(message_id, channel, text):
        return message(message_id, at("2026-03-02", "10:00"), intent=None, channel=channel, text=text)

    marts.publish(
        messages=[
            unclassified("nice", "comment", "Love this photo"),
            unclassified("ask", "comment", "Does it ship to Spain?"),
            unclassified("moan", "comment", "The app keeps crashing"),
            unclassified("ok", "direct_message", "Ok, will do"),
            unclassified("charged", "direct_message", "I was charged twice for my order"),
        ]
    ).compute()
    requests = {r["message_id"]: r for r in marts.rows("service_requests")}
    assert set(requests) == {"ask", "moan", "charged"}
    assert (
        requests["moan"]["negative"] and requests["charged"]["negative"] and not requests["ask"]["negative"]
    )


def test_a_closing_after_our_reply_opens_no_request_and_a_follow_up_adding_a_problem_does(marts):
    opener = message("t1", at("2026-03-02", "10:00"), intent=None, author="ann", text="My app keeps crashing")
    first = reply("r1", opener, at("2026-03-02", "11:00"), text="Sorry! Could you try reinstalling it?")
    thanks = message(
        "t2",
        at("2026-03-02", "12:00"),
        thread="t1",
        parent="r1",
        intent=None,
        author="ann",
        text="Thanks, will do!",
    )
    second = reply("r2", thanks, at("2026-03-02", "12:30"), text="Let us know how it goes")
    again = message(
        "t3",
        at("2026-03-03", "09:00"),
        thread="t1",
        parent="r2",
        intent=None,
        author="ann",
        text="Reinstalled it and it still crashes on startup",
    )
    marts.publish(messages=[opener, first, thanks, second, again]).compute()
    assert [r["message_id"] for r in marts.rows("service_requests", order="ORDER BY created_at")] == [
        "t1",
        "t3",
    ]
    assert marts.request("t3")["responded_at"] is None


def test_a_reply_whose_parent_was_deleted_is_still_linked_to_its_request_by_the_thread(marts):
    # The customer's first tweet was deleted: our answer and their follow-up point at a missing parent.
    answer = message("r1", at("2026-03-02", "11:00"), "outbound", thread="gone", parent="gone", staff="Dana")
    follow_up = message(
        "t2", at("2026-03-02", "12:00"), thread="gone", parent="r1", intent=None, author="ann"
    )
    second = message("r2", at("2026-03-02", "13:00"), "outbound", thread="gone", parent="t2", staff="Dana")
    marts.publish(messages=[answer, follow_up, second]).compute()
    assert [r["message_id"] for r in marts.rows("service_requests")] == ["t2"]
    assert marts.request("t2")["response_message_id"] == "r2"


def test_a_request_answered_in_the_next_month_belongs_to_the_month_it_was_sent(marts):
    question = message("q1", at("2026-03-31", "22:00"))
    marts.publish(messages=[question, reply("r1", question, at("2026-04-01", "03:00"))]).compute()
    request = marts.request("q1")
    assert (request["month"], request["response_month"], request["response_hours"]) == (
        "2026-03",
        "2026-04",
        5.0,
    )
    march = marts.one("service_monthly", "month = '2026-03'")
    assert (march["requests"], march["answered"], march["response_rate"]) == (1, 1, 1.0)
    assert march["answered_in_a_later_month"] == 1
    assert march["backlog_at_month_end"] == 1  # still waiting when March closed
    assert marts.rows("service_monthly", "month = '2026-04'") == []


def test_a_request_still_open_at_report_time_is_pending_inside_the_sla_and_missed_after_it(marts):
    question = message("q1", at("2026-03-02", "10:00"))
    marts.publish(messages=[question]).compute(as_of=at("2026-03-03", "09:00"))
    assert marts.request("q1")["sla_status"] == "pending"
    assert marts.one("service_monthly")["within_sla_share"] is None  # nothing judged yet
    backlog = marts.one("service_backlog")
    assert (backlog["age_hours"], backlog["overdue"]) == (23.0, False)
    marts.compute(as_of=at("2026-03-03", "10:00:01"))
    assert marts.request("q1")["sla_status"] == "missed"
    assert marts.one("service_backlog")["overdue"]


def test_a_reply_after_report_time_is_not_counted_yet(marts):
    question = message("q1", at("2026-03-02", "10:00"))
    marts.publish(messages=[question, reply("r1", question, at("2026-03-02", "20:00"))])
    marts.compute(as_of=at("2026-03-02", "12:00"))
    assert (marts.request("q1")["responded_at"], marts.request("q1")["sla_status"]) == (None, "pending")


def test_an_answer_exactly_at_the_sla_limit_meets_it_and_a_second_later_misses_it(marts):
    on_time = message("q1", at("2026-03-02", "10:00"))
    late = message("q2", at("2026-03-02", "10:00"))
    marts.publish(
        messages=[
            on_time,
            reply("r1", on_time, at("2026-03-03", "10:00")),
            late,
            reply("r2", late, at("2026-03-03", "10:00") + dt.timedelta(seconds=1)),
        ]
    ).compute()
    assert (marts.request("q1")["sla_status"], marts.request("q2")["sla_status"]) == ("met", "missed")


def test_the_unanswered_backlog_lists_open_requests_aged_to_the_report_time(marts):
    old = message("old", at("2026-03-01", "08:00"))
    new = message("new", at("2026-03-04", "08:00"))
    done = message("done", at("2026-03-02", "08:00"))
    marts.publish(messages=[new, old, done, reply("r1", done, at("2026-03-02", "09:00"))]).compute()
    backlog = marts.rows("service_backlog", order="ORDER BY created_at")
    assert [(r["message_id"], r["age_hours"], r["overdue"]) for r in backlog] == [
        ("old", 72.0, True),
        ("new", 0.0, False),
    ]


def test_requests_are_split_per_channel(marts):
    marts.publish(
        messages=[
            message("dm", at("2026-03-02", "10:00"), channel="direct_message"),
            message("m1", at("2026-03-02", "10:00"), channel="mention"),
            message("m2", at("2026-03-02", "11:00"), channel="mention"),
        ]
    ).compute()
    channels = {r["channel"]: r["requests"] for r in marts.rows("service_channel_monthly")}
    assert channels == {"direct_message": 1, "mention": 2}


def test_requests_of_two_accounts_are_never_answered_by_each_others_replies(marts):
    other = Account(network="x", account_id="shop", handle="@shop", purpose="promotions")
    question = message("q1", at("2026-03-02", "10:00"), thread="shared")
    marts.publish(CARE, messages=[question])
    marts.publish(
        other, messages=[message("r1", at("2026-03-02", "11:00"), "outbound", thread="shared", account=other)]
    )
    marts.compute()
    assert marts.request("q1")["responded_at"] is None


def test_a_message_to_two_of_our_accounts_is_a_request_of_each_with_its_own_community_replies(marts):
    # A customer mentions both accounts: each account's extraction stores the message (and the
    # other customer's reply to it), so the same ids are in two accounts' partitions.
    shop = Account(network="x", account_id="shop", handle="@shop", purpose="service")
    for account in (CARE, shop):
        question = message(
            "q1", at("2026-03-02", "10:00"), channel="comment", author="asker", account=account
        )
        helper = message(
            "help",
            at("2026-03-02", "10:05"),
            thread="q1",
            parent="q1",
            author="helper",
            intent="other",
            channel="comment",
            account=account,
        )
        marts.publish(account, messages=[question, helper])
    marts.compute()
    requests = marts.rows("service_requests", "message_id = 'q1'", "ORDER BY account_id")
    assert [(r["account_id"], r["community_replies"]) for r in requests] == [("care", 1), ("shop", 1)]
