"""The inbox: which events a consumer has already applied.

A consumer records ``(consumer, event_id)`` in the same transaction as the event's
effect. A redelivered event finds its row and changes nothing; two consumers racing on
the same event collide on the primary key, and the loser's transaction applies nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shared.db import inbox_table, rowcount_of
from shared.events.envelope import Envelope, utcnow
from shared.recordsets import insert_rows


def record_first_delivery(session: Session, consumer: str, envelope: Envelope) -> bool:
    """Record that ``consumer`` applies ``envelope``; False if it already did."""
    values = {
        "consumer": consumer,
        "event_id": envelope.id,
        "event_type": envelope.type,
        "processed_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(inbox_table).values(**values).on_conflict_do_nothing()
    return bool(rowcount_of(session.execute(statement)))


def record_first_deliveries(
    session: Session, consumer: str, envelopes: Sequence[Envelope]
) -> set[str]:
    """Record a batch in one statement; returns the ids not applied before."""
    if not envelopes:
        return set()
    now = utcnow()
    rows = {
        e.id: {"consumer": consumer, "event_id": e.id, "event_type": e.type, "processed_at": now}
        for e in envelopes
    }
    # One statement for the batch, the rows as one parameter on PostgreSQL.
    inserted = insert_rows(
        session, inbox_table, list(rows.values()), returning=inbox_table.c.event_id
    )
    return set(inserted)


def purge_processed(session: Session, older_than: timedelta) -> int:
    """Forget events applied more than ``older_than`` ago.

    Safe once ``older_than`` exceeds the longest time a message can stay in a queue.
    """
    cutoff = utcnow() - older_than
    result = session.execute(inbox_table.delete().where(inbox_table.c.processed_at < cutoff))
    return rowcount_of(result)
