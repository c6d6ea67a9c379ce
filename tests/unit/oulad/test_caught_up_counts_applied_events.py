"""Caught up means applied: an event progress published that analytics' consumer holds
unacknowledged (the broker counts it neither ready nor gone) is still a backlog, found by
comparing progress' outbox with analytics' inbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from shared.db import Database, inbox_table, outbox_table, platform_metadata
from shared.oulad.catchup import Backlog, unapplied_events

pytestmark = pytest.mark.unit

SINCE = datetime(2026, 1, 1, tzinfo=UTC)
TYPES = ("progress.enrolled", "progress.assignment.recorded")


def database() -> Database:
    db = Database("sqlite://")
    platform_metadata.create_all(db.engine)
    return db


def publish(db: Database, event_id: str, event_type: str, at: datetime) -> None:
    with db.unit_of_work() as session:
        session.execute(
            sa.insert(outbox_table).values(
                id=event_id, event_type=event_type, body="{}", created_at=at, sent_at=at
            )
        )
        session.commit()


def apply(db: Database, event_id: str, event_type: str, at: datetime) -> None:
    with db.unit_of_work() as session:
        session.execute(
            sa.insert(inbox_table).values(
                consumer="analytics", event_id=event_id, event_type=event_type, processed_at=at
            )
        )
        session.commit()


def count(progress: Database, analytics: Database) -> int:
    with progress.unit_of_work() as p, analytics.unit_of_work() as a:
        return unapplied_events(p, a, "analytics", TYPES, SINCE)


def test_published_events_not_in_the_consumers_inbox_are_unapplied():
    progress, analytics = database(), database()
    later = SINCE + timedelta(seconds=1)
    for i in range(3):
        publish(progress, f"e{i}", "progress.enrolled", later)
    # an event analytics does not subscribe to, and one from before the wait began
    publish(progress, "other", "progress.note.saved", later)
    publish(progress, "old", "progress.enrolled", SINCE - timedelta(days=1))
    assert count(progress, analytics) == 3

    apply(analytics, "e0", "progress.enrolled", later)
    apply(analytics, "e1", "progress.enrolled", later)
    assert count(progress, analytics) == 1

    apply(analytics, "e2", "progress.enrolled", later)
    assert count(progress, analytics) == 0


def test_as_many_applied_as_published_is_not_enough_when_they_are_other_events():
    progress, analytics = database(), database()
    later = SINCE + timedelta(seconds=1)
    publish(progress, "new", "progress.enrolled", later)
    # an event published before the wait began, applied only now: the counts are equal,
    # yet the new event is still unapplied
    apply(analytics, "old", "progress.enrolled", later)
    assert count(progress, analytics) == 1


def test_an_unapplied_event_is_a_backlog():
    assert not Backlog(unsent=0, queued=0, unapplied=2).empty
    assert Backlog(unsent=0, queued=0, unapplied=0).empty
