"""End to end: the real DAGs, run with dag.test() on the simulated network, up to an email on loopback.

The expected numbers are computed here, in plain Python, from what the simulated network
generates: they do not come from the SQL under test.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import statistics

import pytest
from helpers import write_config

from socialpulse import metrics
from socialpulse.config import load_config
from socialpulse.domain import Interval
from socialpulse.lake import Lake
from socialpulse.local import Mailbox, load_dags
from socialpulse.networks.simulated import SimulatedNetwork

UTC = dt.UTC
FIRST_DAY = dt.date(2026, 9, 28)
DAYS = 6  # 28 Sep .. 3 Oct: crosses a month boundary
REPORT_MONTH = "2026-10"
RECIPIENTS = ["ceo@example.com", "cmo@example.com"]


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory, airflow_db):
    """Run extract for every day, then metrics, then the monthly report; yield what was produced."""
    root = tmp_path_factory.mktemp("e2e")
    config_file = write_config(root, recipients=json.dumps(RECIPIENTS), smtp_conn_id="smtp_e2e")
    patch = pytest.MonkeyPatch()
    with Mailbox(root / "mailbox") as mailbox:
        patch.setenv("SOCIALPULSE_CONFIG", str(config_file))
        patch.setenv(
            "AIRFLOW_CONN_SMTP_E2E",
            json.dumps(
                {
                    "conn_type": "smtp",
                    "host": "127.0.0.1",
                    "port": mailbox.port,
                    "extra": {"disable_tls": True, "disable_ssl": True, "retry_limit": 1},
                }
            ),
        )
        dags = load_dags()
        states = []
        for i in range(DAYS):
            day_after = FIRST_DAY + dt.timedelta(days=i + 1)
            run = dags["socialpulse_extract"].test(
                logical_date=dt.datetime.combine(day_after, dt.time(), UTC)
            )
            states.append(str(run.state))
        states.append(str(dags["socialpulse_metrics"].test().state))
        # The monthly run on 1 Nov covers October: the month comes from the data interval.
        report_run = dags["socialpulse_report"].test(logical_date=dt.datetime(2026, 11, 1, 6, tzinfo=UTC))
        states.append(str(report_run.state))
        # A rerun of the whole report DAG must not mail the board twice.
        rerun = dags["socialpulse_report"].test(logical_date=dt.datetime(2026, 11, 1, 6, tzinfo=UTC))
        states.append(str(rerun.state))
        # Run the extraction of two days and the metrics again: the marts must not change.
        lake = Lake(root / "lake")
        set_before = lake.current_marts_run()
        marts_before = {mart: metrics.read_mart(lake, mart, set_before) for mart in metrics.MARTS}
        for i in (0, DAYS - 1):
            day_after = FIRST_DAY + dt.timedelta(days=i + 1)
            states.append(
                str(
                    dags["socialpulse_extract"]
                    .test(logical_date=dt.datetime.combine(day_after, dt.time(), UTC))
                    .state
                )
            )
        states.append(str(dags["socialpulse_metrics"].test().state))
        set_after = lake.current_marts_run()
        marts_after = {mart: metrics.read_mart(lake, mart, set_after) for mart in metrics.MARTS}
        messages = mailbox.messages()
        recipients = mailbox.recipients()
    patch.undo()
    config = load_config(config_file)
    yield {
        "config": config,
        "lake": Lake.from_config(config),
        "states": states,
        "messages": messages,
        "recipients": recipients,
        "marts_before": marts_before,
        "marts_after": marts_after,
        "sets": (set_before, set_after),
    }


def _generated(config):
    """What the simulated network produces for the whole test window, per account."""
    window = Interval(
        dt.datetime.combine(FIRST_DAY, dt.time(), UTC),
        dt.datetime.combine(FIRST_DAY + dt.timedelta(days=DAYS), dt.time(), UTC),
    )
    network = SimulatedNetwork(seed=config.seed)
    return {account.account_id: network.extract(account, window) for account in config.accounts}


def _mart(lake, name):
    return metrics.read_mart(lake, name).to_pylist()


def test_every_dag_run_succeeds(pipeline_run):
    assert all(state.endswith("success") for state in pipeline_run["states"]), pipeline_run["states"]


def test_lake_holds_exactly_the_generated_rows_once(pipeline_run):
    lake, config = pipeline_run["lake"], pipeline_run["config"]
    generated = _generated(config)
    for table in ("posts", "messages", "audience_daily", "post_metrics_daily"):
        stored = lake.read(table).to_pylist()
        for account_id, tables in generated.items():
            mine = [r for r in stored if r["account_id"] == account_id]
            expected = tables[table].to_pylist()
            assert len(mine) == len(expected), (table, account_id)
            key = {"posts": "post_id", "messages": "message_id"}.get(table)
            if key:
                assert sorted(r[key] for r in mine) == sorted(r[key] for r in expected)
    days = sorted({r["created_at"].date() for r in lake.read("messages").to_pylist()})
    assert days == [FIRST_DAY + dt.timedelta(days=i) for i in range(DAYS)]
    months = {f.split("/network=simulated/")[1].split("/")[0] for f in lake.table_files("messages")}
    assert months == {f"month={day:%Y-%m}" for day in days}  # partitioned by month, not by day


def test_service_metrics_match_an_independent_computation(pipeline_run):
    lake, config = pipeline_run["lake"], pipeline_run["config"]
    generated = _generated(config)
    service = {r["account_id"]: r for r in _mart(lake, "service_monthly") if r["month"] == REPORT_MONTH}
    for account_id, tables in generated.items():
        messages = tables["messages"].to_pylist()
        requests = [
            m
            for m in messages
            if m["direction"] == "inbound"
            and m["intent"] in ("question", "complaint")
            and m["created_at"].strftime("%Y-%m") == REPORT_MONTH
        ]
        hours = []
        for request in requests:
            answers = [
                m["created_at"]
                for m in messages
                if m["direction"] == "outbound"
                and m["thread_id"] == request["thread_id"]
                and m["created_at"] >= request["created_at"]
            ]
            if answers:
                hours.append((min(answers) - request["created_at"]).total_seconds() / 3600)
        row = service[account_id]
        assert row["requests"] == len(requests)
        assert row["response_rate"] == pytest.approx(len(hours) / len(requests))
        # response times are kept to the second
        assert row["median_response_hours"] == pytest.approx(statistics.median(hours), abs=1 / 3600)
        assert 0 < len(hours) < len(requests)  # some requests are never answered


def test_engagement_and_audience_match_an_independent_computation(pipeline_run):
    lake, config = pipeline_run["lake"], pipeline_run["config"]
    generated = _generated(config)
    engagement = {r["account_id"]: r for r in _mart(lake, "engagement_monthly") if r["month"] == REPORT_MONTH}
    audience = {r["account_id"]: r for r in _mart(lake, "audience_monthly") if r["month"] == REPORT_MONTH}
    for account_id, tables in generated.items():
        october_posts = {
            p["post_id"]
            for p in tables["posts"].to_pylist()
            if p["created_at"].strftime("%Y-%m") == REPORT_MONTH
        }
        latest = {}
        for row in sorted(tables["post_metrics_daily"].to_pylist(), key=lambda r: r["date"]):
            latest[row["post_id"]] = row
        engagements = sum(
            latest[p]["likes"]
            + latest[p]["shares"]
            + latest[p]["replies"]
            + latest[p]["link_clicks"]
            + latest[p]["saves"]
            for p in october_posts
        )
        impressions = sum(latest[p]["impressions"] for p in october_posts)
        assert engagement[account_id]["posts"] == len(october_posts)
        assert engagement[account_id]["engagement_rate"] == pytest.approx(engagements / impressions)
        days = [
            r for r in tables["audience_daily"].to_pylist() if r["date"].strftime("%Y-%m") == REPORT_MONTH
        ]
        assert audience[account_id]["gained"] == sum(r["followers_gained"] for r in days)
        assert audience[account_id]["net"] == sum(r["followers_gained"] - r["followers_lost"] for r in days)


def test_pdf_report_has_pages_and_states_the_kpis(pipeline_run):
    from pypdf import PdfReader

    lake = pipeline_run["lake"]
    pdf = lake.report_dir("board", REPORT_MONTH) / "social-pulse-board-2026-10.pdf"
    reader = PdfReader(pdf)
    assert len(reader.pages) >= 3
    text = " ".join(page.extract_text() for page in reader.pages)
    engagement = [r for r in _mart(lake, "engagement_monthly") if r["month"] == REPORT_MONTH]
    overall_rate = sum(r["engagements"] for r in engagement) / sum(r["impressions"] for r in engagement)
    assert "Acme social report" in text and "October 2026" in text
    assert f"{overall_rate * 100:.1f}%" in text
    for heading in ("Engagement rate", "Response rate", "Net followers", "influence leaders", "Data quality"):
        assert heading.lower() in text.lower()  # KPI labels are set in capitals by CSS


def test_email_is_delivered_once_with_the_pdf_attached(pipeline_run):
    messages = pipeline_run["messages"]
    assert len(messages) == 1, "the rerun of the report DAG must not send a second email"
    message = messages[0]
    assert sorted(pipeline_run["recipients"][0]) == sorted(RECIPIENTS)
    # the lake holds 1-3 October only: the month is sent (a run by hand does not wait) marked incomplete
    assert message["Subject"] == "[Incomplete month] Acme social report: October 2026"
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Engagement rate" in html and "<script" not in html
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["social-pulse-board-2026-10.pdf"]
    archived = pipeline_run["lake"].report_dir("board", REPORT_MONTH) / "social-pulse-board-2026-10.pdf"
    assert attachments[0].get_content() == archived.read_bytes()
    # the report records the mart set and the table versions it read, and so does the delivery
    rendered = json.loads((archived.parent / "rendered.json").read_text())
    manifest = pipeline_run["lake"].marts_manifest(rendered["marts_run"])
    assert rendered["table_versions"] == manifest["versions"]
    intent = json.loads(next((archived.parent / "deliveries").glob("*/attempt-1.json")).read_text())
    assert intent["marts_run"] == rendered["marts_run"]
    from pypdf import PdfReader

    assert len(PdfReader(io.BytesIO(attachments[0].get_content())).pages) >= 3


def test_rerunning_the_dags_for_the_same_intervals_gives_identical_marts(pipeline_run):
    before, after = pipeline_run["marts_before"], pipeline_run["marts_after"]
    assert pipeline_run["sets"][0] != pipeline_run["sets"][1]  # a new set, with the same rows
    assert set(before) == set(after) and len(before) >= 8
    for name in before:
        assert after[name].schema.equals(before[name].schema), name
        # same rows and values; row order is not part of a mart's contract
        assert sorted(map(repr, after[name].to_pylist())) == sorted(map(repr, before[name].to_pylist())), name
