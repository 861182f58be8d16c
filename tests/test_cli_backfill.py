"""`python -m socialpulse backfill` and `import`: history into the lake, progress on the way, and
errors that say what to fix."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from socialpulse import model
from socialpulse.cli import main
from socialpulse.lake import Lake
from socialpulse.paths import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "exports" / "fixtures"


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "socialpulse.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "lake_root": str(tmp_path / "lake"),
                "accounts": [
                    {"network": "simulated", "account_id": "care", "handle": "@care", "purpose": "service"},
                    {
                        "network": "simulated",
                        "account_id": "deals",
                        "handle": "@deals",
                        "purpose": "promotions",
                    },
                    {
                        "network": "x",
                        "account_id": "spotifycares",
                        "handle": "@SpotifyCares",
                        "purpose": "service",
                        "connection_id": "socialpulse_x",
                    },
                ],
            }
        )
    )
    return path


def published_days(lake: Path, table: str, account: str) -> list[str]:
    """The UTC days with rows of the account in the table, as YYYY-MM-DD."""
    column = model.TABLES[table].date_column
    days = {r[column] for r in Lake(lake).read(table).to_pylist() if r["account_id"] == account}
    return sorted({(d.date() if isinstance(d, dt.datetime) else d).isoformat() for d in days})


def test_backfill_of_a_network_publishes_every_day_of_every_account_in_chunks(
    config, tmp_path, capsys, caplog
):
    caplog.set_level("INFO", logger="socialpulse")
    code = main(
        [
            "backfill",
            "--config",
            str(config),
            "--network",
            "simulated",
            "--from-date",
            "2026-09-28",
            "--to-date",
            "2026-10-02",
            "--chunk-days",
            "3",
        ]
    )
    assert code == 0
    days = ["2026-09-28", "2026-09-29", "2026-09-30", "2026-10-01", "2026-10-02"]
    assert published_days(tmp_path / "lake", "audience_daily", "care") == days
    assert published_days(tmp_path / "lake", "audience_daily", "deals") == days
    assert not published_days(tmp_path / "lake", "audience_daily", "spotifycares")
    progress = [r.getMessage() for r in caplog.records if "days done" in r.getMessage()]
    assert progress == [
        "backfill simulated/care: 3/5 days done (up to 2026-10-01)",
        "backfill simulated/care: 5/5 days done (up to 2026-10-03)",
        "backfill simulated/deals: 3/5 days done (up to 2026-10-01)",
        "backfill simulated/deals: 5/5 days done (up to 2026-10-03)",
    ]
    assert "simulated/deals 2026-09-28..2026-10-02" in capsys.readouterr().out


def test_import_of_a_folder_imports_each_export_file_and_reports_progress(config, tmp_path, capsys):
    folder = tmp_path / "exports"
    (folder / "2017").mkdir(parents=True)
    shutil.copy(FIXTURES / "x_analytics.csv", folder / "2017" / "tweet_activity_metrics.csv")
    (folder / "notes.txt").write_text("not an export")
    assert (
        main(
            [
                "import",
                "--config",
                str(config),
                "--account",
                "x/spotifycares",
                "--format",
                "x_analytics",
                str(folder),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "imported 1/1" in out and "{'posts': 5, 'post_metrics_daily': 5}" in out
    assert published_days(tmp_path / "lake", "posts", "spotifycares") == [
        "2017-10-31",
        "2017-11-01",
        "2017-11-02",
    ]


def test_import_stops_at_a_bad_file_and_says_which_files_are_in(config, tmp_path, capsys):
    good, bad = tmp_path / "a.csv", tmp_path / "b.csv"
    shutil.copy(FIXTURES / "x_analytics.csv", good)
    bad.write_text('"Tweet id","time","impressions"\n"1","2017-10-31 10:00 +0000","many"\n')
    assert (
        main(
            [
                "import",
                "--config",
                str(config),
                "--account",
                "x/spotifycares",
                "--format",
                "x_analytics",
                str(good),
                str(bad),
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert f"{bad} line 2, column 'impressions'" in err
    assert "imported 1 of 2 files" in err


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["backfill", "--account", "x/nobody", "--from-date", "2026-01-01", "--to-date", "2026-01-02"],
            "no account 'x/nobody'",
        ),
        (
            ["backfill", "--network", "youtube", "--from-date", "2026-01-01", "--to-date", "2026-01-02"],
            "no account on network 'youtube'",
        ),
        (
            ["backfill", "--network", "simulated", "--from-date", "2026-01-05", "--to-date", "2026-01-02"],
            "ends (2026-01-02) before it starts",
        ),
        (
            ["import", "--account", "x/spotifycares", "--format", "x_analytics", "/nonexistent/exports"],
            "/nonexistent/exports: no such file or folder",
        ),
    ],
)
def test_a_wrong_account_network_range_or_path_is_a_usage_error(config, capsys, args, message):
    assert main([*args, "--config", str(config)]) == 2
    assert message in capsys.readouterr().err


def test_a_folder_without_export_files_is_a_usage_error(config, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert (
        main(
            [
                "import",
                "--config",
                str(config),
                "--account",
                "x/spotifycares",
                "--format",
                "twcs",
                str(tmp_path / "empty"),
            ]
        )
        == 2
    )
    assert "a folder without export files (.csv)" in capsys.readouterr().err


def test_the_command_line_entry_point_lists_backfill_and_import():
    done = subprocess.run(
        [sys.executable, "-m", "socialpulse", "--help"], capture_output=True, text=True, check=True
    )
    assert "backfill" in done.stdout and "import" in done.stdout


def _tweets(path: Path, year: int) -> Path:
    path.write_text(
        '"Tweet id","time","impressions"\n'
        + "".join(f'"{i}","{year}-10-0{i} 10:00 +0000","{i}00"\n' for i in range(1, 5))
    )
    return path


def test_import_refuses_a_file_that_moves_many_days_and_dry_run_shows_why(config, tmp_path, capsys):
    args = ["import", "--config", str(config), "--account", "x/spotifycares", "--format", "x_analytics"]
    assert main([*args, str(_tweets(tmp_path / "2017.csv", 2017))]) == 0
    moved = _tweets(tmp_path / "2018.csv", 2018)  # the same tweets, a year later: 4 days move
    capsys.readouterr()

    assert main([*args, str(moved)]) == 1
    err = capsys.readouterr().err
    assert f"{moved}: importing it would remove or move stored rows of x/spotifycares on 4 days" in err
    assert "--replace-existing" in err and "--dry-run" in err

    assert main([*args, "--dry-run", str(moved)]) == 0
    out = capsys.readouterr().out
    assert f"{moved} would change (dry run, nothing written):" in out
    assert "posts: 0 added, 0 replaced, 4 moved, 0 removed" in out
    assert "post_id 1 moved 2017-10-01 -> 2018-10-01" in out
    assert published_days(tmp_path / "lake", "posts", "spotifycares")[0] == "2017-10-01"

    assert main([*args, "--replace-existing", str(moved)]) == 0
    assert published_days(tmp_path / "lake", "posts", "spotifycares") == [
        f"2018-10-0{i}" for i in range(1, 5)
    ]


def test_import_of_ambiguous_dates_says_to_pass_date_order_and_takes_it(tmp_path, capsys):
    config = tmp_path / "socialpulse.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "lake_root": str(tmp_path / "lake"),
                "accounts": [
                    {"network": "facebook", "account_id": "1835", "handle": "demo", "purpose": "brand"}
                ],
            }
        )
    )
    page = tmp_path / "page.csv"
    page.write_text("Date,Lifetime Total Likes\n01/02/2017,10\n03/04/2017,11\n")
    args = ["import", "--config", str(config), "--account", "facebook/1835", "--format", "facebook_insights"]
    assert main([*args, str(page)]) == 1
    assert f"{page}, column 'Date': dates such as '01/02/2017' read both" in capsys.readouterr().err
    assert main([*args, "--date-order", "dmy", str(page)]) == 0
    assert published_days(tmp_path / "lake", "audience_daily", "1835") == ["2017-02-01", "2017-04-03"]
