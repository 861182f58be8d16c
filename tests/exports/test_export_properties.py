"""Property tests: any input either parses into exactly what it says, or fails with an
ExportError that names the file — never another exception."""

import csv
import datetime as dt
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialpulse.domain import Account
from socialpulse.exports import ExportError, read_export

ACCOUNT = Account(network="x", account_id="spotifycares", handle="@SpotifyCares", purpose="service")
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Real export text: any printable character, commas, quotes and line breaks included.
texts = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(',"\n'), max_size=40)
ids = st.integers(min_value=0, max_value=10**18)
counts = st.none() | st.integers(min_value=0, max_value=10**12)
moments = st.datetimes(min_value=dt.datetime(2006, 1, 1), max_value=dt.datetime(2030, 12, 31)).map(
    lambda d: d.replace(microsecond=0, tzinfo=dt.UTC)
)


def write(content: bytes, name: str) -> Path:
    folder = Path(tempfile.mkdtemp())
    path = folder / name
    path.write_bytes(content)
    return path


def csv_bytes(header, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def read_or_export_error(format: str, path: Path):
    try:
        return read_export(format, path, ACCOUNT)
    except ExportError as error:
        assert str(path) in str(error)
        return None


def expected_text(text):
    return text if text.strip() else None


tweet_rows = st.lists(
    st.tuples(ids, texts, moments.map(lambda d: d.replace(second=0)), counts, counts, counts),
    max_size=8,
    unique_by=lambda row: row[0],
)


@SETTINGS
@given(tweet_rows)
def test_x_analytics_reads_back_what_was_written(rows):
    header = ["Tweet id", "Tweet text", "time", "impressions", "likes", "retweets"]
    body = [
        [str(i), text, f"{time:%Y-%m-%d %H:%M} +0000", *("" if c is None else str(c) for c in metrics)]
        for i, text, time, *metrics in rows
    ]
    tables = read_export("x_analytics", write(csv_bytes(header, body), "x.csv"), ACCOUNT)
    posts = tables["posts"].to_pylist()
    metrics = tables["post_metrics_daily"].to_pylist()
    assert [p["post_id"] for p in posts] == [str(r[0]) for r in rows]
    assert [p["text"] for p in posts] == [expected_text(r[1]) for r in rows]
    assert [p["created_at"] for p in posts] == [r[2] for r in rows]
    assert [(m["impressions"], m["likes"], m["shares"]) for m in metrics] == [tuple(r[3:]) for r in rows]


conversation_rows = st.lists(
    st.tuples(ids, st.booleans(), texts, moments, st.none() | ids),
    min_size=1,
    max_size=8,
    unique_by=lambda row: row[0],
)


@SETTINGS
@given(conversation_rows)
def test_twcs_reads_back_every_message_of_the_company(rows):
    header = [
        "tweet_id",
        "author_id",
        "inbound",
        "created_at",
        "text",
        "response_tweet_id",
        "in_response_to_tweet_id",
    ]
    body = []
    for tweet_id, ours, text, when, parent in rows:
        # every customer tweet mentions the company, so every row belongs to the account
        author, inbound, text = (
            ("SpotifyCares", "False", text) if ours else ("105840", "True", "@SpotifyCares " + text)
        )
        body.append(
            [
                str(tweet_id),
                author,
                inbound,
                when.strftime("%a %b %d %H:%M:%S +0000 %Y"),
                text,
                "",
                "" if parent is None else str(parent),
            ]
        )
    messages = read_export("twcs", write(csv_bytes(header, body), "twcs.csv"), ACCOUNT)[
        "messages"
    ].to_pylist()
    assert [m["message_id"] for m in messages] == [str(r[0]) for r in rows]
    assert [m["direction"] for m in messages] == ["outbound" if r[1] else "inbound" for r in rows]
    assert [m["created_at"] for m in messages] == [r[3] for r in rows]
    assert [m["text"] for m in messages] == [expected_text(b[4]) for b in body]
    assert [m["parent_id"] for m in messages] == [None if r[4] is None else str(r[4]) for r in rows]
    known = {str(r[0]) for r in rows}
    assert all(m["thread_id"] in known for m in messages)


VALID_X = csv_bytes(
    ["Tweet id", "Tweet text", "time", "impressions", "likes"],
    [
        ["1", "hello, world", "2020-01-02 03:04 +0000", "10", "2"],
        ["2", "@a reply", "2020-01-03 04:05 +0000", "", "-"],
    ],
)
VALID_TWCS = (
    b"tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
    b"1,105840,True,Tue Oct 31 22:10:47 +0000 2017,@SpotifyCares help,2,\n"
    b"2,SpotifyCares,False,Tue Oct 31 22:20:47 +0000 2017,On it /AY,,1\n"
)


@SETTINGS
@given(st.binary(max_size=300) | texts.map(str.encode), st.sampled_from(["x_analytics", "twcs"]))
def test_any_bytes_parse_or_raise_an_export_error(content, format):
    result = read_or_export_error(format, write(content, "random.csv"))
    assert result is None or all(table.num_rows >= 0 for table in result.values())


@SETTINGS
@given(
    st.sampled_from([("x_analytics", VALID_X), ("twcs", VALID_TWCS)]),
    st.integers(min_value=0, max_value=400),
    st.binary(max_size=12) | texts.map(str.encode),
)
def test_a_damaged_valid_file_parses_or_raises_an_export_error(case, position, damage):
    format, content = case
    position %= len(content)
    read_or_export_error(format, write(content[:position] + damage + content[position + 1 :], "damaged.csv"))
