"""The simulated network: deterministic, range-independent and behaving like a real audience."""

from __future__ import annotations

import datetime as dt
import itertools
import statistics

import pyarrow as pa
from helpers import CARE, DEALS, day_interval

from socialpulse import model
from socialpulse.networks.simulated import SimulatedNetwork

DAY = dt.date(2026, 5, 4)


def test_same_seed_gives_identical_tables_and_another_seed_does_not():
    first = SimulatedNetwork(seed=1).extract(CARE, day_interval(DAY))
    again = SimulatedNetwork(seed=1).extract(CARE, day_interval(DAY))
    other = SimulatedNetwork(seed=2).extract(CARE, day_interval(DAY))
    assert all(first[name].equals(again[name]) for name in first)
    assert not first["messages"].equals(other["messages"])


def test_a_long_interval_equals_its_days_extracted_one_by_one():
    network = SimulatedNetwork(seed=4)
    whole = network.extract(CARE, day_interval(DAY, days=3))
    days = [network.extract(CARE, day_interval(DAY + dt.timedelta(days=i))) for i in range(3)]
    for name in ("posts", "messages", "post_metrics_daily", "audience_daily"):
        assert (
            whole[name]
            .sort_by([(whole[name].column_names[2], "ascending")])
            .equals(
                pa.concat_tables([d[name] for d in days]).sort_by(
                    [(whole[name].column_names[2], "ascending")]
                )
            )
        ), name


def test_every_table_matches_its_canonical_schema():
    tables = SimulatedNetwork().extract(DEALS, day_interval(DAY))
    for name, table in tables.items():
        assert table.schema.equals(model.TABLES[name].schema), name


def test_followers_total_is_yesterdays_total_plus_gained_minus_lost():
    rows = SimulatedNetwork().extract(CARE, day_interval(DAY, days=10))["audience_daily"].to_pylist()
    for before, after in itertools.pairwise(rows):
        assert (
            after["followers_total"]
            == before["followers_total"] + after["followers_gained"] - after["followers_lost"]
        )
    assert all(r["followers_lost"] > 0 for r in rows)  # the bucket always leaks a little


def test_engagement_per_post_falls_on_days_an_account_over_posts():
    network = SimulatedNetwork(seed=9)
    light, heavy = [], []
    for i in range(120):
        day = DAY + dt.timedelta(days=i)
        p = network._day_posts(DEALS, day)
        if not len(p["post_id"]):
            continue
        per_post = float((p["likes"] + p["shares"] + p["replies"]).mean())
        (heavy if len(p["post_id"]) > 6 else light).append(per_post)
    assert heavy and light
    assert statistics.mean(heavy) < 0.8 * statistics.mean(light)


def test_customers_get_answers_by_named_staff_and_some_are_never_answered():
    messages = SimulatedNetwork().extract(CARE, day_interval(DAY, days=7))["messages"].to_pylist()
    requests = [
        m for m in messages if m["direction"] == "inbound" and m["intent"] in ("question", "complaint")
    ]
    answered_threads = {m["thread_id"] for m in messages if m["direction"] == "outbound"}
    answered = [r for r in requests if r["thread_id"] in answered_threads]
    assert 0.6 < len(answered) / len(requests) < 0.98
    assert all(m["staff_member"] for m in messages if m["direction"] == "outbound")
    assert all(
        m["created_at"] > next(r["created_at"] for r in messages if r["message_id"] == m["parent_id"])
        for m in messages
        if m["direction"] == "outbound" and any(r["message_id"] == m["parent_id"] for r in messages)
    )


def test_influence_leaders_post_often_and_draw_replies_from_other_members():
    messages = SimulatedNetwork().extract(CARE, day_interval(DAY, days=14))["messages"].to_pylist()
    leader_posts = [
        m
        for m in messages
        if (m["author_id"].startswith("care-L") and m["parent_id"] is None)
        or (m["author_id"].startswith("care-L") and m["channel"] == "comment")
    ]
    replies = {m["parent_id"] for m in messages if m["direction"] == "inbound" and m["parent_id"]}
    assert len(leader_posts) >= 14
    assert sum(m["message_id"] in replies for m in leader_posts) >= len(leader_posts) // 2


def test_promotional_accounts_repeat_the_same_few_posts():
    posts = SimulatedNetwork().extract(DEALS, day_interval(DAY, days=14))["posts"].to_pylist()
    texts = [p["text"] for p in posts]
    assert len(texts) > 2 * len(set(texts))
