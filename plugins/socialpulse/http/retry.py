"""How hard to try, once for every request of the layer (the API GET and the OAuth token refresh).

A response is classified into an Outcome (the Singer SDK's validate_response, as data); the one retry loop,
request_with_retries(), acts on it: backoff for RETRY, the limit's own wait for RATE_LIMITED, and hands
the rest back to its caller, which raises the error that names its endpoint. send() makes one request
within its caps: an overall deadline and a body size limit."""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import enum
import logging
import socket
import threading
from collections.abc import Callable, Mapping
from typing import Any

import requests
import requests.adapters
import urllib3
import urllib3.connection
import urllib3.poolmanager

from socialpulse.http.errors import redirect_error
from socialpulse.networks.base import ConnectorError

log = logging.getLogger(__name__)

RETRY_STATUSES = {500, 502, 503, 504}


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


def json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except (ValueError, RecursionError):
        return None


class Outcome(enum.Enum):
    """What one response means for its request."""

    OK = "ok"  # the answer: read it
    RETRY = "retry"  # an outage (5xx): ask again after a backoff
    RATE_LIMITED = "rate_limited"  # ask again once the limit says so
    AUTH = "auth"  # the credentials were refused (a refresh may help, once)
    PERMISSION = "permission"  # valid credentials without a permission or scope
    REJECTED = "rejected"  # the request itself is wrong: asking again gets the same answer


def outcome_of_status(status: int) -> Outcome:
    """What the status alone says; a network's classifier reads the body first (Graph's error codes)."""
    if status < 400:
        return Outcome.OK
    if status == 429:
        return Outcome.RATE_LIMITED
    if status in RETRY_STATUSES:
        return Outcome.RETRY
    return {401: Outcome.AUTH, 403: Outcome.PERMISSION}.get(status, Outcome.REJECTED)


def request_with_retries(
    prepare: Callable[[], Callable[[], requests.Response]],
    what: str,
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    *,
    classify: Callable[[requests.Response], Outcome],
    carrying: str,
    exhausted: Callable[[str], ConnectorError],
    scrub: Callable[[str], str] = str,
    before: Callable[[], None] = lambda: None,
    rate_limit_wait: Callable[[requests.Response], float] | None = None,
    after_rate_limit_wait: Callable[[], None] = lambda: None,
    recover: Callable[[requests.Response, Outcome], bool] = lambda response, outcome: False,
) -> tuple[requests.Response, Outcome]:
    """Ask until an answer is final, at most policy.max_attempts times: the response and its outcome (OK,
    AUTH, PERMISSION or REJECTED), for the caller to read or raise on.

    `prepare` builds each attempt's request afresh (the current token, a new OAuth 1.0a nonce), outside the
    request's deadline. Timeouts, dropped connections and RETRY are retried after policy.backoff();
    RATE_LIMITED after `rate_limit_wait` (a wait longer than max_rate_limit_wait_seconds fails at once).
    `before` runs before each attempt (a rate limit window known in advance), `recover` may fix an answer
    (a new access token after a 401) and say to ask again without counting the attempt. A 3xx is never
    followed: the request carried credentials (`carrying` says which), and another host's body is not the
    API's. After the last attempt, `exhausted(why the last one failed)` is raised."""
    failure = ""
    attempt = 0
    while attempt < policy.max_attempts:
        attempt += 1
        before()
        response, failure = send(prepare(), what, policy)
        wait = None  # a rate limit's own wait, instead of the backoff
        if response is not None:
            status = response.status_code
            if 300 <= status < 400:
                raise ConnectorError(scrub(str(redirect_error(what, response, carrying))))
            outcome = classify(response)
            if outcome is Outcome.RATE_LIMITED:
                failure = f"HTTP {status} rate limited"
                wait = rate_limit_wait(response) if rate_limit_wait else policy.backoff(attempt)
                if wait > policy.max_rate_limit_wait_seconds:
                    raise ConnectorError(
                        f"{what}: rate limited for another {wait:.0f} s "
                        f"(more than max_rate_limit_wait_seconds={policy.max_rate_limit_wait_seconds:g}); "
                        f"rerun the task after the limit resets"
                    )
            elif outcome is Outcome.RETRY:
                failure = f"HTTP {status}"
            elif recover(response, outcome):
                attempt -= 1
                continue
            else:
                return response, outcome
        if attempt < policy.max_attempts:
            if wait is not None:
                log.warning("%s: rate limited, waiting %.1f s (attempt %d)", what, wait, attempt)
                sleep(wait)
                after_rate_limit_wait()
            else:
                backoff = policy.backoff(attempt)
                log.warning(
                    "%s: %s, retrying in %.2f s (attempt %d of %d)",
                    what,
                    failure,
                    backoff,
                    attempt,
                    policy.max_attempts,
                )
                sleep(backoff)
    raise exhausted(failure)
