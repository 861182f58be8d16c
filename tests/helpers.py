"""Small builders shared by the unit tests."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

from socialpulse.domain import Account, Interval

UTC = dt.UTC
CARE = Account("simulated", "care", "@acme_care", "service", "Europe/Paris", display_name="Acme Care")
DEALS = Account("simulated", "deals", "@acme_deals", "promotions", "UTC", display_name="Acme Deals")


def day_interval(day: dt.date, days: int = 1) -> Interval:
    start = dt.datetime.combine(day, dt.time(), UTC)
    return Interval(start, start + dt.timedelta(days=days))


def write_config(
    folder: Path, recipients: str = "[board@example.com]", smtp_conn_id: str = "smtp_test", extra: str = ""
) -> Path:
    path = folder / "socialpulse.yml"
    path.write_text(
        textwrap.dedent(
            f"""
            lake_root: {folder / "lake"}
            sla_hours: 24
            seed: 5
            accounts:
              - {{network: simulated, account_id: care, handle: "@acme_care", display_name: Acme Care, purpose: service, time_zone: Europe/Paris}}
              - {{network: simulated, account_id: deals, handle: "@acme_deals", display_name: Acme Deals, purpose: promotions, time_zone: UTC}}
            reports:
              - name: board
                title: Acme social report
                recipients: {recipients}
                smtp_conn_id: {smtp_conn_id}
                sender: "Acme Social <social@acme.example>"
            """
        )
        + extra
    )
    return path
