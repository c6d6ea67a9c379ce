"""JSON over HTTP to the gateway with one bearer token, retrying what is worth retrying.

A connection error, 429, 502, 503 and 504 are tried again (``Retry-After`` honoured,
else backing off from 0.5 to 8 seconds), at most ``attempts`` times in all; any other
answer is returned as it is. Every request (retries included) is counted, so the
importer can say how many it made. Each thread has its own connection pool
(``requests.Session`` is not meant to be shared between threads).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

RETRIED_STATUSES = frozenset({429, 502, 503, 504})
TIMEOUT = 120.0


class ApiError(Exception):
    """The platform refused a request or stayed unreachable: method, path, status, body."""

    def __init__(self, method: str, path: str, status: int | None, body: Any) -> None:
        self.method, self.path, self.status, self.body = method, path, status, body
        shown = "unreachable" if status is None else str(status)
        super().__init__(f"{method} {path}: {shown} {body}")


@dataclass(frozen=True)
class Response:
    status: int
    body: Any


class ApiClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        attempts: int = 6,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.attempts = attempts
        self._sleep = sleep
        self._local = threading.local()
        self._lock = threading.Lock()
        self.requests = 0
        self.retries = 0

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {self.token}"
            self._local.session = session
        return session

    def _count(self, retry: bool) -> None:
        with self._lock:
            self.requests += 1
            self.retries += int(retry)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> Response:
        """The answer, after retrying connection errors and the statuses above."""
        delay = 0.5
        for attempt in range(1, self.attempts + 1):
            self._count(retry=attempt > 1)
            try:
                answer = self._session().request(
                    method, self.base_url + path, json=json, params=params, timeout=TIMEOUT
                )
            except requests.ConnectionError as exc:
                if attempt == self.attempts:
                    raise ApiError(method, path, None, repr(exc)) from exc
                self._sleep(delay)
                delay = min(delay * 2, 8.0)
                continue
            if answer.status_code in RETRIED_STATUSES and attempt < self.attempts:
                self._sleep(_retry_after(answer.headers.get("Retry-After"), delay))
                delay = min(delay * 2, 8.0)
                continue
            try:
                body = answer.json() if answer.content else None
            except ValueError:
                body = answer.text
            return Response(answer.status_code, body)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def expect(
        self, method: str, path: str, statuses: tuple[int, ...] = (200,), **kwargs: Any
    ) -> Any:
        """The body of an answer with one of ``statuses``; ApiError otherwise."""
        answer = self.request(method, path, **kwargs)
        if answer.status not in statuses:
            raise ApiError(method, path, answer.status, answer.body)
        return answer.body


def _retry_after(header: str | None, default: float) -> float:
    try:
        return max(0.0, min(float(header), 30.0)) if header else default
    except ValueError:
        return default
