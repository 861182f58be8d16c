"""import_file: read and check everything first, then replace the rows the file holds, one commit per table."""

import datetime as dt

import pytest
from export_files import FIXTURES, TWCS_SAMPLE

from socialpulse import model
from socialpulse.domain import Account
from socialpulse.exports import ExportError, import_file, read_export
from socialpulse.lake import Lake


def snapshot(lake: Lake) -> dict[str, bytes]:
    return {
        str(p.relative_to(lake.root)): p.read_bytes() for p in sorted(lake.root.rglob("*")) if p.is_file()
    }


def contents(lake: Lake) -> dict[str, list]:
    """Every table's rows, in key order: what a reader sees, whatever the files and versions."""
    result = {}
    for name, spec in model.TABLES.items():
        data = lake.read(name)
        result[name] = data.sort_by([(c, "ascending") for c in spec.key]).to_pylist()
    return result


def data_files(lake: Lake, table: str) -> list[str]:
    return [f.removeprefix(str(lake.table_dir(table)) + "/") for f in lake.table_files(table)]


def test_importing_twcs_commits_its_two_days_to_one_month_partition(tmp_path, spotify_cares):
    lake = Lake(tmp_path)
    assert import_file(lake, "twcs", TWCS_SAMPLE, spotify_cares) == {"messages": 16}
    days = {r["created_at"].date().isoformat() for r in lake.read("messages").to_pylist()}
    assert days == {"2017-10-11", "2017-10-12"}
    [file] = data_files(lake, "messages")
    assert file.startswith("network=x/month=2017-10/")
    # the table created empty, then the one merge commit of the file's rows
    assert lake.versions()["messages"] == 1 and lake.versions()["posts"] is None


def test_importing_the_same_file_twice_gives_the_same_lake(tmp_path, spotify_cares):
    lake = Lake(tmp_path)
    import_file(lake, "twcs", TWCS_SAMPLE, spotify_cares)
    import_file(lake, "x_analytics", FIXTURES / "x_analytics.csv", spotify_cares)
    first = contents(lake)
    import_file(lake, "twcs", TWCS_SAMPLE, spotify_cares)
    import_file(lake, "x_analytics", FIXTURES / "x_analytics.csv", spotify_cares)
    assert contents(lake) == first and first["messages"] and first["posts"]


def test_a_malformed_file_leaves_the_lake_byte_identical(tmp_path, spotify_cares):
    lake = Lake(tmp_path / "lake")
    import_file(lake, "x_analytics", FIXTURES / "x_analytics.csv", spotify_cares)
    before = snapshot(lake)
    broken = tmp_path / "x_analytics.csv"
    lines = (FIXTURES / "x_analytics.csv").read_text(encoding="utf-8-sig").splitlines(keepends=True)
    lines[-1] = lines[-1].replace('"655"', '"6x55"')  # the last row's impressions
    broken.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(ExportError, match="impressions"):
        import_file(lake, "x_analytics", broken, spotify_cares)
    assert snapshot(lake) == before


def test_an_export_of_one_table_keeps_the_other_tables_of_those_days(tmp_path, facebook_page):
    lake = Lake(tmp_path)
    import_file(lake, "facebook_insights", FIXTURES / "facebook_posts.csv", facebook_page)
    versions_before, posts_before = lake.versions(), contents(lake)
    # the page-data export covers the same days but carries only the audience
    assert import_file(lake, "facebook_insights", FIXTURES / "facebook_page.csv", facebook_page) == {
        "audience_daily": 5
    }
    after = contents(lake)
    assert {k: v for k, v in after.items() if k != "audience_daily"} == {
        k: v for k, v in posts_before.items() if k != "audience_daily"
    }
    assert len(after["audience_daily"]) == 5
    assert {k: v for k, v in lake.versions().items() if k != "audience_daily"} == {
        k: v for k, v in versions_before.items() if k != "audience_daily"
    }  # no commit to the tables the file does not carry


def test_a_newer_export_replaces_the_posts_it_holds_and_keeps_those_it_does_not(tmp_path, spotify_cares):
    lake = Lake(tmp_path / "lake")
    tweets = import_file(lake, "x_analytics", FIXTURES / "x_analytics.csv", spotify_cares)["posts"]
    newer = tmp_path / "x_analytics.csv"
    lines = (FIXTURES / "x_analytics.csv").read_text(encoding="utf-8-sig").splitlines(keepends=True)
    # a newer download of one Oct 31 tweet (more impressions); the other two are not in it
    newer.write_text(lines[0] + lines[1].replace('"48211"', '"50000"'), encoding="utf-8")
    assert import_file(lake, "x_analytics", newer, spotify_cares) == {"posts": 1, "post_metrics_daily": 1}
    oct31 = sorted(
        r["post_id"]
        for r in lake.read("posts").to_pylist()
        if r["created_at"].date() == dt.date(2017, 10, 31)
    )
    assert oct31 == ["925001374537654272", "925039116711940096", "925112205330239488"]
    impressions = {r["post_id"]: r["impressions"] for r in lake.read("post_metrics_daily").to_pylist()}
    assert impressions["925001374537654272"] == 50000 and len(impressions) == tweets


