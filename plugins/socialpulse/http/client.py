"""ApiClient: GET JSON from one network's API for one connection, with retries, rate limits and paging."""

from __future__ import annotations

import email.utils
import functools
import json
import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from socialpulse.http.auth import AccessToken, OAuth1Signer, RequestAuth
from socialpulse.http.errors import (
    SECRET_PARAMS,
    AuthFailed,
    PermissionDenied,
    RequestRejected,
)
from socialpulse.http.fields import Fields, dig, shown
from socialpulse.http.paging import Paging
from socialpulse.http.retry import (
    Outcome,
    RetryPolicy,
    deadline_session,
    json_or_none,
    outcome_of_status,
    request_with_retries,
)
from socialpulse.networks.base import ConnectorError, Credentials

log = logging.getLogger(__name__)

APP_WIDE = ""  # key of a limit that holds for every endpoint (Meta's app usage), not just one path


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
        classify: Callable[[int, Any], Outcome | None] | None = None,
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
        # (status, decoded body) -> the Outcome of an error answer, or None for what its status says: for
        # APIs whose body says more than the status (Graph's error codes, Google's error reasons)
        self.classify = classify or (lambda status, body: None)
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
        what = f"{self.network} GET {self.where(url)}"
        refreshed = False

        def prepare() -> Callable[[], requests.Response]:
            headers = None
            if self.auth == "query":
                if not token_in_url:
                    params[self.token_param] = self.token.get()
            else:  # a bearer token, or an OAuth 1.0a signature over this very request (a fresh nonce per attempt)
                headers = {"Authorization": self.token.authorization("GET", url, params)}
            return functools.partial(
                self.session.get,
                url,
                params=params,
                headers=headers,
                timeout=self.policy.timeout_seconds,
                allow_redirects=False,  # the token would follow (in the query), the body is not the API's
                stream=True,
            )

        def recover(response: requests.Response, outcome: Outcome) -> bool:
            nonlocal refreshed
            if (
                outcome is not Outcome.AUTH
                or response.status_code != 401
                or not self.token.refreshable
                or refreshed
            ):
                return False
            # access tokens expire mid-run (Google's after an hour): get a new one, once, and ask again
            log.warning("%s: HTTP 401, refreshing the access token of connection '%s'", what, self.conn_id)
            self.token.refresh()
            refreshed = True
            return True

        response, outcome = request_with_retries(
            prepare,
            what,
            self.policy,
            self.sleep,
            classify=lambda response: self._outcome(url, response),
            carrying="the request carried the token",
            exhausted=lambda failure: ConnectorError(
                f"{what} failed after {self.policy.max_attempts} attempts: {failure}; "
                f"the API is unavailable, rerun the task later"
            ),
            scrub=self.scrub,
            before=lambda: self._wait_for_rate_limit(url),
            rate_limit_wait=self._rate_limit_wait,
            after_rate_limit_wait=self._resume_at.clear,  # that wait was the one the limit asked for
            recover=recover,
        )
        if outcome is Outcome.OK:
            return self._decode(url, response)
        if outcome is Outcome.REJECTED:
            raise self._rejected(url, response)
        raise self._auth_error(url, response, outcome)

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

    def items(
        self, path: str, params: Mapping[str, Any], paging: Paging, field: str
    ) -> Iterator[Mapping[str, Any]]:
        """Every object of a paged collection: the list at `field` of each page (Graph's "data", YouTube's
        "items", LinkedIn's "elements"); a page whose list is not one fails naming the endpoint."""
        page = self.fields(path, "page")
        for response in self.paginate(path, params, paging):
            yield from page.objects(response, field)

    def _loop_error(self, url: str, what: str) -> ConnectorError:
        return ConnectorError(
            f"{self.network} GET {self.where(url)}: the API returned {what}; stopping instead of looping. "
            f"Rerun the task; if it persists, report it to {self.network}"
        )

    # -- what the responses say -----------------------------------------------------------------
    def _outcome(self, url: str, response: requests.Response) -> Outcome:
        """What an answer means: the network's reading of an error's body first, then the status. Every
        answer's headers are noted first: they say how close the rate limits are."""
        self._note_usage(url, response)
        status = response.status_code
        if status < 400:
            return Outcome.OK
        return self.classify(status, json_or_none(response)) or outcome_of_status(status)

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
        body = json_or_none(response)
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
        body = json_or_none(response)
        code, subcode = dig(body, "error.code"), dig(body, "error.error_subcode")
        return RequestRejected(
            f"{self.network} GET {self.where(url)} failed: HTTP {response.status_code} {self._api_message(response)}",
            endpoint=self.where(url),
            status=response.status_code,
            code=code if isinstance(code, (int, str)) else None,
            subcode=subcode if isinstance(subcode, (int, str)) else None,
            message=self._api_text(response),
        )

    def _auth_error(self, url: str, response: requests.Response, outcome: Outcome) -> ConnectorError:
        if response.status_code == 401 and isinstance(self.token, OAuth1Signer):
            return AuthFailed(
                f"{self.network} GET {self.where(url)}: HTTP 401 {self._api_message(response)}: the OAuth 1.0a signature of "
                f"connection '{self.conn_id}' was refused; check {', '.join(OAuth1Signer.KEYS)} in its extra (regenerating "
                f"keys or revoking the app invalidates the old ones) and that this machine's clock is right"
            )
        permission = f" {self.permission_hint}" if self.permission_hint else ""
        denied = outcome is Outcome.PERMISSION or response.status_code == 403
        return (PermissionDenied if denied else AuthFailed)(
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
