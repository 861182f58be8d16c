"""The HTTP layer every network connector shares: auth, retries, rate limits, pagination, clear errors.

A network module declares how its API authenticates and paginates; everything else is here, once:
- bounded retries with exponential backoff on 5xx, timeouts and dropped connections;
- 429 waits for Retry-After / x-rate-limit-reset (capped), and X's "remaining: 0" is honoured
  before the next call; Meta's X-App-Usage / X-Business-Use-Case-Usage make the client slow down;
- 401/403 become a ConnectorError that names the connection and the permission to check; where the
  connection holds an OAuth refresh token (AccessToken), a 401 first gets a new access token, once;
- invalid JSON, a repeating pagination cursor and a missing or mistyped field (read through Fields)
  become errors that name the endpoint (never its query string secrets) and say what to do;
- where the connection holds OAuth 1.0a keys (OAuth1Signer), every request is signed (RFC 5849, HMAC-SHA1)
  instead of carrying a bearer token;
- the token only ever goes to the API's own host, whatever a paging URL or an id in an answer says.
No secret (access token, refresh token, client secret, OAuth 1.0a keys) appears in a log line or an
exception: every URL and message goes through scrub().
Sleeping is injectable (`sleep=`) so tests exercise waits without waiting.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import dataclasses
import datetime as dt
import email.utils
import functools
import hashlib
import hmac
import json
import logging
import math
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Literal, Protocol, overload
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urljoin, urlsplit

import requests
import requests.adapters
import urllib3
import urllib3.connection
import urllib3.poolmanager

from socialpulse import model
from socialpulse.domain import Account, Interval
from socialpulse.networks.base import ConnectorError, Credentials

log = logging.getLogger(__name__)

# Query parameters that carry secrets on some API: redacted from every URL we print.
SECRET_PARAMS = re.compile(r"((?:access_token|token|key|client_secret|appsecret_proof)=)[^&#\s\"']+", re.I)
RETRY_STATUSES = {500, 502, 503, 504}
APP_WIDE = ""  # key of a limit that holds for every endpoint (Meta's app usage), not just one path


class RedactSecrets(logging.Filter):
    """Scrubs secret query parameters from another library's log records (urllib3 logs every URL at DEBUG)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if SECRET_PARAMS.search(message):
            record.msg, record.args = SECRET_PARAMS.sub(r"\1***", message), ()
        return True


logging.getLogger("urllib3.connectionpool").addFilter(RedactSecrets())


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. Built from an account's options, so a test can make every wait tiny."""

    max_attempts: int = 5  # first try included
    backoff_seconds: float = 1.0  # 1, 2, 4, 8 ... between attempts
    max_backoff_seconds: float = 60.0
    max_rate_limit_wait_seconds: float = 900.0  # X's windows are 15 minutes; wait longer than that and fail
    timeout_seconds: float = 30.0
    usage_slowdown_percent: float = 80.0  # Meta usage header above this: pause before the next call
    usage_pause_seconds: float = 60.0
    request_deadline_seconds: float = 120.0  # the whole of one request, however slowly the bytes come
    max_body_bytes: int = 64 * 2**20  # an answer larger than this (once decompressed) is refused

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> RetryPolicy:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: type(getattr(cls, k))(v) for k, v in settings.items() if k in names})

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt number `attempt` (1-based): exponential, capped."""
        return min(self.backoff_seconds * 2 ** (attempt - 1), self.max_backoff_seconds)


class _DeadlineExceeded(Exception):
    """The answer did not arrive whole within the request's overall deadline."""


CHUNK_BYTES = 64 * 1024
_WATCHDOG: contextvars.ContextVar[_Watchdog | None] = contextvars.ContextVar("watchdog", default=None)


