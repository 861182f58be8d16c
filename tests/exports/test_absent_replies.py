"""Say what a file cannot tell: replies an export lists but does not hold are counted and reported."""

import datetime as dt
import logging

import pandas as pd
from export_files import SPOTIFY_REQUESTS, TWCS_SAMPLE

from socialpulse import model
from socialpulse.exports import import_file, read_export
from socialpulse.lake import Lake


def listed_but_absent(path) -> dict[str, dt.date]:
    """Recomputed from the CSV with plain pandas: reply id -> its request's UTC day. Every inbound
    row of the requests-only extract mentions @SpotifyCares; the rows holding nothing but an id
    are not tweets of the file."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = frame[(frame.author_id != "") | (frame.created_at != "") | (frame.text != "")]
    present = set(frame.tweet_id.str.replace(r"\.0+$", "", regex=True))
    absent = {}
    for _, row in frame[frame.inbound.str.lower() == "true"].iterrows():
        assert "@spotifycares" in row.text.lower()
        for reply in filter(None, row.response_tweet_id.split(",")):
            reply = reply.strip().split(".")[0]
            if reply not in present:
                day = (
                    dt.datetime.strptime(row.created_at, "%a %b %d %H:%M:%S %z %Y").astimezone(dt.UTC).date()
                )
                absent.setdefault(reply, day)
    return absent


def test_a_requests_only_extract_records_every_absent_reply_and_warns(tmp_path, spotify_cares, caplog):
    expected = listed_but_absent(SPOTIFY_REQUESTS)
    assert len(expected) > 8000  # most requests list an answer the extract does not hold
    lake = Lake(tmp_path / "lake")
    with caplog.at_level(logging.WARNING):
        counts = import_file(lake, "twcs", SPOTIFY_REQUESTS, spotify_cares)
    assert counts["extraction_issues"] == len(expected)
    assert (
        f"{len(expected)} repl(ies) listed in response_tweet_id of x/spotifycares's requests" in caplog.text
    )
    stored = {
        r["object_id"]: r["date"]
        for r in lake.read("extraction_issues").to_pylist()
        if r["kind"] == model.REPLY_ABSENT and r["account_id"] == "spotifycares"
    }
    assert stored == expected


def test_a_later_file_holding_the_replies_resolves_them(tmp_path, spotify_cares):
    lake = Lake(tmp_path / "lake")
    lines = TWCS_SAMPLE.read_text().splitlines(keepends=True)
    tables = read_export("twcs", TWCS_SAMPLE, spotify_cares)
    outbound = {r["message_id"] for r in tables["messages"].to_pylist() if r["direction"] == "outbound"}
    without_answers = tmp_path / "requests.csv"
    without_answers.write_text(
        lines[0] + "".join(line for line in lines[1:] if line.split(",")[0] not in outbound)
    )
    first = import_file(lake, "twcs", without_answers, spotify_cares)
    absent = {r["object_id"] for r in lake.read("extraction_issues").to_pylist()}
    assert first["extraction_issues"] == len(absent) and outbound & absent

    import_file(lake, "twcs", TWCS_SAMPLE, spotify_cares)  # the whole sample: the answers are there
    still = {r["object_id"] for r in lake.read("extraction_issues").to_pylist()}
    assert not still & outbound and still == absent - outbound
    # and the requests-only file imported again does not bring back what the lake now holds
    import_file(lake, "twcs", without_answers, spotify_cares)
    assert {r["object_id"] for r in lake.read("extraction_issues").to_pylist()} == still


def test_the_reports_data_quality_section_says_response_figures_are_incomplete(tmp_path, spotify_cares):
    from socialpulse import metrics
    from socialpulse.report import data_quality, environment

    lake = Lake(tmp_path / "lake")
    import_file(lake, "twcs", SPOTIFY_REQUESTS, spotify_cares)
    metrics.compute_marts(lake, ("extraction_issues_monthly",))
    by_month: dict[str, int] = {}
    for day in listed_but_absent(SPOTIFY_REQUESTS).values():
        by_month[f"{day:%Y-%m}"] = by_month.get(f"{day:%Y-%m}", 0) + 1
    for month, absent in by_month.items():
        [row] = data_quality(lake, [spotify_cares], month)
        assert row["replies_absent"] == absent, month
    [quiet] = data_quality(lake, [spotify_cares], "2018-06")
    assert not quiet["replies_absent"]

    month = max(by_month, key=by_month.get)
    html = (
        environment()
        .get_template("sections/quality.html.j2")
        .render(quality=data_quality(lake, [spotify_cares], month))
    )
    assert f"response figures incomplete: {by_month[month]} replies the imported export lists" in html
