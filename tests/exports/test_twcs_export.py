"""The twcs importer: real Customer Support on Twitter conversations -> messages."""

import datetime as dt

import pytest
from export_files import SPOTIFY_REQUESTS, TWCS_SAMPLE

from socialpulse.domain import Account
from socialpulse.exports import ExportError, read_export
from socialpulse.exports.base import staff_signatures
from socialpulse.exports.twcs import thread_roots

UTC = dt.UTC


def rows_by_id(table):
    return {row["message_id"]: row for row in table.to_pylist()}


def test_sample_keeps_only_the_conversations_of_the_accounts_company(spotify_cares):
    messages = read_export("twcs", TWCS_SAMPLE, spotify_cares)["messages"]
    rows = messages.to_pylist()
    assert len(rows) == 16
    assert {r["author_id"] for r in rows if r["direction"] == "outbound"} == {"SpotifyCares"}
    assert {r["thread_id"] for r in rows} == {"119256", "119283"}
    assert all(r["network"] == "x" and r["account_id"] == "spotifycares" for r in rows)
    assert all(
        r["channel"] == "mention" and r["network_intent"] is None and r["post_id"] is None for r in rows
    )
    # twcs does not classify: the intent is the classifier's, on customers' messages only
    assert all((r["intent"] is None) == (r["direction"] == "outbound") for r in rows)


def test_created_at_is_parsed_to_utc_and_replies_point_at_their_parent(spotify_cares):
    rows = rows_by_id(read_export("twcs", TWCS_SAMPLE, spotify_cares)["messages"])
    first_answer = rows["119254"]
    assert first_answer["created_at"] == dt.datetime(2017, 10, 11, 13, 41, 25, tzinfo=UTC)
    assert first_answer["parent_id"] == "119256"
    assert rows["119256"]["parent_id"] is None  # the customer's opening tweet
    # the answer came 48 minutes after the request: what response-time metrics measure
    assert first_answer["created_at"] - rows["119256"]["created_at"] == dt.timedelta(minutes=47, seconds=56)


def test_customers_keep_only_their_anonymised_id_and_staff_are_named_by_signature(spotify_cares):
    rows = rows_by_id(read_export("twcs", TWCS_SAMPLE, spotify_cares)["messages"])
    customer = rows["119255"]
    assert (customer["direction"], customer["author_id"], customer["author_handle"]) == (
        "inbound",
        "105840",
        None,
    )
    assert customer["staff_member"] is None
    assert rows["119254"]["author_handle"] == "@SpotifyCares"
    assert rows["119254"]["staff_member"] == "AY"  # "... that'd be great /AY"
    assert rows["119261"]["staff_member"] == "CP"


def test_a_thread_whose_root_is_missing_starts_at_its_earliest_tweet_in_the_file():
    virgin = Account(network="x", account_id="virgintrains", handle="@VirginTrains", purpose="service")
    rows = rows_by_id(read_export("twcs", TWCS_SAMPLE, virgin)["messages"])
    # 119246 answers 119247, which is not in the sample: the thread is named after 119246
    assert {r["thread_id"] for r in rows.values()} == {"119246"}
    assert rows["119246"]["parent_id"] == "119247"
    assert rows["119246"]["staff_member"] == "HP"


def test_company_author_id_option_overrides_the_handle():
    account = Account(
        network="x",
        account_id="spotify",
        handle="@Spotify",
        purpose="service",
        options={"company_author_id": "SpotifyCares"},
    )
    assert read_export("twcs", TWCS_SAMPLE, account)["messages"].num_rows == 16


def test_a_company_absent_from_the_file_is_an_error_that_says_which_option_to_set():
    account = Account(network="x", account_id="acme", handle="@AcmeHelp", purpose="service")
    with pytest.raises(ExportError, match="company_author_id"):
        read_export("twcs", TWCS_SAMPLE, account)


def test_spotify_requests_file_imports_every_real_request(spotify_cares, caplog):
    messages = read_export("twcs", SPOTIFY_REQUESTS, spotify_cares)["messages"]
    # 10,599 records, 7 of which hold nothing but an id: skipped, and said so with their lines
    assert messages.num_rows == 10_592
    assert "skipped 7 row(s)" in caplog.text and "1142" in caplog.text
    assert set(messages.column("direction").to_pylist()) == {"inbound"}
    rows = rows_by_id(messages)
    assert rows["849"]["parent_id"] == "848"  # written "848.0" in the file


def test_follow_ups_stay_in_one_thread_across_answers_missing_from_the_file(spotify_cares):
    rows = rows_by_id(read_export("twcs", SPOTIFY_REQUESTS, spotify_cares)["messages"])
    # 853 was answered by 852 (absent); 850 replies to 852 and was answered by 848 (absent);
    # 849 replies to 848. One conversation, rooted at the customer's first tweet.
    assert rows["849"]["thread_id"] == rows["850"]["thread_id"] == rows["853"]["thread_id"] == "853"


def test_thread_roots_survive_a_reply_cycle():
    assert thread_roots(["1", "2"], ["2", "1"], ["", ""]) in (["2", "2"], ["1", "1"])


@pytest.mark.parametrize(
    "text, staff",
    [
        ("@105835 Please DM your name. ^RR https://t.co/znUu1VJn9r", "RR"),
        ("@105836 Have you tried from another device, Miriam ^MM", "MM"),
        ("@105840 let us know the Spotify versions you're using /AY", "AY"),
        ("@1 look into this matter for you. -AD", "AD"),
        ("@1 to prove they're of age. - Paige", "Paige"),
        ("@1 Thanks - Lee 2/2", "Lee"),
        ("@1 Kind Regards ^Jools", "Jools"),
        ("@1 the updated departure time we have is 15:30. 1/2", None),
        ("@1 Join us in DM. https://t.co/GDrqU22YpT", None),
        ("@1 I love AC/DC", None),
    ],
)
def test_staff_signature_is_the_sign_off_at_the_end(text, staff):
    import pyarrow as pa

    assert staff_signatures(pa.array([text])).to_pylist() == [staff]
