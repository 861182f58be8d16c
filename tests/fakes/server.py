"""A real HTTP server on 127.0.0.1 (random port) that a network fake teaches to answer like its API.

A fake registers routes (a path regex and a handler returning a Reply). Tests inject faults by
queueing replies for a path: a 429 with Retry-After, a run of 500s, a slow answer, a truncated body.
Every request is recorded, so a test can assert what the connector asked for.

A fake can also be an OAuth 2.0 token endpoint (serve_refresh): a form-encoded POST with
grant_type=refresh_token, client_id, client_secret and refresh_token gets a new access token as JSON
(RFC 6749 section 6), and from then on only the new token is accepted.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # a dict/list is sent as JSON, bytes as they are
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering, to provoke a client timeout
    dribble: float = 0.0  # seconds between the body's bytes, each well inside any read timeout
    dribble_head: float = 0.0  # the same between the bytes of the status line and headers


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    raw_query: str
    headers: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)  # a POST's form-encoded body


Handler = Callable[[Request, "re.Match[str]"], Reply]


class FakeApi:
    """One network's API on loopback. Subclasses add routes and their wire format."""

    def __init__(self, token: str, auth: str = "bearer", token_param: str = "access_token"):
        self.token = token
        self.auth = auth
        self.token_param = token_param
        self.expired = False
        self.expires_after: int | None = None  # the token stops working after this many authorized calls
        self.grant: dict[str, str] | None = (
            None  # refresh_token, client_id, client_secret the token endpoint accepts
        )
        self.issued: list[str] = []  # access tokens the token endpoint handed out
        self.requests: list[Request] = []
        self._routes: list[tuple[re.Pattern[str], Handler]] = []
        self._post_routes: list[tuple[re.Pattern[str], Handler]] = []
        self._faults: list[tuple[re.Pattern[str], Reply]] = []
        self._extra_headers: list[tuple[re.Pattern[str], dict[str, str]]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- set-up ---------------------------------------------------------------------------------------
    def route(self, pattern: str, handler: Handler) -> None:
        self._routes.append((re.compile(pattern + "$"), handler))

    def fail(self, pattern: str, *replies: Reply) -> None:
        """Answer the next requests matching `pattern` with these replies, in order, then normally."""
        with self._lock:
            self._faults.extend((re.compile(pattern), r) for r in replies)

    def add_headers(self, pattern: str, headers: dict[str, str]) -> None:
        """Send these headers with the next normal answer to a request matching `pattern` (rate-limit news)."""
        with self._lock:
            self._extra_headers.append((re.compile(pattern), headers))

    def unauthorized(self) -> Reply:
        """What the API answers to a bad or expired token; networks override with their format."""
        return Reply(401, {"message": "Unauthorized"})

    def serve_refresh(self, path: str, refresh_token: str, client_id: str, client_secret: str) -> None:
        """Be the network's OAuth token endpoint at `path`, accepting this refresh grant."""
        self.grant = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client_id,
            "client_secret": client_secret,
        }
        self._post_routes.append((re.compile(path + "$"), self._refresh))

    def _refresh(self, request: Request, match) -> Reply:
        if not request.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            return Reply(
                400, {"error": "invalid_request", "error_description": "the body must be form-encoded"}
            )
        if request.form != self.grant:
            return self.refused_grant()
        with self._lock:
            self.token = f"tok-REFRESHED-{len(self.issued) + 1}-{self.grant['client_id']}"
            self.issued.append(self.token)
            self.expired = False
        return Reply(200, self.token_answer(self.token))

    def token_answer(self, token: str) -> dict[str, Any]:
        """A successful token response; networks override with their fields."""
        return {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}

    def refused_grant(self) -> Reply:
        """A refused refresh (RFC 6749 section 5.2); networks override with their wording."""
        return Reply(400, {"error": "invalid_grant"})

    # -- lifecycle ------------------------------------------------------------------------------------
    def start(self) -> FakeApi:
        fake = self

        class RequestHandler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._serve(self)

            def do_POST(self) -> None:
                fake._serve(self)

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def calls(self, pattern: str) -> list[Request]:
        return [r for r in self.requests if re.search(pattern, r.path)]

    # -- answering ------------------------------------------------------------------------------------
    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        form = {}
        if handler.command == "POST":
            body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0)).decode()
            form = {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}
        request = Request(
            handler.command, parts.path, query, parts.query, dict(handler.headers.items()), form
        )
        with self._lock:
            self.requests.append(request)
            fault = next((f for f in self._faults if f[0].search(parts.path)), None)
            if fault:
                self._faults.remove(fault)
            extra = None if fault else next((h for h in self._extra_headers if h[0].search(parts.path)), None)
            if extra:
                self._extra_headers.remove(extra)
        reply = fault[1] if fault else self._answer(request)
        if extra:
            reply = dataclasses.replace(reply, headers={**reply.headers, **extra[1]})
        if reply.delay:
            time.sleep(reply.delay)
        body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
        headers = [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(len(body))),
            *reply.headers.items(),
        ]
        try:
            if reply.dribble_head:
                head = f"{handler.protocol_version} {reply.status} {handler.responses[reply.status][0]}\r\n"
                for name, value in headers:
                    head += f"{name}: {value}\r\n"
                for byte in (head + "\r\n").encode("latin-1"):
                    handler.wfile.write(bytes([byte]))
                    handler.wfile.flush()
                    time.sleep(reply.dribble_head)
            else:
                handler.send_response(reply.status)
                for name, value in headers:
                    handler.send_header(name, value)
                handler.end_headers()
            if reply.dribble:
                for i in range(len(body)):
                    handler.wfile.write(body[i : i + 1])
                    handler.wfile.flush()
                    time.sleep(reply.dribble)
            else:
                handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting: that is what a timeout test wants

    def _answer(self, request: Request) -> Reply:
        if request.method == "POST":  # the token endpoint: the grant in the body is the credential
            for pattern, handler in self._post_routes:
                match = pattern.match(request.path)
                if match:
                    return handler(request, match)
            return Reply(404, {"error": f"no route for POST {request.path}"})
        if self.expired or not self._authorized(request):
            return self.unauthorized()
        if self.expires_after is not None:
            with self._lock:
                self.expires_after -= 1
                self.expired = self.expires_after < 0
            if self.expired:
                self.expires_after = None
                return self.unauthorized()
        for pattern, handler in self._routes:
            match = pattern.match(request.path)
            if match:
                return handler(request, match)
        return Reply(404, {"error": f"no route for {request.path}"})

    def _authorized(self, request: Request) -> bool:
        if self.auth == "query":
            return request.query.get(self.token_param) == self.token
        return request.headers.get("Authorization") == f"Bearer {self.token}"


def window(items: list[Any], offset: int, size: int) -> tuple[list[Any], int | None]:
    """One page of items from offset, and the next offset (None on the last page)."""
    page = items[offset : offset + size]
    following = offset + size
    return page, following if following < len(items) else None
