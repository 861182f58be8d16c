"""How a request proves who it is for: an OAuth 2.0 access token (refreshed where the connection can) or
OAuth 1.0a signatures."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import parse_qsl, quote, urlsplit

import requests

from socialpulse.http.errors import AuthFailed, Unrecoverable, scrub_secrets
from socialpulse.http.retry import (
    RETRY_STATUSES,
    Outcome,
    RetryPolicy,
    deadline_session,
    json_or_none,
    request_with_retries,
)
from socialpulse.networks.base import ConnectorError, Credentials

log = logging.getLogger(__name__)


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
        what = f"{self.network} POST {urlsplit(token_url).path or '/'}"
        response, _ = request_with_retries(
            lambda: functools.partial(
                self.session.post,
                token_url,
                data={"grant_type": "refresh_token", **grant},
                headers={"Accept": "application/json"},
                timeout=self.policy.timeout_seconds,
                allow_redirects=False,  # requests re-posts the grant to wherever a 307/308 points
                stream=True,
            ),
            what,
            self.policy,
            self.sleep,
            classify=token_endpoint_outcome,
            carrying="the refresh token and client secret go to token_url only",
            exhausted=lambda failure: ConnectorError(
                f"{what}: no new access token for connection '{self.conn_id}' after {self.policy.max_attempts} "
                f"attempts: {failure}; the token endpoint is unavailable, rerun the task later"
            ),
            scrub=self.scrub,
        )
        body = json_or_none(response)
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
                    f"{what}: the OAuth refresh for connection '{self.conn_id}' was refused "
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


def token_endpoint_outcome(response: requests.Response) -> Outcome:
    """An outage or a 429 of the token endpoint is worth another try, after the backoff; any other answer
    is read whole (a refusal names its OAuth error)."""
    status = response.status_code
    return Outcome.RETRY if status in RETRY_STATUSES or status == 429 else Outcome.OK


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
