"""Where the export files used by these tests live."""

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# CI clones the repository with shared/ beside it, as in the workspace.
SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
TWCS_SAMPLE = SHARED_DATA / "twcs-sample" / "sample.csv"
SPOTIFY_REQUESTS = SHARED_DATA / "twcs-spotify-requests" / "support_requests.csv"
