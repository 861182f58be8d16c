"""Email delivery of a rendered report: one email per month and recipient list, whatever is killed when.

The render task writes the whole email (HTML body, plain-text part, the PDF as application/pdf)
as one MIME file, message.eml, in one atomic write: body and attachment always come from one
render. Delivery sends exactly that file, and keeps a record per recipient list under
deliveries/<recipients key>/ in the report's folder:

    attempt-<n>.json          the intent, written BEFORE the message goes to the SMTP server
    attempt-<n>.outcome.json  the outcome, written after: sent, or failed (known not sent)

Both are created exclusively (never overwritten): on a local disk by linking a complete
temporary file to the name (fails if it exists), in an object store by a conditional PUT
(`If-None-Match: *`, which AWS S3, MinIO and moto honour; s3fs sends it for mode="create").
The intent is therefore also the lock: of two sends at once only one creates attempt-<n>, the
other stops.

An attempt without an outcome means the process died or the lake refused the outcome after the
server may have accepted the message (kill -9 during the send, a full or read-only lake). Then
nobody can know whether the recipients got it, so delivery stops and says so instead of sending
again; an operator checks a recipient's mailbox (the Message-ID is in the error) and runs

    python -m socialpulse delivery --report NAME --month YYYY-MM --confirm-sent   # it arrived
    python -m socialpulse delivery --report NAME --month YYYY-MM --resend         # it did not

A send that certainly did not reach the server (no connection, login refused, the server
rejecting the sender, recipients or data) is recorded as failed, so a retry sends it.

Airflow's SmtpHook.send_email_smtp retries sendmail by itself, which can deliver twice when a
reply is lost; delivery therefore opens the hook's connection and calls sendmail exactly once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import smtplib
import socket
from email import message_from_bytes, policy
from email.utils import formatdate, parseaddr
from typing import Any

from socialpulse.config import Config, ConfigError
from socialpulse.lake import Lake, atomic_write_json, is_remote, staged

log = logging.getLogger(__name__)

MESSAGE = "message.eml"


class DeliveryUncertain(RuntimeError):
    """An earlier send may or may not have reached the recipients: an operator must say which."""


class DeliveryInProgress(RuntimeError):
    """Another process is sending this report to these recipients right now."""


def recipients_key(recipients: tuple[str, ...]) -> str:
    return hashlib.sha256("\n".join(sorted(r.lower() for r in recipients)).encode()).hexdigest()


def create_exclusive(path: Any, payload: dict) -> bool:
    """Write a JSON file whole under a name that must not exist yet; False if it already does."""
    data = json.dumps(payload, indent=2, sort_keys=True, default=str).encode()
    if is_remote(path):
        try:
            path.fs.pipe_file(path.path, data, mode="create")  # PUT with If-None-Match: *
        except FileExistsError:
            return False
        return True
    with staged(path, lambda tmp: tmp.write_bytes(data)) as tmp:
        try:
            os.link(tmp, path)  # atomic, and fails if the name exists: the content is complete
        except FileExistsError:
            return False
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return True


class DeliveryRecord:
    """The attempts to send one report month to one recipient list."""

    def __init__(self, folder: Any, recipients: tuple[str, ...]):
        self.key = recipients_key(recipients)
        self.folder = folder / "deliveries" / self.key

    def _read(self, path: Any) -> dict | None:
        return json.loads(path.read_text()) if path.exists() else None

    def attempts(self) -> list[tuple[int, dict, dict | None]]:
        """(n, intent, outcome or None) for every attempt, in order."""
        if not self.folder.exists():
            return []
        numbers = sorted(
            int(p.name.removeprefix("attempt-").removesuffix(".json"))
            for p in self.folder.glob("attempt-*.json")
            if not p.name.endswith(".outcome.json")
        )
        return [(n, self._read(self.intent_path(n)) or {}, self._read(self.outcome_path(n))) for n in numbers]

    def intent_path(self, n: int) -> Any:
        return self.folder / f"attempt-{n}.json"

    def outcome_path(self, n: int) -> Any:
        return self.folder / f"attempt-{n}.outcome.json"

    def state(self) -> tuple[str, int, dict]:
        """('none' | 'sent' | 'failed' | 'uncertain', last attempt number, its intent)."""
        attempts = self.attempts()
        if any(outcome and outcome.get("state") == "sent" for _, _, outcome in attempts):
            n, intent, _ = next(a for a in attempts if a[2] and a[2].get("state") == "sent")
            return "sent", n, intent
        if not attempts:
            return "none", 0, {}
        n, intent, outcome = attempts[-1]
        if outcome is None:
            return "uncertain", n, intent
        return "failed", n, intent

    def record_outcome(self, n: int, state: str, detail: str = "") -> None:
        outcome = {"state": state, "at": _now(), "detail": detail}
        if not create_exclusive(self.outcome_path(n), outcome):
            raise DeliveryInProgress(f"attempt {n} at {self.folder} already has an outcome")


def _still_running(intent: dict) -> bool:
    """Whether the process that wrote an intent is alive on this host (elsewhere nobody can tell)."""
    if intent.get("host") != socket.gethostname() or not intent.get("pid") or intent["pid"] == os.getpid():
        return False
    try:
        os.kill(int(intent["pid"]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _uncertain_message(report_name: str, month: str, n: int, intent: dict, folder: Any) -> str:
    return (
        f"{report_name} {month}: attempt {n} to send it to {', '.join(intent.get('recipients', []))} "
        f"started at {intent.get('started_at')} on {intent.get('host')} (pid {intent.get('pid')}) and never "
        f"recorded an outcome (killed, or the lake refused the record after sending), so nobody knows "
        f"whether the SMTP server accepted it. Not sending again. Look for Message-ID "
        f"{intent.get('message_id')} in a recipient's mailbox, then run `python -m socialpulse delivery "
        f"--report {report_name} --month {month} --confirm-sent` if it arrived or `--resend` if it did not "
        f"(record: {folder})."
    )


def deliver(config: Config, report_name: str, month: str) -> dict:
    """Send the rendered report for `month` to its recipients once; see the module's docstring."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    report = config.report(report_name)
    folder = Lake.from_config(config).report_dir(report_name, month)
    record = DeliveryRecord(folder, report.recipients)
    result = {"report": report_name, "month": month, "sent": False, "recipients": list(report.recipients)}
    state, last, intent = record.state()
    if state == "sent":
        log.info("%s for %s was already delivered to these recipients; not sending again", report_name, month)
        return result
    if state == "uncertain":
        if _still_running(intent):
            raise DeliveryInProgress(
                f"{report_name} {month}: attempt {last} to these recipients is being sent right now by pid "
                f"{intent.get('pid')} on this host; not sending a second email (a retry will find its outcome)"
            )
        raise DeliveryUncertain(_uncertain_message(report_name, month, last, intent, record.folder))

    message_path = folder / MESSAGE
    if not message_path.exists():
        raise FileNotFoundError(
            f"{message_path} is missing: run the render task for {report_name} {month} first"
        )
    # The From: the report's `sender`, else the SMTP connection's "From email" (extra from_email).
    sender = report.sender or SmtpHook.get_connection(report.smtp_conn_id).extra_dejson.get("from_email")
    if not sender:
        raise ConfigError(
            f"{config.path}: reports[{report.name}]: no sender: set `sender:` on the report (e.g. "
            f"'Acme Social <social@acme.example>') or the From email (extra from_email) of the "
            f"Airflow connection '{report.smtp_conn_id}'"
        )
    message = message_from_bytes(message_path.read_bytes(), policy=policy.SMTP)
    del message["To"]
    message["To"] = ", ".join(report.recipients)
    del message["From"]
    message["From"] = sender
    if message["Date"] is None:
        message["Date"] = formatdate(usegmt=True)
    n = last + 1
    rendered_path = folder / "rendered.json"
    rendered = json.loads(rendered_path.read_text()) if rendered_path.exists() else {}
    intent = {
        "attempt": n,
        # what the sent report was computed from: the mart set and the canonical table versions
        "marts_run": rendered.get("marts_run"),
        "table_versions": rendered.get("table_versions"),
        "recipients": list(report.recipients),
        "message_id": message["Message-ID"],
        "subject": message["Subject"],
        "started_at": _now(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }
    if not create_exclusive(record.intent_path(n), intent):
        raise DeliveryInProgress(
            f"{report_name} {month}: another process started attempt {n} to these recipients just now; "
            "not sending a second email (a retry will find its outcome)"
        )

    # From here on, only a failure known to have left the message undelivered may be retried.
    sending = False
    try:
        with SmtpHook(smtp_conn_id=report.smtp_conn_id) as hook:
            client = hook._smtp_client  # one sendmail: send_email_smtp would retry it on its own
            if client is None:
                raise smtplib.SMTPException("the SMTP hook opened no connection")
            sending = True
            client.sendmail(parseaddr(sender)[1], list(report.recipients), message.as_bytes())
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        record.record_outcome(n, "failed", f"refused by the server: {exc}")
        raise
    except Exception as exc:
        if sending and not isinstance(exc, ConnectionRefusedError):
            # the message may have reached the server: leave the attempt open, stop retries
            raise DeliveryUncertain(_uncertain_message(report_name, month, n, intent, record.folder)) from exc
        record.record_outcome(n, "failed", f"not sent: {exc!r}")
        raise
    try:
        record.record_outcome(n, "sent")
    except Exception as exc:
        raise DeliveryUncertain(
            f"{report_name} {month} WAS accepted by the SMTP server (Message-ID {intent['message_id']}), but "
            f"recording that failed ({exc!r}). Not sending again: once the lake is writable, run "
            f"`python -m socialpulse delivery --report {report_name} --month {month} --confirm-sent`."
        ) from exc
    _summary(folder, record, report.recipients)
    log.info("delivered %s for %s to %d recipients", report_name, month, len(report.recipients))
    return {**result, "sent": True}


def _summary(folder: Any, record: DeliveryRecord, recipients: tuple[str, ...]) -> None:
    """delivery.json: what was sent to whom, for people reading the archive (not the record)."""
    path = folder / "delivery.json"
    try:
        deliveries = json.loads(path.read_text()) if path.exists() else []
        if not any(d.get("recipients_key") == record.key for d in deliveries):
            deliveries.append({"recipients_key": record.key, "recipients": list(recipients), "at": _now()})
        atomic_write_json(path, deliveries)
    except OSError as exc:  # the attempt's outcome is the record; this summary is a convenience
        log.warning("could not update %s: %s", path, exc)


def resolve(config: Config, report_name: str, month: str, *, arrived: bool) -> str:
    """The operator's answer for an attempt without an outcome: it arrived, or it did not."""
    report = config.report(report_name)
    folder = Lake.from_config(config).report_dir(report_name, month)
    record = DeliveryRecord(folder, report.recipients)
    state, n, _ = record.state()
    if state != "uncertain":
        return f"{report_name} {month}: nothing to resolve (state: {state})"
    if arrived:
        record.record_outcome(n, "sent", "confirmed by an operator")
        _summary(folder, record, report.recipients)
        return f"{report_name} {month}: attempt {n} recorded as delivered; it will not be sent again"
    record.record_outcome(n, "failed", "an operator found it was not received")
    return f"{report_name} {month}: attempt {n} recorded as not received; the next send will send it"


def delivered(config: Config, report_name: str, month: str) -> bool:
    """Whether any attempt to send this month was made (sent or in doubt): the archive must stay."""
    folder = Lake.from_config(config).report_dir(report_name, month)
    return (folder / "deliveries").exists() and any((folder / "deliveries").glob("*/attempt-*.json"))
