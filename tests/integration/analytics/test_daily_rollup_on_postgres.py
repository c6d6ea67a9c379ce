"""The daily roll-up on PostgreSQL: ``usecases.aggregate_days`` (the nightly task's work)
on a migrated analytics database, late records of rolled-up days included, leaves the
documents, achievements, class view and recomputed risk levels as every record gives
them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

import services.analytics
from services.analytics import usecases
from services.analytics.models import activity_days, aggregated_days
from shared.db import Database
from shared.migrations import upgrade
from tests.unit.analytics.streams import (
    OTHER_STUDENT,
    STUDENT,
    activity,
    apply,
    at,
    enrolled,
    lesson_completed,
    record,
    submitted,
)
from tests.unit.analytics.test_daily_rollup import NOW, outputs

pytestmark = pytest.mark.integration

MIGRATIONS = Path(services.analytics.__file__).parent / "migrations"
GRACE = timedelta(hours=48)
TYPES = ["login", "lesson_start", "video_play", "quiz_start", "idle"]


def records(student: str, first: int, count: int) -> list[dict[str, object]]:
    return [
        record(
            f"LOG-{student}-{n}",
            TYPES[n % len(TYPES)],
            at(n % 40, hours=n % 23 - 8),
            student=student,
            duration=60 * (n % 7),
            session=None if n % 4 else f"S-{n % 3}",
            lesson_id=f"LSN-{n % 3}" if TYPES[n % len(TYPES)] == "lesson_start" else None,
        )
        for n in range(first, first + count)
    ]


EARLY = [
    enrolled(at(0)),
    enrolled(at(1), student=OTHER_STUDENT),
    activity(records(STUDENT, 0, 50), time_zone="Asia/Tokyo"),
    activity(records(OTHER_STUDENT, 0, 30), student=OTHER_STUDENT),
    lesson_completed("LSN-1", at(3)),
    submitted("AT-1", "QZ-1", at(30), 80.0),
    submitted("AT-2", "QZ-1", at(12), 55.0, student=OTHER_STUDENT),
]
#: records of days rolled up by then (and of later ones)
LATE = [
    activity(records(STUDENT, 50, 30), time_zone="America/New_York"),
    activity(records(OTHER_STUDENT, 30, 5), student=OTHER_STUDENT),
]


def database_of(make_postgres_database: Callable[[str], str]) -> Database:
    url = make_postgres_database("analytics")
    upgrade("analytics", url, MIGRATIONS)
    return Database(url)


def test_reads_with_the_roll_up_on_postgres_give_what_every_record_gives(
    make_postgres_database: Callable[[str], str],
) -> None:
    rolled, every = database_of(make_postgres_database), database_of(make_postgres_database)
    try:
        with rolled.unit_of_work() as session:
            apply(session, EARLY)
            session.commit()
        first = usecases.aggregate_days(rolled, at(38), GRACE)
        assert first.days == 36  # days 0 to 35
        with rolled.unit_of_work() as session:
            apply(session, LATE + LATE)
            session.commit()
            stale = sa.select(sa.func.count()).where(aggregated_days.c.stale.is_(True))
            assert session.execute(stale).scalar_one() > 0
        again = usecases.aggregate_days(rolled, NOW, GRACE)
        assert again.days > 7  # days 36 to 42, and the stale ones
        assert usecases.aggregate_days(rolled, NOW, GRACE).days == 0
        with rolled.unit_of_work() as session:
            rows = session.execute(
                sa.select(activity_days).order_by(*activity_days.primary_key)
            ).all()
        usecases.aggregate_days(rolled, NOW, GRACE, at(5).date())
        with rolled.unit_of_work() as session:
            assert (
                session.execute(sa.select(activity_days).order_by(*activity_days.primary_key)).all()
                == rows
            )
            counted = session.execute(sa.select(sa.func.sum(activity_days.c.records))).scalar_one()
            assert counted == 50 + 30 + 30 + 5  # every record once, the late ones included
            with_roll_up = outputs(session)
        with every.unit_of_work() as session:
            apply(session, EARLY + LATE)
            session.commit()
            assert outputs(session) == with_roll_up
    finally:
        rolled.dispose()
        every.dispose()
