"""Delivery exactly once: real processes killed with SIGKILL, a real SMTP server on loopback.

The SMTP server (aiosmtpd) can hold its "250 accepted" reply until the test lets it go, so a test
can kill the sender after the server has the message and before the sender hears back.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path

import pyarrow as pa
import pytest
from helpers import day_interval, write_config

from socialpulse import delivery, metrics, report
from socialpulse.classify import classify_tables
from socialpulse.config import load_config
from socialpulse.lake import Lake
from socialpulse.local import free_port
from socialpulse.networks.simulated import SimulatedNetwork

MONTH = "2026-10"
PLUGINS = Path(__file__).resolve().parents[1] / "plugins"
TESTS = Path(__file__).resolve().parent


class HoldingMailbox:
    """An SMTP server on loopback that keeps what it receives and answers DATA only when released."""

    def __init__(self, port: int, hold: bool = False):
        self.port = port
        self.received: list[bytes] = []
        self.arrived = threading.Event()
        self.release = threading.Event()
        if not hold:
            self.release.set()

    def __enter__(self) -> HoldingMailbox:
        from aiosmtpd.controller import Controller

        mailbox = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                mailbox.received.append(envelope.original_content or envelope.content)
                mailbox.arrived.set()
                while not mailbox.release.is_set():
                    await asyncio.sleep(0.05)
                return "250 Message accepted for delivery"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.controller.stop()

    def messages(self) -> list:
        return [message_from_bytes(m, policy=policy.default) for m in self.received]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("delivery")
    config_path = write_config(folder)
    config = load_config(config_path)
    lake = Lake.from_config(config)
    network = SimulatedNetwork(seed=config.seed)
    interval = day_interval(dt.date(2026, 10, 1), days=31)
    for account in config.accounts:
        lake.publish(account, interval, classify_tables(network.extract(account, interval)))
    metrics.compute_marts(lake, sla=config.sla)
    report.render_report(config, "board", MONTH)
    return config_path


@pytest.fixture
def sender(rendered, monkeypatch):
    """The rendered report with no delivery yet, and an SMTP connection to a fresh port."""
    config = load_config(rendered)
    folder = Lake.from_config(config).report_dir("board", MONTH)
    shutil.rmtree(folder / "deliveries", ignore_errors=True)
    (folder / "delivery.json").unlink(missing_ok=True)
    port = free_port()
    monkeypatch.setenv(
        "AIRFLOW_CONN_SMTP_TEST",
        json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": port,
                "extra": {"disable_tls": True, "disable_ssl": True, "retry_limit": 0, "timeout": 30},
            }
        ),
    )
    return config, rendered, port


CHILD = """
import sys
from socialpulse import delivery
from socialpulse.config import load_config
try:
    delivery.deliver(load_config(sys.argv[1]), "board", sys.argv[2])
except Exception as exc:
    print(type(exc).__name__, exc, file=sys.stderr)
    sys.exit(3)
"""


def start_sender(config_path: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PLUGINS), str(TESTS)])}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(config_path), MONTH],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_sender_killed_during_the_send_is_not_followed_by_a_second_email(sender):
    config, config_path, port = sender
    with HoldingMailbox(port, hold=True) as mailbox:
        child = start_sender(config_path)
        assert mailbox.arrived.wait(120), child.communicate()
        child.send_signal(signal.SIGKILL)  # the server has the message; the sender never hears "250"
        child.wait(30)
        mailbox.release.set()
        for _ in range(3):  # Airflow's retries
            with pytest.raises(delivery.DeliveryUncertain, match="Not sending again") as raised:
                delivery.deliver(config, "board", MONTH)
        message_id = mailbox.messages()[0]["Message-ID"]
        assert message_id in str(raised.value) and "--confirm-sent" in str(raised.value)
        assert len(mailbox.received) == 1
        # the operator finds it in a mailbox and says so: from then on it counts as delivered
        assert "recorded as delivered" in delivery.resolve(config, "board", MONTH, arrived=True)
        assert delivery.deliver(config, "board", MONTH)["sent"] is False
    assert len(mailbox.received) == 1


def test_an_operator_who_finds_it_was_not_received_can_send_it_again(sender):
    config, config_path, port = sender
    with HoldingMailbox(port, hold=True) as mailbox:
        child = start_sender(config_path)
        assert mailbox.arrived.wait(120), child.communicate()
        child.send_signal(signal.SIGKILL)
        child.wait(30)
        mailbox.release.set()
        mailbox.received.clear()  # say the message got lost after all
        delivery.resolve(config, "board", MONTH, arrived=False)
        assert delivery.deliver(config, "board", MONTH)["sent"] is True
        assert delivery.deliver(config, "board", MONTH)["sent"] is False
    assert len(mailbox.received) == 1


# The task and Airflow's three retries, in one process that keeps whatever the test did to its
# disk (a mount namespace is the process's own); then the disk recovers and an operator confirms
# the email arrived. Prints what each step said.
RETRIES = """
import json, os, resource, subprocess, sys
from pathlib import Path
from socialpulse import delivery
from socialpulse.config import load_config
config_path, month, fault, record = sys.argv[1:5]
filler = Path(record) / "filler"
if fault == "full":  # a small file system over the record folder, full but for one page
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", record], check=True)
    filler.write_bytes(b"x" * 15 * 4096)  # the intent takes the last page
