"""The monthly report: autoescaped, private, printable, and delivered once through real SMTP."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pyarrow as pa
import pytest
from helpers import day_interval, write_config

from socialpulse import delivery, metrics, report
from socialpulse.classify import classify_tables
from socialpulse.config import load_config
from socialpulse.lake import Lake
from socialpulse.local import Mailbox
from socialpulse.networks.simulated import SimulatedNetwork

MONTH = "2026-10"
SPIKE_DAY = dt.date(2026, 10, 20)
HOSTILE = '<script>alert("pwned")</script><img src=x onerror=alert(1)> & <b>bold</b>'
SECRET_CUSTOMER = "@very_private_customer"
SIMULATED_SLA_HOURS = 6


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Two months of simulated data with a hostile top post and a named customer, rendered once.
    The simulated network has an SLA of its own (6 h; 24 h for the others)."""
    folder = tmp_path_factory.mktemp("report")
    config = load_config(
        write_config(folder, extra=f"sla:\n  per_network: {{simulated: {SIMULATED_SLA_HOURS}}}\n")
    )
    lake = Lake.from_config(config)
    network = SimulatedNetwork(seed=config.seed)
    interval = day_interval(dt.date(2026, 9, 1), days=61)
    for account in config.accounts:
        tables = network.extract(account, interval)
        posts = tables["posts"].to_pylist()
        best = max(
            tables["post_metrics_daily"].to_pylist(), key=lambda r: (r["date"].month == 10, r["likes"])
        )
        for post in posts:
            if post["post_id"] == best["post_id"]:
                post["text"] = HOSTILE
        messages = tables["messages"].to_pylist()
        for message in messages:
            if message["direction"] == "inbound" and message["intent"] in ("question", "complaint"):
                message["author_handle"] = SECRET_CUSTOMER
        if account.account_id == "care":  # a burst of complaints on one day: a spike
            template = next(m for m in messages if m["direction"] == "inbound" and m["intent"] == "complaint")
            for i in range(40):
                message_id = f"burst-{i}"
                created = dt.datetime.combine(SPIKE_DAY, dt.time(9), dt.UTC) + dt.timedelta(minutes=i)
                messages.append(
                    {**template, "message_id": message_id, "thread_id": message_id, "created_at": created}
                )
        tables["posts"] = pa.Table.from_pylist(posts, schema=tables["posts"].schema)
        tables["messages"] = pa.Table.from_pylist(messages, schema=tables["messages"].schema)
        lake.publish(account, interval, classify_tables(tables))  # classified, as the pipeline does
    metrics.compute_marts(lake, sla=config.sla)
    paths = report.render_report(config, "board", MONTH)
    return config, paths


def test_the_report_judges_each_network_by_its_own_sla(rendered):

    config, paths = rendered
    requests = metrics.read_mart(Lake.from_config(config), "service_requests").to_pylist()
    assert requests and {r["sla_hours"] for r in requests} == {SIMULATED_SLA_HOURS}
    assert (
        "Answered within SLA" in Path(paths["html"]).read_text()
    )  # not "within 24 h": one clock does not fit all


def test_hostile_post_text_is_rendered_as_text_not_markup(rendered):
    _, paths = rendered
    html = Path(paths["html"]).read_text()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in html


def test_customers_who_wrote_service_requests_are_never_named(rendered):
    from pypdf import PdfReader

    _, paths = rendered
    assert SECRET_CUSTOMER not in Path(paths["html"]).read_text()
    assert SECRET_CUSTOMER not in Path(paths["email"]).read_text()
    assert SECRET_CUSTOMER not in " ".join(p.extract_text() for p in PdfReader(paths["pdf"]).pages)


def test_pdf_is_a4_with_page_numbers_and_every_section(rendered):
    from pypdf import PdfReader

    _, paths = rendered
    pages = PdfReader(paths["pdf"]).pages
    assert len(pages) >= 4
    width, height = float(pages[0].mediabox.width), float(pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = " ".join(p.extract_text() for p in pages)
    assert f"Page 1 of {len(pages)}" in text
    for section in (
        "Are we engaging better",
        "Did we answer our customers",
        "Still unanswered",
        "bucket leaking",
        "Top posts by engagement",
        "influence leaders",
        "Data quality",
    ):
        assert section in text, section


def test_charts_are_inline_svg_without_scripts(rendered):
    _, paths = rendered
    html = Path(paths["html"]).read_text()
    assert html.count("<svg") >= 5
    assert "<script" not in html and "No data for this period" not in html


def test_rendering_twice_gives_the_same_report(rendered):
    from pypdf import PdfReader

    config, paths = rendered
    before = {k: Path(paths[k]).read_bytes() for k in ("html", "email")}
    pdf_text = [p.extract_text() for p in PdfReader(paths["pdf"]).pages]
    again = report.render_report(config, "board", MONTH)
    assert {k: Path(again[k]).read_bytes() for k in ("html", "email")} == before
    assert [p.extract_text() for p in PdfReader(again["pdf"]).pages] == pdf_text


def test_a_month_without_data_fails_with_what_to_do(rendered):
    config, _ = rendered
    with pytest.raises(ValueError, match="backfill"):
        report.render_report(config, "board", "2019-01")


def _smtp_env(monkeypatch, port):
    monkeypatch.setenv(
        "AIRFLOW_CONN_SMTP_TEST",
        json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": port,
                "extra": {"disable_tls": True, "disable_ssl": True, "retry_limit": 0, "timeout": 5},
            }
        ),
    )


