"""The repository is self-contained: no code, test, benchmark, Makefile rule or CI script reads the
team's ../shared folder, which a user cloning the project does not have (issue #11). Test data lives
in tests/data, each folder with its PROVENANCE.md (and licence where the source has one)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# Spelled in pieces so that this file does not match itself.
FORBIDDEN = re.compile(re.escape("../" + "shared") + "|" + re.escape("shared" + "/data"))
THIS = Path(__file__).resolve()
SEARCHED = ["plugins", "dags", "tests", "bench", "Makefile", ".ci"]


def searched_files() -> list[Path]:
    files: list[Path] = []
    for name in SEARCHED:
        path = REPO_ROOT / name
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for candidate in candidates:
            relative = candidate.relative_to(REPO_ROOT)
            if (
                relative.parts[:2] == ("tests", "data")
                or "__pycache__" in relative.parts
                or candidate == THIS
            ):
                continue
            files.append(candidate)
    return files


def test_nothing_outside_tests_data_names_the_shared_folder():
    hits = [
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}"
        for path in searched_files()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if FORBIDDEN.search(line)
    ]
    assert not hits, "the repository must not read ../shared; copy the data into tests/data:\n" + "\n".join(
        hits
    )


def test_the_search_covers_the_code_and_would_catch_a_reference(tmp_path):
    names = {str(p.relative_to(REPO_ROOT)) for p in searched_files()}
    assert THIS not in searched_files()
    assert {"Makefile", ".ci/run", "tests/conftest.py", "plugins/socialpulse/cli.py"} <= names
    assert not any(name.startswith("tests/data/") for name in names)
    assert FORBIDDEN.search('DATA = Path("../' + 'shared/data/twcs")')


def test_every_test_data_folder_says_where_it_comes_from_and_under_which_licence():
    for folder in sorted(p for p in (REPO_ROOT / "tests" / "data").iterdir() if p.is_dir()):
        provenance = (folder / "PROVENANCE.md").read_text()
        assert "License" in provenance, f"{folder.name}/PROVENANCE.md must state the licence"
    assert "MIT License" in (REPO_ROOT / "tests/data/x-api-v2/LICENSE").read_text()
    assert "Apache License" in (REPO_ROOT / "LICENSE").read_text()


def test_ci_runs_the_suite_from_a_fresh_clone():
    script = (REPO_ROOT / ".ci" / "run").read_text()
    assert "git clone" in script and "make" in script and "mktemp" in script
    result = subprocess.run(
        ["bash", "-n", str(REPO_ROOT / ".ci" / "run")], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