class _Watchdog:
    """Shuts down the socket of the request in flight when the request's overall deadline passes.

    requests' and urllib3's timeouts (urllib3's Timeout(total=...) too) bound each read from the socket,
    not the whole answer: a server sending its status line, headers or body a byte at a time, each byte
    within the read timeout, would hold a request for ever. The connections of deadline_session() report
    here (contextvars: each thread has its own request in flight) as they connect and send; a TLS
    handshake in progress is bounded by the connect timeout per read only, and cut as soon as it ends."""

    def __init__(self, seconds: float):
        self.fired = False
        self._lock = threading.Lock()
        self._stopped = False
        self._sock: socket.socket | None = None
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._reset = _WATCHDOG.set(self)
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._stopped = True  # a late firing must not cut a connection that went back to the pool
        self._timer.cancel()
        self._timer.join()  # no thread outlives its request
        _WATCHDOG.reset(self._reset)

    def watch(self, sock: socket.socket) -> None:
        """The socket this request now uses (the response keeps reading it after http.client lets go of it
        on a closing connection); cut at once when the deadline has already passed."""
        with self._lock:
            if self._stopped:
                return
            self._sock = sock
            if self.fired:
                _shut_down(sock)

    def _fire(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self.fired = True
            if self._sock is not None:
                _shut_down(self._sock)


def _shut_down(sock: socket.socket) -> None:
    """End the socket both ways: a read blocked on it returns at once (EOF or an error)."""
    # socket.socket's own shutdown, also for an SSLSocket (whose shutdown would unwrap it under the reader);
    # an OSError means it is closed for good already
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _report_to_watchdog(conn: urllib3.connection.HTTPConnection) -> None:
    watchdog = _WATCHDOG.get()
    if watchdog is not None and conn.sock is not None:  # a new connection reports once connected
        watchdog.watch(conn.sock)


class _WatchedHTTPConnection(urllib3.connection.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _report_to_watchdog(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _report_to_watchdog(self)  # a kept-alive connection is not connected again
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _report_to_watchdog(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _report_to_watchdog(self)
        super().request(*args, **kwargs)


class _WatchedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _DeadlineAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter whose connections (direct or through an HTTP proxy) the request's watchdog can cut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> urllib3.poolmanager.PoolManager:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if manager.pool_classes_by_scheme is urllib3.poolmanager.pool_classes_by_scheme:  # not SOCKS
            manager.pool_classes_by_scheme = _WATCHED_POOLS
        return manager


def deadline_session() -> requests.Session:
    """A requests session whose requests send() can hold to its overall deadline."""
    session = requests.Session()
    adapter = _DeadlineAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def send(
    request: Callable[[], requests.Response], what: str, policy: RetryPolicy
) -> tuple[requests.Response | None, str]:
    """Make one HTTP request (`request` asks a deadline_session() with stream=True and allow_redirects=False)
    and read its body within the policy's caps: (the response, "") or, for a timeout, a dropped connection or
    a missed deadline, which are worth retrying, (None, why). The deadline covers the whole request: connect,
    status line and headers, body. A body over max_body_bytes (decompressed) and any other request error are
    a ConnectorError naming only `what`: requests puts the full URL, query secrets included, in its own
    messages."""
    missed = f"no complete answer within the {policy.request_deadline_seconds:g} s deadline"
    watchdog = _Watchdog(policy.request_deadline_seconds)
    response = None
    try:
        try:
            with watchdog:
                response = request()
                body = _read_body(response, what, policy)
        except ConnectorError:
            raise
        except Exception:
            if watchdog.fired:  # whatever the cut socket raised (EOF, reset, an SSL error)
                raise _DeadlineExceeded from None
            raise
        if watchdog.fired:  # the cut may look like the end of a body that has no length
            raise _DeadlineExceeded
    except _DeadlineExceeded:
        if response is not None:
            response.close()
        return None, missed
    except (requests.Timeout, urllib3.exceptions.ReadTimeoutError):
        return None, f"timed out after {policy.timeout_seconds:g} s"
    except (
        requests.ConnectionError,
        requests.exceptions.ChunkedEncodingError,
        urllib3.exceptions.ProtocolError,
    ) as exc:
        return None, f"connection failed ({type(exc).__name__})"
    except urllib3.exceptions.DecodeError:
        raise ConnectorError(f"{what}: the response's compressed body is corrupt; rerun the task") from None
    except requests.RequestException as exc:
        raise ConnectorError(f"{what}: request failed ({type(exc).__name__})") from None
    response._content = body
    response._content_consumed = True  # type: ignore[attr-defined]
    response.raw.release_conn()
    return response, ""


def _read_body(response: requests.Response, what: str, policy: RetryPolicy) -> bytes:
    """Read a streamed body a chunk at a time, never more than max_body_bytes once decompressed (a 500 KiB
    gzip may hold 500 MiB). The watchdog of send() cuts a body that comes too slowly."""
    limit = int(policy.max_body_bytes)
    encoded = bool(response.headers.get("Content-Encoding"))
    declared = response.headers.get("Content-Length", "")

    def too_large() -> ConnectorError:
        response.close()
        return ConnectorError(
            f"{what}: the response is larger than {limit} bytes{' (decompressed)' if encoded else ''}; "
            f"no answer of this API should be, so it was refused. Check base_url, or raise max_body_bytes"
        )

    if declared.isdigit() and int(declared) > limit:
        raise too_large()
    chunks, size = [], 0
    try:
        while True:
            chunk = response.raw.read1(CHUNK_BYTES, decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise too_large()
            chunks.append(chunk)
    except BaseException:
        response.close()
        raise
    return b"".join(chunks)


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


# -- pagination: each network declares one of these ---------------------------------------------------


class Paging:
    """How an API says where the next page is. next_request() returns (url, params) or None when done."""

    def next_request(
        self, page: Mapping[str, Any], url: str, params: dict[str, Any], fields: Fields
    ) -> tuple[str, dict[str, Any]] | None:
        """`fields` reads the page, so that a malformed cursor fails naming the endpoint and the field."""
        raise NotImplementedError

    def cursor(self, url: str, params: Mapping[str, Any]) -> str:
        """What identifies a page request; seeing one twice means the API is looping."""
        return url + "?" + urlencode(sorted((k, str(v)) for k, v in params.items()))


@dataclasses.dataclass(frozen=True)
class TokenPaging(Paging):
    """An opaque token in the body sent back as a parameter: X (meta.next_token -> pagination_token),
    YouTube (nextPageToken -> pageToken). Done when the body has no token."""

    token_field: str
    param: str

    def next_request(self, page, url, params, fields):
        token = fields.string(page, self.token_field, required=False)
        if not token:
            return None
        return url, {**params, self.param: token}


@dataclasses.dataclass(frozen=True)
class NextUrlPaging(Paging):
    """A full URL of the next page in the body: Meta's Graph API (paging.next), as its docs advise."""

    url_field: str = "paging.next"

    def next_request(self, page, url, params, fields):
        next_url = fields.string(page, self.url_field, required=False)
        if next_url and urlsplit(next_url).netloc not in ("", urlsplit(url).netloc):
            # the client would send the token along: follow the API's own host only
            raise fields.error(page, self.url_field, "points to another host than the API's")
        return (next_url, {}) if next_url else None


@dataclasses.dataclass(frozen=True)
class OffsetPaging(Paging):
    """start/count offsets: LinkedIn's Rest.li collections. Done when a page comes back short."""

    items_field: str = "elements"
    start_param: str = "start"
    count_param: str = "count"

    def next_request(self, page, url, params, fields):
        count = int(params[self.count_param])
        items = fields.objects(page, self.items_field)
        start = int(params.get(self.start_param, 0))
        total = fields.count(page, "paging.total")
        if len(items) < count or (total is not None and start + count >= total):
            return None
        return url, {**params, self.start_param: start + count}


# -- the client ---------------------------------------------------------------------------------------


class RequestAuth(Protocol):
    """How an ApiClient authenticates for one connection: an OAuth 2.0 AccessToken or an OAuth1Signer."""

    conn_id: str

    @property
    def refreshable(self) -> bool: ...

    def get(self) -> str:
        """The token for the URL's query (auth="query")."""
        ...

    def authorization(self, method: str, url: str, params: Mapping[str, Any] | None = None) -> str:
        """The Authorization header of one request."""
        ...

    def refresh(self) -> None:
        """A new token, after a 401 (only where `refreshable`)."""
        ...

    def scrub(self, text: str) -> str:
        """The text without any secret of the connection."""
        ...


class AccessToken:
    """The access token of one Airflow connection, shared by every client that uses the connection.

    Where the network has an OAuth 2.0 token endpoint (`token_url`) and the connection's extra holds
    `refresh_token`, `client_id` and `client_secret`, a new access token is fetched (RFC 6749 section 6:
    a form-encoded POST with grant_type=refresh_token, a JSON answer with access_token and expires_in)
    before the first call when the connection holds none, and whenever refresh() is called (a 401).
    """

    def __init__(
        self,
        network: str,
        credentials: Credentials | None,
        token_url: str | None = None,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
    ):
        self.network = network
        self.conn_id = (credentials.conn_id if credentials else "") or "(none)"
        self.value = credentials.secret if credentials else None
        self.token_url = token_url
        self.policy = policy or RetryPolicy()
        self.sleep = time.sleep if sleep is None else sleep
        self.session = deadline_session()
        extra = credentials.extra if credentials else {}
        grant = {key: extra.get(key) for key in ("refresh_token", "client_id", "client_secret")}
        self._grant = grant if token_url and grant["refresh_token"] else None
        self._secrets = {
            v
            for v in (self.value, grant["refresh_token"], grant["client_secret"])
            if isinstance(v, str) and v
        }
        if self._grant is not None:
            missing = [key for key, value in grant.items() if not value or not isinstance(value, str)]
            if missing:
                raise Unrecoverable(
                    f"{network}: connection '{self.conn_id}' holds a refresh_token but no {' or '.join(missing)} in its extra; "
                    f"add them (docs/connectors.md, 'Connecting a real account')"
                )
        if not self.value and self._grant is None:
            refresh = (
                " (or, for an OAuth refresh, extra refresh_token, client_id and client_secret)"
                if token_url
                else ""
            )
            raise Unrecoverable(
                f"{network}: no token in connection '{self.conn_id}'; store the access token as the "
                f"connection's password (or extra 'token') in Airflow{refresh}"
            )

    @property
    def refreshable(self) -> bool:
        return self._grant is not None

    def get(self) -> str:
        """The current access token; a new one first when the connection holds only a refresh token."""
        if not self.value:
            self.refresh()
        assert self.value, "refresh() sets the token or raises"
        return self.value

    def authorization(self, method: str, url: str, params: Mapping[str, Any] | None = None) -> str:
        """The Authorization header of a request: the bearer token, whatever the request."""
        return f"Bearer {self.get()}"

    def scrub(self, text: str) -> str:
        """The text without any secret of this connection, raw, URL-encoded or form-encoded."""
        return scrub_secrets(text, self._secrets)

    def refresh(self) -> None:
        """Exchange the refresh token for a new access token; a refusal is a ConnectorError naming the connection."""
        assert self._grant is not None and self.token_url, "refresh() without a refresh token"
        token_url, grant = self.token_url, self._grant
        where, policy = urlsplit(token_url).path or "/", self.policy
        failure = ""
        for attempt in range(1, policy.max_attempts + 1):
            response, failure = send(
                lambda: self.session.post(
                    token_url,
                    data={"grant_type": "refresh_token", **grant},
                    headers={"Accept": "application/json"},
                    timeout=policy.timeout_seconds,
                    allow_redirects=False,  # requests re-posts the grant to wherever a 307/308 points
                    stream=True,
                ),
                f"{self.network} POST {where}",
                policy,
            )
            if response is not None:
                if 300 <= response.status_code < 400:
                    raise redirect_error(
                        f"{self.network} POST {where}",
                        response,
                        "the refresh token and client secret go to token_url only",
                    )
                if response.status_code not in RETRY_STATUSES and response.status_code != 429:
                    break
                failure = f"HTTP {response.status_code}"
            if attempt < policy.max_attempts:
                backoff = policy.backoff(attempt)
                log.warning(
                    "%s POST %s: %s, retrying in %.2f s (attempt %d of %d)",
                    self.network,
                    where,
                    failure,
                    backoff,
                    attempt,
                    policy.max_attempts,
                )
                self.sleep(backoff)
        else:
            raise ConnectorError(
                f"{self.network} POST {where}: no new access token for connection '{self.conn_id}' after "
                f"{policy.max_attempts} attempts: {failure}; the token endpoint is unavailable, rerun the task later"
            )
        body = _json_or_none(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if response.status_code != 200 or not isinstance(token, str) or not token:
            code = body.get("error") if isinstance(body, dict) else None
            code = code if isinstance(code, str) and re.fullmatch(r"[a-z_]{1,40}", code) else "no error code"
            description = body.get("error_description") if isinstance(body, dict) else None
            said = (
                f", '{self.scrub(description)[:200]}'" if isinstance(description, str) and description else ""
            )
            raise AuthFailed(
                self.scrub(
                    f"{self.network} POST {where}: the OAuth refresh for connection '{self.conn_id}' was refused "
                    f"(HTTP {response.status_code}, {code}{said}): the refresh token expired or was revoked, or the "
                    f"client_id/client_secret are wrong; authorize the app again and store the new refresh token in the connection"
                )
            )
        for secret in (token, body.get("refresh_token")):
            if isinstance(secret, str) and secret:
                self._secrets.add(secret)
        self.value = token
        log.info(
            "%s: new access token for connection '%s' (expires in %s s)",
            self.network,
            self.conn_id,
            body.get("expires_in") if isinstance(body.get("expires_in"), int) else "?",
        )


class OAuth1Signer:
    """Signs requests with OAuth 1.0a user-context credentials (RFC 5849, HMAC-SHA1), the way X documents it.

    The four keys of X's developer console (API Key and Secret, the app's; Access Token and Secret, the
    account's) come from the connection's extra. Unlike an OAuth 2.0 user token they do not expire: X
    invalidates them only when the user revokes the app or the keys are regenerated. Each request gets a
    fresh nonce and timestamp, and its signature covers the method, the URL and every query parameter.
    """

    KEYS = ("api_key", "api_key_secret", "access_token", "access_token_secret")
    refreshable = False  # nothing to refresh: a 401 means revoked or regenerated keys

    def __init__(
        self,
        network: str,
        conn_id: str,
        api_key: str,
        api_key_secret: str,
        access_token: str,
        access_token_secret: str,
        *,
        clock: Callable[[], float] = time.time,
    ):
        self.network, self.conn_id = network, conn_id or "(none)"
        self._key, self._key_secret, self._token, self._token_secret = (
            api_key,
            api_key_secret,
            access_token,
            access_token_secret,
        )
        self.clock = clock

    @classmethod
    def from_credentials(cls, network: str, credentials: Credentials | None) -> OAuth1Signer | None:
        """A signer where the connection's extra holds the OAuth 1.0a keys, None where it holds none of them."""
        extra = credentials.extra if credentials else {}
        keys: dict[str, Any] = {key: extra.get(key) for key in cls.KEYS}
        if not any(keys.values()):
            return None
        conn_id = (credentials.conn_id if credentials else "") or "(none)"
        missing = [key for key, value in keys.items() if not value or not isinstance(value, str)]
        if missing:
            raise Unrecoverable(
                f"{network}: connection '{conn_id}' holds OAuth 1.0a keys but no {' or '.join(missing)} in its extra; "
                f"it needs all of {', '.join(cls.KEYS)} (docs/connectors.md, 'Connecting a real account')"
            )
        return cls(network, conn_id, **keys)

    def authorization(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None = None,
        *,
        nonce: str | None = None,
        timestamp: int | None = None,
    ) -> str:
        """The `Authorization: OAuth ...` header of one request. `params` are sent besides the URL's own query
        (as requests sends them: str() of each value, None left out); nonce and timestamp are fixed only by tests."""
        oauth = {
            "oauth_consumer_key": self._key,
            "oauth_nonce": nonce or secrets.token_hex(16),
            "oauth_signature_method": "HMAC-SHA1",
            "oauth_timestamp": str(int(self.clock()) if timestamp is None else timestamp),
            "oauth_token": self._token,
            "oauth_version": "1.0",
        }
        oauth["oauth_signature"] = self.signature(method, url, params, oauth)
        return "OAuth " + ", ".join(f'{_percent(k)}="{_percent(v)}"' for k, v in sorted(oauth.items()))

    def signature(
        self, method: str, url: str, params: Mapping[str, Any] | None, oauth: Mapping[str, str]
    ) -> str:
        """HMAC-SHA1 of the signature base string, keyed by both secrets (RFC 5849 section 3.4.2), base64."""
        base = signature_base_string(method, url, [*_request_params(url, params), *oauth.items()])
        key = f"{_percent(self._key_secret)}&{_percent(self._token_secret)}"
        return base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha1).digest()).decode()

    def scrub(self, text: str) -> str:
        """The text without any of the four keys (the API key is not secret to X, but it names the app)."""
        return scrub_secrets(text, (self._key, self._key_secret, self._token, self._token_secret))

    def get(self) -> str:
        raise ConnectorError(
            f"{self.network}: connection '{self.conn_id}' holds OAuth 1.0a keys, which sign each request "
            "(auth='bearer'); there is no token to put in the URL"
        )

    def refresh(self) -> None:
        raise ConnectorError(
            f"{self.network}: OAuth 1.0a keys of connection '{self.conn_id}' cannot be refreshed"
        )

    def __repr__(self) -> str:
        return f"OAuth1Signer(conn_id={self.conn_id!r}, keys=***)"


def signature_base_string(method: str, url: str, params: list[tuple[str, str]]) -> str:
    """RFC 5849 section 3.4.1: METHOD&base-URL&sorted-parameters, each part percent-encoded.
    `params` are decoded name/value pairs (the URL's query is not read here: pass it in)."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    default_port = {"http": 80, "https": 443}.get(scheme)
    authority = host if parts.port in (None, default_port) else f"{host}:{parts.port}"
    pairs = sorted((_percent(name), _percent(value)) for name, value in params)
    normalized = "&".join(f"{name}={value}" for name, value in pairs)
    return "&".join(
        (method.upper(), _percent(f"{scheme}://{authority}{parts.path or '/'}"), _percent(normalized))
    )


def _request_params(url: str, params: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """The parameters a request carries: the URL's query, decoded, and `params` as requests encodes them."""
    pairs = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    for name, value in (params or {}).items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if item is not None:
                pairs.append((str(name), str(item)))
    return pairs


def _percent(value: str) -> str:
    """RFC 5849 section 3.6: UTF-8, then every byte but the unreserved characters (A-Z a-z 0-9 - . _ ~) as %XX."""
    return quote(str(value), safe="~")


class ApiClient:
    """A small JSON-over-HTTPS client for one network and one Airflow connection."""

    def __init__(
        self,
        network: str,
        base_url: str,
        credentials: Credentials
        | AccessToken
        | OAuth1Signer
        | None,  # an AccessToken when several clients share one connection
        *,
        auth: str = "bearer",  # or "query": the token goes in `token_param`; "bearer" means the header of `credentials`
        token_param: str = "access_token",
        token_url: str | None = None,  # the network's OAuth 2.0 token endpoint, where it refreshes tokens
        permission_hint: str = "",
        headers: Mapping[str, str] | None = None,
        error_kind: Callable[[int, Any], str | None] | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,  # time.sleep; tests pass a recorder
        clock: Callable[[], float] = time.time,
    ):
        self.network = network
        self.base_url = base_url.rstrip("/") + "/"
        self.policy = policy or RetryPolicy()
        self.sleep = time.sleep if sleep is None else sleep
        self.token: RequestAuth = (
            credentials
            if isinstance(credentials, (AccessToken, OAuth1Signer))
            else AccessToken(network, credentials, token_url, policy=self.policy, sleep=self.sleep)
        )
        self.conn_id = self.token.conn_id
        self.auth = auth
        self.token_param = token_param
        self.permission_hint = permission_hint
        # (status, decoded body) -> "auth" | "rate_limit" | "retry" | "fatal" | None, for APIs whose
        # body says more than the status (Graph's error codes, Google's error reasons)
        self.error_kind = error_kind or (lambda status, body: None)
        self.clock = clock
        self.session = deadline_session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": "socialpulse/0.1"})
        if headers:
            self.session.headers.update(headers)
        self._resume_at: dict[str, float] = {}  # path (or APP_WIDE) -> no call before this moment

    # -- secrets ----------------------------------------------------------------------------------
    def scrub(self, text: str) -> str:
        """The text with the connection's secrets and any secret-looking query parameter redacted."""
        return self.token.scrub(SECRET_PARAMS.sub(r"\1***", str(text)))

    def scrub_error(self, error: ConnectorError) -> ConnectorError:
        return ConnectorError(self.scrub(str(error)))

    def where(self, url: str) -> str:
        """An endpoint as it may be printed: path only, no query string, no host."""
        return self.scrub(urlsplit(url).path or url)

    # -- requests ---------------------------------------------------------------------------------
    def url(self, path_or_url: str) -> str:
        url = path_or_url if "://" in path_or_url else urljoin(self.base_url, path_or_url.lstrip("/"))
        if urlsplit(url).netloc != urlsplit(self.base_url).netloc:
            # every request carries the token: never send it anywhere but the API's host
            raise ConnectorError(
                self.scrub(
                    f"{self.network} GET {self.where(url)}: refusing to send the token to {urlsplit(url).netloc or '(no host)'}, "
                    f"which is not the API's host {urlsplit(self.base_url).netloc}"
                )
            )
        if urlsplit(url).scheme != urlsplit(self.base_url).scheme:
            # a next-page URL saying http:// would send the token in clear text
            raise ConnectorError(
                self.scrub(
                    f"{self.network} GET {self.where(url)}: refusing to follow an {urlsplit(url).scheme} URL "
                    f"from an {urlsplit(self.base_url).scheme} API"
                )
            )
        return url

    def get(self, path_or_url: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """GET a JSON document, retrying what is worth retrying; raise ConnectorError otherwise."""
        url = self.url(path_or_url)
        params = dict(params or {})
        token_in_url = self.token_param in urlsplit(url).query  # Graph's paging.next carries it
        policy = self.policy
        failure = ""
        refreshed = False
        attempt = 0
        while attempt < policy.max_attempts:
            attempt += 1
            self._wait_for_rate_limit(url)
            headers = None
            if self.auth == "query":
                if not token_in_url:
                    params[self.token_param] = self.token.get()
            else:  # a bearer token, or an OAuth 1.0a signature over this very request (a fresh nonce per attempt)
                headers = {"Authorization": self.token.authorization("GET", url, params)}
            response, failure = send(
                functools.partial(  # bound now: send() calls it at once, within this iteration
                    self.session.get,
                    url,
                    params=params,
                    headers=headers,
                    timeout=policy.timeout_seconds,
                    allow_redirects=False,  # the token would follow (in the query), the body is not the API's
                    stream=True,
                ),
                f"{self.network} GET {self.where(url)}",
                policy,
            )
            if response is not None:
                if 300 <= response.status_code < 400:
                    raise self.scrub_error(
                        redirect_error(
                            f"{self.network} GET {self.where(url)}", response, "the request carried the token"
                        )
                    )
                self._note_usage(url, response)
                status = response.status_code
                kind = self._error_kind(response)
                if kind == "rate_limit":
                    failure = f"HTTP {status} rate limited"
                    wait = self._rate_limit_wait(response)
                    if wait > policy.max_rate_limit_wait_seconds:
                        raise ConnectorError(
                            f"{self.network} GET {self.where(url)}: rate limited for another {wait:.0f} s "
                            f"(more than max_rate_limit_wait_seconds={policy.max_rate_limit_wait_seconds:g}); "
                            f"rerun the task after the limit resets"
                        )
                    if attempt < policy.max_attempts:
                        log.warning(
                            "%s GET %s: rate limited, waiting %.1f s (attempt %d)",
                            self.network,
                            self.where(url),
                            wait,
                            attempt,
                        )
                        self.sleep(wait)
                        self._resume_at.clear()  # that wait was the one the limit asked for
                        continue
                elif kind == "retry":
                    failure = f"HTTP {status}"
                elif kind == "auth":
                    if status == 401 and self.token.refreshable and not refreshed:
                        # access tokens expire mid-run (Google's after an hour): get a new one, once, and ask again
                        log.warning(
                            "%s GET %s: HTTP 401, refreshing the access token of connection '%s'",
                            self.network,
                            self.where(url),
                            self.conn_id,
                        )
                        self.token.refresh()
                        refreshed, attempt = True, attempt - 1
                        continue
                    raise self._auth_error(url, response)
                elif kind == "fatal":
                    raise self._rejected(url, response)
                else:
                    return self._decode(url, response)
            if attempt < policy.max_attempts:
                backoff = policy.backoff(attempt)
                log.warning(
                    "%s GET %s: %s, retrying in %.2f s (attempt %d of %d)",
                    self.network,
                    self.where(url),
                    failure,
                    backoff,
                    attempt,
                    policy.max_attempts,
                )
                self.sleep(backoff)
        raise ConnectorError(
            f"{self.network} GET {self.where(url)} failed after {policy.max_attempts} attempts: {failure}; "
            f"the API is unavailable, rerun the task later"
        )

    def paginate(
        self, path: str, params: Mapping[str, Any], paging: Paging, max_pages: int = 1000
    ) -> Iterator[dict[str, Any]]:
        """Yield every page of a collection; stop early by leaving the loop."""
        url, params = self.url(path), dict(params)
        seen: set[str] = set()
        previous = None
        for _ in range(max_pages):
            cursor = paging.cursor(url, params)
            if cursor in seen:
                raise self._loop_error(url, "a pagination cursor it had already returned")
            seen.add(cursor)
            page = self.get(url, params)
            # an API that ignores the offset or token sends the same page under a new cursor
            content = json.dumps(page, sort_keys=True)
            if content == previous:
                raise self._loop_error(url, "the same page twice")
            previous = content
            yield page
            following = paging.next_request(page, url, params, self.fields(url, "page"))
            if following is None:
                return
            url, params = self.url(following[0]), following[1]
        raise ConnectorError(
            f"{self.network} GET {self.where(url)}: more than {max_pages} pages; narrow the interval"
        )

    def _loop_error(self, url: str, what: str) -> ConnectorError:
        return ConnectorError(
            f"{self.network} GET {self.where(url)}: the API returned {what}; stopping instead of looping. "
            f"Rerun the task; if it persists, report it to {self.network}"
        )

    # -- what the responses say -----------------------------------------------------------------
    def _error_kind(self, response: requests.Response) -> str | None:
        """None for a success, else what to do: the network's reading of the body first, then the status."""
        status = response.status_code
        if status < 400:
            return None
        kind = self.error_kind(status, _json_or_none(response))
        if kind:
            return kind
        if status == 429:
            return "rate_limit"
        if status in RETRY_STATUSES:
            return "retry"
        return "auth" if status in (401, 403) else "fatal"

    def _decode(self, url: str, response: requests.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except RecursionError:
            raise ConnectorError(
                f"{self.network} GET {self.where(url)}: the response is JSON nested too deep to read "
                f"(HTTP {response.status_code}, {len(response.content)} bytes); no answer of this API is, "
                f"check base_url"
            ) from None
        except ValueError as exc:
            raise ConnectorError(
                f"{self.network} GET {self.where(url)}: the response is not valid JSON (HTTP {response.status_code}, "
                f"{len(response.content)} bytes, {self.scrub(str(exc))}); it was probably cut off. Rerun the task"
            ) from None
        if not isinstance(body, dict):
            raise ConnectorError(
                f"{self.network} GET {self.where(url)}: the response is {shown(body)}, not a JSON object; "
                f"check base_url points at the {self.network} API"
            )
        return body

    def fields(self, path_or_url: str, what: str) -> Fields:
        """A reader of the objects this endpoint answers with, for errors that say where a field was wrong."""
        return Fields(self, self.where(self.url(path_or_url)), what)

    def _api_text(self, response: requests.Response) -> str:
        """The API's own error text (X: detail/title, Graph: error.message and error_user_msg, LinkedIn: message), scrubbed."""
        body = _json_or_none(response)
        if not isinstance(body, dict):
            return ""
        error = body.get("error")
        message = (
            (error.get("message") if isinstance(error, dict) else error)
            or body.get("detail")
            or body.get("message")
            or body.get("title")
        )
        # Meta's explanation for people (e.g. "Media posted before business account conversion")
        user_msg = error.get("error_user_msg") if isinstance(error, dict) else None
        parts = [str(m) for m in (message, user_msg) if m and isinstance(m, (str, int))]
        return self.scrub(": ".join(parts))[:500]

    def _api_message(self, response: requests.Response) -> str:
        text = self._api_text(response)
        return f"({text})" if text else ""

    def _rejected(self, url: str, response: requests.Response) -> RequestRejected:
        body = _json_or_none(response)
        code, subcode = dig(body, "error.code"), dig(body, "error.error_subcode")
        return RequestRejected(
            f"{self.network} GET {self.where(url)} failed: HTTP {response.status_code} {self._api_message(response)}",
            endpoint=self.where(url),
            status=response.status_code,
            code=code if isinstance(code, (int, str)) else None,
            subcode=subcode if isinstance(subcode, (int, str)) else None,
            message=self._api_text(response),
        )

    def _auth_error(self, url: str, response: requests.Response) -> ConnectorError:
        if response.status_code == 401 and isinstance(self.token, OAuth1Signer):
            return AuthFailed(
                f"{self.network} GET {self.where(url)}: HTTP 401 {self._api_message(response)}: the OAuth 1.0a signature of "
                f"connection '{self.conn_id}' was refused; check {', '.join(OAuth1Signer.KEYS)} in its extra (regenerating "
                f"keys or revoking the app invalidates the old ones) and that this machine's clock is right"
            )
        permission = f" {self.permission_hint}" if self.permission_hint else ""
        return (PermissionDenied if response.status_code == 403 else AuthFailed)(
            f"{self.network} GET {self.where(url)}: HTTP {response.status_code} {self._api_message(response)}: "
            f"token expired or missing permission{permission} for connection '{self.conn_id}'; rotate the connection"
        )

    def _rate_limit_wait(self, response: requests.Response) -> float:
        """Seconds to wait after a 429: Retry-After (seconds or a date), else x-rate-limit-reset, else backoff."""
        retry_after = response.headers.get("Retry-After")
        if retry_after:
            if retry_after.strip().isdigit():
                return float(retry_after)
            try:
                when = email.utils.parsedate_to_datetime(retry_after)
                return max(0.0, when.timestamp() - self.clock())
            except (TypeError, ValueError):
                pass
        reset = response.headers.get("x-rate-limit-reset")
        if reset and reset.strip().isdigit():
            return max(0.0, float(reset) - self.clock())
        _, regain_minutes = _meta_usage(response.headers)
        if regain_minutes:
            return regain_minutes * 60
        return self.policy.backoff_seconds

    def _note_usage(self, url: str, response: requests.Response) -> None:
        """Remember when the next call may go out: X's exhausted window of this endpoint, or Meta's usage nearing its cap."""
        headers = response.headers
        if (
            headers.get("x-rate-limit-remaining") == "0"
            and (headers.get("x-rate-limit-reset") or "").isdigit()
        ):
            self._hold(urlsplit(url).path, float(headers["x-rate-limit-reset"]))
        try:
            percent, regain_minutes = _meta_usage(headers)
        except ValueError as exc:
            raise ConnectorError(
                self.scrub(f"{self.network} GET {self.where(url)}: {exc}; report it to Meta if it persists")
            ) from None
        if percent >= self.policy.usage_slowdown_percent:
            pause = max(self.policy.usage_pause_seconds * percent / 100, regain_minutes * 60)
            log.warning(
                "%s: API usage at %.0f%% of the app's limit, pausing %.1f s before the next call",
                self.network,
                percent,
                pause,
            )
            self._hold(APP_WIDE, self.clock() + pause)

    def _hold(self, key: str, until: float) -> None:
        self._resume_at[key] = max(self._resume_at.get(key, 0.0), until)

    def _wait_for_rate_limit(self, url: str) -> None:
        keys = (APP_WIDE, urlsplit(url).path)
        wait = max(self._resume_at.get(k, 0.0) for k in keys) - self.clock()
        if wait <= 0:
            return
        if wait > self.policy.max_rate_limit_wait_seconds:
            raise ConnectorError(
                f"{self.network} GET {self.where(url)}: rate limit window exhausted for another {wait:.0f} s; "
                f"rerun the task after it resets"
            )
        self.sleep(wait)
        for key in keys:
            self._resume_at.pop(key, None)


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except (ValueError, RecursionError):
        return None


def _meta_usage(headers: Mapping[str, str]) -> tuple[float, float]:
    """Highest usage percentage in Meta's X-App-Usage / X-Business-Use-Case-Usage, and minutes to regain access.
    A header that is not Meta's usage JSON is a ValueError saying which header and why."""
    percent, regain = 0.0, 0.0
    for name in ("X-App-Usage", "X-Business-Use-Case-Usage", "X-Page-Usage"):
        raw = headers.get(name)
        if not raw:
            continue

        def malformed(why: str, name: str = name) -> ValueError:
            return ValueError(f"the {name} header is not Meta's usage JSON ({why})")

        try:
            usage = json.loads(raw)
        except RecursionError:
            raise malformed("nested too deep") from None
        except ValueError:
            raise malformed(f"{len(raw)} characters that are not JSON") from None
        # X-App-Usage is one object; X-Business-Use-Case-Usage maps business ids to lists of them
        if not isinstance(usage, dict):
            raise malformed(f"{shown(usage)}, not an object")
        entries = (
            [usage]
            if "call_count" in usage
            else [e for v in usage.values() for e in (v if isinstance(v, list) else [v])]
        )
        for entry in entries:
            if not isinstance(entry, dict):
                raise malformed(f"an entry is {shown(entry)}, not an object")
            for key in ("call_count", "total_time", "total_cputime", "estimated_time_to_regain_access"):
                value = entry.get(key)
                if value is None:
                    continue
                if (
                    isinstance(value, bool)
                    or not isinstance(value, (int, float))
                    or (isinstance(value, float) and not math.isfinite(value))
                ):
                    raise malformed(f"{key} is {shown(value)}, not a number")
                if key == "estimated_time_to_regain_access":
                    regain = max(regain, float(value))
                else:
                    percent = max(percent, float(value))
    return percent, regain


# -- reading API objects -------------------------------------------------------------------------------


UNSAFE_ID = re.compile(r"^\.{1,2}$|[/\\?#%\s]")


def segment(value: str) -> str:
    """An id from an API answer as one URL path segment: '/', '?', '#' and '://' cannot redirect the request,
    and an id that would climb out of its path ('..', '/', '%2F') is refused (Fields.ident skips its item)."""
    if not isinstance(value, str) or not value or UNSAFE_ID.search(value):
        raise ConnectorError(f"refusing an id that would leave its URL path segment: {shown(value)}")
    return quote(value, safe="")


def dig(obj: Any, path: str, default: Any = None) -> Any:
    """obj["a"]["b"] for path "a.b", or default where any step is missing."""
    for part in path.split("."):
        if not isinstance(obj, Mapping) or part not in obj:
            return default
        obj = obj[part]
    return obj


INT64_MAX = 2**63 - 1
MISSING = "is missing"


def object_id_of(obj: Any) -> str | None:
    """How a warning names an object of an answer: its id (LinkedIn: its URN), at most 100 characters."""
    if not isinstance(obj, Mapping):
        return None
    for key in ("id", "$URN", "commentUrn"):
        value = obj.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
            return str(value)[:100]
    return None


# no social network has data from before 1970; beyond 9000 date arithmetic would overflow near year 9999
EARLIEST, LATEST = (
    dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
    dt.datetime(9000, 1, 1, tzinfo=dt.UTC),
)
# a bad value is printed only when it cannot be a secret: digits and the punctuation of dates
_PRINTABLE = re.compile(r"[0-9 :TZ.,+\-]{0,40}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def shown(value: Any) -> str:
    """A value from an API answer as an error may print it: its kind, its text only when that holds no secret."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        text = repr(value)
        return f"the number {text if len(text) <= 30 else text[:30] + '...'}"
    if isinstance(value, str):
        return f"'{value}'" if _PRINTABLE.fullmatch(value) else f"a string of {len(value)} characters"
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)"
    return "an object" if isinstance(value, Mapping) else type(value).__name__


@dataclasses.dataclass(frozen=True)
class Fields:
    """Reads the fields of the objects one endpoint answers with. A required field that is missing, or any
    field of the wrong type, becomes a ConnectorError naming the network, the endpoint, the object and the field."""

    client: ApiClient
    endpoint: str  # as printed: path only
    what: str  # the kind of object: "tweet", "comment", ...

    def error(self, obj: Any, path: str, problem: str) -> MalformedItem:
        object_id = object_id_of(obj)
        ident = f" {object_id}" if object_id else ""
        fault = (
            f"lacks the required field '{path}'"
            if problem == MISSING
            else f"has a field '{path}' that {problem}"
        )
        return MalformedItem(
            self.client.scrub(
                f"{self.client.network} GET {self.endpoint}: the {self.what}{ident} {fault}; check the fields "
                f"requested and the token's permissions, and report it if the API changed its format"
            ),
            endpoint=self.endpoint,
            object_id=self.client.scrub(object_id) if object_id else None,
            field=path,
        )

    def need(self, obj: Any, path: str) -> Any:
        """A field the canonical row cannot do without, of any type."""
        value = dig(obj, path)
        if value is None:
            raise self.error(obj, path, MISSING)
        return value

    @overload
    def string(self, obj: Any, path: str, required: Literal[True] = True) -> str: ...
    @overload
    def string(self, obj: Any, path: str, required: bool) -> str | None: ...
    def string(self, obj: Any, path: str, required: bool = True) -> str | None:
        """A text field: ids and authors are required and not empty; texts and names may be absent (None), and
        keep their readable part when they hold half an emoji."""
        value = dig(obj, path)
        if value is None or value == "":
            if required:
                raise self.error(obj, path, MISSING if value is None else "is empty")
            return None
        if not isinstance(value, str):
            raise self.error(obj, path, f"should be a string, not {shown(value)}")
        if _LONE_SURROGATE.search(
            value
        ):  # JSON may escape half an emoji (a text cut short); UTF-8 cannot hold it
            if required:
                raise self.error(obj, path, "is not valid Unicode (it holds half of a surrogate pair)")
            return _LONE_SURROGATE.sub("\ufffd", value)
        return value

    def ident(self, obj: Any, path: str = "id") -> str:
        """A required id that later requests put in a URL path: one that could climb out of it ('..', '/')
        is refused (the item is malformed), never sent."""
        value = self.string(obj, path)
        if UNSAFE_ID.search(value):
            raise self.error(obj, path, "is not an id: it would leave its URL path segment")
        if self.client.scrub(value) != value:
            raise self.error(obj, path, "is not an id: it holds a secret of the connection")
        return value

    def time(self, obj: Any, path: str) -> dt.datetime:
        """A required timestamp (ISO 8601, or epoch milliseconds on LinkedIn), as a UTC datetime."""
        value = self.need(obj, path)
        try:
            moment = parse_time(value)
        except (TypeError, ValueError, AttributeError, OverflowError, OSError):
            raise self.error(obj, path, f"should be a timestamp, not {shown(value)}") from None
        if not EARLIEST <= moment < LATEST:
            raise self.error(obj, path, f"is out of range: {moment.isoformat()}")
        return moment

    def count(self, obj: Any, path: str) -> int | None:
        """A count the API may not expose: None (never a made-up zero), else an integer >= 0 (Google sends digit strings)."""
        value = dig(obj, path)
        if value is None:
            return None
        if isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= INT64_MAX:
            raise self.error(
                obj, path, f"should be a count (an integer from 0 to 2^63-1), not {shown(value)}"
            )
        return value

    def objects(self, obj: Any, path: str) -> list[Mapping[str, Any]]:
        """A list of objects; an absent list is an empty one."""
        value = dig(obj, path)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
            raise self.error(obj, path, f"should be a list of objects, not {shown(value)}")
        return value

    def object(self, obj: Any, path: str) -> Mapping[str, Any]:
        """A nested object; an absent one is empty."""
        value = dig(obj, path)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.error(obj, path, f"should be an object, not {shown(value)}")
        return value


def parse_time(value: str | int | float) -> dt.datetime:
    """An API timestamp as a UTC datetime: ISO 8601 (with Z or +0000) or epoch milliseconds (LinkedIn)."""
    if isinstance(value, bool):
        raise TypeError(f"not a timestamp: {value!r}")
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value / 1000, dt.UTC)
    text = value.strip().replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", text):  # Graph API writes +0000
        text = text[:-2] + ":" + text[-2:]
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def iso(moment: dt.datetime) -> str:
    """RFC 3339 in UTC with a Z, as X and Graph accept it."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- canonical rows every API connector builds the same way ----------------------------------------------

DEFAULT_LOOKBACK_DAYS = 7  # a post's totals keep moving for about a week
COMMON_OPTIONS = {
    "base_url",
    "lookback_days",
    "page_size",
    *(f.name for f in dataclasses.fields(RetryPolicy)),
}


def check_options(
    network: str, settings: Mapping[str, Any], own: set[str] | frozenset[str] = frozenset()
) -> None:
    """Refuse an option no code reads: a typo would otherwise silently fall back to a default."""
    unknown = sorted(set(settings) - COMMON_OPTIONS - set(own))
    if unknown:
        raise Unrecoverable(
            f"{network}: unknown option(s) {unknown} in the account's `options:`; known: {sorted(COMMON_OPTIONS | set(own))}"
        )


def lookback_start(interval: Interval, settings: Mapping[str, Any]) -> dt.datetime:
    """Oldest creation time of a post whose metrics are re-read in this interval."""
    days = int(settings.get("lookback_days", DEFAULT_LOOKBACK_DAYS))
    return min(interval.start, interval.end - dt.timedelta(days=days))


def inside(moment: dt.datetime, interval: Interval) -> bool:
    return interval.start <= moment < interval.end


def account_rows(account: Account, interval: Interval) -> list[dict[str, Any]]:
    return [
        {
            "network": account.network,
            "account_id": account.account_id,
            "handle": account.handle,
            "display_name": account.display_name,
            "purpose": account.purpose,
            "time_zone": account.time_zone,
            "snapshot_date": day,
        }
        for day in interval.days()
    ]


def metric_rows(
    account: Account,
    interval: Interval,
    post_id: str,
    created_at: dt.datetime,
    counts: Mapping[str, int | None],
) -> list[dict[str, Any]]:
    """The totals observed now, one row per interval date on which the post already existed."""
    unknown = set(counts) - set(model.COUNT_COLUMNS)
    if unknown:
        raise ValueError(f"not canonical metrics: {sorted(unknown)}")
    return [
        {
            "network": account.network,
            "account_id": account.account_id,
            "post_id": post_id,
            "date": day,
            **counts,
        }
        for day in interval.days()
        if created_at.date() <= day
    ]


def audience_rows(
    account: Account,
    interval: Interval,
    followers_total: int | None,
    daily: Mapping[dt.date, tuple[int | None, int | None]] | None = None,
) -> list[dict[str, Any]]:
    """One row per interval date: the follower total observed now, gained/lost where the API gives them."""
    daily = daily or {}
    return [
        {
            "network": account.network,
            "account_id": account.account_id,
            "date": day,
            "followers_total": followers_total,
            "followers_gained": daily.get(day, (None, None))[0],
            "followers_lost": daily.get(day, (None, None))[1],
        }
        for day in interval.days()
    ]


def external_links(links: list[str | None], platform_hosts: tuple[str, ...]) -> list[str]:
    """The links of a post that lead to other sites: the network's own photos and posts are not links followed."""
    out = []
    for link in links:
        host = (urlsplit(link).hostname or "").lower() if link else ""
        if link and not any(host == h or host.endswith("." + h) for h in platform_hosts):
            out.append(link)
    return out


def post_row(
    account: Account,
    post_id: str,
    created_at: dt.datetime,
    text: str | None,
    kind: str = "original",
    links: list[str] | None = None,
    in_reply_to_id: str | None = None,
) -> dict[str, Any]:
    """A row of `posts`. staff_member stays null: no API says which person wrote a post."""
    return {
        "network": account.network,
        "account_id": account.account_id,
        "post_id": post_id,
        "created_at": created_at,
        "kind": kind,
        "text": text,
        "links": links or [],
        "staff_member": None,
        "in_reply_to_id": in_reply_to_id,
    }


def message_row(
    account: Account,
    *,
    message_id: str,
    thread_id: str,
    parent_id: str | None,
    post_id: str | None,
    created_at: dt.datetime,
    outbound: bool,
    channel: str,
    author_id: str,
    author_handle: str | None,
    text: str | None,
    staff_member: str | None = None,
) -> dict[str, Any]:
    """A row of `messages`: outbound when the account wrote it. intent stays null: no API classifies it."""
    return {
        "network": account.network,
        "account_id": account.account_id,
        "message_id": message_id,
        "thread_id": thread_id,
        "parent_id": parent_id,
        "post_id": post_id,
        "created_at": created_at,
        "direction": "outbound" if outbound else "inbound",
        "channel": channel,
        "author_id": author_id,
        "author_handle": author_handle,
        "staff_member": staff_member,
        "intent": None,
        "text": text,
    }


def tables(
    accounts: list,
    posts: list,
    metrics: list,
    audience: list,
    messages: list,
    source: str,
    issues: list | None = None,
) -> dict[str, Any]:
    """The canonical tables of one extraction, deduplicated on their keys (an API may repeat an item)."""
    rows = {
        "accounts": accounts,
        "posts": posts,
        "post_metrics_daily": metrics,
        "audience_daily": audience,
        "messages": messages,
        "extraction_issues": issues or [],
    }
    out = {}
    for name, items in rows.items():
        key = model.TABLES[name].key
        unique = {tuple(r[k] for k in key): r for r in items}
        out[name] = model.table_from_rows(name, unique.values(), source=source)
    return out