def test_delivery_sends_once_and_a_failed_send_fails_then_resends_the_archived_files(
    rendered, tmp_path, monkeypatch
):
    from socialpulse.local import free_port

    config, paths = rendered
    port = free_port()
    _smtp_env(monkeypatch, port)
    with pytest.raises(OSError):
        delivery.deliver(config, "board", MONTH)  # nobody listens on the port yet
    assert not (config.lake_root / "reports" / "board" / MONTH / "delivery.json").exists()
    with Mailbox(tmp_path / "mail", port=port) as mailbox:
        first = delivery.deliver(config, "board", MONTH)
        second = delivery.deliver(config, "board", MONTH)
        messages = mailbox.messages()
    assert first["sent"] and not second["sent"]
    assert len(messages) == 1
    attachment = next(messages[0].iter_attachments())
    assert attachment.get_content() == Path(paths["pdf"]).read_bytes()
    # once delivered, a rerun of the render task keeps the archived files that were sent
    sent_pdf = Path(paths["pdf"]).read_bytes()
    report.render_report(config, "board", MONTH)
    assert Path(paths["pdf"]).read_bytes() == sent_pdf


def test_complaint_spikes_and_promotional_share_are_shown_as_the_marts_say(rendered):

    config, paths = rendered
    html = Path(paths["html"]).read_text()
    lake = Lake.from_config(config)
    spikes = [
        r
        for r in metrics.read_mart(lake, "negative_spikes_daily").to_pylist()
        if r["spike"] and r["month"] == MONTH
    ]
    assert [(r["account_id"], r["date"]) for r in spikes] == [("care", SPIKE_DAY)]
    assert "Days when complaints spiked" in html and SPIKE_DAY.strftime("%a %d %b") in html
    for row in metrics.read_mart(lake, "content_monthly").to_pylist():
        if row["month"] == MONTH and row["promotional_share"] is not None:
            assert f"{row['promotional_share'] * 100:.1f}%" in html


def test_the_language_mix_of_inbound_messages_is_shown_as_the_mart_says(rendered):

    config, paths = rendered
    html = Path(paths["html"]).read_text()
    rows = [
        r
        for r in metrics.read_mart(Lake.from_config(config), "language_monthly").to_pylist()
        if r["month"] == MONTH
    ]
    assert rows and abs(sum(r["share"] for r in rows if r["account_id"] == "care") - 1) < 1e-9
    assert "Languages customers wrote in" in html
    english = sum(r["inbound_messages"] for r in rows if r["language"] == "en")
    assert english and f'<td>en</td><td class="num">{english:,}</td>' in html


def _with_report(config, **changes):
    """The config with the board report changed (new recipients: a delivery of its own)."""
    import dataclasses

    return dataclasses.replace(
        config, reports=tuple(dataclasses.replace(r, **changes) for r in config.reports)
    )


def test_the_email_comes_from_the_configured_sender(rendered, tmp_path, monkeypatch):
    from socialpulse.local import free_port

    config = _with_report(rendered[0], recipients=("sender-test@example.com",))
    port = free_port()
    _smtp_env(monkeypatch, port)
    with Mailbox(tmp_path / "mail", port=port) as mailbox:
        delivery.deliver(config, "board", MONTH)
        messages = mailbox.messages()
    assert messages[-1]["From"] == "Acme Social <social@acme.example>"


def test_without_a_sender_the_smtp_connections_from_email_is_used_and_without_both_it_says_so(
    rendered, tmp_path, monkeypatch
):
    from socialpulse.config import ConfigError
    from socialpulse.local import free_port

    no_sender = _with_report(rendered[0], sender=None, recipients=("from-email-test@example.com",))
    port = free_port()
    _smtp_env(monkeypatch, port)
    with pytest.raises(ConfigError, match=r"no sender: set `sender:` on the report .*\(extra from_email\)"):
        delivery.deliver(no_sender, "board", MONTH)
    conn = json.loads(os.environ["AIRFLOW_CONN_SMTP_TEST"])
    conn["extra"]["from_email"] = "reports@acme.example"
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_TEST", json.dumps(conn))
    with Mailbox(tmp_path / "mail", port=port) as mailbox:
        delivery.deliver(no_sender, "board", MONTH)
        messages = mailbox.messages()
    assert messages[-1]["From"] == "reports@acme.example"


def test_a_sender_that_is_not_an_address_is_a_config_error(tmp_path):
    from socialpulse.config import ConfigError

    path = write_config(tmp_path)
    path.write_text(path.read_text().replace('"Acme Social <social@acme.example>"', "Acme Social"))
    with pytest.raises(ConfigError, match=r"reports\[0\]\.sender: expected an e-mail address"):
        load_config(path)
