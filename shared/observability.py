"""Structured JSON logs with the request id, Prometheus metrics, process heartbeats."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess


def configure_logging(level: str = "INFO", service: str | None = None) -> None:
    """JSON lines on stdout; every line carries the bound context (request id, service).

    Libraries that log through the standard library (gunicorn, kombu, alembic, celery)
    are rendered as the same JSON lines, with the same bound context.
    """
    shared_processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    processors: list[Any] = [
        *shared_processors,
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        structlog.processors.JSONRenderer(sort_keys=True),
    ]
    handler = _StdoutHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared_processors, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(sort_keys=True),
            ],
        )
    )
    root = logging.getLogger()
    for existing in [h for h in root.handlers if getattr(h, "_stride", False)]:
        root.removeHandler(existing)
    handler._stride = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        # No file: structlog then prints to whatever sys.stdout is when it writes.
        logger_factory=structlog.PrintLoggerFactory(),
        cache_logger_on_first_use=False,
    )
    if service:
        structlog.contextvars.bind_contextvars(service=service)


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is at the time of writing, not at configuration:
    a test runner or a tool that replaces and later closes it leaves logging working."""

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, value: Any) -> None:
        """The stream is always the current ``sys.stdout``."""


class Heartbeat:
    """Touches a file so a health check can tell a live loop from a stuck one."""

    def __init__(self, path: Path | None, every_seconds: float = 5.0) -> None:
        self.path = path
        self.every_seconds = every_seconds
        self._last = 0.0

    def beat(self) -> None:
        if self.path is None:
            return
        now = time.monotonic()
        if now - self._last < self.every_seconds:
            return
        self._last = now
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch()

    def of_loop(self, label: str) -> Heartbeat:
        """The heartbeat of one loop of a process: ``<file>.<label>`` next to this one.

        Each relay and consumer beats its own, so one stuck loop is seen even while the
        others of the same process are alive (``all_fresh``).
        """
        path = None if self.path is None else self.path.with_name(f"{self.path.name}.{label}")
        return Heartbeat(path, self.every_seconds)

    @staticmethod
    def is_fresh(path: Path, max_age_seconds: float) -> bool:
        try:
            return time.time() - path.stat().st_mtime <= max_age_seconds
        except FileNotFoundError:
            return False

    @staticmethod
    def stale_loops(path: Path, max_age_seconds: float) -> list[str] | None:
        """The loops under ``path`` whose heartbeat is older than ``max_age_seconds``.

        ``None`` when no loop has its own heartbeat there: then ``path`` itself counts.
        """
        loops = sorted(path.parent.glob(f"{path.name}.*")) if path.parent.is_dir() else []
        if not loops:
            return None
        prefix = f"{path.name}."
        return [
            loop.name.removeprefix(prefix)
            for loop in loops
            if not Heartbeat.is_fresh(loop, max_age_seconds)
        ]


#: the methods counted under their own name (``HttpMetrics.observe``)
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class HttpMetrics:
    """Request counters and latency histograms of one Flask app.

    Under gunicorn with ``PROMETHEUS_MULTIPROC_DIR`` set, values are shared by the
    worker processes and ``/metrics`` aggregates them.
    """

    def __init__(self, service: str) -> None:
        self.service = service
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "stride_http_requests_total",
            "HTTP requests handled",
            ["service", "method", "endpoint", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "stride_http_request_duration_seconds",
            "HTTP request latency",
            ["service", "method", "endpoint"],
            registry=self.registry,
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
        )

    def observe(self, method: str, endpoint: str, status: int, seconds: float) -> None:
        # The labelled children kept per (method, route, status): a route has a handful,
        # and looking them up by labels costs more than counting. A method no route
        # serves is counted as "other": a client's made-up methods add no series.
        if method not in HTTP_METHODS:
            method = "other"
        children = self._children.get((method, endpoint, status))
        if children is None:
            children = self._children[(method, endpoint, status)] = (
                self.requests.labels(self.service, method, endpoint, str(status)),
                self.latency.labels(self.service, method, endpoint),
            )
        count, latency = children
        count.inc()
        latency.observe(seconds)

    def exposition_registry(self) -> CollectorRegistry:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return registry
        return self.registry