elif fault == "read-only":  # a mount of its own, made read-only by the test during the send
    subprocess.run(["mount", "--bind", record, record], check=True)
print("ready", flush=True)
said = []
def attempt(step):
    try:
        said.append(step())
    except Exception as exc:
        said.append([type(exc).__name__, str(exc)])
send = lambda: ["sent" if delivery.deliver(load_config(config_path), "board", month)["sent"] else "not sent"]
for _ in range(4):  # the task and Airflow's three retries
    attempt(send)
if fault == "full":
    filler.unlink()
elif fault == "read-only":
    subprocess.run(["mount", "-o", "remount,bind,rw", record, record], check=True)
else:
    resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
attempt(lambda: [delivery.resolve(load_config(config_path), "board", month, arrived=True)])
attempt(send)
print(json.dumps(said), flush=True)
"""


def mount_namespace_unavailable() -> str | None:
    """Why this machine cannot give a process a mount namespace of its own (None: it can)."""
    if not (shutil.which("unshare") and shutil.which("nsenter")):
        return "util-linux unshare and nsenter are not installed"
    probe = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "mount", "-t", "tmpfs", "tmpfs", "/mnt"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode:
        return f"no user and mount namespace for an unprivileged tmpfs here: {probe.stderr.strip()}"
    return None


@pytest.mark.parametrize(
    "fault, error",
    [
        ("full", "No space left on device"),  # ENOSPC, from a real full tmpfs
        ("read-only", "Read-only file system"),  # EROFS, from a real read-only mount
        ("file-size-limit", "File too large"),  # EFBIG, from RLIMIT_FSIZE: needs no privilege at all
    ],
)
def test_a_lake_that_refuses_the_outcome_after_the_server_accepted_stops_every_retry(sender, fault, error):
    """The SMTP server has accepted the message; the disk then refuses the outcome record for real.
    One email arrives, the first attempt says it was accepted but not recorded, and each retry
    stops and says why instead of sending again."""
    config, config_path, port = sender
    if fault != "file-size-limit" and (why := mount_namespace_unavailable()):
        pytest.skip(f"{fault}: {why}")
    record = Lake.from_config(config).report_dir("board", MONTH) / "deliveries"
    record = record / delivery.recipients_key(config.report("board").recipients)
    record.mkdir(parents=True)
    command = [sys.executable, "-c", RETRIES, str(config_path), MONTH, fault, str(record)]
    if fault != "file-size-limit":
        command = ["unshare", "--user", "--map-root-user", "--mount", *command]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PLUGINS), str(TESTS)])}
    with HoldingMailbox(port, hold=True) as mailbox:
        child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert child.stdout.readline() == "ready\n", child.communicate()
        assert mailbox.arrived.wait(120), child.communicate()
        # The intent is on disk and the server has the message: now the disk refuses writes.
        if fault == "read-only":
            enter = ["nsenter", f"--target={child.pid}", "--user", "--mount", "--preserve-credentials"]
            subprocess.run([*enter, "mount", "-o", "remount,bind,ro", str(record)], check=True)
        elif fault == "file-size-limit":
            import resource

            # Python ignores SIGXFSZ: the write fails with EFBIG (the hard limit stays, to lift it after)
            resource.prlimit(child.pid, resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))
        mailbox.release.set()
        out, err = child.communicate(timeout=120)
    said = json.loads(out.splitlines()[-1])
    assert len(mailbox.received) == 1, (said, err)
    first, *retries, confirmed, after = said
    assert first[0] == "DeliveryUncertain" and "WAS accepted by the SMTP server" in first[1], said
    assert error in first[1] and "--confirm-sent" in first[1]
    message_id = mailbox.messages()[0]["Message-ID"]
    assert len(retries) == 3 and all(
        r[0] == "DeliveryUncertain" and "Not sending again" in r[1] and message_id in r[1] for r in retries
    ), retries
    # Once the disk takes writes again, the operator confirms it arrived: it stays delivered.
    assert "recorded as delivered" in confirmed[0] and after == ["not sent"], said


def test_two_sends_at_once_send_one_email(sender):
    _, config_path, port = sender
    with HoldingMailbox(port, hold=True) as mailbox:
        children = [start_sender(config_path), start_sender(config_path)]
        assert mailbox.arrived.wait(120)
        deadline = time.monotonic() + 120
        while sum(c.poll() is not None for c in children) < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        mailbox.release.set()
        outcomes = [c.communicate(timeout=120) for c in children]
    codes = sorted(c.returncode for c in children)
    assert len(mailbox.received) == 1, outcomes
    assert codes == [0, 3], outcomes
    assert any("DeliveryInProgress" in err for _, err in outcomes)


def test_a_refused_connection_is_known_not_sent_and_the_retry_sends(sender):
    config, _, port = sender
    with pytest.raises(ConnectionRefusedError):
        delivery.deliver(config, "board", MONTH)  # nobody listens yet: certainly not sent
    with HoldingMailbox(port) as mailbox:
        assert delivery.deliver(config, "board", MONTH)["sent"] is True
    assert len(mailbox.received) == 1


def test_the_email_has_a_text_part_the_html_body_and_the_pdf_as_application_pdf(sender):
    config, _, port = sender
    with HoldingMailbox(port) as mailbox:
        delivery.deliver(config, "board", MONTH)
    message = mailbox.messages()[0]
    assert message["From"] == config.report("board").sender and message["To"] == "board@example.com"
    body = message.get_body(("plain",)).get_content()
    assert "requests answered" in body and "<" not in body
    assert "requests answered" in message.get_body(("html",)).get_content()
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == report.pdf_name("board", MONTH)
    assert attachment.get_content().startswith(b"%PDF")


KILLED_RENDER = """
import os, signal, sys
from socialpulse import report
from socialpulse.config import load_config
real = report.atomic_write_bytes
def write_then_die(path, data):
    real(path, data)
    if path.name == "email.html":  # the body is written, the PDF not yet
        os.kill(os.getpid(), signal.SIGKILL)
