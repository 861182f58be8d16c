"""The declarative configuration: accounts to extract, reports to send, where the lake lives.

One YAML file (config/socialpulse.yml by default, or the path in $SOCIALPULSE_CONFIG), validated on
load; every error names the file and the key. No secrets here: an account names an Airflow
connection, and the connection holds the token.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from socialpulse import model
from socialpulse.domain import Account
from socialpulse.networks.base import NETWORKS
from socialpulse.paths import DEFAULT_CONFIG

T = TypeVar("T")

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


class ConfigError(ValueError):
    """The configuration file is wrong; the message names the file and the key."""


@dataclass(frozen=True)
class ReportConfig:
    name: str
    title: str
    recipients: tuple[str, ...]
    accounts: tuple[str, ...]  # account keys "network/account_id"
    smtp_conn_id: str = "smtp_default"
    # the From of the email; None: the SMTP connection's "From email" (extra from_email)
    sender: str | None = None
    sla_target: float = 0.9  # the share of requests to answer within the SLA, drawn on the charts
    incomplete_month: str = "wait"  # wait: the scheduled send waits for missing days; send: marked
    render_timeout_seconds: float = 300.0  # WeasyPrint is killed past it


@dataclass(frozen=True)
class SlaPolicy:
    """How fast a service request must be answered: hours per network, optionally business hours.

    With business hours set, the SLA clock only runs inside them, in each account's time zone.
    """

    default_hours: float = 24.0
    per_network: dict[str, float] = field(default_factory=dict)
    business_start: str | None = None  # "HH:MM", local time of the account
    business_end: str | None = None
    business_days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    # A request is resolved at our last reply of its turn when no new request follows in its
    # thread within this many calendar hours (docs/metrics.md, "Time to resolution").
    resolution_quiet_hours: float = 24.0

    @property
    def business_hours(self) -> bool:
        return self.business_start is not None

    def hours_for(self, network: str) -> float:
        return self.per_network.get(network, self.default_hours)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Config:
    path: Path
    lake_root: Path | str  # a local folder, or an object store URL (s3://bucket/lake) as a string
    accounts: tuple[Account, ...]
    reports: tuple[ReportConfig, ...]
    seed: int = 7
    sla: SlaPolicy = field(default_factory=SlaPolicy)  # the one SLA source: default_hours, per_network
    lake_conn_id: str | None = None  # the Airflow connection holding the object store's credentials

    def account(self, key: str) -> Account:
        return self._named("account", self.accounts, lambda a: a.key, key)

    def select_accounts(self, account: str | None = None, network: str | None = None) -> list[Account]:
        """One account by its key (network/account_id), or every configured account of a network:
        what a backfill covers, from the CLI or the backfill DAG."""
        if account:
            return [self.account(account)]
        if not network:
            raise ValueError("name an account (network/account_id) or a network to backfill")
        chosen = [a for a in self.accounts if a.network == network]
        if not chosen:
            networks = sorted({a.network for a in self.accounts})
            raise ValueError(
                f"{self.path}: no account on network '{network}' (networks with accounts: {', '.join(networks)})"
            )
        return chosen

    def report(self, name: str) -> ReportConfig:
        return self._named("report", self.reports, lambda r: r.name, name)

    def _named(self, kind: str, items: tuple[T, ...], name_of: Callable[[T], str], name: str) -> T:
        """The first configured `kind` called `name`, or an error naming the file and every known name."""
        for item in items:
            if name_of(item) == name:
                return item
        raise ConfigError(f"{self.path}: no {kind} '{name}' (known: {', '.join(name_of(i) for i in items)})")


def config_path() -> Path:
    return Path(os.environ.get("SOCIALPULSE_CONFIG", DEFAULT_CONFIG)).expanduser().resolve()


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and validate the configuration file. $SOCIALPULSE_LAKE_ROOT overrides lake_root."""
    path = Path(path).resolve() if path else config_path()
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"configuration file not found: {path} (set SOCIALPULSE_CONFIG)") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    where = str(path)

    lake_path = _lake_root(raw, path, where)
    lake_conn_id = os.environ.get("SOCIALPULSE_LAKE_CONN_ID") or raw.get("lake_conn_id")
    if lake_conn_id is not None and not isinstance(lake_conn_id, str):
        raise ConfigError(
            f"{where}: lake_conn_id must be the id of an Airflow connection, got {lake_conn_id!r}"
        )

    accounts = tuple(
        _account(item, f"{where}: accounts[{i}]")
        for i, item in enumerate(_require(raw, "accounts", list, where))
    )
    keys = [a.key for a in accounts]
    if duplicates := _repeated(keys):
        raise ConfigError(f"{where}: accounts: duplicate account(s) {duplicates}")
    if not accounts:
        raise ConfigError(f"{where}: accounts: at least one account is needed")

    reports = tuple(
        _report(item, f"{where}: reports[{i}]", keys) for i, item in enumerate(raw.get("reports") or [])
    )
    if duplicates := _repeated([r.name for r in reports]):
        # each report's deliveries and folders are named after it: two of a name would share them
        raise ConfigError(
            f"{where}: reports: duplicate report name(s) {duplicates}; give each report its own name"
        )
    sla = _sla_policy(raw, where)
    known = {"lake_root", "lake_conn_id", "accounts", "reports", "sla_hours", "sla", "seed"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; known keys: {sorted(known)}")
    return Config(
        path=path,
        lake_root=lake_path,
        lake_conn_id=lake_conn_id,
        accounts=accounts,
        reports=reports,
        seed=int(raw.get("seed", 7)),
        sla=sla,
    )


def _repeated(names: list[str]) -> list[str]:
    return sorted({n for n in names if names.count(n) > 1})


def is_url(root: str | os.PathLike[str]) -> bool:
    """Whether a lake root names an object store (s3://bucket/lake) rather than a local folder."""
    text = str(root)
    return "://" in text and text.split("://", 1)[0] not in ("file", "local")


def _lake_root(raw: dict, path: Path, where: str) -> Path | str:
    """A URL stays as it is; a local path is made absolute ($SOCIALPULSE_LAKE_ROOT against the
    working directory, the file's lake_root against the file's folder)."""
    root = os.environ.get("SOCIALPULSE_LAKE_ROOT") or _require(raw, "lake_root", str, where)
    if is_url(root):
        return root.rstrip("/")
    base = Path.cwd() if os.environ.get("SOCIALPULSE_LAKE_ROOT") else path.parent
    return (base / Path(root.removeprefix("file://")).expanduser()).resolve()


def _hours(value: Any, key: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"{where}: {key} must be a positive number of hours, got {value!r}")
    return float(value)


def _sla_policy(raw: dict, where: str) -> SlaPolicy:
    """sla_hours (the default SLA) and the optional sla: mapping of per-network hours and business hours."""
    sla = raw.get("sla") or {}
    if not isinstance(sla, dict):
        raise ConfigError(
            f"{where}: sla must be a mapping (default_hours, per_network, business_hours, resolution_quiet_hours)"
        )
    allowed = {"default_hours", "per_network", "business_hours", "resolution_quiet_hours"}
    unknown = sorted(set(sla) - allowed)
    if unknown:
        raise ConfigError(f"{where}: sla: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    if "sla_hours" in raw and "default_hours" in sla:
        raise ConfigError(f"{where}: give the default SLA once: sla_hours or sla.default_hours, not both")
    default = _hours(
        sla.get("default_hours", raw.get("sla_hours", 24)),
        "sla.default_hours" if "default_hours" in sla else "sla_hours",
        where,
    )
    per_network = sla.get("per_network") or {}
    if not isinstance(per_network, dict):
        raise ConfigError(f"{where}: sla.per_network must map a network to hours, e.g. {{x: 4}}")
    for network, hours in per_network.items():
        if network not in NETWORKS:
            raise ConfigError(
                f"{where}: sla.per_network.{network}: unknown network; known: {sorted(NETWORKS)}"
            )
        _hours(hours, f"sla.per_network.{network}", where)
    quiet = _hours(
        sla.get("resolution_quiet_hours", SlaPolicy.resolution_quiet_hours),
        "sla.resolution_quiet_hours",
        where,
    )
    policy = SlaPolicy(
        default_hours=default,
        per_network={n: float(h) for n, h in per_network.items()},
        resolution_quiet_hours=quiet,
    )
    business = sla.get("business_hours")
    if business is None:
        return policy
    key = "sla.business_hours"
    if not isinstance(business, dict):
        raise ConfigError(f"{where}: {key} must be a mapping with start, end and days")
    unknown = sorted(set(business) - {"start", "end", "days"})
    if unknown:
        raise ConfigError(f"{where}: {key}: unknown key(s) {unknown}; allowed: ['days', 'end', 'start']")
    times = {}
    for name in ("start", "end"):
        value = business.get(name)
        if not isinstance(value, str) or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d|24:00", value):
            raise ConfigError(f'{where}: {key}.{name} must be a time "HH:MM" in quotes, got {value!r}')
        times[name] = value
    if times["start"] >= times["end"]:
        raise ConfigError(f"{where}: {key}: start {times['start']} must be before end {times['end']}")
    days = business.get("days", list(SlaPolicy.business_days))
    if not isinstance(days, list) or not days or any(d not in WEEKDAYS for d in days):
        raise ConfigError(
            f"{where}: {key}.days must be a list of weekdays from {list(WEEKDAYS)}, got {days!r}"
        )
    return SlaPolicy(
        default_hours=policy.default_hours,
        per_network=policy.per_network,
        business_start=times["start"],
        business_end=times["end"],
        business_days=tuple(sorted(set(days), key=WEEKDAYS.index)),
        resolution_quiet_hours=policy.resolution_quiet_hours,
    )


def _require(raw: dict, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in raw:
        raise ConfigError(f"{where}: missing key '{key}'")
    value = raw[key]
    if not isinstance(value, kind):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise ConfigError(f"{where}: '{key}' must be a {names}, got {type(value).__name__}")
    return value


def _account(item: Any, where: str) -> Account:
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected a mapping")
    allowed = {
        "network",
        "account_id",
        "handle",
        "purpose",
        "time_zone",
        "display_name",
        "connection_id",
        "options",
    }
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    network = _require(item, "network", str, where)
    if network not in NETWORKS:
        raise ConfigError(f"{where}.network: unknown network '{network}'; known: {sorted(NETWORKS)}")
    account_id = str(_require(item, "account_id", (str, int), where))
    if not re.fullmatch(r"[A-Za-z0-9_.:-]+", account_id):
        raise ConfigError(f"{where}.account_id: '{account_id}' may hold only letters, digits and _ . : -")
    purpose = _require(item, "purpose", str, where)
    if purpose not in model.PURPOSES:
        raise ConfigError(f"{where}.purpose: '{purpose}' is not one of {list(model.PURPOSES)}")
    time_zone = item.get("time_zone", "UTC")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ConfigError(
            f"{where}.time_zone: unknown time zone {time_zone!r} (use an IANA name like Europe/Paris)"
        ) from None
    options = item.get("options") or {}
    if not isinstance(options, dict):
        raise ConfigError(f"{where}.options: expected a mapping")
    return Account(
        network=network,
        account_id=account_id,
        handle=_require(item, "handle", str, where),
        purpose=purpose,
        time_zone=time_zone,
        display_name=item.get("display_name"),
        connection_id=item.get("connection_id"),
        options=options,
    )


def _report(item: Any, where: str, account_keys: list[str]) -> ReportConfig:
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected a mapping")
    name = _require(item, "name", str, where)
    if not re.fullmatch(r"[a-z0-9_-]+", name):
        raise ConfigError(f"{where}.name: '{name}' may hold only lower-case letters, digits, _ and -")
    recipients = _require(item, "recipients", list, where)
    bad = [r for r in recipients if not isinstance(r, str) or not EMAIL.match(r)]
    if bad or not recipients:
        raise ConfigError(f"{where}.recipients: need at least one e-mail address; not addresses: {bad}")
    accounts = item.get("accounts", "all")
    if accounts == "all":
        accounts = list(account_keys)
    if not isinstance(accounts, list):
        raise ConfigError(f"{where}.accounts: expected 'all' or a list of network/account_id")
    unknown = [a for a in accounts if a not in account_keys]
    if unknown:
        raise ConfigError(f"{where}.accounts: unknown account(s) {unknown}; known: {account_keys}")
    sla_target = item.get("sla_target", ReportConfig.sla_target)
    if isinstance(sla_target, bool) or not isinstance(sla_target, (int, float)) or not 0 < sla_target <= 1:
        raise ConfigError(f"{where}.sla_target: a share between 0 and 1 (0.9 = 90%), got {sla_target!r}")
    incomplete = item.get("incomplete_month", ReportConfig.incomplete_month)
    if incomplete not in ("wait", "send"):
        raise ConfigError(
            f"{where}.incomplete_month: 'wait' (the scheduled report waits for the missing days) "
            f"or 'send' (sent marked incomplete), got {incomplete!r}"
        )
    timeout = item.get("render_timeout_seconds", ReportConfig.render_timeout_seconds)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ConfigError(f"{where}.render_timeout_seconds: a positive number of seconds, got {timeout!r}")
    return ReportConfig(
        name=name,
        title=item.get("title", "Social Pulse monthly report"),
        recipients=tuple(recipients),
        accounts=tuple(accounts),
        smtp_conn_id=item.get("smtp_conn_id", "smtp_default"),
        sender=_sender(item.get("sender"), f"{where}.sender"),
        sla_target=float(sla_target),
        incomplete_month=incomplete,
        render_timeout_seconds=float(timeout),
    )


def _sender(value: Any, where: str) -> str | None:
    """An address, or a display name with one ("Acme Social <social@acme.example>"), or absent."""
    if value is None:
        return None
    address = value.rsplit("<", 1)[-1].rstrip(">").strip() if isinstance(value, str) else None
    if not address or not EMAIL.match(address):
        raise ConfigError(
            f"{where}: expected an e-mail address such as 'Acme Social <social@acme.example>', got {value!r}"
        )
    return value
