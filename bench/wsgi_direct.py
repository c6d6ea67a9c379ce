"""Calls into a service's WSGI entry point as a gunicorn worker makes them, in process.

What gunicorn hands the app per request (the environ of a parsed request, a
``start_response``, the body iterated and closed) without its sockets and parsing, so
``time.process_time`` around these calls is the app's own CPU per request.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from typing import Any


class WsgiClient:
    """One app, called directly: ``call`` returns the status code and the raw body."""

    def __init__(self, wsgi_app: Callable[..., Any]) -> None:
        self.wsgi_app = wsgi_app

    def call(
        self, method: str, path: str, token: str, body: bytes | None = None
    ) -> tuple[int, bytes]:
        payload = body or b""
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_AUTHORIZATION": f"Bearer {token}",
            "HTTP_X_REQUEST_ID": "bench",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(payload),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        if body is not None:
            environ["CONTENT_TYPE"] = "application/json"
            environ["CONTENT_LENGTH"] = str(len(payload))
        statuses: list[int] = []

        def start_response(status: str, _headers: list[tuple[str, str]], *_exc: object) -> None:
            statuses.append(int(status.split(" ", 1)[0]))

        result = self.wsgi_app(environ, start_response)
        try:
            text = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return statuses[0], text

    def json(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
        payload = None if body is None else json.dumps(body).encode()
        status, text = self.call(method, path, token, payload)
        return status, json.loads(text) if text else None
