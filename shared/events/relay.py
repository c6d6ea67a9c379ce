"""The outbox relay: moves committed events from a service's outbox to the broker.

Every hour it also forgets what the service's database no longer needs: outbox rows
published a week ago and inbox rows of events applied 30 days ago (every service runs
a relay in ``stride events``, so every service's tables are kept small).

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
from shared.events import inbox, metrics, outbox
from shared.events.envelope import MAX_ENVELOPE_BYTES, utcnow
from shared.events.publishers import OutgoingMessage, Publisher, PublishError, PublishResult
from shared.observability import Heartbeat

log = structlog.get_logger(__name__)

SENT_RETENTION = timedelta(days=7)
#: longer than any message stays queued (retries included), so a late redelivery is
#: still recognised as a duplicate
INBOX_RETENTION = timedelta(days=30)
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
        max_attempts: int = outbox.DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        self.service = service
        self.database = database
        self.publisher = publisher
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.heartbeat = heartbeat or Heartbeat(None)
        self.max_attempts = max_attempts
        self.stopping = threading.Event()
        self._last_purge: float | None = None  # purge once at start, then hourly

    def relay_once(self) -> int:
        """Publish one batch of unsent events; returns how many were confirmed."""
        with self.database.unit_of_work() as session:
            pending = outbox.claim_unsent(session, self.batch_size)
            if not pending:
                return 0
            messages, too_large = [], {}
            for event in pending:
                body = event.body.encode()
                if len(body) > MAX_ENVELOPE_BYTES:
                    too_large[event.id] = f"{len(body)} bytes: larger than {MAX_ENVELOPE_BYTES}"
                else:
                    messages.append(OutgoingMessage(event.id, event.event_type, body))
            result = self.publisher.publish_batch(messages) if messages else PublishResult()
            outbox.mark_sent(session, result.confirmed, utcnow())
            attempts = {event.id: event.publish_attempts for event in pending}
            dead = outbox.mark_failed(
                session, result.failed, attempts, max_attempts=self.max_attempts
            )
            dead += outbox.mark_failed(session, too_large, attempts, max_attempts=1)
            session.commit()
        metrics.OUTBOX_PUBLISHED.labels(self.service).inc(len(result.confirmed))
        if result.failed:
            metrics.OUTBOX_FAILED.labels(self.service).inc(len(result.failed))
            log.warning("outbox.publish_refused", service=self.service, failures=result.failed)
        if dead:
            metrics.OUTBOX_DEAD.labels(self.service).inc(len(dead))
            log.error(
                "outbox.events_dead",
                service=self.service,
                event_ids=dead,
                hint=f"stride outbox list {self.service}",
            )
        return len(result.confirmed)

    def purge_if_due(self) -> None:
        now = time.monotonic()
        if self._last_purge is not None and now - self._last_purge < PURGE_EVERY_SECONDS:
            return
        self._last_purge = now
        with self.database.unit_of_work() as session:
            purged = outbox.purge_sent(session, SENT_RETENTION)
            forgotten = inbox.purge_processed(session, INBOX_RETENTION)
            session.commit()
        if purged or forgotten:
            log.info("event_tables.purged", service=self.service, outbox=purged, inbox=forgotten)

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
