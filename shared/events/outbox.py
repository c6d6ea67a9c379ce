"""The transactional outbox: events are rows written with the state they describe.

``record_event`` adds the event to the caller's transaction; it becomes visible to
the relay only when that transaction commits, so an event is published if and only
if its state change happened.

A row the broker refuses (nacked: a full queue with ``reject-publish``; too large) is
not claimed again before its ``next_attempt_at``, which backs off from one second to
five minutes; after ``max_attempts`` refusals it is marked dead (``dead_at``), counted
in ``stride_outbox_dead_total`` and left for an operator (``stride outbox list``,
``stride outbox retry``). Newer rows go out meanwhile: a refused row never blocks the
head of the outbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec
import psycopg
import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db import json_rows_insert, outbox_table, rowcount_of
from shared.events.envelope import MAX_ENVELOPE_BYTES, Envelope, EnvelopeError, utcnow
from shared.recordsets import insert_rows

FIRST_RETRY = timedelta(seconds=1)
LONGEST_RETRY = timedelta(minutes=5)
DEFAULT_MAX_ATTEMPTS = 20


class EventTooLarge(EnvelopeError):
    """An event larger than any consumer accepts (and than the broker's limit)."""


def _body_of(envelope: Envelope) -> str:
    body = envelope.to_json()
    size = len(body.encode())
    if size > MAX_ENVELOPE_BYTES:
        raise EventTooLarge(
            f"{envelope.type} {envelope.id} is {size} bytes; events may hold {MAX_ENVELOPE_BYTES}"
        )
    return body


def record_event(session: Session, envelope: Envelope) -> None:
    """Add ``envelope`` to the outbox inside the session's current transaction.

    Raises ``EventTooLarge`` (before anything is written) for an event no consumer
    would accept.
    """
    session.execute(
        outbox_table.insert().values(
            id=envelope.id,
            event_type=envelope.type,
            body=_body_of(envelope),
            created_at=utcnow(),
        )
    )


def outbox_rows(envelopes: Sequence[Envelope]) -> list[dict[str, Any]]:
    """The outbox rows of ``envelopes`` (``EventTooLarge`` for one no consumer accepts)."""
    now = utcnow()
    return [
        {"id": e.id, "event_type": e.type, "body": _body_of(e), "created_at": now}
        for e in envelopes
    ]


def record_events(session: Session, envelopes: Sequence[Envelope]) -> None:
    """Add ``envelopes`` to the outbox in one statement (on PostgreSQL, their rows as one
    JSON parameter: ``shared.recordsets.insert_rows``)."""
    insert_rows(session, outbox_table, outbox_rows(envelopes), plain=True)


_OUTBOX_ROWS_INSERT = json_rows_insert(outbox_table, ("id", "event_type", "body", "created_at"))
_ENCODER = msgspec.json.Encoder()


def record_events_on_driver(cursor: psycopg.Cursor[Any], envelopes: Sequence[Envelope]) -> None:
    """``record_events`` on the driver's connection (PostgreSQL, ``shared.db.driver_transaction``),
    for a hot path that writes without SQLAlchemy: one statement for all the events."""
    if envelopes:
        cursor.execute(_OUTBOX_ROWS_INSERT, (_ENCODER.encode(outbox_rows(envelopes)).decode(),))


@dataclass(frozen=True)
class PendingEvent:
    id: str
    event_type: str
    body: str
    publish_attempts: int = 0


def claim_unsent(session: Session, limit: int) -> list[PendingEvent]:
    """Lock up to ``limit`` unsent events that are due, oldest first, skipping rows
    another relay holds, rows waiting out a refusal and dead rows.

    The relay never polls by ``id > last_seen``: transactions commit out of order, so
    a row with a smaller key can appear after a larger one was published.

    On PostgreSQL the transaction forbids sorts (``SET LOCAL enable_sort = off``), so
    the oldest rows come from the partial index of unsent rows in its order. Without
    it, statistics taken before a burst (autovacuum analyzes a table at most once a
    minute) make the planner expect a few unsent rows and sort all of them, on disk:
    250 ms a claim with 78,000 unsent rows instead of 1 ms.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text(CLAIM_SETTING))
    return [
        PendingEvent(row.id, row.event_type, row.body, row.publish_attempts)
        for row in session.execute(claim_query(limit))
    ]


#: what a claim's transaction sets on PostgreSQL (see ``claim_unsent``)
CLAIM_SETTING = "SET LOCAL enable_sort = off"


def claim_query(limit: int) -> sa.Select[Any]:
    """The oldest due unsent rows, locked, skipping those another relay holds."""
    columns = outbox_table.c
    return (
        sa.select(columns.id, columns.event_type, columns.body, columns.publish_attempts)
        .where(
            columns.sent_at.is_(None),
            columns.dead_at.is_(None),
            sa.or_(columns.next_attempt_at.is_(None), columns.next_attempt_at <= utcnow()),
        )
        .order_by(columns.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def retry_delay(attempts: int) -> timedelta:
    """How long a row refused ``attempts`` times waits before it is claimed again."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def mark_sent(session: Session, event_ids: Sequence[str], at: datetime) -> None:
    if event_ids:
        session.execute(
            outbox_table.update()
            .where(outbox_table.c.id.in_(list(event_ids)))
            .values(sent_at=at, last_error=None)
        )


def mark_failed(
    session: Session,
    failures: dict[str, str],
    attempts_before: dict[str, int],
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> list[str]:
    """Record refusals: each row waits its backoff, or is dead after ``max_attempts``.

    Returns the ids of the rows that died now.
    """
    now = utcnow()
    dead = []
    for event_id, error in failures.items():
        attempts = attempts_before.get(event_id, 0) + 1
        values: dict[str, object] = {"publish_attempts": attempts, "last_error": error[:2000]}
        if attempts >= max_attempts:
            values["dead_at"] = now
            dead.append(event_id)
        else:
            values["next_attempt_at"] = now + retry_delay(attempts)
        session.execute(outbox_table.update().where(outbox_table.c.id == event_id).values(values))
    return dead


@dataclass(frozen=True)
class DeadEvent:
    id: str
    event_type: str
    publish_attempts: int
    last_error: str | None
    dead_at: datetime


def list_dead(session: Session, limit: int = 100) -> list[DeadEvent]:
    columns = outbox_table.c
    query = (
        sa.select(
            columns.id,
            columns.event_type,
            columns.publish_attempts,
            columns.last_error,
            columns.dead_at,
        )
        .where(columns.dead_at.is_not(None), columns.sent_at.is_(None))
        .order_by(columns.created_at)
        .limit(limit)
    )
    return [DeadEvent(*row) for row in session.execute(query)]


def count_dead(session: Session) -> int:
    query = sa.select(sa.func.count()).select_from(outbox_table)
    query = query.where(outbox_table.c.dead_at.is_not(None), outbox_table.c.sent_at.is_(None))
    return int(session.execute(query).scalar_one())


def revive_dead(session: Session, event_id: str | None = None) -> int:
    """Make dead rows (all, or one) due again with a fresh attempt count."""
    statement = outbox_table.update().where(
        outbox_table.c.dead_at.is_not(None), outbox_table.c.sent_at.is_(None)
    )
    if event_id is not None:
        statement = statement.where(outbox_table.c.id == event_id)
    values = {"dead_at": None, "next_attempt_at": None, "publish_attempts": 0}
    return rowcount_of(session.execute(statement.values(values)))


def count_unsent(session: Session) -> int:
    """Events not yet published, dead ones included."""
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
