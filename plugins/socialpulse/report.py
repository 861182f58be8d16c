from pathlib import Path
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "include" / "templates"
