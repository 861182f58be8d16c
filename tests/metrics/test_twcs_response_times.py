"""Response-time metrics on real Customer Support on Twitter data, against plain Python.

The expected figures are computed here from the imported messages with the definitions of
docs/metrics.md, written independently of the SQL under test: threads are walked in order, a
customer turn (first inbound message of a thread, or the first after one of our replies, that the
classifier says needs an answer: is_request) is a request, and its response is our next message in
the thread. A closing ("thanks!") leaves the turn as it was.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from mart_lake import TEST_DATA, MartLake

from socialpulse.config import SlaPolicy
from socialpulse.domain import Account
from socialpulse.exports import import_file, read_export

SAMPLE = TEST_DATA / "twcs-sample" / "sample.csv"
SPOTIFY_REQUESTS = TEST_DATA / "twcs-spotify-requests" / "support_requests.csv"
COMPANIES = (
    "AppleSupport",
    "SpotifyCares",
    "Tesco",
    "VirginTrains",
    "British_Airways",
    "ChaseSupport",
    "O2",
    "comcastcares",
    "sprintcare",
    "SouthwestAir",
    "Ask_Spectrum",
    "HPSupport",
    "UPSHelp",
)
SLA_HOURS = 24


def twcs_accounts() -> list[tuple[Account, object]]:
    accounts = [
        (Account(network="x", account_id=c.lower(), handle=f"@{c}", purpose="service"), SAMPLE)
        for c in COMPANIES
    ]
    requests = Account(network="x", account_id="spotify-requests", handle="@SpotifyCares", purpose="service")
    return [*accounts, (requests, SPOTIFY_REQUESTS)]


def quantile(values: list[float], q: float) -> float:
    """The continuous quantile: linear interpolation between the two nearest ranks."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def expected_requests(messages: list[dict]) -> dict[str, dict]:
    """Every request of the messages with its first response, by request message_id."""
    as_of = max(m["created_at"] for m in messages)
    threads = defaultdict(list)
    for m in messages:
        threads[(m["account_id"], m["thread_id"])].append(m)
    requests = {}
    for thread in threads.values():
        thread.sort(key=lambda m: (m["created_at"], m["direction"], m["message_id"]))
        turn_open = True
        for i, m in enumerate(thread):
            if m["direction"] == "outbound":
                turn_open = True
                continue
            if not (turn_open and m["is_request"]):
                continue
            turn_open = False
            response = next((later for later in thread[i + 1 :] if later["direction"] == "outbound"), None)
            hours = (response["created_at"] - m["created_at"]).total_seconds() / 3600 if response else None
            if hours is not None:
                status = "met" if hours <= SLA_HOURS else "missed"
            else:
                status = (
                    "missed" if (as_of - m["created_at"]).total_seconds() / 3600 > SLA_HOURS else "pending"
                )
            requests[m["message_id"]] = {
                "account_id": m["account_id"],
                "month": m["created_at"].strftime("%Y-%m"),
                "response_hours": hours,
                "responder": response["staff_member"] if response else None,
                "sla_status": status,
            }
    return requests


def expected_monthly(requests: dict[str, dict]) -> dict[tuple[str, str], dict]:
    groups = defaultdict(list)
    for r in requests.values():
        groups[(r["account_id"], r["month"])].append(r)
    monthly = {}
    for key, rows in groups.items():
        hours = [r["response_hours"] for r in rows if r["response_hours"] is not None]
        judged = [r for r in rows if r["sla_status"] != "pending"]
        monthly[key] = {
            "requests": len(rows),
            "response_rate": len(hours) / len(rows),
            "median_response_hours": quantile(hours, 0.5) if hours else None,
            "p90_response_hours": quantile(hours, 0.9) if hours else None,
            "within_sla_share": sum(r["sla_status"] == "met" for r in judged) / len(judged)
            if judged
            else None,
        }
    return monthly


@pytest.fixture(scope="module")
def twcs(tmp_path_factory):
    """The lake with every company of the twcs sample and the SpotifyCares requests, marts computed."""
    marts = MartLake(tmp_path_factory.mktemp("twcs") / "lake")
    messages = []
    for account, path in twcs_accounts():
        import_file(marts.lake, "twcs", path, account)
        messages += read_export("twcs", path, account)["messages"].to_pylist()
    marts.compute(sla=SlaPolicy(default_hours=SLA_HOURS))
    return marts, messages


def test_every_request_has_the_same_first_response_as_plain_python_computes(twcs):
    marts, messages = twcs
    expected = expected_requests(messages)
    actual = {r["message_id"]: r for r in marts.rows("service_requests")}
    assert set(actual) == set(expected)
    # consecutive customer tweets before an answer are one request, and closings are none: of
    # about 7,300 customer turns some 5,100 need an answer
    assert 4_500 < len(expected) < 6_000
    for message_id, want in expected.items():
        got = actual[message_id]
        assert got["response_hours"] == pytest.approx(want["response_hours"]), message_id
        assert (got["responder"], got["sla_status"], got["month"]) == (
            want["responder"],
            want["sla_status"],
            want["month"],
        ), message_id


def test_monthly_response_rate_median_p90_and_within_sla_match_plain_python(twcs):
    marts, messages = twcs
    expected = expected_monthly(expected_requests(messages))
    actual = {(r["account_id"], r["month"]): r for r in marts.rows("service_monthly")}
    assert set(actual) == set(expected)
    answered_accounts = 0
    for key, want in expected.items():
        got = actual[key]
        assert got["requests"] == want["requests"], key
        for metric in ("response_rate", "median_response_hours", "p90_response_hours", "within_sla_share"):
            assert got[metric] == pytest.approx(want[metric]), (key, metric)
        answered_accounts += want["median_response_hours"] is not None
    assert answered_accounts >= 10  # most companies of the sample answered someone


def test_a_real_spotifycares_answer_is_timed_to_the_second(twcs):
    marts, _ = twcs
    request = marts.request("119256")
    assert request["response_hours"] == pytest.approx((47 * 60 + 56) / 3600)
    assert request["responder"] == "AY"


def test_the_spotifycares_requests_file_holds_requests_nobody_answered_in_it(twcs):
    marts, _ = twcs
    months = marts.rows("service_monthly", "account_id = 'spotify-requests'")
    assert months and all(m["response_rate"] == 0 and m["median_response_hours"] is None for m in months)
    backlog = marts.rows("service_backlog", "account_id = 'spotify-requests'")
    assert len(backlog) == sum(m["requests"] for m in months)
    assert any(not b["overdue"] for b in backlog)  # the last day's requests are still inside the SLA
