"""What the connectors do when an API misbehaves: the shared HTTP layer under real faults on loopback.

Each fault is injected into a real fake server; sleeps are recorded, not slept.
"""

from __future__ import annotations

import logging
import time

import pytest
from fakes.cases import CASES
from fakes.harness import TOKEN
from fakes.server import Reply
from fakes.x_api import ACCOUNT_ID, too_many_requests

from socialpulse.networks.base import ConnectorError

X_AND_GRAPH = ["x", "facebook"]


@pytest.fixture
def run(request):
    """Start the fake of a network case; yields (case, fake)."""
    case = CASES[request.param]
    fake = case.make_fake().start()
    yield case, fake
    fake.stop()


def rows(tables: dict) -> dict:
    return {name: table.to_pylist() for name, table in tables.items()}


@pytest.mark.parametrize("run", ["x"], indirect=True)
def test_a_429_waits_as_long_as_retry_after_says_then_succeeds(run, sleeps):
    case, fake = run
    baseline = rows(case.extract(fake, []))
    fake.fail(case.paged, too_many_requests(retry_after="3"))
    assert rows(case.extract(fake, sleeps)) == baseline
    assert sleeps == [3.0]


@pytest.mark.parametrize("run", ["x"], indirect=True)
def test_a_429_without_retry_after_waits_until_x_rate_limit_reset(run, sleeps):
    case, fake = run
    fake.fail(case.paged, too_many_requests(reset=int(time.time()) + 4))
    case.extract(fake, sleeps)
    assert len(sleeps) == 1 and 2.5 < sleeps[0] <= 4


@pytest.mark.parametrize("run", ["x"], indirect=True)
def test_a_rate_limit_longer_than_allowed_fails_with_a_clear_error(run, sleeps):
    case, fake = run
    fake.fail(case.paged, too_many_requests(retry_after="3600"))
    with pytest.raises(ConnectorError, match=r"rate limited for another 3600 s .*rerun the task"):
        case.extract(fake, sleeps)
    assert sleeps == []


@pytest.mark.parametrize("run", ["facebook"], indirect=True)
def test_graph_throttling_error_waits_for_the_time_meta_says_access_returns(run, sleeps):
    case, fake = run
    usage = '{"1122334455":[{"type":"pages","call_count":100,"total_cputime":20,"total_time":30,"estimated_time_to_regain_access":2}]}'
    throttled = Reply(
        403,
        {
            "error": {
                "message": "(#32) Page request limit reached",
                "type": "OAuthException",
                "code": 32,
                "fbtrace_id": "Ab1",
            }
        },
        {"X-Business-Use-Case-Usage": usage},
    )
    fake.fail(case.paged, throttled)
    case.extract(fake, sleeps, max_rate_limit_wait_seconds=600)
    assert 120.0 in sleeps  # two minutes, as estimated_time_to_regain_access said


@pytest.mark.parametrize("run", ["facebook"], indirect=True)
def test_graph_usage_near_its_cap_slows_the_next_calls_down(run, sleeps):
    case, fake = run
    fake.usage_header = '{"call_count":92,"total_cputime":15,"total_time":20}'
    case.extract(fake, sleeps, usage_pause_seconds=2)
    assert sleeps and all(1.5 < s <= 1.84 for s in sleeps)  # 92% of the 2 s pause before each following call


@pytest.mark.parametrize("run", X_AND_GRAPH, indirect=True)
def test_a_run_of_500s_is_retried_a_bounded_number_of_times_then_fails_clearly(run, sleeps, caplog):
    case, fake = run
    caplog.set_level(logging.DEBUG)
    fake.fail(case.paged, *[Reply(500, {"errors": [{"message": "Internal error"}]})] * 5)
    with pytest.raises(
        ConnectorError,
        match=r"failed after 5 attempts: HTTP 500; the API is unavailable, rerun the task later",
    ) as error:
        case.extract(fake, sleeps)
    assert sleeps == [0.001, 0.002, 0.004, 0.008]  # exponential backoff between the five attempts
    assert "retrying" in caplog.text and TOKEN not in caplog.text and TOKEN not in str(error.value)


@pytest.mark.parametrize("run", X_AND_GRAPH, indirect=True)
def test_a_few_500s_then_success_yields_the_same_rows(run, sleeps):
    case, fake = run
    baseline = rows(case.extract(fake, []))
    fake.fail(case.paged, Reply(503, {}), Reply(502, {}))
    assert rows(case.extract(fake, sleeps)) == baseline
    assert len(sleeps) == 2


@pytest.mark.parametrize("run", X_AND_GRAPH, indirect=True)
def test_a_timeout_is_retried(run, sleeps):
    case, fake = run
    baseline = rows(case.extract(fake, []))
    fake.fail(case.paged, Reply(200, {}, delay=0.4))
    assert rows(case.extract(fake, sleeps, timeout_seconds=0.1)) == baseline
    assert len(sleeps) == 1


@pytest.mark.parametrize("run", X_AND_GRAPH, indirect=True)
def test_truncated_json_fails_naming_the_endpoint_without_its_secrets(run, sleeps):
    case, fake = run
    fake.fail(case.paged, Reply(200, b'{"data": [{"id": "1578516295611748353", "text": "@Twit'))
    with pytest.raises(ConnectorError, match="not valid JSON") as error:
        case.extract(fake, sleeps)
    message = str(error.value)
    path = fake.calls(case.paged)[-1].path
    assert path in message and "?" not in message and TOKEN not in message


