"""The sla: section of the configuration file: per-network hours and business hours."""

import pytest
from helpers import write_config

from socialpulse.config import ConfigError, SlaPolicy, load_config


def config_with(tmp_path, sla_section: str):
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("sla_hours: 24\n", sla_section))
    return path


def test_sla_hours_alone_is_the_default_sla(tmp_path):
    config = load_config(write_config(tmp_path))
    assert config.sla == SlaPolicy(default_hours=24.0)
    assert config.sla.resolution_quiet_hours == 24.0


def test_resolution_quiet_hours_are_read_beside_business_hours(tmp_path):
    path = config_with(
        tmp_path,
        'sla:\n  resolution_quiet_hours: 48\n  business_hours: {start: "09:00", end: "17:00"}\n',
    )
    assert load_config(path).sla.resolution_quiet_hours == 48.0


def test_sla_section_gives_per_network_hours_and_business_hours(tmp_path):
    path = config_with(
        tmp_path,
        "sla:\n  default_hours: 12\n  per_network: {x: 4}\n"
        '  business_hours: {start: "08:30", end: "18:00", days: [fri, mon]}\n',
    )
    config = load_config(path)
    assert config.sla.default_hours == 12.0
    assert (config.sla.hours_for("x"), config.sla.hours_for("facebook")) == (4.0, 12.0)
    assert (config.sla.business_start, config.sla.business_end, config.sla.business_days) == (
        "08:30",
        "18:00",
        ("mon", "fri"),
    )


@pytest.mark.parametrize(
    "section, message",
    [
        ("sla:\n  per_network: {myspace: 4}\n", r"sla\.per_network\.myspace: unknown network"),
        ("sla:\n  per_network: {x: 0}\n", r"sla\.per_network\.x must be a positive number"),
        ("sla_hours: 24\nsla:\n  default_hours: 8\n", r"sla_hours or sla\.default_hours, not both"),
        (
            'sla:\n  business_hours: {start: "9am", end: "17:00"}\n',
            r"sla\.business_hours\.start must be a time",
        ),
        ('sla:\n  business_hours: {start: "17:00", end: "09:00"}\n', r"start 17:00 must be before end 09:00"),
        (
            'sla:\n  business_hours: {start: "09:00", end: "17:00", days: [funday]}\n',
            r"sla\.business_hours\.days must be a list",
        ),
        ("sla:\n  hours: 3\n", r"sla: unknown key\(s\) \['hours'\]"),
        ("sla:\n  resolution_quiet_hours: -1\n", r"sla\.resolution_quiet_hours must be a positive number"),
    ],
    ids=["network", "hours", "twice", "time", "order", "days", "unknown", "quiet"],
)
def test_sla_mistakes_name_the_file_and_the_key(tmp_path, section, message):
    path = config_with(tmp_path, section)
    with pytest.raises(ConfigError, match=message) as error:
        load_config(path)
    assert str(path) in str(error.value)
