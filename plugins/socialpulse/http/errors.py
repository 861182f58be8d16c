"""What the HTTP layer raises, and how it keeps secrets out of every message and log line."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

import requests

from socialpulse.networks.base import ConnectorError

# Query parameters that carry secrets on some API: redacted from every URL we print.
SECRET_PARAMS = re.compile(r"((?:access_token|token|key|client_secret|appsecret_proof)=)[^&#\s\"']+", re.I)


class RedactSecrets(logging.Filter):
    """Scrubs secret query parameters from another library's log records (urllib3 logs every URL at DEBUG)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if SECRET_PARAMS.search(message):
            record.msg, record.args = SECRET_PARAMS.sub(r"\1***", message), ()
        return True


logging.getLogger("urllib3.connectionpool").addFilter(RedactSecrets())


def secret_forms(secret: str) -> set[str]:
    """A secret as an error may echo it: raw, URL-encoded (in a path or a query), form-encoded."""
    return {secret, quote(secret, safe=""), quote(secret), quote_plus(secret)} - {""}


def scrub_secrets(text: str, secrets_: Iterable[str]) -> str:
    """The text without any of these secrets in any of their forms (longest first: one may contain another)."""
    forms = {form for secret in secrets_ if secret for form in secret_forms(secret)}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, "***")
    return text


def redirect_error(what: str, response: requests.Response, carrying: str) -> ConnectorError:
    """A 3xx is never followed: the request carried credentials, and another host's body is not our data."""
    target = urlsplit(response.headers.get("Location", "")).netloc or "(no host)"
    return ConnectorError(
        f"{what}: HTTP {response.status_code} redirect to {target} not followed: {carrying}; "
        f"check the configured URL (base_url, token_url) points at the API itself"
    )


class Unrecoverable(ConnectorError):
    """A failure no retry of the task can fix: a missing connection, a refused token, a config error.
    The extract task fails at once on it (AirflowFailException) instead of retrying for minutes."""


class AuthFailed(Unrecoverable):
    """The API refused the connection's credentials (after a refresh, where one was possible)."""


class PermissionDenied(AuthFailed):
    """HTTP 403: the token is valid but lacks a permission or scope; a connector may go on without that data."""


class RequestRejected(ConnectorError):
    """A 4xx the API explains (not auth, not a rate limit): a bad parameter, an object it will not show.

    Carries what the API said (`code`, `subcode`, `message`) so a connector can decide whether one item or
    one metric is unreadable (skip it) or the whole request is wrong (fail)."""

    def __init__(self, text: str, *, endpoint: str, status: int, code: Any, subcode: Any, message: str):
        super().__init__(text)
        self.endpoint, self.status, self.code, self.subcode, self.message = (
            endpoint,
            status,
            code,
            subcode,
            message,
        )


class MalformedItem(ConnectorError):
    """One object of an answer lacks a required field or has one of the wrong type (raised through Fields).

    A connector may skip that object, with a warning, and go on with the others."""

    def __init__(self, text: str, *, endpoint: str, object_id: str | None, field: str):
        super().__init__(text)
        self.endpoint, self.object_id, self.field = endpoint, object_id, field
