"""An import replaces the rows its file holds, by key, and never the days between them."""

import datetime as dt
from pathlib import Path

import pytest
from export_files import TWCS_SAMPLE

from socialpulse.domain import Account
from socialpulse.exports import ExportError, import_file, preview_file
from socialpulse.exports.changes import MAX_DAYS_CHANGED
from socialpulse.lake import Lake

POSTS_HEADER = "Post ID,Posted,Post Message,Lifetime Post Total Impressions,Reactions\n"
PAGE_HEADER = "Date,Lifetime Total Likes,Daily New Likes,Daily Unlikes\n"


def page_account(time_zone: str = "UTC") -> Account:
    return Account(network="facebook", account_id="1835", handle="demo", purpose="brand", time_zone=time_zone)


def write_posts(path: Path, posts: list[tuple[str, str, int]]) -> Path:
    """A Facebook post-data export: (post id, local time as YYYY-MM-DD HH:MM:SS, impressions)."""
    path.write_text(POSTS_HEADER + "".join(f"{i},{when},post {i},{n},1\n" for i, when, n in posts))
    return path


def a_year_of_posts(tmp_path: Path) -> Path:
    start = dt.date(2017, 1, 1)
    return write_posts(
        tmp_path / "year.csv",
        [(f"p{i}", f"{start + dt.timedelta(days=i)} 12:00:00", 100 + i) for i in range(365)],
    )


def post_days(lake: Lake) -> dict[str, dt.date]:
    return {r["post_id"]: r["created_at"].date() for r in lake.read("posts").to_pylist()}


def test_a_year_typed_wrong_in_a_small_export_deletes_no_day_between(tmp_path):
    lake, account = Lake(tmp_path / "lake"), page_account()
    import_file(lake, "facebook_insights", a_year_of_posts(tmp_path), account)
    # five posts of late December, one of them typed 2007 instead of 2017
    small = write_posts(
        tmp_path / "small.csv",
        [("n1", "2007-12-27 10:00:00", 5)]
        + [(f"n{i}", f"2017-12-{24 + i} 10:00:00", 5) for i in range(2, 6)],
    )
    assert import_file(lake, "facebook_insights", small, account) == {"posts": 5, "post_metrics_daily": 5}
    days = post_days(lake)
    assert len(days) == 370 and all(f"p{i}" in days for i in range(365))
    assert days["n1"] == dt.date(2007, 12, 27)
    assert lake.read("post_metrics_daily").num_rows == 370


def test_a_daily_export_replaces_only_the_days_it_holds(tmp_path):
    lake, account = Lake(tmp_path / "lake"), page_account()
    year = tmp_path / "page.csv"
    days = [dt.date(2017, 1, 1) + dt.timedelta(days=i) for i in range(365)]
    year.write_text(PAGE_HEADER + "".join(f"{d},{1000 + i},1,0\n" for i, d in enumerate(days)))
    import_file(lake, "facebook_insights", year, account)
    two_days = tmp_path / "two.csv"
    two_days.write_text(PAGE_HEADER + "2017-01-01,5,5,5\n2017-12-31,9,9,9\n")
    assert import_file(lake, "facebook_insights", two_days, account) == {"audience_daily": 2}
    stored = {r["date"]: r["followers_total"] for r in lake.read("audience_daily").to_pylist()}
    assert len(stored) == 365
    assert stored[dt.date(2017, 1, 1)] == 5 and stored[dt.date(2017, 12, 31)] == 9
    assert stored[dt.date(2017, 6, 1)] == 1000 + 151


