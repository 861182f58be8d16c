"""The HTTP layer every network connector shares: auth, retries, rate limits, pagination, clear errors.

A network module declares how its API authenticates and paginates; everything else is here, once:
- one retry loop for every request: each answer classified into an Outcome (ok, retry, rate limited,
  auth, permission, rejected; a network may read the body first), exponential backoff on 5xx, timeouts
  and dropped connections, and an overall deadline and a size cap on every request (retry.py);
- 429 waits for Retry-After / x-rate-limit-reset (capped), and X's "remaining: 0" is honoured
  before the next call; Meta's X-App-Usage / X-Business-Use-Case-Usage make the client slow down (client.py);
- 401/403 become a ConnectorError that names the connection and the permission to check; where the
  connection holds an OAuth refresh token (AccessToken), a 401 first gets a new access token, once;
  where it holds OAuth 1.0a keys (OAuth1Signer), every request is signed (RFC 5849, HMAC-SHA1) instead
  of carrying a bearer token (auth.py);
- invalid JSON, a repeating pagination cursor (paging.py) and a missing or mistyped field (read through
  Fields, fields.py) become errors that name the endpoint (never its query string secrets) and say what to do;
- the token only ever goes to the API's own host, whatever a paging URL or an id in an answer says.
No secret (access token, refresh token, client secret, OAuth 1.0a keys) appears in a log line or an
exception: every URL and message goes through scrub() (errors.py).
Sleeping is injectable (`sleep=`) so tests exercise waits without waiting.

Callers import the names below from socialpulse.http; the modules are how the layer is organised.
"""

from socialpulse.http.auth import AccessToken, OAuth1Signer, RequestAuth, signature_base_string
from socialpulse.http.client import ApiClient
from socialpulse.http.errors import (
    SECRET_PARAMS,
    AuthFailed,
    MalformedItem,
    PermissionDenied,
    RequestRejected,
    Unrecoverable,
    scrub_secrets,
    secret_forms,
)
from socialpulse.http.fields import (
    INT64_MAX,
    MISSING,
    Fields,
    dig,
    iso,
    object_id_of,
    parse_time,
    segment,
    shown,
)
from socialpulse.http.paging import NextUrlPaging, OffsetPaging, Paging, TokenPaging
from socialpulse.http.retry import (
    Outcome,
    RetryPolicy,
    deadline_session,
    outcome_of_status,
    request_with_retries,
    send,
)

__all__ = [
    "INT64_MAX",
    "MISSING",
    "SECRET_PARAMS",
    "AccessToken",
    "ApiClient",
    "AuthFailed",
    "Fields",
    "MalformedItem",
    "NextUrlPaging",
    "OAuth1Signer",
    "OffsetPaging",
    "Outcome",
    "Paging",
    "PermissionDenied",
    "RequestAuth",
    "RequestRejected",
    "RetryPolicy",
    "TokenPaging",
    "Unrecoverable",
    "deadline_session",
    "dig",
    "iso",
    "object_id_of",
    "outcome_of_status",
    "parse_time",
    "request_with_retries",
    "scrub_secrets",
    "secret_forms",
    "segment",
    "send",
    "shown",
    "signature_base_string",
]
