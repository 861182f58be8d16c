"""Social Pulse installs as a package (`pip install -e .`): no PYTHONPATH, include/ found from the
install, and Airflow's provider registry gives each network a connection type with labelled fields."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import pytest

import socialpulse
from socialpulse.provider import get_provider_info, plain_extra

REPO_ROOT = Path(__file__).resolve().parents[1]
AIRFLOW_DIR = Path(__import__("airflow").__file__).parent
PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())


def test_the_provider_info_is_what_airflow_3_3_accepts():
    info = get_provider_info()
    jsonschema.validate(info, json.loads((AIRFLOW_DIR / "provider_info.schema.json").read_text()))
    # conn-fields and ui-field-behaviour: the connection-types items of provider.yaml's own schema
    yaml_schema = json.loads((AIRFLOW_DIR / "provider.yaml.schema.json").read_text())
    item_schema = yaml_schema["properties"]["connection-types"]["items"]
    for connection_type in info["connection-types"]:
        jsonschema.validate(connection_type, item_schema)
    types = {t["connection-type"]: t for t in info["connection-types"]}
    assert set(types) == {
        f"socialpulse_{n}" for n in ("x", "facebook", "instagram", "linkedin", "youtube", "lake")
    }
    x_fields = types["socialpulse_x"]["conn-fields"]
    assert {"api_key", "api_key_secret", "access_token", "access_token_secret"} == set(x_fields)
    assert x_fields["api_key_secret"]["schema"]["format"] == "password"  # masked in the form
    assert types["socialpulse_lake"]["ui-field-behaviour"]["relabeling"]["login"] == "Access key ID"


def test_fields_saved_by_the_form_are_read_under_their_own_names():
    extra = {
        "extra__socialpulse_x__api_key": "k",
        "extra__socialpulse_x__api_key_secret": "",
        "region_name": "eu",
    }
    assert plain_extra(extra) == {"api_key": "k", "region_name": "eu"}


def test_pyproject_builds_the_package_from_plugins_with_the_entry_point_and_include():
    assert PYPROJECT["project"]["version"] == socialpulse.__version__
    setuptools = PYPROJECT["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"": "plugins"}
    module, _, function = PYPROJECT["project"]["entry-points"]["apache_airflow_provider"][
        "provider_info"
    ].partition(":")
    assert (module, function) == ("socialpulse.provider", "get_provider_info")
    shipped = {
        path
        for pattern in (p for patterns in setuptools["data-files"].values() for p in patterns)
        for path in REPO_ROOT.glob(pattern)
    }
    needed = {p for p in (REPO_ROOT / "include").rglob("*") if p.is_file()}
    assert needed <= shipped, sorted(str(p) for p in needed - shipped)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """`pip install -e .` in a throwaway venv that sees the project's dependencies (never the shared one)."""
    # from a copy: pip writes socialpulse.egg-info beside the package, which must not land in the
    # checkout (a stray egg-info on sys.path registers the provider in every later test's Airflow)
    source = tmp_path_factory.mktemp("source") / "socialpulse"
    shutil.copytree(
        REPO_ROOT,
        source,
        ignore=shutil.ignore_patterns(".venv", ".git", ".demo", "__pycache__", "*.egg-info", "data"),
    )
    venv = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    dependencies = next(
        p for p in map(Path, sys.path) if p.name == "site-packages" and (p / "airflow").is_dir()
    )
    (site / "project-dependencies.pth").write_text(str(dependencies) + "\n")
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "-q", "-e", str(source)],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path_factory.getbasetemp(),
    )
    if done.returncode != 0 and "satisfies the requirement setuptools" in done.stderr:
        pytest.skip("pip cannot fetch the build backend (setuptools) on this machine: no package index")
    assert done.returncode == 0, done.stderr
    return venv, source


def run_in(venv: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        list(args),
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=venv.parent,
        env={**clean, "PATH": f"{venv / 'bin'}{os.pathsep}{clean['PATH']}", **env},
    )


def test_the_installed_package_needs_no_pythonpath_and_finds_include(installed):
    installed, source = installed
    probe = "import socialpulse.paths as p; print(p.SQL_DIR); print(p.TEMPLATES_DIR)"
    done = run_in(installed, str(installed / "bin" / "python"), "-c", probe)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        str(source / "include" / "sql"),
        str(source / "include" / "templates"),
    ]
    cli = run_in(installed, str(installed / "bin" / "socialpulse"), "--help")
    assert cli.returncode == 0 and "airflow-setup" in cli.stdout, cli.stderr


def test_airflow_lists_the_connection_types_with_their_fields(installed):
    installed, _ = installed
    probe = (
        "import json; from airflow.providers_manager import ProvidersManager as P; pm = P(); "
        "print(json.dumps({'provider': 'socialpulse' in pm.providers, "
        "'hook': pm.hooks['socialpulse_x'].hook_name, "
        "'fields': sorted(k for k in pm.connection_form_widgets if k.startswith('extra__socialpulse_x__')), "
        "'relabel': pm.field_behaviours['socialpulse_lake']['relabeling']}))"
    )
    done = run_in(installed, str(installed / "bin" / "python"), "-c", probe)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["provider"] and seen["hook"] == "Social Pulse: X (Twitter)"
    assert seen["fields"] == [
        f"extra__socialpulse_x__{f}"
        for f in sorted(("access_token", "access_token_secret", "api_key", "api_key_secret"))
    ]
    assert seen["relabel"] == {"login": "Access key ID", "password": "Secret access key"}
