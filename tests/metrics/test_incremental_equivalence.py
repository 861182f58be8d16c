"""An incremental mart run equals a full recompute, row for row, for every mart.

Hypothesis draws random histories of two accounts on one network (so they share the network's
clock) and one on another: threads whose replies come hours, days or months later (or never),
community replies, follow-ups after our reply, posts repeated within 30 days with metrics that
keep changing for days, audience and account snapshots. The lake then receives them the way the
pipeline does: daily publishes of new days, re-published past days whose rows changed, a backfill
of an account's early history and a compaction. After every step the incremental run (building on
the previous set) is compared with a full recompute of a copy of the same Delta tables.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from mart_lake import at, comparable_rows, message

from socialpulse import metrics, model
from socialpulse.classify import classify_tables
from socialpulse.domain import Account, Interval
from socialpulse.lake import Lake

UTC = dt.UTC
START = dt.datetime(2026, 1, 1, tzinfo=UTC)
HISTORY_DAYS = 120
ACCOUNTS = (
    Account(network="x", account_id="care", handle="@care", purpose="service", time_zone="Europe/Paris"),
    Account(network="x", account_id="shop", handle="@shop", purpose="promotions", time_zone="UTC"),
    Account(
        network="instagram", account_id="brand", handle="@brand", purpose="service", time_zone="Asia/Tokyo"
    ),
)
ASKS = (
    "Where is my order?",
    "My app crashes every time, help",
    "How do I reset my password?",
    "This is awful, still broken",
)
OTHERS = ("thanks!", "ok will DM", "love this", "same problem here")
POST_TEXTS = ("Big sale today, 20% off", "Our new store opens", "Tips for winter", "Big sale today, 20% off!")


def history(rng: random.Random) -> dict[str, dict[str, list[dict]]]:
    """Every row each account will ever have, per table (the lake receives them in steps)."""
    universe = {}
    for account in ACCOUNTS:
        rows: dict[str, list[dict]] = {
            t: [] for t in ("messages", "posts", "post_metrics_daily", "audience_daily", "accounts")
        }
        for t in range(rng.randint(8, 25)):
            opened = START + dt.timedelta(minutes=rng.randrange(HISTORY_DAYS * 24 * 60))
            root = f"{account.account_id}-t{t}"
            ask = message(
                root,
                opened,
                account=account,
                intent=rng.choice(("question", "complaint", None)),
                text=rng.choice(ASKS),
            )
            thread = [ask]
            clock = opened
            for k in range(rng.randint(0, 3)):
                # hours, days, or a month and more later: late replies and threads across months
                clock += dt.timedelta(minutes=rng.choice((5, 90, 60 * 26, 60 * 24 * 20, 60 * 24 * 45)))
                if rng.random() < 0.5:
                    thread.append(
                        message(
                            f"{root}-o{k}",
                            clock,
                            "outbound",
                            thread=root,
                            parent=thread[-1]["message_id"],
                            staff=rng.choice(("Ana", "Ben", None)),
                            account=account,
                            channel=ask["channel"],
                        )
                    )
                else:
                    thread.append(
                        message(
                            f"{root}-i{k}",
                            clock,
                            thread=root,
                            parent=root,
                            account=account,
                            author=rng.choice((ask["author_id"], "fan-1", "fan-2")),
                            intent=None,
                            text=rng.choice(ASKS + OTHERS),
                        )
                    )
            rows["messages"] += [
                m for m in thread if m["created_at"] < START + dt.timedelta(days=HISTORY_DAYS)
            ]
        for p in range(rng.randint(3, 12)):
            created = START + dt.timedelta(minutes=rng.randrange(HISTORY_DAYS * 24 * 60))
            post_id = f"{account.account_id}-p{p}"
            rows["posts"].append(
                {
                    "network": account.network,
                    "account_id": account.account_id,
                    "post_id": post_id,
                    "created_at": created,
                    "kind": rng.choice(("post", "reply")),
                    "text": rng.choice(POST_TEXTS),
                    "links": [],
                    "staff_member": None,
                    "in_reply_to_id": None,
                }
            )
            for d in range(rng.randint(0, 12)):
                day = created.date() + dt.timedelta(days=d)
                if day < (START + dt.timedelta(days=HISTORY_DAYS)).date():
                    rows["post_metrics_daily"].append(
                        {
                            "network": account.network,
                            "account_id": account.account_id,
                            "post_id": post_id,
                            "date": day,
                            "impressions": 100 * (d + 1),
                            "likes": rng.randint(0, 9) + d,
                            "shares": rng.choice((None, d)),
                            "replies": d,
                            "link_clicks": None,
                            "saves": None,
                            "video_views": None,
                        }
                    )
        followers = 1000
        for d in range(HISTORY_DAYS):
            day = (START + dt.timedelta(days=d)).date()
            gained, lost = rng.randint(0, 9), rng.randint(0, 5)
            followers += gained - lost
            rows["audience_daily"].append(
                {
                    "network": account.network,
                    "account_id": account.account_id,
                    "date": day,
                    "followers_total": followers,
                    "followers_gained": gained,
                    "followers_lost": lost,
                }
            )
            rows["accounts"].append(
                {
                    "network": account.network,
                    "account_id": account.account_id,
                    "handle": account.handle,
                    "display_name": None,
                    "purpose": account.purpose,
                    "time_zone": account.time_zone,
                    "snapshot_date": day,
                }
            )
        universe[account.key] = rows
    return universe


def publish(lake: Lake, universe: dict, account: Account, first: int, last: int) -> None:
    """Publish days [first, last) of the account's history, as an extraction of that interval would."""
    interval = Interval(START + dt.timedelta(days=first), START + dt.timedelta(days=last))
    tables = {}
    for name, rows in universe[account.key].items():
        column = model.TABLES[name].date_column
        inside = [
            r
            for r in rows
            if interval.start.date()
            <= (r[column].date() if isinstance(r[column], dt.datetime) else r[column])
            < interval.end.date()
        ]
        tables[name] = model.table_from_rows(name, inside)
    lake.publish(account, interval, classify_tables(tables))


