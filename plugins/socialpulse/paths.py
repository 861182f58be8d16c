"""Where the project's own files are: one place, so no module works it out from its own location.

A checkout (also `pip install -e .`, and the image: docker/Dockerfile copies the same tree) has dags/,
include/ and config/ beside plugins/. A wheel installs include/ under <prefix>/share/socialpulse/include
(pyproject.toml, data-files); $SOCIALPULSE_INCLUDE_DIR points anywhere else.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DAGS_DIR = REPO_ROOT / "dags"
PLUGINS_DIR = REPO_ROOT / "plugins"
DEFAULT_CONFIG = REPO_ROOT / "config" / "socialpulse.yml"
DEMO_DIR = REPO_ROOT / ".demo"


def include_dir() -> Path:
    """include/ (sql/ and templates/): $SOCIALPULSE_INCLUDE_DIR, the checkout's, or a wheel's data-files."""
    candidates = (
        [Path(os.environ["SOCIALPULSE_INCLUDE_DIR"])] if os.environ.get("SOCIALPULSE_INCLUDE_DIR") else []
    )
    candidates += [
        REPO_ROOT / "include",
        Path(sys.prefix) / "share" / "socialpulse" / "include",
    ]
    for candidate in candidates:
        if (candidate / "sql").is_dir() and (candidate / "templates").is_dir():
            return candidate
    raise FileNotFoundError(
        "socialpulse: include/ (sql/ and templates/) not found in "
        + ", ".join(str(c) for c in candidates)
        + "; set SOCIALPULSE_INCLUDE_DIR to the folder"
    )


INCLUDE_DIR = include_dir()
SQL_DIR = INCLUDE_DIR / "sql"
REPORT_SQL_DIR = SQL_DIR / "report"  # the report's queries over the marts
TEMPLATES_DIR = INCLUDE_DIR / "templates"
