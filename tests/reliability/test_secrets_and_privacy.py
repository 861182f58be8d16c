"""Secrets and privacy under a real run: recognisable keys and tokens and a named customer go through the
DAGs (X through its fake API signed with OAuth 1.0a keys, YouTube through an OAuth refresh, the simulated
network, metrics, report, email) and are found nowhere."""

from __future__ import annotations

import datetime as dt
import json
import textwrap

import pytest
from fakes.harness import FAST, TOKEN
from fakes.oauth1 import OAuth1Keys
from fakes.x_api import ACCOUNT_ID, FakeXApi
from fakes.youtube_api import CHANNEL_ID, FakeYouTubeApi

from socialpulse import metrics
from socialpulse.config import load_config
from socialpulse.local import Mailbox, load_dags, output_to

UTC = dt.UTC
DAY_AFTER = dt.datetime(2022, 10, 8, tzinfo=UTC)  # the X recordings are of 7 Oct 2022
# the YouTube connection holds no access token, only what refreshes one
GRANT = {
    "refresh_token": "rt-SECRET-5c2e0b-refresh-never-print",
    "client_id": "socialpulse-scan-client",
    "client_secret": "cs-SECRET-9e41d7-client-never-print",
}
# the X connection holds the account's OAuth 1.0a keys (and a stale bearer token in its password, never sent)
X_KEYS = {
    "api_key": "ak-SECRET-3e8a-api-key-never-print",
    "api_key_secret": "aks-SECRET-41f0-api-key-secret-never-print",
    "access_token": "783214-at-SECRET-b7c2-access-token-never-print",
    "access_token_secret": "ats-SECRET-d95e-token-secret-never-print",
}


@pytest.fixture(scope="module")
def scanned_run(tmp_path_factory, airflow_db):
    root = tmp_path_factory.mktemp("secrets")
    api = FakeXApi(TOKEN, oauth1=OAuth1Keys(*X_KEYS.values())).start()
    youtube = FakeYouTubeApi("tok-SECRET-youtube-never-issued", dt.date(2022, 10, 7)).start()
    youtube.serve_refresh("/token", **GRANT)
    options = json.dumps({"base_url": api.base_url, "page_size": 5, "direct_messages": True, **FAST})
    youtube_options = json.dumps(
        {"base_url": youtube.base_url, "token_url": youtube.base_url + "/token", "page_size": 2, **FAST}
    )
    config_file = root / "socialpulse.yml"
    config_file.write_text(
        textwrap.dedent(
            f"""
            lake_root: {root / "lake"}
            accounts:
              - {{network: x, account_id: "{ACCOUNT_ID}", handle: "@Twitter", purpose: service, connection_id: socialpulse_x_secret, options: {options}}}
              - {{network: youtube, account_id: "{CHANNEL_ID}", handle: "@PulseChannel", purpose: brand, connection_id: socialpulse_yt_secret, options: {youtube_options}}}
              - {{network: simulated, account_id: care, handle: "@acme_care", purpose: service}}
            reports:
              - {{name: board, recipients: [board@example.com], smtp_conn_id: smtp_secret, sender: social@acme.example}}
            """
        )
    )
    patch = pytest.MonkeyPatch()
    try:
        with Mailbox(root / "mailbox") as mailbox:
            patch.setenv("SOCIALPULSE_CONFIG", str(config_file))
            patch.setenv(
                "AIRFLOW_CONN_SOCIALPULSE_X_SECRET",
                json.dumps({"conn_type": "generic", "password": TOKEN, "extra": X_KEYS}),
            )
            patch.setenv(
                "AIRFLOW_CONN_SOCIALPULSE_YT_SECRET", json.dumps({"conn_type": "generic", "extra": GRANT})
            )
            patch.setenv(
                "AIRFLOW_CONN_SMTP_SECRET",
                json.dumps(
                    {
                        "conn_type": "smtp",
                        "host": "127.0.0.1",
                        "port": mailbox.port,
                        "extra": {"disable_tls": True, "disable_ssl": True},
                    }
                ),
            )
            # dag.test() prints every task's log: keep them in a file, which the scans below read.
            with output_to(root / "task-logs.txt"):
                dags = load_dags()
                states = [
                    dags["socialpulse_extract"].test(logical_date=DAY_AFTER).state,
                    dags["socialpulse_metrics"].test().state,
                    dags["socialpulse_report"].test(run_conf={"month": "2022-10"}).state,
                ]
            emails = [p.read_bytes() for p in (root / "mailbox").glob("*.eml")]
    finally:
        patch.undo()
        api.stop()
        youtube.stop()
    yield {
        "root": root,
        "states": [str(s) for s in states],
        "emails": emails,
        "config": load_config(config_file),
        "requests": api.requests,
        "secrets": [TOKEN, *X_KEYS.values(), GRANT["refresh_token"], GRANT["client_secret"], *youtube.issued],
        "youtube": youtube,
        "x": api,
    }


def test_the_run_succeeds_and_really_used_the_keys_and_tokens(scanned_run):
    assert all(s.endswith("success") for s in scanned_run["states"]), scanned_run["states"]
    x = scanned_run[
        "x"
    ]  # every X call signed with the connection's OAuth 1.0a keys, DMs included; the bearer token never sent
    assert x.calls(r"/2/dm_events$") and x.oauth1.rejections == []
    assert all(r.headers.get("Authorization", "").startswith("OAuth ") for r in scanned_run["requests"])
    youtube = scanned_run["youtube"]
    assert youtube.issued and any(
        r.headers.get("Authorization") == f"Bearer {youtube.issued[0]}" for r in youtube.requests
    )
    assert len(scanned_run["emails"]) == 1


def test_no_token_key_refresh_token_or_client_secret_is_in_a_task_log_a_file_of_the_lake_a_report_or_an_email(
    scanned_run,
):
    logs = (scanned_run["root"] / "task-logs.txt").read_text()
    assert (
        "validate_and_publish" in logs
        and "Bearer" not in logs
        and "oauth_signature" not in logs
        and "new access token for connection 'socialpulse_yt_secret'" in logs
    )
    files = [p for p in scanned_run["root"].rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in files) and any(p.suffix == ".pdf" for p in files)
    for secret in scanned_run["secrets"]:
        assert secret not in logs
        leaks = [str(p) for p in files if secret.encode() in p.read_bytes()]
        assert leaks == []
        assert all(secret.encode() not in email for email in scanned_run["emails"])


def test_customers_who_asked_for_help_are_not_named_in_the_report_or_email(scanned_run):
    import pyarrow.parquet as pq
    from pypdf import PdfReader

    root = scanned_run["root"]
    from socialpulse.lake import Lake

    requests = metrics.read_mart(Lake(root / "lake"), "service_requests").to_pylist()
    messages = {
        m["message_id"]: m
        for f in (root / "lake" / "lake" / "messages").rglob("*.parquet")
        for m in pq.read_table(f).to_pylist()
    }
    authors = {messages[r["message_id"]]["author_handle"] for r in requests} - {None}
    authors |= {messages[r["message_id"]]["author_id"] for r in requests}
    assert authors, "the run must contain service requests for this test to mean anything"
    report_dir = root / "lake" / "reports" / "board" / "2022-10"
    html = (report_dir / "report.html").read_text() + (report_dir / "email.html").read_text()
    pdf = " ".join(p.extract_text() for p in PdfReader(next(report_dir.glob("*.pdf"))).pages)
    email = b"".join(scanned_run["emails"]).decode(errors="replace")
    for author in authors:
        assert author not in html and author not in pdf and author not in email, author