def assert_incremental_equals_full(lake: Lake, step: str) -> None:
    metrics.compute_marts(lake)
    with tempfile.TemporaryDirectory() as other:
        copy = Lake(Path(other) / "lake")
        shutil.copytree(lake.root / "lake", copy.root / "lake")
        metrics.compute_marts(copy, full=True)
        for mart in metrics.MARTS:
            assert comparable_rows(lake, mart) == comparable_rows(copy, mart), f"{mart} differs after {step}"


STEPS = st.lists(
    st.sampled_from(("daily", "daily", "republish", "late reply", "compact")), min_size=2, max_size=4
)


# no shrinking: each example publishes and computes for seconds; the failing seed and steps are printed
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
)
@given(seed=st.integers(0, 2**32 - 1), steps=STEPS)
def test_incremental_runs_equal_a_full_recompute_row_for_row(seed, steps):
    rng = random.Random(seed)
    universe = history(rng)
    with tempfile.TemporaryDirectory() as folder:
        lake = Lake(Path(folder) / "lake")
        care, shop, brand = ACCOUNTS
        today = rng.randint(60, 90)
        late_start = rng.randint(20, 40)  # shop's early history comes later, by a backfill
        for account in (care, brand):
            publish(lake, universe, account, 0, today)
        publish(lake, universe, shop, late_start, today)
        metrics.compute_marts(lake)
        assert lake.marts_manifest()["mode"] == "full"
        for step in [*steps, "backfill", "daily"]:
            if step == "daily":  # the next days of every account
                days = rng.randint(1, 6)
                for account in ACCOUNTS:
                    publish(lake, universe, account, today, today + days)
                today += days
            elif step == "republish":  # a past interval extracted again, with rows changed or gone
                account = rng.choice(ACCOUNTS)
                first = rng.randint(0, today - 3)
                rows = universe[account.key]["messages"]
                for row in rng.sample(rows, k=min(len(rows), 3)):
                    if rng.random() < 0.5:
                        rows.remove(row)
                    else:
                        row["text"] = rng.choice(ASKS + OTHERS)
                for row in rng.sample(
                    universe[account.key]["post_metrics_daily"],
                    k=min(2, len(universe[account.key]["post_metrics_daily"])),
                ):
                    row["likes"] = (row["likes"] or 0) + 7
                publish(lake, universe, account, first, min(today, first + rng.randint(1, 20)))
            elif step == "late reply":  # today's reply to a request of weeks ago
                account = rng.choice(ACCOUNTS)
                asks = [m for m in universe[account.key]["messages"] if m["direction"] == "inbound"]
                if asks:
                    ask = rng.choice(asks)
                    universe[account.key]["messages"].append(
                        message(
                            f"{ask['message_id']}-late{today}",
                            START + dt.timedelta(days=today, hours=9),
                            "outbound",
                            thread=ask["thread_id"],
                            parent=ask["message_id"],
                            staff="Late",
                            account=account,
                            channel=ask["channel"],
                        )
                    )
                    publish(lake, universe, account, today, today + 1)
                    today += 1
            elif step == "backfill":
                publish(lake, universe, shop, 0, late_start)
            elif step == "compact":
                lake.maintain(retention_hours=1000)
            assert_incremental_equals_full(lake, step)
            manifest = lake.marts_manifest()
            # a republished day can remove a network's latest message: the clock moves back, and
            # nothing computed at the later clock can be kept
            clock_moved_back = step == "republish" and "latest message is older" in (manifest["why"] or "")
            assert manifest["mode"] == "incremental" or clock_moved_back, manifest["why"]


