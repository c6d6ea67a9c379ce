"""The outbox relay: moves committed events from a service's outbox to the broker.

Idempotency: an event is marked sent only after the broker confirmed it, in the same
transaction that locked it. A relay killed between the confirm and the commit
publishes that batch again on restart; consumers' inboxes absorb the duplicates.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import structlog
from sqlalchemy.exc import DBAPIError, OperationalError

from shared.db import Database
from shared.events import metrics, outbox
from shared.events.envelope import utcnow
from shared.events.publishers import OutgoingMessage, Publisher, PublishError
from shared.observability import Heartbeat

log = structlog.get_logger(__name__)

SENT_RETENTION = timedelta(days=7)
PURGE_EVERY_SECONDS = 3600.0


class OutboxRelay:
    def __init__(
        self,
        service: str,
        database: Database,
        publisher: Publisher,
        *,
        batch_size: int = 500,
        poll_interval: float = 0.05,
        heartbeat: Heartbeat | None = None,
    ) -> None:
        self.service = service
        self.database = database
        self.publisher = publisher
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.heartbeat = heartbeat or Heartbeat(None)
        self.stopping = threading.Event()
        self._last_purge = 0.0

    def relay_once(self) -> int:
        """Publish one batch of unsent events; returns how many were confirmed."""
        with self.database.unit_of_work() as session:
            pending = outbox.claim_unsent(session, self.batch_size)
            if not pending:
                return 0
            result = self.publisher.publish_batch(
                [
                    OutgoingMessage(
                        id=event.id, routing_key=event.event_type, body=event.body.encode()
                    )
                    for event in pending
                ]
            )
            outbox.mark_sent(session, result.confirmed, utcnow())
            outbox.mark_failed(session, result.failed)
            session.commit()
        metrics.OUTBOX_PUBLISHED.labels(self.service).inc(len(result.confirmed))
        if result.failed:
            metrics.OUTBOX_FAILED.labels(self.service).inc(len(result.failed))
            log.error("outbox.publish_failed", service=self.service, failures=result.failed)
        return len(result.confirmed)

    def purge_if_due(self) -> None:
        now = time.monotonic()
        if now - self._last_purge < PURGE_EVERY_SECONDS:
            return
        self._last_purge = now
        with self.database.unit_of_work() as session:
            purged = outbox.purge_sent(session, SENT_RETENTION)
            session.commit()
        if purged:
            log.info("outbox.purged", service=self.service, count=purged)

    def run(self) -> None:
        """Relay until ``stopping`` is set, backing off while the broker or database is down."""
        backoff = 0.0
        log.info("relay.started", service=self.service)
        while not self.stopping.is_set():
            self.heartbeat.beat()
            try:
                published = self.relay_once()
                self.purge_if_due()
                backoff = 0.0
            except (PublishError, OperationalError, DBAPIError) as exc:
                backoff = min(max(backoff * 2, 0.2), 10.0)
                log.warning("relay.retrying", service=self.service, error=str(exc), backoff=backoff)
                self.stopping.wait(backoff)
                continue
            if published < self.batch_size:
                self.stopping.wait(self.poll_interval)
        self.publisher.close()
        log.info("relay.stopped", service=self.service)