def test_an_export_without_rows_changes_nothing(tmp_path, spotify_cares):
    lake = Lake(tmp_path / "lake")
    empty = tmp_path / "empty.csv"
    empty.write_text('"Tweet id","time","impressions"\n')
    assert import_file(lake, "x_analytics", empty, spotify_cares) == {"posts": 0, "post_metrics_daily": 0}
    assert not lake.root.exists() or snapshot(lake) == {}


def test_unknown_format_and_missing_file_are_export_errors(tmp_path, spotify_cares):
    with pytest.raises(ExportError, match="known formats: facebook_insights"):
        import_file(Lake(tmp_path), "myspace", TWCS_SAMPLE, spotify_cares)
    with pytest.raises(ExportError, match="no such file"):
        import_file(Lake(tmp_path), "twcs", tmp_path / "nope.csv", spotify_cares)


def test_a_year_of_daily_exports_imports_into_one_file_per_month_not_per_day(tmp_path, facebook_page):
    start = dt.date(2023, 1, 1)
    days = [start + dt.timedelta(days=i) for i in range(365)]
    page = tmp_path / "page.csv"
    page.write_text(
        "Date,Lifetime Total Likes,Daily New Likes,Daily Unlikes\n"
        + "".join(f"{day.isoformat()},{10_000 + i},{i % 17},{i % 5}\n" for i, day in enumerate(days))
    )
    posts = tmp_path / "posts.csv"
    posts.write_text(
        "Post ID,Posted,Post Message,Lifetime Post Total Impressions,Reactions\n"
        + "".join(
            f"1_{i}{n},{day:%m/%d/%Y} {9 + n}:00,post {n} of {day},{100 * n + i},{n}\n"
            for i, day in enumerate(days)
            for n in range(3)
        )
    )
    lake = Lake(tmp_path / "lake")
    assert import_file(lake, "facebook_insights", page, facebook_page) == {"audience_daily": 365}
    assert import_file(lake, "facebook_insights", posts, facebook_page) == {
        "posts": 1095,
        "post_metrics_daily": 1095,
    }
    assert lake.read("audience_daily").num_rows == 365 and lake.read("posts").num_rows == 1095
    for table in ("audience_daily", "posts"):
        files = data_files(lake, table)
        assert len(files) == 12, table  # one commit each: one file per month partition
        assert {f.split("/")[1] for f in files} == {f"month=2023-{m:02d}" for m in range(1, 13)}


def test_an_export_cut_inside_its_last_row_imports_nothing(tmp_path, spotify_cares):
    whole = (FIXTURES / "x_analytics.csv").read_bytes()
    lake = Lake(tmp_path / "lake")
    import_file(lake, "x_analytics", FIXTURES / "x_analytics.csv", spotify_cares)
    before = contents(lake)
    last_row = whole.rstrip(b"\r\n").rindex(b"\n") + 1
    for cut in range(last_row + 1, len(whole.rstrip(b"\r\n"))):  # every cut inside the last row
        cut_file = tmp_path / f"cut-{cut}.csv"
        cut_file.write_bytes(whole[:cut])
        with pytest.raises(ExportError, match="ends inside its last row"):
            import_file(lake, "x_analytics", cut_file, spotify_cares)
    assert contents(lake) == before


@pytest.mark.parametrize(
    ("format", "path"),
    [
        ("twcs", TWCS_SAMPLE),
        ("x_analytics", FIXTURES / "x_analytics.csv"),
        ("facebook_insights", FIXTURES / "facebook_posts.csv"),
        ("facebook_insights", FIXTURES / "facebook_page.csv"),
        ("linkedin_analytics", FIXTURES / "linkedin_content.csv"),
        ("linkedin_analytics", FIXTURES / "linkedin_followers.csv"),
        ("youtube_analytics", FIXTURES / "youtube_table_data.csv"),
        ("youtube_analytics", FIXTURES / "youtube_chart_data.csv"),
    ],
    ids=lambda value: getattr(value, "name", value),
)
def test_every_format_refuses_a_file_cut_inside_its_last_row(tmp_path, format, path, facebook_page):
    whole = path.read_bytes()
    account = (
        facebook_page
        if format != "twcs"
        else Account(network="x", account_id="s", handle="@SpotifyCares", purpose="service")
    )
    read_export(format, path, account)  # the whole file reads
    end = len(whole.rstrip(b"\r\n"))
    last_row = whole[:end].rindex(b"\n") + 1
    for cut in range(last_row + 1, end):
        cut_file = tmp_path / path.name
        cut_file.write_bytes(whole[:cut])
        with pytest.raises(ExportError, match="ends inside its last row"):
            read_export(format, cut_file, account)