def test_a_request_answered_just_before_a_month_ends_is_resolved_by_the_next_months_run(tmp_path):
    # answered at 21:00 on the month's last day, the newest message then: 'open' (within the quiet
    # hours of as_of). The next run only has February's data to recompute, yet the clock moving on
    # resolves January's request: include/sql/reach/service_requests.sql sends January along.
    from mart_lake import CARE, MartLake, reply

    marts = MartLake(tmp_path / "lake")
    ask = message("r1", at("2026-01-31", "20:00"))
    marts.publish(messages=[ask, reply("o1", ask, at("2026-01-31", "21:00"))]).compute()
    assert marts.request("r1")["resolution_status"] == "open"
    marts.publish(messages=[message("r2", at("2026-02-02", "09:00"))]).compute()
    assert marts.lake.marts_manifest()["mode"] == "incremental"
    assert marts.lake.marts_manifest()["recomputed"] == {CARE.key: "2026-01"}
    assert marts.request("r1")["resolution_status"] == "resolved"


def test_the_backlog_of_an_incremental_run_carries_the_requests_before_its_window(tmp_path):
    # January's two requests stay open past February; one is answered in March. The run of April
    # recomputes from March (its pending request) and reads the requests from February on:
    # January's backlog comes from the previous set, and its request answered in March leaves the
    # backlog in March.
    from mart_lake import MartLake, reply

    marts = MartLake(tmp_path / "lake")
    late, never = message("r1", at("2026-01-10", "09:00")), message("r2", at("2026-01-12", "09:00"))
    quick = message("r3", at("2026-02-28", "09:00"))  # February's last messages: on its last day
    march = message("r5", at("2026-03-08", "09:00"))
    marts.publish(
        messages=[
            late,
            never,
            quick,
            reply("o3", quick, at("2026-02-28", "10:00")),
            reply("o1", late, at("2026-03-05", "09:00")),
            march,
        ]
    ).compute()
    marts.publish(messages=[message("r4", at("2026-04-02", "09:00"))]).compute()
    manifest = marts.lake.marts_manifest()
    assert manifest["mode"] == "incremental"
    assert manifest["recomputed"] == {"x/care": "2026-03"}
    backlog = {r["month"]: r["backlog_at_month_end"] for r in marts.rows("service_monthly")}
    assert backlog == {"2026-01": 2, "2026-02": 2, "2026-03": 2, "2026-04": 3}
    assert_incremental_equals_full(marts.lake, "a request of April")


def test_a_threads_removed_first_request_leaves_the_set_when_the_thread_goes_on(tmp_path):
    # the thread's first message is deleted (its day extracted again without it) while the thread
    # goes on days later: its row is on a day before today's first message of the thread, which
    # the run must still find and rewrite
    from mart_lake import CARE, MartLake, reply

    marts = MartLake(tmp_path / "lake")
    first = message("r1", at("2026-03-02", "09:00"))
    again = message("r2", at("2026-03-05", "09:00"), thread="r1", parent="r1", author="customer-r1")
    marts.publish(messages=[first, again, reply("o2", again, at("2026-03-05", "10:00"))]).compute()
    assert {r["message_id"] for r in marts.rows("service_requests")} == {"r1", "r2"}
    march_2 = Interval(at("2026-03-02"), at("2026-03-03"))
    marts.lake.publish(CARE, march_2, {"messages": model.table_from_rows("messages", [])})
    later = message("r3", at("2026-03-07", "09:00"), thread="r1", parent="o2", author="customer-r1")
    marts.publish(messages=[later]).compute()
    assert marts.lake.marts_manifest()["mode"] == "incremental"
    assert {r["message_id"] for r in marts.rows("service_requests")} == {"r2", "r3"}
    assert_incremental_equals_full(marts.lake, "a removed first request")


