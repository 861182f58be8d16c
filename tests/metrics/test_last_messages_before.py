"""incremental.last_messages_before: each account's last message of each direction before its bound,
looked for in the day before, then the month before, then all of history."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from socialpulse import incremental

BOUND = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)

# account -> the (direction, days before the bound) of its messages
HISTORIES = {
    "busy": [("inbound", 0.01), ("outbound", 0.02), ("inbound", 3), ("outbound", 40)],
    # inbound found in the day before, outbound only in the month before: both must come from there
    "replies-weekly": [("inbound", 0.5), ("outbound", 9), ("outbound", 12)],
    "quiet-for-months": [("inbound", 90), ("outbound", 95), ("inbound", 200)],
    "never-replies": [("inbound", 0.1), ("inbound", 300)],
    "only-after-the-bound": [("inbound", -1), ("outbound", -2)],
}


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        "CREATE TABLE messages (network VARCHAR, account_id VARCHAR, direction VARCHAR, created_at TIMESTAMPTZ)"
    )
    con.executemany(
        "INSERT INTO messages VALUES ('simulated', ?, ?, ?)",
        [
            (account, direction, BOUND - dt.timedelta(days=days))
            for account, messages in HISTORIES.items()
            for direction, days in messages
        ],
    )
    yield con
    con.close()


def test_every_accounts_last_message_of_each_direction_is_found_however_long_ago(con):
    bounds = " UNION ALL ".join(
        f"SELECT 'simulated', '{account}', TIMESTAMPTZ '{BOUND.isoformat()}'" for account in HISTORIES
    )

    incremental.last_messages_before(con, "messages", bounds)

    found = con.execute("SELECT account_id, direction, last_at FROM _last_before ORDER BY ALL").fetchall()
    expected = sorted(
        (
            account,
            direction,
            BOUND - dt.timedelta(days=min(d for way, d in messages if way == direction and d > 0)),
        )
        for account, messages in HISTORIES.items()
        for direction in {way for way, d in messages if d > 0}
    )
    assert [(a, d, t.astimezone(dt.UTC)) for a, d, t in found] == expected


def test_each_account_is_searched_up_to_its_own_bound(con):
    later = BOUND + dt.timedelta(
        days=1.5
    )  # this account's inbound message is before its bound, not its reply
    bounds = (
        f"SELECT 'simulated', 'busy', TIMESTAMPTZ '{BOUND.isoformat()}' UNION ALL "
        f"SELECT 'simulated', 'only-after-the-bound', TIMESTAMPTZ '{later.isoformat()}'"
    )

    incremental.last_messages_before(con, "messages", bounds)

    found = dict(
        ((a, d), t)
        for a, d, t in con.execute("SELECT account_id, direction, last_at FROM _last_before").fetchall()
    )
    assert found == {
        ("busy", "inbound"): BOUND - dt.timedelta(days=0.01),
        ("busy", "outbound"): BOUND - dt.timedelta(days=0.02),
        ("only-after-the-bound", "inbound"): BOUND + dt.timedelta(days=1),
    }
