"""The embedded gateway: the five service apps in one process behind one origin.

Production runs nginx (``deploy/nginx``) in front of separate containers; locally,
werkzeug's ``DispatcherMiddleware`` mounts each app at the same prefix nginx routes,
``/api/<service>``. The apps are found by name, so ``shared`` imports no service.

In front of them, ``EdgeMiddleware`` does what nginx does in production:

* the client's address is the peer's, unless the peer is a configured proxy
  (``STRIDE_TRUSTED_PROXIES``); only then is ``X-Forwarded-For`` read, and the apps
  receive the address it resolved, never what a client wrote;
* every request gets the gateway's own unique ``X-Request-ID``; a client's id, if well
  formed, travels as ``X-Client-Request-ID`` for correlation only;
* requests are rate limited per client address and per token subject with nginx's
  ``limit_req`` algorithm (a leaky bucket: ``rate`` requests per second, ``burst``
  more at once, no delay), answered 429 problem+json with ``Retry-After``. Service
  tokens have their own, larger limit (``STRIDE_RATE_LIMIT_*``; 0 turns a limit off).
"""

from __future__ import annotations

import importlib
import ipaddress
import math
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from shared.auth import AuthenticationError, TokenVerifier
from shared.config import SERVICES, Settings, load_settings
from shared.http import NOT_FOUND_DETAIL, PROBLEM_JSON, problem_body
from shared.web import REQUEST_ID

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
#: at most this many clients or subjects are remembered per limit (least recent dropped)
MAX_TRACKED_KEYS = 100_000
_FORWARDED = ("HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_PREFIX")


def create_service_app_by_name(service: str, config: dict[str, Any] | None = None) -> Flask:
    module = importlib.import_module(f"services.{service}.app")
    app: Flask = module.create_app(config)
    return app


class RateLimiter:
    """nginx's ``limit_req ... burst=B nodelay``: per key, an excess that drains at
    ``rate`` per second; a request that would push it above ``burst`` is refused."""

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_TRACKED_KEYS,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._max_keys = max_keys
        self._state: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str) -> int | None:
        """Count a request of ``key``: ``None`` if allowed, else seconds to wait."""
        if self.rate <= 0:
            return None
        now = self._clock()
        with self._lock:
            excess, last = self._state.pop(key, (0.0, now))
            excess = max(excess - (now - last) * self.rate, 0.0) + 1
            if excess > self.burst + 1:
                self._state[key] = (excess - 1, now)
                return max(1, math.ceil((excess - 1 - self.burst) / self.rate))
            self._state[key] = (excess, now)
            while len(self._state) > self._max_keys:
                self._state.popitem(last=False)
        return None


class EdgeMiddleware:
    """Client address, request id and rate limits, before any app sees the request."""

    def __init__(
        self,
        app: WSGIApp,
        settings: Settings,
        *,
        verifier: TokenVerifier | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.verifier = verifier or TokenVerifier(settings)
        self.trusted = [
            ipaddress.ip_network(entry, strict=False) for entry in settings.trusted_proxies
        ]
        self.per_client = RateLimiter(
            settings.rate_limit_client, settings.rate_limit_client_burst, clock=clock
        )
        self.per_subject = RateLimiter(
            settings.rate_limit_token, settings.rate_limit_token_burst, clock=clock
        )
        self.per_service = RateLimiter(
            settings.rate_limit_service, settings.rate_limit_service_burst, clock=clock
        )

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        client = self.client_address(environ)
        environ["HTTP_X_FORWARDED_FOR"] = client
        if not self._is_trusted(environ.get("REMOTE_ADDR", "")):
            for name in _FORWARDED:
                environ.pop(name, None)
        incoming = environ.pop("HTTP_X_REQUEST_ID", "")
        environ.pop("HTTP_X_CLIENT_REQUEST_ID", None)
        if REQUEST_ID.match(incoming):
            environ["HTTP_X_CLIENT_REQUEST_ID"] = incoming
        request_id = uuid.uuid4().hex
        environ["HTTP_X_REQUEST_ID"] = request_id
        wait = self._limit(client, environ.get("HTTP_AUTHORIZATION", ""))
        if wait is not None:
            return self._too_many(wait, request_id, start_response)
        return self.app(environ, start_response)

    def client_address(self, environ: dict[str, Any]) -> str:
        """The peer, or, when the peer is a trusted proxy, the rightmost address of
        X-Forwarded-For that is not a trusted proxy itself."""
        peer = str(environ.get("REMOTE_ADDR", ""))
        if not self._is_trusted(peer):
            return peer
        forwarded = [
            part.strip() for part in str(environ.get("HTTP_X_FORWARDED_FOR", "")).split(",")
        ]
        for address in reversed([part for part in forwarded if part]):
            if not _is_address(address):
                break
            if not self._is_trusted(address):
                return address
        return peer

    def _is_trusted(self, address: str) -> bool:
        if not self.trusted or not _is_address(address):
            return False
        parsed = ipaddress.ip_address(address)
        return any(parsed in network for network in self.trusted)

    def _limit(self, client: str, authorization: str) -> int | None:
        wait = self.per_client.hit(client)
        if wait is not None:
            return wait
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        try:
            principal = self.verifier.verify(token.strip())
        except AuthenticationError:
            return None  # the app answers 401; the client's limit still counted it
        limiter = self.per_service if principal.role == "service" else self.per_subject
        return limiter.hit(f"{principal.role}:{principal.sub}")

    @staticmethod
    def _too_many(wait: int, request_id: str, start_response: Callable[..., Any]) -> list[bytes]:
        body = problem_body(
            429,
            "Too Many Requests",
            f"too many requests from this client or token; retry in {wait} s",
            code="too_many_requests",
            request_id=request_id,
        ).encode()
        start_response(
            "429 Too Many Requests",
            [
                ("Content-Type", PROBLEM_JSON),
                ("Content-Length", str(len(body))),
                ("Retry-After", str(wait)),
                ("X-Request-ID", request_id),
                ("Cache-Control", "no-store"),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
        return [body]


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def create_gateway(
    services: Iterable[str] = SERVICES,
    *,
    settings: Settings | None = None,
    config: dict[str, Any] | None = None,
) -> EdgeMiddleware:
    settings = settings or load_settings()
    front = Flask("stride.gateway")

    @front.get("/healthz")
    def healthz() -> Response:
        return Response('{"status": "ok", "service": "gateway"}', mimetype="application/json")

    @front.errorhandler(404)
    def not_found(_error: Exception) -> Response:
        body = problem_body(404, "Not Found", NOT_FOUND_DETAIL, code="not_found", request_id=None)
        return Response(body, status=404, mimetype=PROBLEM_JSON)

    app_config = {"STRIDE_SETTINGS": settings, **(config or {})}
    mounts = {f"/api/{name}": create_service_app_by_name(name, app_config) for name in services}
    dispatcher = DispatcherMiddleware(front, mounts)  # type: ignore[arg-type]
    return EdgeMiddleware(dispatcher, settings)