def test_a_mart_recomputes_the_months_its_own_sources_changed_only(tmp_path):
    # on 1 Oct a post of 28 Sep gets new totals: the post marts recompute September, the marts
    # of messages only (influence_leaders_monthly) keep September's part of the set before
    from mart_lake import CARE, MartLake

    marts = MartLake(tmp_path / "lake")

    def totals(day: dt.date, likes: int) -> dict:
        return {"network": "x", "account_id": "care", "post_id": "p1", "date": day, "likes": likes}

    ask = message("m1", at("2026-09-10", "09:00"), author="ann")
    answer = message("m2", at("2026-09-10", "11:00"), thread="m1", parent="m1", author="bob")
    post = {
        "network": "x",
        "account_id": "care",
        "post_id": "p1",
        "created_at": at("2026-09-28", "09:00"),
        "kind": "original",
        "text": "Behind the scenes of our lab",
        "links": [],
    }
    marts.publish(
        messages=[ask, answer], posts=[post], post_metrics_daily=[totals(dt.date(2026, 9, 28), 5)]
    ).compute()
    before = marts.lake.marts_manifest()["files"]
    marts.publish(
        messages=[message("m3", at("2026-10-01", "09:00"), author="cy")],
        post_metrics_daily=[totals(dt.date(2026, 10, 1), 9)],
    ).compute()
    manifest = marts.lake.marts_manifest()
    assert manifest["mode"] == "incremental" and manifest["recomputed"] == {CARE.key: "2026-09"}
    assert manifest["files"]["engagement_monthly"]["2026-09"] != before["engagement_monthly"]["2026-09"]
    assert (
        manifest["files"]["influence_leaders_monthly"]["2026-09"]
        == before["influence_leaders_monthly"]["2026-09"]
    )
    assert marts.one("engagement_monthly", "month = '2026-09'")["posts"] == 1
    assert_incremental_equals_full(marts.lake, "new totals of last month's post")


def test_an_old_post_measured_again_months_later_is_recomputed_in_its_month(tmp_path):
    # a post's new totals change its month of publication, however long ago: a post of May
    # measured again on 1 Oct sends the run back to May (the reach-back, docs/metrics.md)
    from mart_lake import CARE, MartLake

    marts = MartLake(tmp_path / "lake")
    post = {
        "network": "x",
        "account_id": "care",
        "post_id": "p1",
        "created_at": at("2026-05-10", "09:00"),
        "kind": "original",
        "text": "Behind the scenes of our lab",
        "links": [],
    }
    totals = {"network": "x", "account_id": "care", "post_id": "p1", "likes": 5}
    recent = {**post, "post_id": "p2", "created_at": at("2026-09-30", "09:00")}
    marts.publish(
        messages=[message("m1", at("2026-09-30", "09:00"), author="ann")],
        posts=[post, recent],
        post_metrics_daily=[
            {**totals, "date": dt.date(2026, 5, 10)},
            {**totals, "post_id": "p2", "date": dt.date(2026, 9, 30)},
        ],
    ).compute()
    marts.publish(
        messages=[message("m2", at("2026-10-01", "09:00"), author="cy")],
        post_metrics_daily=[
            {**totals, "likes": 40, "date": dt.date(2026, 10, 1)},
            {**totals, "post_id": "p2", "date": dt.date(2026, 10, 1)},
        ],
    ).compute()
    manifest = marts.lake.marts_manifest()
    assert manifest["mode"] == "incremental" and manifest["recomputed"] == {CARE.key: "2026-05"}
    assert marts.one("post_performance", "post_id = 'p1'")["likes"] == 40
    assert_incremental_equals_full(marts.lake, "new totals of a post of May")
