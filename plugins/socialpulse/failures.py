"""Errors a retry cannot fix, told apart from glitches at the task boundary.

A missing Airflow connection, a wrong configuration file or `month` param, a token the network
refuses (401/403), a bad export file and a failed validation stay wrong however often the task is retried: such a task fails at once
(Airflow's AirflowFailException: no retries) with one line naming the account and what to do. Any
other error (a timeout, a 5xx, a dropped connection) is raised as it is and keeps its retries.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from socialpulse.http import Unrecoverable
from socialpulse.pools import connection_command


class MissingConnection(Unrecoverable):
    """An Airflow connection does not exist; with the account, the message names the command that adds it."""

    def __init__(self, conn_id: str, account_key: str | None = None, network: str | None = None):
        self.account_key, self.network, self.conn_id = account_key, network, conn_id
        if account_key and network:
            text = (
                f"account {account_key}: the Airflow connection '{conn_id}' does not exist; "
                f"add it: {connection_command(network, conn_id)}"
            )
        else:
            text = (
                f"no Airflow connection '{conn_id}': create it with the account's token (docs/connectors.md, "
                f"'Connecting a real account') or fix connection_id in the accounts file"
            )
        super().__init__(text)


def is_missing_connection(exc: BaseException) -> bool:
    """Airflow's "the conn_id isn't defined" (the Task SDK's AirflowNotFoundException, or core's)."""
    return type(exc).__name__ == "AirflowNotFoundException"


def permanent_reason(exc: BaseException, account_key: str | None = None) -> str | None:
    """One line saying what is wrong and how to fix it when a retry cannot help; None for a glitch."""
    from socialpulse.config import ConfigError

    where = f"account {account_key}: " if account_key else ""
    if isinstance(exc, MissingConnection):
        return str(exc)
    if isinstance(exc, ConfigError):
        return f"{where}configuration error: {exc}. Fix the file; retrying will not help"
    if isinstance(exc, Unrecoverable):  # a refused token, missing keys, an unknown option
        return f"{where}{exc}. Retrying will not help"
    if _raised_from(exc, "socialpulse.runs", "MonthError"):
        return f"{where}{exc}"
    if _raised_from(exc, "socialpulse.quality", "ValidationFailed"):
        return str(exc)
    if _raised_from(exc, "socialpulse.exports.base", "ExportError"):
        return f"{where}{exc}. Fix or replace the export file; retrying will not help"
    if is_missing_connection(exc):
        return f"{where}{exc}; add the connection (airflow connections add ...) and rerun"
    return None


def _raised_from(exc: BaseException, module: str, name: str) -> bool:
    """isinstance(exc, module.name) without importing module (quality imports Great Expectations):
    if the module was never imported, nothing raised its error."""
    cls = getattr(sys.modules.get(module), name, None)
    return cls is not None and isinstance(exc, cls)


@contextlib.contextmanager
def fail_fast(account_key: str | None = None) -> Iterator[None]:
    """Around a task's work: a permanent error becomes AirflowFailException (one line, no retry)."""
    try:
        yield
    except Exception as exc:
        reason = permanent_reason(exc, account_key)
        if reason is None:
            raise
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(reason) from None
