"""Where the project's own files are: one place, so no module works it out from its own location.

The package lives in plugins/socialpulse/ of the repository (or of the image: docker/Dockerfile
copies the same tree), next to dags/, include/ and config/.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DAGS_DIR = REPO_ROOT / "dags"
PLUGINS_DIR = REPO_ROOT / "plugins"
SQL_DIR = REPO_ROOT / "include" / "sql"
REPORT_SQL_DIR = SQL_DIR / "report"  # the report's queries over the marts
TEMPLATES_DIR = REPO_ROOT / "include" / "templates"
DEFAULT_CONFIG = REPO_ROOT / "config" / "socialpulse.yml"
DEMO_DIR = REPO_ROOT / ".demo"