def test_a_reimport_after_fixing_the_time_zone_moves_posts_instead_of_adding_them(tmp_path):
    lake = Lake(tmp_path / "lake")
    # half past midnight in Paris: the previous day in UTC
    posts = [(f"m{i}", f"2017-10-0{i} 00:30:00", 10 * i) for i in range(1, 6)]
    export = write_posts(tmp_path / "posts.csv", posts)
    import_file(lake, "facebook_insights", export, page_account("UTC"))
    assert set(post_days(lake).values()) == {dt.date(2017, 10, i) for i in range(1, 6)}

    fixed = page_account("Europe/Paris")
    with pytest.raises(ExportError, match=r"posts.csv: .* on 5 days .*--replace-existing"):
        import_file(lake, "facebook_insights", export, fixed)
    assert set(post_days(lake).values()) == {dt.date(2017, 10, i) for i in range(1, 6)}  # unchanged

    import_file(lake, "facebook_insights", export, fixed, replace_existing=True)
    assert post_days(lake) == {
        f"m{i}": dt.date(2017, 10, i - 1) if i > 1 else dt.date(2017, 9, 30) for i in range(1, 6)
    }
    totals = sorted(
        (r["post_id"], r["date"], r["impressions"]) for r in lake.read("post_metrics_daily").to_pylist()
    )
    # each post's totals moved with it: none left on its old day
    assert totals == sorted((f"m{i}", post_days(lake)[f"m{i}"], 10 * i) for i in range(1, 6))


def test_a_few_moved_days_need_no_flag_and_the_preview_names_them(tmp_path):
    lake = Lake(tmp_path / "lake")
    posts = [(f"m{i}", f"2017-10-0{i} 00:30:00", 10 * i) for i in range(1, 1 + MAX_DAYS_CHANGED)]
    export = write_posts(tmp_path / "posts.csv", posts)
    import_file(lake, "facebook_insights", export, page_account("UTC"))
    before = lake.versions()
    plan = preview_file(lake, "facebook_insights", export, page_account("Europe/Paris"))
    assert lake.versions() == before  # a preview writes nothing
    assert plan.changes["posts"].moved == MAX_DAYS_CHANGED and plan.changes["posts"].added == 0
    assert plan.changes["post_metrics_daily"].removed == MAX_DAYS_CHANGED
    assert "post_id m1 moved 2017-10-01 -> 2017-09-30" in " ".join(plan.describe())
    import_file(lake, "facebook_insights", export, page_account("Europe/Paris"))
    assert len(post_days(lake)) == MAX_DAYS_CHANGED


def test_ids_stored_for_another_account_of_the_network_are_refused(tmp_path):
    lake = Lake(tmp_path / "lake")
    export = write_posts(tmp_path / "posts.csv", [("shared", "2017-10-01 10:00:00", 1)])
    import_file(lake, "facebook_insights", export, page_account())
    other = Account(network="facebook", account_id="9999", handle="other", purpose="brand")
    with pytest.raises(ExportError, match=r"another account of facebook.*post_id shared of account 1835"):
        import_file(lake, "facebook_insights", export, other)
    assert {r["account_id"] for r in lake.read("posts").to_pylist()} == {"1835"}


def test_reimporting_part_of_a_message_export_keeps_the_other_messages(tmp_path, spotify_cares):
    lake = Lake(tmp_path / "lake")
    import_file(lake, "twcs", TWCS_SAMPLE, spotify_cares)
    everything = {r["message_id"]: r for r in lake.read("messages").to_pylist()}
    lines = TWCS_SAMPLE.read_text().splitlines(keepends=True)
    kept = [line for line in lines[1:] if line.split(",")[0] in everything][:3]
    part = tmp_path / "part.csv"
    part.write_text(lines[0] + "".join(kept))
    import_file(lake, "twcs", part, spotify_cares)
    assert {r["message_id"]: r for r in lake.read("messages").to_pylist()}.keys() == everything.keys()


def test_a_message_may_be_stored_by_two_of_our_accounts(tmp_path, spotify_cares):
    lake = Lake(tmp_path / "lake")
    second = Account(
        network="x",
        account_id="spotify",
        handle="@Spotify",
        purpose="service",
        options={"company_author_id": "SpotifyCares"},
    )
    first = import_file(lake, "twcs", TWCS_SAMPLE, spotify_cares)["messages"]
    assert import_file(lake, "twcs", TWCS_SAMPLE, second) == {"messages": first}
    assert lake.read("messages").num_rows == 2 * first
