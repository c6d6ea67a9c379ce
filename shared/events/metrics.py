"""Prometheus metrics of the event processes (relay and consumer).

``stride events`` serves them on ``STRIDE_METRICS_PORT`` when it is set.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

EVENTS_APPLIED = Counter(
    "stride_events_applied_total", "Events whose effect a consumer committed", ["consumer"]
)
EVENTS_DUPLICATE = Counter(
    "stride_events_duplicate_total", "Redelivered events the inbox recognised", ["consumer"]
)
EVENTS_RETRIED = Counter(
    "stride_events_retried_total", "Events republished after a handler error", ["consumer"]
)
EVENTS_PARKED = Counter(
    "stride_events_parked_total", "Events parked in the dead-letter queue", ["consumer"]
)
BATCH_SECONDS = Histogram(
    "stride_consumer_batch_seconds",
    "Time to apply and commit one batch",
    ["consumer"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
OUTBOX_PUBLISHED = Counter(
    "stride_outbox_published_total", "Outbox events confirmed by the broker", ["service"]
)
OUTBOX_FAILED = Counter(
    "stride_outbox_publish_failures_total", "Outbox events nacked or returned", ["service"]
)
OUTBOX_DEAD = Counter(
    "stride_outbox_dead_total",
    "Outbox events refused too often and no longer published (stride outbox list)",
    ["service"],
)
