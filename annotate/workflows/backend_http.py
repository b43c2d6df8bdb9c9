"""The ML backend's HTTP: five JSON endpoints on the standard library's threading server.

A thread per request: Label Studio gives ``/health`` 1 s and ``/setup`` 3 s, and asks
for them while a ``/predict`` of hundreds of tasks may be waiting on the worker.
With credentials (`BackendAuth`), every request must carry them (HTTP basic auth,
compared in constant time); the CLI requires them off 127.0.0.1.

The request log has one line per request: method, path (no query), status and
time. Never a header, a body or a query string: ``/setup`` carries the project
creator's API token and every request from Label Studio the basic-auth password.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from annotate.errors import AnnotateError, one_line
from annotate.studio.ml_backend import BackendAuth

from .backend import Backend

log = logging.getLogger("annotate.serve")
#: Largest request body read (a predict of hundreds of long articles fits).
MAX_BODY = 512 * 1024 * 1024


def admits(auth: BackendAuth, header: str | None) -> bool:
    """The ``Authorization`` header carries `auth`'s credentials."""
    if not header or not header.startswith("Basic "):
        return False
    try:
        given = base64.b64decode(header[6:], validate=True)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(given, f"{auth.user}:{auth.password}".encode())


class BackendServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], backend: Backend, auth: BackendAuth | None):
        self.backend = backend
        self.auth = auth
        super().__init__(address, _Handler)


def make_server(host: str, port: int, backend: Backend, auth: BackendAuth | None) -> BackendServer:
    """The server bound to `host`:`port` (0: a free port), not serving yet."""
    return BackendServer((host, port), backend, auth)


class _Handler(BaseHTTPRequestHandler):
    server: BackendServer
    server_version = "annotate-serve"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's names)
        self._answer({"/health": self.server.backend.health, "/": self.server.backend.health,
                      "/versions": self.server.backend.versions}, body=False)  # fmt: skip

    def do_POST(self) -> None:  # noqa: N802
        backend = self.server.backend
        self._answer({"/setup": backend.setup, "/predict": backend.predict,
                      "/webhook": backend.webhook}, body=True)  # fmt: skip

    def _answer(self, routes: dict[str, Callable[..., dict[str, Any]]], body: bool) -> None:
        started = time.perf_counter()
        path = urlsplit(self.path).path.rstrip("/") or "/"
        status, answer = self._route(routes, path, body)
        data = json.dumps(answer, ensure_ascii=False).encode()
        self.send_response(status)
        if status == HTTPStatus.UNAUTHORIZED:
            self.send_header("WWW-Authenticate", 'Basic realm="annotate serve"')
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        log.info("%s %s %d %.0f ms", self.command, path, status,
                 (time.perf_counter() - started) * 1000)  # fmt: skip

    def _route(
        self, routes: dict[str, Callable[..., dict[str, Any]]], path: str, body: bool
    ) -> tuple[int, dict[str, Any]]:
        payload = self._body() if body else None  # read whole, so the connection stays usable
        auth = self.server.auth
        if auth is not None and not admits(auth, self.headers.get("Authorization")):
            return HTTPStatus.UNAUTHORIZED, {"error": "basic auth required"}
        handler = routes.get(path)
        if handler is None:
            return HTTPStatus.NOT_FOUND, {"error": f"no endpoint {self.command} {path}"}
        try:
            if not body:
                return HTTPStatus.OK, handler()
            if not isinstance(payload, dict):
                return HTTPStatus.BAD_REQUEST, {"error": "the body is not a JSON object"}
            return HTTPStatus.OK, handler(payload)
        except AnnotateError as exc:
            log.error("%s %s: %s", self.command, path, one_line(str(exc), 300))
            return HTTPStatus.BAD_REQUEST, {"error": one_line(str(exc), 300)}
        except Exception as exc:  # one request's failure must not take the server down
            log.exception("%s %s failed", self.command, path)
            return HTTPStatus.INTERNAL_SERVER_ERROR, {"error": type(exc).__name__}

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_BODY:
            self.close_connection = True  # a body left unread cannot precede another request
            return None
        raw = self.rfile.read(length)
        try:
            return json.loads(raw)
        except ValueError:
            return None

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's name)
        """http.server's own lines quote the request line (the query string): not logged."""
