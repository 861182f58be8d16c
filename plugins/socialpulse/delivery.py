"""Email delivery of a rendered report through Airflow's SMTP provider.

Sends the archived files (no re-rendering), so a retry resends exactly what was rendered. A
delivery record next to the report makes the send happen once per month and recipient list: a
rerun of the DAG does not mail the executives twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from pathlib import Path

from socialpulse.config import Config
from socialpulse.lake import Lake, atomic_write_json
from socialpulse.report import pdf_name

log = logging.getLogger(__name__)


def _recipients_key(recipients: tuple[str, ...]) -> str:
    return hashlib.sha256("\n".join(sorted(r.lower() for r in recipients)).encode()).hexdigest()


def deliver(config: Config, report_name: str, month: str) -> dict:
    """Send the archived report for `month` to its recipients, unless it was already sent to them."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    report = config.report(report_name)
    folder = Lake.from_config(config).report_dir(report_name, month)
    record_path = folder / "delivery.json"
    key = _recipients_key(report.recipients)
    deliveries = json.loads(record_path.read_text()) if record_path.exists() else []
    if any(d["recipients_key"] == key for d in deliveries):
        log.info("%s for %s was already delivered to these recipients; not sending again", report_name, month)
        return {"report": report_name, "month": month, "sent": False, "recipients": list(report.recipients)}

    pdf = folder / pdf_name(report_name, month)
    email = folder / "email.html"
    for path in (pdf, email, folder / "rendered.json"):
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: run the render task for {report_name} {month} first")
    subject = json.loads((folder / "rendered.json").read_text())["subject"]

    # The SMTP hook attaches local files; a lake in an object store lends it a local copy.
    with tempfile.TemporaryDirectory(prefix="socialpulse-delivery-") as scratch:
        attachment = Path(scratch) / pdf.name
        attachment.write_bytes(pdf.read_bytes())
        with SmtpHook(smtp_conn_id=report.smtp_conn_id) as hook:
            hook.send_email_smtp(
                to=list(report.recipients),
                subject=subject,
                html_content=email.read_text(),
                from_email=report.sender,
                files=[str(attachment)],
                custom_headers={"X-Social-Pulse-Report": f"{report_name}/{month}"},
            )
    deliveries.append({"recipients_key": key, "recipients": list(report.recipients)})
    atomic_write_json(record_path, deliveries)
    log.info("delivered %s for %s to %d recipients", report_name, month, len(report.recipients))
    return {"report": report_name, "month": month, "sent": True, "recipients": list(report.recipients)}
