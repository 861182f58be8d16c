"""Property tests of the API payload parsers: whatever an API answers, a connector returns canonical rows or
fails with a ConnectorError that names the network and where the answer was wrong, never a bare crash.

Every network runs against its loopback fake (X's is built from real recordings). A replay wrapper records
what the fake answers once, then serves one of those answers mutated by hypothesis: keys dropped, values of
the wrong type, huge or negative numbers, bad timestamps, odd unicode, truncated lists, unknown keys, or
random JSON in place of the whole body. Everything else the connector asks for is answered by the fake.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from fakes.cases import CASES, PAGE_ID, NetworkCase
from fakes.harness import FAST, TOKEN, Sleeps
from fakes.server import Reply, Request
from fakes.x_api import ACCOUNT_ID as X_ACCOUNT_ID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialpulse import model
from socialpulse.networks.base import ConnectorError

# Retries in milliseconds, a single retry: a mutated answer must fail fast, not after five attempts.
QUICK = {**FAST, "max_attempts": 2}


class Replay:
    """A network's fake that can serve one of its own answers mutated, or every answer transformed."""

    def __init__(self, case: NetworkCase):
        self.case = case
        self.fake = case.make_fake().start()
        self._answer = self.fake._answer
        self.fake._answer = self._serve  # the fake's routing, auth checks and data stay as they are
        self.target: tuple[str, str] | None = None
        self.replacement: Any = None
        self.transform: Callable[[Any], Any] | None = None
        self.answers: dict[tuple[str, str], Any] = {}  # (path, query) -> body, in the order first asked
        self.baseline = self.run()
        self.baseline_answers = dict(self.answers)

    def _serve(self, request: Request) -> Reply:
        key = (request.path, request.raw_query)
        if key == self.target:
            return Reply(200, self.replacement)
        try:
            reply = self._answer(request)
        except Exception as exc:  # noqa: BLE001 (a mutated cursor or id the fake cannot read: the real API answers 400)
            return Reply(400, {"error": {"message": f"invalid request ({type(exc).__name__})", "code": 100}})
        body = copy.deepcopy(reply.body)
        if reply.status == 200 and isinstance(body, dict):
            self.answers.setdefault(key, copy.deepcopy(body))
            if self.transform:
                body = self.transform(body)
        return Reply(reply.status, body, reply.headers, reply.delay)

    def run(self) -> dict[str, Any]:
        """Extract the account's interval through the connector (no waiting: sleeps are recorded)."""
        self.fake.requests.clear()
        return self.case.extract(self.fake, Sleeps(), **QUICK)

    def requested_paths(self) -> list[str]:
        """The paths asked for, as an error may print them: the token redacted."""
        return [r.path.replace(TOKEN, "***") for r in self.fake.requests]

    def reset(self) -> None:
        self.target, self.replacement, self.transform = None, None, None


@pytest.fixture(scope="module")
def replays():
    started: dict[str, Replay] = {}

    def get(network: str) -> Replay:
        if network not in started:
            started[network] = Replay(CASES[network])
        started[network].reset()
        return started[network]

    yield get
    for replay in started.values():
        replay.fake.stop()


def rows(tables: dict[str, Any]) -> dict[str, list[dict]]:
    return {name: table.to_pylist() for name, table in tables.items()}


# -- JSON and its mutations -------------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
random_json = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
odd_values = st.sampled_from(
    [
        None,
        True,
        False,
        0,
        -1,
        -(2**31),
        2**63,
        2**64,
        -(2**63) - 1,
        10**30,
        1.5,
        -0.0,
        1e308,
        "",
        " ",
        "0",
        "-5",
        "12abc",
        "NaN",
        "null",
        "[]",
        "{}",
        "yesterday",
        "2026-13-45T00:00:00Z",
        "2026-11-02",
        "2026-11-02T10:00:00",
        "2026-11-02T10:00:00+0000",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "99999-01-01T00:00:00Z",
        "\u0000",
        "\ud800",
        "\U0001f600" * 3,
        "é/../..",
        "a?b#c",
        "\n\r\t",
        "x" * 2000,
        TOKEN,
        f"https://example.com/?access_token={TOKEN}",
        f"page-{TOKEN}",
        [],
        {},
        [None],
        [1, "a"],
        {"id": 1},
        {"value": None},
    ]
)


def wrong_type_of(value: Any) -> st.SearchStrategy:
    """The same information in the wrong shape: '12' for 12, 12 for '12', [v] or {'value': v} for v."""
    flips: list[Any] = [[value], {"value": value}]
    if isinstance(value, bool):
        flips.append(int(value))
    elif isinstance(value, int):
        flips += [str(value), float(value), -value - 1]
    elif isinstance(value, str):
        flips.append(int(value) if value.isdigit() else len(value))
    return st.sampled_from(flips)


def paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in a JSON document, the root first."""
    found = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found += paths(value, (*prefix, index))
    return found


def get_at(doc: Any, path: tuple) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def set_at(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    get_at(doc, path[:-1])[path[-1]] = value
    return doc


@st.composite
def mutated(draw, body: Any) -> tuple[Any, list[str]]:
    """A body after one to three mutations, and what they were (for the failure report)."""
    doc, done = copy.deepcopy(body), []
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths(doc)))
        value = get_at(doc, path)
        kinds = ["replace", "wrong_type", "random"]
        if path and isinstance(get_at(doc, path[:-1]), dict):
            kinds.append("drop")
        if isinstance(value, list) and value:
            kinds.append("truncate")
        if isinstance(value, dict):
            kinds.append("add_key")
        kind = draw(st.sampled_from(kinds))
        if kind == "drop":
            del get_at(doc, path[:-1])[path[-1]]
        elif kind == "truncate":
            del value[draw(st.integers(0, len(value) - 1)) :]
        elif kind == "add_key":
            value[draw(st.text(min_size=1, max_size=10))] = draw(random_json)
        else:
            new = draw(
                {"replace": odd_values, "wrong_type": wrong_type_of(value), "random": random_json}[kind]
            )
            doc = set_at(
                doc, path, copy.deepcopy(new)
            )  # a later mutation must not edit the strategy's own values
        done.append(f"{kind} at {list(path)}")
    return doc, done


def with_unknown_keys(doc: Any, key: str, value: Any) -> Any:
    """The document with `key` added to every object in it, as if the API had grown a field everywhere."""
    if isinstance(doc, dict):
        return {**{k: with_unknown_keys(v, key, value) for k, v in doc.items()}, key: copy.deepcopy(value)}
    if isinstance(doc, list):
        return [with_unknown_keys(v, key, value) for v in doc]
    return doc


# -- the properties --------------------------------------------------------------------------------------

PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def assert_clear_failure_or_canonical_tables(replay: Replay, network: str, what: list[str]) -> None:
    try:
        tables = replay.run()
    except ConnectorError as exc:
        message = str(exc)
        assert TOKEN not in message, message
        assert message.startswith(f"{network} "), (
            f"the error does not start with the network: {message!r} after {what}"
        )
        # it names the endpoint whose answer it could not use (path only, as the http layer prints it)
        assert any(path in message for path in replay.requested_paths()), (
            f"no endpoint named in {message!r} after {what}"
        )
    else:
        assert set(tables) == set(model.TABLES)
        for name, table in tables.items():
            model.conform(name, table)  # raises if a column is missing, mistyped or null where required


@pytest.mark.parametrize("network", CASES)
@PROPERTY
@given(data=st.data())
def test_a_mutated_answer_yields_canonical_rows_or_an_error_naming_network_and_endpoint(
    replays, network, data
):
    replay = replays(network)
    replay.target = data.draw(st.sampled_from(list(replay.baseline_answers)), label="answer")
    replay.replacement, what = data.draw(mutated(replay.baseline_answers[replay.target]), label="mutation")
    assert_clear_failure_or_canonical_tables(replay, network, what)


@pytest.mark.parametrize("network", CASES)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_json_as_any_answer_yields_canonical_rows_or_an_error_naming_network_and_endpoint(
    replays, network, data
):
    replay = replays(network)
    replay.target = data.draw(st.sampled_from(list(replay.baseline_answers)), label="answer")
    replay.replacement = data.draw(random_json, label="body")
    assert_clear_failure_or_canonical_tables(replay, network, ["random body"])


@pytest.mark.parametrize("network", CASES)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.text(min_size=1, max_size=12).map(lambda k: f"zz_unknown_{k}"), value=random_json)
def test_unknown_keys_in_every_object_of_every_answer_give_the_same_rows(replays, network, key, value):
    replay = replays(network)
    replay.transform = lambda body: with_unknown_keys(body, key, value)
    assert rows(replay.run()) == rows(replay.baseline)


# -- what the properties found, as examples ----------------------------------------------------------------


def first_answer(replay: Replay, path_pattern: str) -> tuple[tuple[str, str], Any]:
    key = next(k for k in replay.baseline_answers if k[0].endswith(path_pattern))
    return key, copy.deepcopy(replay.baseline_answers[key])


def skipped(tables: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in tables["extraction_issues"].to_pylist() if i["kind"] == "item_skipped"]


def test_a_tweet_with_a_bad_timestamp_is_skipped_naming_network_endpoint_tweet_and_field(replays):
    replay = replays("x")
    replay.target, replay.replacement = first_answer(replay, "/tweets")
    tweet = replay.replacement["data"][0]
    tweet["created_at"] = "yesterday"
    tables = replay.run()
    [issue] = skipped(tables)
    assert issue["endpoint"] == f"/2/users/{X_ACCOUNT_ID}/tweets" and issue["object_id"] == tweet["id"]
    assert (
        "has a field 'created_at' that should be a timestamp, not a string of 9 characters" in issue["detail"]
    )
    assert tweet["id"] not in {p["post_id"] for p in tables["post_metrics_daily"].to_pylist()}
    assert tables["post_metrics_daily"].num_rows == replay.baseline["post_metrics_daily"].num_rows - 1


def test_a_negative_count_never_lands_in_the_lake_its_video_is_skipped(replays):
    replay = replays("youtube")
    replay.target, replay.replacement = first_answer(replay, "/youtube/v3/videos")
    video = replay.replacement["items"][0]
    video["statistics"]["viewCount"] = -3
    tables = replay.run()
    [issue] = skipped(tables)
    assert issue["object_id"] == video["id"] and issue["endpoint"] == "/youtube/v3/videos"
    assert (
        "'statistics.viewCount' that should be a count (an integer from 0 to 2^63-1), not the number -3"
        in (issue["detail"])
    )
    assert video["id"] not in {p["post_id"] for p in tables["post_metrics_daily"].to_pylist()}


def test_a_media_type_of_the_wrong_type_skips_that_media_naming_the_field_not_with_a_type_error(replays):
    replay = replays("instagram")
    replay.target, replay.replacement = first_answer(replay, "/media")
    media = replay.replacement["data"][0]
    media["media_type"] = ["VIDEO"]
    [issue] = skipped(replay.run())
    assert issue["object_id"] == media["id"] and re.fullmatch(r"/v24.0/\d+/media", issue["endpoint"])
    assert "has a field 'media_type' that should be a string" in issue["detail"]


@pytest.mark.parametrize(
    "post_id", ["https://elsewhere.example/steal", "1_2/../../me?fields=name", "..", "."]
)
def test_an_id_that_would_leave_its_path_segment_is_never_requested_its_item_is_skipped(replays, post_id):
    replay = replays("facebook")
    replay.target, replay.replacement = first_answer(replay, "/posts")
    replay.replacement["data"][0]["id"] = post_id
    tables = replay.run()
    [issue] = skipped(tables)
    assert "would leave its URL path segment" in issue["detail"]
    assert all(r.path.count("/") <= 3 and ".." not in r.path for r in replay.fake.requests)
    assert all(not r.path.endswith(("/./insights", "/../insights")) for r in replay.fake.requests)


def test_a_token_as_an_id_is_never_sent_nor_stored(replays):
    replay = replays("facebook")
    replay.target, replay.replacement = first_answer(replay, "/posts")
    replay.replacement["data"][0]["id"] = TOKEN
    tables = replay.run()  # an "id" holding the token is not an id: never asked for, never stored
    [issue] = skipped(tables)
    assert "holds a secret of the connection" in issue["detail"]
    assert TOKEN not in json.dumps({n: t.to_pylist() for n, t in tables.items()}, default=str)
    assert all(TOKEN not in r.path for r in replay.fake.requests)


def test_a_next_page_on_another_host_is_not_followed_with_the_token(replays):
    replay = replays("facebook")
    replay.target, replay.replacement = first_answer(replay, "/posts")
    replay.replacement["paging"]["next"] = (
        f"https://elsewhere.example/v24.0/{PAGE_ID}/posts?access_token={TOKEN}"
    )
    with pytest.raises(
        ConnectorError,
        match=rf"^facebook GET /v24.0/{PAGE_ID}/posts: the page has a field 'paging.next' that points to "
        r"another host than the API's",
    ) as error:
        replay.run()
    assert TOKEN not in str(error.value)


def test_an_answer_that_is_not_a_json_object_fails_naming_the_endpoint(replays):
    replay = replays("linkedin")
    replay.target = next(k for k in replay.baseline_answers if k[0] == "/rest/posts")
    replay.replacement = [{"id": "urn:li:share:1"}]
    with pytest.raises(
        ConnectorError,
        match=r"^linkedin GET /rest/posts: the response is a list of 1 item\(s\), not a JSON object",
    ):
        replay.run()


def test_half_an_emoji_in_a_text_becomes_a_replacement_character_not_a_failure(replays):
    replay = replays("x")
    replay.target, replay.replacement = first_answer(replay, "/mentions")
    mention = replay.replacement["data"][0]
    mention["text"] = (
        "thanks \U0001f600 but \ud83d"  # an escaped high surrogate without its pair, as a cut-off text has
    )
    messages = {m["message_id"]: m for m in replay.run()["messages"].to_pylist()}
    assert messages[mention["id"]]["text"] == "thanks \U0001f600 but \ufffd"
