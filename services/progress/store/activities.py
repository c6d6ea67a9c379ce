"""Activity logs already counted, per (student, course): each activity id counts once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.progress.domain import Engagement, active_dates_to_keep
from services.progress.domain.values import add_seconds
from services.progress.models import CountedActivity
from shared.recordsets import chunks, keys_in

StudentCourse = tuple[str, str]
LOOKUP_CHUNK = 1000


def counted_ids(
    session: Session, activities: Iterable[tuple[str, str, str]]
) -> defaultdict[StudentCourse, set[str]]:
    """Which of these (student, course, activity id) are counted, by (student, course).

    One query per ``LOOKUP_CHUNK`` activities.
    """
    counted: defaultdict[StudentCourse, set[str]] = defaultdict(set)
    activity = CountedActivity
    for chunk in chunks(sorted(set(activities)), LOOKUP_CHUNK):
        query = sa.select(activity.student_id, activity.course_id, activity.activity_id).where(
            sa.tuple_(activity.student_id, activity.course_id, activity.activity_id).in_(chunk)
        )
        for student_id, course_id, activity_id in session.execute(query):
            counted[(student_id, course_id)].add(activity_id)
    return counted


def insert_counted(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Record newly counted activities (one statement)."""
    if rows:
        session.execute(cast(sa.Table, CountedActivity.__table__).insert(), rows)


def engagement_from_counted(session: Session, student_id: str, course_id: str) -> Engagement:
    """The engagement figures of every activity counted for (student, course)."""
    rows = session.execute(
        sa.select(CountedActivity)
        .where(CountedActivity.student_id == student_id, CountedActivity.course_id == course_id)
        .order_by(CountedActivity.activity_id)
    ).scalars()
    return _engagement_of(rows)


def engagements_from_counted(
    session: Session, keys: Collection[StudentCourse]
) -> dict[StudentCourse, Engagement]:
    """``engagement_from_counted`` of many (student, course) keys in one query; the keys
    without any counted activity are absent."""
    if not keys:
        return {}
    activity = CountedActivity
    rows = session.execute(
        sa.select(activity)
        .where(keys_in(session, [activity.student_id, activity.course_id], keys))
        .order_by(activity.student_id, activity.course_id, activity.activity_id)
    ).scalars()
    grouped: defaultdict[StudentCourse, list[CountedActivity]] = defaultdict(list)
    for row in rows:
        grouped[(row.student_id, row.course_id)].append(row)
    return {key: _engagement_of(counted) for key, counted in grouped.items()}


def _engagement_of(rows: Iterable[CountedActivity]) -> Engagement:
    """The figures of counted activities, summed in activity id order."""
    total, latest, dates = 0.0, None, set[date]()
    for row in rows:
        total = add_seconds(total, row.duration_seconds)
        latest = row.occurred_at if latest is None else max(latest, row.occurred_at)
        dates.add(row.local_date)
    return Engagement(latest, total, active_dates_to_keep(dates))
