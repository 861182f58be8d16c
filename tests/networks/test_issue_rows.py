"""What an extraction could not read is stored whatever the answer's ids hold."""

from __future__ import annotations

import datetime as dt

import pyarrow.parquet as pq

from socialpulse.domain import Account, Interval
from socialpulse.model import table_from_rows
from socialpulse.networks.issues import Issues

UTC = dt.UTC


def test_an_id_holding_half_an_emoji_is_stored_as_its_escape(tmp_path):
    # found by the payload property test: Instagram answered a media id of '\ud800' (a lone surrogate)
    issues = Issues("instagram")
    issues.skipped("/17841400000000000/media", "\ud800", "a media without a timestamp")
    issues.unavailable("/\ud83d/insights", "reach", "refused for this media", object_id="\ud83d")
    account = Account("instagram", "17841400000000000", "@pulse", "brand", "UTC")
    interval = Interval(dt.datetime(2026, 11, 2, tzinfo=UTC), dt.datetime(2026, 11, 3, tzinfo=UTC))
    table = table_from_rows("extraction_issues", issues.take(account, interval))
    pq.write_table(table, tmp_path / "issues.parquet")  # Parquet strings are UTF-8: this raised before
    rows = pq.read_table(tmp_path / "issues.parquet").to_pylist()
    assert sorted(r["object_id"] for r in rows) == ["\\ud800", "\\ud83d"]
    assert {r["endpoint"] for r in rows} == {"/17841400000000000/media", "/\\ud83d/insights"}
