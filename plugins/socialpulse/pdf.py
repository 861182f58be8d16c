"""HTML to PDF with WeasyPrint, bounded in time and in what it may read.

WeasyPrint runs in a child process (`python -m socialpulse.pdf BASE_URL < report.html > report.pdf`)
that the parent kills when the render timeout passes, so a pathological input cannot hold the
task forever. Its URL fetcher serves only the report's own files (the templates folder) and
data: URLs; anything else (file:///etc/passwd, http://..., a path outside the folder) is refused,
so nothing a configured string or a post smuggles into the HTML can draw a local file or call out.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from socialpulse.paths import PLUGINS_DIR, TEMPLATES_DIR


class RenderTimeout(RuntimeError):
    """WeasyPrint did not finish within the render timeout."""


def report_files_fetcher(root: Path = TEMPLATES_DIR):
    """A WeasyPrint URL fetcher that fetches data: URLs and files under root, and nothing else."""
    from weasyprint.urls import URLFetcher

    allowed = root.resolve()

    class ReportFilesOnly(URLFetcher):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            scheme = url.split(":", 1)[0].lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(url2pathname(urlsplit(url).path)).resolve()
                if path.is_relative_to(allowed) and path.is_file():
                    return super().fetch(url, headers)
            self.refused.append(url)
            raise ValueError(f"refused to fetch {url}: a report reads only its own files under {allowed}")

    return ReportFilesOnly(allowed_protocols=("file", "data"), allow_redirects=False)


def html_to_pdf(html: str, base_url: Path = TEMPLATES_DIR) -> bytes:
    """The PDF of an HTML page, in this process (the child's side)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=str(base_url), url_fetcher=report_files_fetcher()).write_pdf()


def render_pdf(html: str, timeout_seconds: float, base_url: Path = TEMPLATES_DIR) -> bytes:
    """The PDF of an HTML page, rendered in a child process killed after timeout_seconds."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PLUGINS_DIR), os.environ.get("PYTHONPATH")])),
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", "socialpulse.pdf", str(base_url)],
            input=html.encode(),
            capture_output=True,
            timeout=timeout_seconds,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RenderTimeout(
            f"the PDF did not render within {timeout_seconds:g} s (render_timeout_seconds of the report); "
            "the child process was killed. Look for unusually long text in the month's top posts."
        ) from None
    if done.returncode != 0 or not done.stdout.startswith(b"%PDF"):
        raise RuntimeError(
            f"rendering the PDF failed (exit {done.returncode}): {done.stderr.decode()[-2000:]}"
        )
    return done.stdout


def main() -> int:
    html = sys.stdin.buffer.read().decode()
    sys.stdout.buffer.write(html_to_pdf(html, Path(sys.argv[1]) if len(sys.argv) > 1 else TEMPLATES_DIR))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