report.atomic_write_bytes = write_then_die
report.render_report(load_config(sys.argv[1]), "board", sys.argv[2], force=True)
"""


def test_a_render_killed_between_body_and_pdf_still_sends_body_and_pdf_of_one_render(sender):
    from io import BytesIO

    from pypdf import PdfReader

    config, config_path, port = sender
    lake = Lake.from_config(config)
    # New data since the render: 25 more unanswered complaints; the marts change.
    account = config.accounts[0]
    interval = day_interval(dt.date(2026, 10, 30))
    tables = SimulatedNetwork(seed=config.seed).extract(account, interval)
    messages = tables["messages"].to_pylist()
    template = next(m for m in messages if m["direction"] == "inbound" and m["intent"] == "complaint")
    messages += [
        {
            **template,
            "message_id": f"late-{i}",
            "thread_id": f"late-{i}",
            "created_at": dt.datetime(2026, 10, 30, 8, i, tzinfo=dt.UTC),
        }
        for i in range(25)
    ]
    tables["messages"] = pa.Table.from_pylist(messages, schema=tables["messages"].schema)
    lake.publish(account, interval, classify_tables(tables))
    metrics.compute_marts(lake, sla=config.sla)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PLUGINS), str(TESTS)])}
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_RENDER, str(config_path), MONTH],
        env=env,
        capture_output=True,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    with HoldingMailbox(port) as mailbox:
        delivery.deliver(config, "board", MONTH)
    message = mailbox.messages()[0]
    body = " ".join(re.sub(r"<[^>]+>", " ", message.get_body(("html",)).get_content()).split())
    answered, requests = re.search(r"([\d,]+) of ([\d,]+) requests answered", body).groups()
    pdf = next(message.iter_attachments()).get_content()
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages).split())
    assert f"{requests} service requests (questions and complaints); {answered} answered" in text


def test_the_intent_is_created_once_on_a_local_disk_and_in_the_object_store(tmp_path):
    from fakes.object_store import s3_bucket

    local = Lake(tmp_path).root / "deliveries" / "k" / "attempt-1.json"
    assert delivery.create_exclusive(local, {"who": "first"})
    assert not delivery.create_exclusive(local, {"who": "second"})
    assert json.loads(local.read_text()) == {"who": "first"}
    with s3_bucket() as store:
        remote = Lake(store.url(), store.storage_options()).root / "deliveries" / "k" / "attempt-1.json"
        assert delivery.create_exclusive(remote, {"who": "first"})  # PUT If-None-Match: *
        assert not delivery.create_exclusive(remote, {"who": "second"})  # 412 Precondition Failed
        assert json.loads(store.get("lake/deliveries/k/attempt-1.json")) == {"who": "first"}
