"""A malformed export fails with an ExportError naming the file, the line and the column."""

import pytest

from socialpulse.exports import ExportError, read_export

HEADER = '"Tweet id","Tweet text","time","impressions","likes"\n'


def write(tmp_path, text, name="x_analytics.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def read_x(path, account):
    return read_export("x_analytics", path, account)


def test_a_bad_count_names_file_physical_line_and_column(tmp_path, spotify_cares):
    path = write(
        tmp_path,
        HEADER
        + '"1","a tweet\nover two lines","2020-01-02 03:04 +0000","10","1"\n'
        + '"2","fine","2020-01-02 03:05 +0000","abc","1"\n',
    )
    with pytest.raises(ExportError) as error:
        read_x(path, spotify_cares)
    assert str(error.value) == f"{path} line 4, column 'impressions': 'abc' is not a whole number"


def test_negative_counts_are_rejected(tmp_path, spotify_cares):
    path = write(tmp_path, HEADER + '"1","t","2020-01-02 03:04 +0000","-3","1"\n')
    with pytest.raises(ExportError, match=r"line 2, column 'impressions': '-3' is negative"):
        read_x(path, spotify_cares)


def test_missing_required_columns_are_named(tmp_path, spotify_cares):
    path = write(tmp_path, '"Tweet text","impressions"\n"hello","1"\n')
    with pytest.raises(ExportError, match=r"missing required column\(s\) 'Tweet id', 'time'") as error:
        read_x(path, spotify_cares)
    assert str(path) in str(error.value)


def test_a_bad_time_names_the_expected_shape(tmp_path, spotify_cares):
    path = write(tmp_path, HEADER + '"1","t","31/12/2020","1","1"\n')
    with pytest.raises(ExportError, match=r"line 2, column 'time': '31/12/2020' is not a date-time like"):
        read_x(path, spotify_cares)


def test_a_row_longer_than_the_header_is_rejected(tmp_path, spotify_cares):
    path = write(tmp_path, HEADER + '"1","t","2020-01-02 03:04 +0000","1","1","surprise"\n')
    with pytest.raises(ExportError, match=r"line 2: 6 cells but the header on line 1 names 5 columns"):
        read_x(path, spotify_cares)


def test_an_unclosed_quote_is_rejected_with_its_line(tmp_path, spotify_cares):
    path = write(tmp_path, HEADER + '"1","t","2020-01-02 03:04 +0000","1","1"\n"2","never closed,1,1\n')
    with pytest.raises(ExportError, match=r"line 3: cannot be read as CSV"):
        read_x(path, spotify_cares)


def test_text_that_is_not_utf8_is_rejected_with_its_line(tmp_path, spotify_cares):
    path = tmp_path / "x_analytics.csv"
    path.write_bytes(HEADER.encode() + b'"1","caf\xe9","2020-01-02 03:04 +0000","1","1"\n')
    with pytest.raises(ExportError, match=r"line 2: not utf-8-sig text"):
        read_x(path, spotify_cares)


def test_an_empty_file_is_rejected(tmp_path, spotify_cares):
    with pytest.raises(ExportError, match="empty"):
        read_x(write(tmp_path, ""), spotify_cares)


def test_twcs_inbound_must_be_true_or_false(tmp_path, spotify_cares):
    path = write(
        tmp_path,
        "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
        "1,105840,yes,Tue Oct 31 22:10:47 +0000 2017,@SpotifyCares help,,\n",
        name="twcs.csv",
    )
    with pytest.raises(ExportError, match=r"twcs.csv line 2, column 'inbound': 'yes' is not True or False"):
        read_export("twcs", path, spotify_cares)


def test_twcs_a_partly_empty_row_is_an_error_not_skipped(tmp_path, spotify_cares):
    path = write(
        tmp_path,
        "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
        "1,105840,True,,@SpotifyCares help,,\n",
        name="twcs.csv",
    )
    with pytest.raises(ExportError, match=r"line 2, column 'created_at': '' is empty"):
        read_export("twcs", path, spotify_cares)


def test_facebook_page_data_without_any_follower_column_says_so(tmp_path, facebook_page):
    path = write(tmp_path, "Date,Daily Total Reach\n2017-10-01,5\n", name="page.csv")
    with pytest.raises(ExportError, match=r"page\.csv: has none of the follower columns"):
        read_export("facebook_insights", path, facebook_page)


def test_an_implausible_year_is_rejected(tmp_path, spotify_cares):
    path = write(tmp_path, HEADER + '"1","t","0217-01-02 03:04 +0000","1","1"\n')
    with pytest.raises(
        ExportError, match=r"line 2, column 'time': '0217-01-02 03:04 \+0000' is outside 1990-2100"
    ):
        read_x(path, spotify_cares)
