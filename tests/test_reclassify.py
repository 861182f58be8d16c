"""`python -m socialpulse reclassify`: the lake's message classes rewritten with the current classifier."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import yaml
from helpers import day_interval

from socialpulse import pipeline
from socialpulse.classify import CLASSIFIER_VERSION, DERIVED_COLUMNS
from socialpulse.cli import main
from socialpulse.config import load_config
from socialpulse.exports import import_file
from socialpulse.lake import Lake
from socialpulse.paths import REPO_ROOT

TWCS_SAMPLE = REPO_ROOT / "tests" / "data" / "twcs-sample" / "sample.csv"


def _config(tmp_path):
    path = tmp_path / "socialpulse.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "lake_root": str(tmp_path / "lake"),
                "seed": 5,
                "accounts": [
                    {
                        "network": "simulated",
                        "account_id": "care",
                        "handle": "@acme_care",
                        "purpose": "service",
                    },
                    {"network": "x", "account_id": "tesco", "handle": "@Tesco", "purpose": "service"},
                ],
            }
        )
    )
    return path


def _demo_like_lake(tmp_path):
    """As the demo builds it: simulated days through the bulk path, and real tweets imported."""
    path = _config(tmp_path)
    config = load_config(path)
    pipeline.backfill(config, config.account("simulated/care"), day_interval(dt.date(2026, 4, 1), days=3))
    import_file(Lake.from_config(config), "twcs", TWCS_SAMPLE, config.account("x/tesco"))
    return path, config


def _messages(config, account_id):
    messages = Lake.from_config(config).read("messages")
    return messages.filter(pc.equal(messages.column("account_id"), account_id)).sort_by("message_id")


def _as_an_older_lake(config, account, rewrite):
    """Rewrite an account's stored messages as an earlier version of the pipeline left them."""
    lake = Lake.from_config(config)
    rows = _messages(config, account.account_id).to_pylist()
    for row in rows:
        rewrite(row)
    table = pa.Table.from_pylist(rows, schema=lake.read("messages").schema)
    from socialpulse.exports import covering_interval

    lake.publish(account, covering_interval({"messages": table}), {"messages": table})


def test_reclassify_fills_a_lake_written_before_the_classifier_and_keeps_the_networks_intent(tmp_path):
    path, config = _demo_like_lake(tmp_path)
    care = config.account("simulated/care")
    expected = _messages(config, "care")

    def before_the_classifier(row):
        for column in DERIVED_COLUMNS:
            if column != "intent":  # the simulated network's own intent was stored
                row[column] = None
        row["network_intent"] = None

    _as_an_older_lake(config, care, before_the_classifier)
    assert main(["reclassify", "--account", "simulated/care", "--config", str(path)]) == 0
    assert _messages(config, "care").to_pylist() == expected.to_pylist()
    inbound = [m for m in expected.to_pylist() if m["direction"] == "inbound"]
    assert inbound and all(m["intent"] == m["network_intent"] for m in inbound)


def test_reclassify_replaces_an_older_classifiers_columns_of_one_account_only(tmp_path, capsys):
    path, config = _demo_like_lake(tmp_path)
    tesco, care_before = _messages(config, "tesco"), _messages(config, "care")

    def older_classifier(row):
        if row["direction"] == "inbound":
            row.update(intent="other", is_request=False, is_negative=False, classifier_version="rules-0")

    _as_an_older_lake(config, config.account("x/tesco"), older_classifier)
    assert main(["reclassify", "--account", "x/tesco", "--config", str(path)]) == 0
    assert "x/tesco:" in capsys.readouterr().out
    after = _messages(config, "tesco")
    assert after.to_pylist() == tesco.to_pylist()
    inbound = [m for m in after.to_pylist() if m["direction"] == "inbound"]
    assert {m["classifier_version"] for m in inbound} == {CLASSIFIER_VERSION}
    assert any(m["is_request"] for m in inbound) and any(m["intent"] == "complaint" for m in inbound)
    assert _messages(config, "care").to_pylist() == care_before.to_pylist()


def test_reclassify_twice_changes_nothing_the_second_time(tmp_path, capsys):
    path, config = _demo_like_lake(tmp_path)
    assert main(["reclassify", "--config", str(path)]) == 0
    first = capsys.readouterr().out
    files = sorted((tmp_path / "lake").rglob("*.parquet"))
    stamps = {p: p.stat().st_mtime_ns for p in files}
    before = Lake.from_config(config).read("messages").sort_by("message_id")
    assert main(["reclassify", "--config", str(path)]) == 0
    second = capsys.readouterr().out
    assert "simulated/care:" in first and "x/tesco:" in first
    assert second.count(" 0 changed") == 2
    assert Lake.from_config(config).read("messages").sort_by("message_id").equals(before)
    assert {p: p.stat().st_mtime_ns for p in sorted((tmp_path / "lake").rglob("*.parquet"))} == stamps
    assert pipeline.reclassify(config, config.account("x/tesco"))["changed"] == 0


def test_reclassify_of_an_unknown_account_says_which_accounts_exist(tmp_path, capsys):
    path = _config(tmp_path)
    assert main(["reclassify", "--account", "x/nobody", "--config", str(path)]) == 2
    assert "x/nobody" in capsys.readouterr().err
