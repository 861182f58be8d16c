"""Slashed dates are read in one day/month order per column: the one the values prove, or the one given."""

import datetime as dt

import pytest

from socialpulse.domain import Account
from socialpulse.exports import ExportError, import_file, read_export
from socialpulse.lake import Lake

PAGE_HEADER = "Date,Lifetime Total Likes,Daily New Likes,Daily Unlikes\n"


def page(options: dict | None = None) -> Account:
    return Account(
        network="facebook", account_id="1835", handle="demo", purpose="brand", options=options or {}
    )


def page_file(tmp_path, dates: list[str]):
    path = tmp_path / "page.csv"
    path.write_text(PAGE_HEADER + "".join(f"{d},{100 + i},1,0\n" for i, d in enumerate(dates)))
    return path


def days(tables) -> list[dt.date]:
    return tables["audience_daily"].column("date").to_pylist()


def test_dates_that_read_both_ways_are_an_error_naming_file_column_and_the_option(tmp_path):
    path = page_file(tmp_path, ["01/02/2017", "03/04/2017", "05/06/2017"])
    with pytest.raises(ExportError) as error:
        read_export("facebook_insights", path, page())
    message = str(error.value)
    assert message.startswith(
        f"{path}, column 'Date': dates such as '01/02/2017' read both as DD/MM and as MM/DD"
    )
    assert "--date-order dmy" in message and "--date-order mdy" in message


def test_a_day_above_12_proves_dd_mm_for_the_whole_column(tmp_path):
    # a European spreadsheet: 25/10 can only be DD/MM, so 01/11 is 1 November, not 11 January
    path = page_file(tmp_path, ["25/10/2017", "01/11/2017", "02/11/2017"])
    assert days(read_export("facebook_insights", path, page())) == [
        dt.date(2017, 10, 25),
        dt.date(2017, 11, 1),
        dt.date(2017, 11, 2),
    ]


def test_a_day_above_12_in_second_place_proves_mm_dd(tmp_path):
    path = page_file(tmp_path, ["10/25/2017", "11/01/2017"])
    assert days(read_export("facebook_insights", path, page())) == [
        dt.date(2017, 10, 25),
        dt.date(2017, 11, 1),
    ]


def test_the_order_given_reads_ambiguous_dates_as_the_account_option_or_argument_says(tmp_path):
    path = page_file(tmp_path, ["01/02/2017", "03/04/2017"])
    assert days(read_export("facebook_insights", path, page(), date_order="dmy")) == [
        dt.date(2017, 2, 1),
        dt.date(2017, 4, 3),
    ]
    assert days(read_export("facebook_insights", path, page({"date_order": "mdy"}))) == [
        dt.date(2017, 1, 2),
        dt.date(2017, 3, 4),
    ]


def test_a_column_proving_both_orders_is_an_error_naming_the_row(tmp_path):
    path = page_file(tmp_path, ["25/10/2017", "10/26/2017"])
    with pytest.raises(
        ExportError,
        match=r"page.csv line 3, column 'Date': '10/26/2017' is MM/DD but '25/10/2017' on line 2 is DD/MM",
    ):
        read_export("facebook_insights", path, page())


def test_an_order_the_values_contradict_is_an_error(tmp_path):
    path = page_file(tmp_path, ["01/11/2017", "25/10/2017"])
    with pytest.raises(
        ExportError, match=r"line 3, column 'Date': '25/10/2017' cannot be read as MM/DD .* --date-order dmy"
    ):
        read_export("facebook_insights", path, page(), date_order="mdy")


def test_post_times_follow_the_same_rule(tmp_path):
    posts = tmp_path / "posts.csv"
    posts.write_text(
        "Post ID,Posted,Lifetime Post Total Impressions\n1_1,02/10/2017 09:15,5\n1_2,13/10/2017 10:00,6\n"
    )
    created = read_export("facebook_insights", posts, page())["posts"].column("created_at").to_pylist()
    assert [c.date() for c in created] == [dt.date(2017, 10, 2), dt.date(2017, 10, 13)]


def test_iso_dates_and_dates_whose_day_equals_the_month_need_no_order(tmp_path):
    path = page_file(tmp_path, ["2017-10-01", "02/02/2017"])
    assert days(read_export("facebook_insights", path, page())) == [dt.date(2017, 10, 1), dt.date(2017, 2, 2)]


def test_an_ambiguous_file_imports_nothing(tmp_path):
    lake = Lake(tmp_path / "lake")
    with pytest.raises(ExportError, match="--date-order"):
        import_file(lake, "facebook_insights", page_file(tmp_path, ["01/02/2017", "03/04/2017"]), page())
    assert lake.versions()["audience_daily"] is None
