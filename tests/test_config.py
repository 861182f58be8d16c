"""The accounts file: validated on load, with errors that name the file and the key."""

from __future__ import annotations

import pytest
from helpers import write_config

from socialpulse.config import ConfigError, load_config


def test_the_shipped_config_loads():
    config = load_config()
    assert config.accounts and config.reports
    assert all(a.network == "simulated" for a in config.accounts)


def test_a_valid_file_gives_accounts_reports_and_an_absolute_lake_root(tmp_path):
    config = load_config(write_config(tmp_path))
    assert [a.key for a in config.accounts] == ["simulated/care", "simulated/deals"]
    assert config.report("board").recipients == ("board@example.com",)
    assert config.lake_root == (tmp_path / "lake").resolve()


def test_environment_overrides_the_lake_root(tmp_path, monkeypatch):
    monkeypatch.setenv("SOCIALPULSE_LAKE_ROOT", str(tmp_path / "elsewhere"))
    assert load_config(write_config(tmp_path)).lake_root == tmp_path / "elsewhere"


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda s: s.replace("purpose: service", "purpose: selling"),
            r"accounts\[0\]\.purpose: 'selling' is not one of",
        ),
        (
            lambda s: s.replace("time_zone: Europe/Paris", "time_zone: Mars/Olympus"),
            r"accounts\[0\]\.time_zone: unknown time zone",
        ),
        (
            lambda s: s.replace(
                "network: simulated, account_id: deals", "network: myspace, account_id: deals"
            ),
            r"accounts\[1\]\.network: unknown network 'myspace'",
        ),
        (lambda s: s.replace("account_id: deals", "account_id: care"), r"duplicate account"),
        (lambda s: s.replace("[board@example.com]", "[not-an-address]"), r"reports\[0\]\.recipients"),
        (
            lambda s: s.replace(
                "reports:\n", "reports:\n  - {name: board, title: Copy, recipients: [b@example.com]}\n"
            ),
            r"duplicate report name\(s\) \['board'\]",
        ),
        (lambda s: s.replace("sla_hours: 24", "sla_hours: -3"), r"sla_hours must be a positive number"),
        (lambda s: s + "\nextra_key: 1\n", r"unknown key\(s\) \['extra_key'\]"),
    ],
    ids=[
        "purpose",
        "time-zone",
        "network",
        "duplicate",
        "recipient",
        "duplicate-report",
        "sla",
        "unknown-key",
    ],
)
def test_mistakes_are_reported_with_file_and_key(tmp_path, edit, message):
    path = write_config(tmp_path)
    path.write_text(edit(path.read_text()))
    with pytest.raises(ConfigError, match=message) as error:
        load_config(path)
    assert str(path) in str(error.value)


def test_a_missing_file_says_how_to_point_at_one(tmp_path):
    with pytest.raises(ConfigError, match="SOCIALPULSE_CONFIG"):
        load_config(tmp_path / "nope.yml")
