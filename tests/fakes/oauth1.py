"""The server side of OAuth 1.0a (RFC 5849 section 3.2): is this request, as it arrived, signed with these keys?

Written apart from the plugin's signer (socialpulse.http.OAuth1Signer) on purpose, so that the two
cannot share a mistake: it starts from the raw request line, the Host header and the Authorization
header the server received, splits and decodes the query itself and percent-encodes byte by byte.
X checks the same things: the consumer key and token it issued, HMAC-SHA1, a recent timestamp, a
nonce not seen before, and a signature over the method, the URL and every parameter.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass, field
from urllib.parse import unquote, unquote_plus

UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
MAX_CLOCK_SKEW_SECONDS = 300


def encode(text: str) -> str:
    """RFC 5849 section 3.6, spelled out: unreserved bytes stay, every other byte of the UTF-8 becomes %XX."""
    return "".join(chr(b) if b in UNRESERVED else f"%{b:02X}" for b in text.encode("utf-8"))


@dataclass
class OAuth1Keys:
    """The four keys of an X developer app and one of its users (the console's names in comments)."""

    consumer_key: str  # API Key
    consumer_secret: str  # API Key Secret
    token: str  # Access Token
    token_secret: str  # Access Token Secret


@dataclass
class OAuth1Verifier:
    keys: OAuth1Keys
    scheme: str = "http"
    seen_nonces: set[str] = field(default_factory=set)
    rejections: list[str] = field(default_factory=list)  # why requests were refused, for the tests to read

    def check(
        self,
        method: str,
        host: str,
        path: str,
        raw_query: str,
        authorization: str | None,
        body_params: list[tuple[str, str]] = (),
        now: float | None = None,
    ) -> bool:
        reason = self._problem(
            method,
            host,
            path,
            raw_query,
            authorization,
            list(body_params),
            time.time() if now is None else now,
        )
        if reason:
            self.rejections.append(reason)
        return reason is None

    def _problem(self, method, host, path, raw_query, authorization, body_params, now) -> str | None:
        if not authorization or not authorization.startswith("OAuth "):
            return "no OAuth Authorization header"
        oauth = {
            name: unquote(value)
            for name, value in re.findall(r'(\w+)="([^"]*)"', authorization[len("OAuth ") :])
        }
        if oauth.get("oauth_consumer_key") != self.keys.consumer_key:
            return "unknown consumer key"
        if oauth.get("oauth_token") != self.keys.token:
            return "unknown token"
        if oauth.get("oauth_signature_method") != "HMAC-SHA1" or oauth.get("oauth_version", "1.0") != "1.0":
            return "not HMAC-SHA1 / 1.0"
        if (
            not oauth.get("oauth_timestamp", "").isdigit()
            or abs(int(oauth["oauth_timestamp"]) - now) > MAX_CLOCK_SKEW_SECONDS
        ):
            return "timestamp missing or too far from now"
        nonce = oauth.get("oauth_nonce")
        if not nonce or nonce in self.seen_nonces:
            return "nonce missing or used before"
        pairs = [(name, value) for name, value in oauth.items() if name not in ("oauth_signature", "realm")]
        for item in filter(None, raw_query.split("&")):
            name, _, value = item.partition("=")
            pairs.append((unquote_plus(name), unquote_plus(value)))
        pairs += body_params
        parameters = "&".join(f"{n}={v}" for n, v in sorted((encode(n), encode(v)) for n, v in pairs))
        base = f"{method.upper()}&{encode(f'{self.scheme}://{host.lower()}{path}')}&{encode(parameters)}"
        key = f"{encode(self.keys.consumer_secret)}&{encode(self.keys.token_secret)}".encode()
        expected = base64.b64encode(hmac.new(key, base.encode(), hashlib.sha1).digest()).decode()
        if not hmac.compare_digest(expected, oauth.get("oauth_signature", "")):
            return "signature mismatch"
        self.seen_nonces.add(nonce)
        return None
