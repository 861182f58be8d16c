"""Where the export files used by these tests live."""

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TEST_DATA = Path(__file__).resolve().parents[1] / "data"
TWCS_SAMPLE = TEST_DATA / "twcs-sample" / "sample.csv"
SPOTIFY_REQUESTS = TEST_DATA / "twcs-spotify-requests" / "support_requests.csv"
