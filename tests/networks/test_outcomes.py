"""One classification of answers for the whole HTTP layer: what a status says, and what a network's body says first."""

from __future__ import annotations

import pytest

from socialpulse import http
from socialpulse.http import Outcome
from socialpulse.networks.graph import graph_outcome
from socialpulse.networks.youtube import google_outcome


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.OK),
        (204, Outcome.OK),
        (429, Outcome.RATE_LIMITED),
        (500, Outcome.RETRY),
        (503, Outcome.RETRY),
        (401, Outcome.AUTH),
        (403, Outcome.PERMISSION),
        (400, Outcome.REJECTED),
        (404, Outcome.REJECTED),
        (501, Outcome.REJECTED),  # not implemented: asking again gets the same answer
    ],
)
def test_a_status_alone_says_what_to_do(status, outcome):
    assert http.outcome_of_status(status) is outcome


def test_graph_error_codes_say_more_than_the_http_400_they_come_with():
    assert graph_outcome(400, {"error": {"code": 190}}) is Outcome.AUTH  # token expired
    assert graph_outcome(400, {"error": {"code": 200}}) is Outcome.AUTH  # permission missing
    assert graph_outcome(400, {"error": {"code": 17}}) is Outcome.RATE_LIMITED  # user-level throttling
    assert graph_outcome(400, {"error": {"code": 100}}) is None  # a bad parameter: the status decides


def test_google_tells_a_rate_limit_from_a_spent_daily_quota_behind_the_same_403():
    def reasons(*names):
        return {"error": {"errors": [{"reason": name} for name in names]}}

    assert google_outcome(403, reasons("userRateLimitExceeded")) is Outcome.RATE_LIMITED
    assert google_outcome(403, reasons("quotaExceeded")) is Outcome.REJECTED  # resets at midnight Pacific
    assert google_outcome(403, reasons("insufficientPermissions")) is None  # the status decides: PERMISSION