@pytest.mark.parametrize("run", X_AND_GRAPH, indirect=True)
def test_a_pagination_cursor_that_repeats_stops_with_a_clear_error(run, sleeps):
    case, fake = run
    if case.account.network == "x":
        looping = Reply(
            200,
            {
                "data": [],
                "meta": {"result_count": 0, "next_token": "7140dibdnow9c7btw423i3sy3u5zupmkcpofxcsmxj48j"},
            },
        )
    else:
        # Graph's next URL pointing at the page just read
        looping = Reply(
            200,
            {
                "data": [],
                "paging": {"next": f"{fake.base_url}/v24.0/1122334455/posts?access_token={TOKEN}&after=QUFB"},
            },
        )
    fake.fail(case.paged, *[looping] * 3)
    with pytest.raises(
        ConnectorError, match="returned the same page twice; stopping instead of looping"
    ) as error:
        case.extract(fake, sleeps)
    assert TOKEN not in str(error.value)
    assert len(fake.calls(case.paged)) <= 3


@pytest.mark.parametrize("run", ["x"], indirect=True)
def test_a_next_token_seen_before_stops_the_loop_even_when_the_pages_differ(run, sleeps):
    case, fake = run
    token = "7140dibdnow9c7btw423i3sy3u5zupmkcpofxcsmxj48j"
    fake.fail(
        case.paged,
        *[
            Reply(
                200,
                {"data": [{"id": str(n), "text": "again"}], "meta": {"result_count": 1, "next_token": token}},
            )
            for n in range(3)
        ],
    )
    with pytest.raises(ConnectorError, match="a pagination cursor it had already returned"):
        case.extract(fake, sleeps)


@pytest.mark.parametrize("run", ["linkedin"], indirect=True)
def test_an_api_ignoring_the_offset_is_caught_instead_of_paging_forever(run, sleeps):
    case, fake = run
    first_page = fake.posts[:5]
    fake.fail(
        case.paged,
        *[Reply(200, {"paging": {"start": 0, "count": 5, "links": []}, "elements": first_page})] * 3,
    )
    with pytest.raises(ConnectorError, match="same page twice"):
        case.extract(fake, sleeps)
    assert len(fake.calls(case.paged)) == 2


@pytest.mark.parametrize("run", ["x"], indirect=True)
def test_x_exhausted_window_makes_the_next_call_to_that_endpoint_wait_for_the_reset(run, sleeps):
    case, fake = run
    fake.add_headers(
        case.paged, {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(time.time()) + 3)}
    )
    case.extract(fake, sleeps)
    assert len(sleeps) == 1 and 1.5 < sleeps[0] <= 3  # only the second page of mentions waited


@pytest.mark.parametrize("run", ["x"], indirect=True)
def test_x_tweets_without_created_at_are_skipped_with_a_warning_naming_each(run, sleeps, caplog):
    case, fake = run
    fake.drop_fields = {"created_at"}
    with caplog.at_level(logging.WARNING):
        tables = case.extract(fake, sleeps)
    assert tables["posts"].num_rows == 0 and tables["messages"].num_rows == 0
    issues = tables["extraction_issues"].to_pylist()
    assert issues and {i["kind"] for i in issues} == {"item_skipped"}
    assert all("lacks the required field 'created_at'" in i["detail"] for i in issues)
    assert {i["endpoint"] for i in issues} == {
        f"/2/users/{ACCOUNT_ID}/tweets",
        f"/2/users/{ACCOUNT_ID}/mentions",
    }
    skipped = [r.getMessage() for r in caplog.records if "left out" in r.getMessage()]
    assert len(skipped) == len(issues) and all(m.startswith("x GET /2/users/") for m in skipped)


@pytest.mark.parametrize("run", ["x"], indirect=True)
def test_x_tweet_without_public_metrics_gives_null_metrics_not_zeros(run, sleeps):
    case, fake = run
    fake.drop_fields = {"public_metrics"}
    metrics = case.extract(fake, sleeps)["post_metrics_daily"].to_pylist()
    assert metrics and all(
        m[c] is None for m in metrics for c in ("impressions", "likes", "shares", "replies", "saves")
    )


@pytest.mark.parametrize("run", ["facebook"], indirect=True)
def test_facebook_comments_without_author_are_skipped_saying_to_grant_the_moderate_task(run, sleeps):
    case, fake = run
    for thread in fake.comments.values():
        for comment in thread:
            comment.pop("from")
    tables = case.extract(fake, sleeps)
    assert tables["messages"].num_rows == 0 and tables["posts"].num_rows > 0
    issues = tables["extraction_issues"].to_pylist()
    assert issues and all(i["kind"] == "item_skipped" and "MODERATE task" in i["detail"] for i in issues)


@pytest.mark.parametrize("run", X_AND_GRAPH, indirect=True)
def test_a_field_the_api_added_is_ignored(run, sleeps):
    case, fake = run
    baseline = rows(case.extract(fake, []))
    fake.extra_fields = {
        "brand_new_field": {"nested": [1, 2, 3]},
        "edit_controls": {"editable_until": "2030-01-01T00:00:00Z"},
    }
    assert rows(case.extract(fake, sleeps)) == baseline


@pytest.mark.parametrize("network", list(CASES))
def test_a_misspelt_option_is_refused_naming_it(network, credentials):
    with pytest.raises(
        ConnectorError, match=r"unknown option\(s\) \['lookback_day'\] in the account's `options:`"
    ):
        CASES[network].connector(credentials, lookback_day=3)


@pytest.mark.parametrize("run", list(CASES), indirect=True)
def test_an_expired_token_says_to_rotate_the_connection_and_never_shows_the_token(run, sleeps, caplog):
    case, fake = run
    fake.expired = True
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ConnectorError) as error:
        case.extract(fake, sleeps)
    message = str(error.value)
    assert "token expired or missing permission" in message
    assert f"connection 'socialpulse_{case.account.network}'; rotate the connection" in message
    assert TOKEN not in message and TOKEN not in caplog.text
    assert sleeps == []  # a rejected token is not retried
