"""Imports pass the same Great Expectations gate as API extractions, and leave its result behind."""

import json

import pytest

from socialpulse.exports import ExportError, import_file
from socialpulse.lake import Lake

HEADER = '"Tweet id","Tweet text","time","impressions","likes"\n'


def test_a_duplicated_post_id_is_rejected_by_the_gate_naming_the_expectation(tmp_path, spotify_cares):
    row = '"7","t","2020-01-02 03:04 +0000","1","1"\n'
    path = tmp_path / "x_analytics.csv"
    path.write_text(HEADER + row + row.replace("03:04", "05:06"))
    lake = Lake(tmp_path / "lake")
    with pytest.raises(ExportError) as error:
        import_file(lake, "x_analytics", path, spotify_cares)
    message = str(error.value)
    assert message.startswith(f"{path}: rejected by the data-quality gate, nothing was imported")
    assert "posts.post_id: expect_column_values_to_be_unique failed" in message and "'7'" in message
    assert lake.versions()["posts"] is None and lake.versions()["post_metrics_daily"] is None
    [result] = (lake.root / "validation" / "x" / "spotifycares").glob("*/result.json")
    report = json.loads(result.read_text())
    assert report["success"] is False and report["imported_from"] == str(path)


def test_a_clean_import_leaves_a_passed_validation_result_once_per_file(tmp_path, spotify_cares):
    path = tmp_path / "x_analytics.csv"
    path.write_text(HEADER + '"7","t","2020-01-02 03:04 +0000","1","1"\n')
    lake = Lake(tmp_path / "lake")
    import_file(lake, "x_analytics", path, spotify_cares)
    import_file(lake, "x_analytics", path, spotify_cares)  # again: the same result, not a second one
    [result] = (lake.root / "validation" / "x" / "spotifycares").glob("*/result.json")
    report = json.loads(result.read_text())
    assert report["success"] is True and report["months"] == ["2020-01"]
    assert report["tables"]["posts"]["rows"] == 1 and report["tables"]["messages"]["rows"] == 0


def test_the_reports_data_quality_section_counts_an_imports_validation_in_each_month_it_holds(
    tmp_path, spotify_cares
):
    from export_files import FIXTURES

    from socialpulse.report import data_quality

    lake = Lake(tmp_path / "lake")
    import_file(lake, "x_analytics", FIXTURES / "x_analytics.csv", spotify_cares)  # Oct 31 - Nov 2, 2017
    bad = tmp_path / "dup.csv"
    row = '"7","t","2017-11-20 03:04 +0000","1","1"\n'
    bad.write_text(HEADER + row + row)
    with pytest.raises(ExportError):
        import_file(lake, "x_analytics", bad, spotify_cares)
    october, november, december = (
        data_quality(lake, [spotify_cares], m)[0] for m in ("2017-10", "2017-11", "2017-12")
    )
    assert (october["passed"], october["failed"]) == (1, 0)
    assert (november["passed"], november["failed"]) == (1, 1)
    assert (december["passed"], december["failed"]) == (0, 0)
    # the file holds tweets of three days: the days between are not taken as held
    assert november["days_held"] == 2
