"""The transactional outbox: events are rows written with the state they describe.

``record_event`` adds the event to the caller's transaction; it becomes visible to
the relay only when that transaction commits, so an event is published if and only
if its state change happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db import outbox_table, rowcount_of
from shared.events.envelope import Envelope, utcnow


def record_event(session: Session, envelope: Envelope) -> None:
    """Add ``envelope`` to the outbox inside the session's current transaction."""
    session.execute(
        outbox_table.insert().values(
            id=envelope.id,
            event_type=envelope.type,
            body=envelope.to_json(),
            created_at=utcnow(),
        )
    )


def record_events(session: Session, envelopes: Sequence[Envelope]) -> None:
    if not envelopes:
        return
    now = utcnow()
    session.execute(
        outbox_table.insert(),
        [
            {"id": e.id, "event_type": e.type, "body": e.to_json(), "created_at": now}
            for e in envelopes
        ],
    )


@dataclass(frozen=True)
class PendingEvent:
    id: str
    event_type: str
    body: str


def claim_unsent(session: Session, limit: int) -> list[PendingEvent]:
    """Lock up to ``limit`` unsent events, oldest first, skipping rows another relay holds.

    The relay never polls by ``id > last_seen``: transactions commit out of order, so
    a row with a smaller key can appear after a larger one was published.
    """
    query = (
        sa.select(outbox_table.c.id, outbox_table.c.event_type, outbox_table.c.body)
        .where(outbox_table.c.sent_at.is_(None))
        .order_by(outbox_table.c.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [PendingEvent(row.id, row.event_type, row.body) for row in session.execute(query)]


def mark_sent(session: Session, event_ids: Sequence[str], at: datetime) -> None:
    if event_ids:
        session.execute(
            outbox_table.update()
            .where(outbox_table.c.id.in_(list(event_ids)))
            .values(sent_at=at, last_error=None)
        )


def mark_failed(session: Session, failures: dict[str, str]) -> None:
    for event_id, error in failures.items():
        session.execute(
            outbox_table.update()
            .where(outbox_table.c.id == event_id)
            .values(
                publish_attempts=outbox_table.c.publish_attempts + 1,
                last_error=error[:2000],
            )
        )


def count_unsent(session: Session) -> int:
    query = sa.select(sa.func.count()).select_from(outbox_table)
    return int(session.execute(query.where(outbox_table.c.sent_at.is_(None))).scalar_one())


def purge_sent(session: Session, older_than: timedelta) -> int:
    """Delete events published more than ``older_than`` ago; returns how many."""
    cutoff = utcnow() - older_than
    result = session.execute(
        outbox_table.delete().where(
            outbox_table.c.sent_at.is_not(None), outbox_table.c.sent_at < cutoff
        )
    )
    return rowcount_of(result)
