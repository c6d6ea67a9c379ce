"""Activity logs from the activity service, applied a consumer batch at a time.

Each event carries a batch of logs of many students; a consumer batch of such events
costs one statement for the advisory locks of all its (student, course) keys, one
query per thousand logs for the ids already counted, one ``SELECT ... FOR UPDATE``
for the enrollments, each course outline once, one insert of the newly counted logs
and one of the outgoing events. Counting runs event by event, in the batch's order,
with the domain's functions, so a batch leaves the enrollments as its events applied
one at a time would.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.progress import entries
from services.progress.derived import Occasion, refresh
from services.progress.domain import (
    ActivityRecord,
    activities_not_yet_counted,
    local_date_of,
    record_activities,
)
from services.progress.models import CountedActivity
from services.progress.store import enrollments_by_keys, lock_students_courses, outlines_of
from shared.errors import Conflict
from shared.events import Envelope
from shared.events.outbox import record_events

StudentCourse = tuple[str, str]
LOOKUP_CHUNK = 1000


@dataclass(frozen=True)
class ActivityReport:
    """One event's activity logs, grouped by (student, course) in key order."""

    groups: dict[StudentCourse, list[ActivityRecord]]
    time_zone: str | None
    occasion: Occasion


def apply_activity_reports(session: Session, reports: Sequence[ActivityReport]) -> None:
    """Count the logs not counted before: time spent, last access and streak per enrollment.

    Raises ``Conflict`` (an enrolled course without outline) before anything is written.
    """
    keys = sorted({key for report in reports for key in report.groups})
    if not keys:
        return
    lock_students_courses(session, keys)
    # Reads and writes are explicit statements: nothing pending needs flushing first.
    with session.no_autoflush:
        counted = _counted_ids(session, reports)
        enrolled = {
            (e.student_id, e.course_id): e
            for e in enrollments_by_keys(session, keys, for_update=True)
        }
        outlines = outlines_of(session, {course_id for _student, course_id in enrolled})
        new_rows: list[dict[str, Any]] = []
        outbox: list[Envelope] = []
        for report in reports:
            for (student_id, course_id), records in report.groups.items():
                fresh = activities_not_yet_counted(records, counted[(student_id, course_id)])
                if not fresh:
                    continue
                counted[(student_id, course_id)].update(r.activity_id for r in fresh)
                enrollment = enrolled.get((student_id, course_id))
                zone = report.time_zone or (
                    enrollment.time_zone if enrollment is not None else "UTC"
                )
                new_rows.extend(
                    {
                        "student_id": student_id,
                        "course_id": course_id,
                        "activity_id": record.activity_id,
                        "occurred_at": record.occurred_at,
                        "duration_seconds": record.duration_seconds or 0.0,
                        "local_date": local_date_of(record.occurred_at, zone),
                    }
                    for record in fresh
                )
                if enrollment is None:
                    continue
                enrollment.time_zone = zone
                engagement = record_activities(entries.engagement_of(enrollment), fresh, zone)
                entries.store_engagement(enrollment, engagement)
                outline = outlines.get(course_id)
                if outline is None:
                    raise Conflict(f"course {course_id!r} has no outline yet: publish it first")
                refresh(
                    session,
                    enrollment,
                    outline,
                    report.occasion,
                    after_student_work=True,
                    outbox=outbox,
                )
        if new_rows:
            session.execute(cast(sa.Table, CountedActivity.__table__).insert(), new_rows)
        record_events(session, outbox)


def _counted_ids(
    session: Session, reports: Sequence[ActivityReport]
) -> defaultdict[StudentCourse, set[str]]:
    """The reports' activity ids already counted, by (student, course)."""
    wanted = sorted(
        {
            (student_id, course_id, record.activity_id)
            for report in reports
            for (student_id, course_id), records in report.groups.items()
            for record in records
        }
    )
    counted: defaultdict[StudentCourse, set[str]] = defaultdict(set)
    activity = CountedActivity
    for chunk in _chunks(wanted, LOOKUP_CHUNK):
        query = sa.select(activity.student_id, activity.course_id, activity.activity_id).where(
            sa.tuple_(activity.student_id, activity.course_id, activity.activity_id).in_(chunk)
        )
        for student_id, course_id, activity_id in session.execute(query):
            counted[(student_id, course_id)].add(activity_id)
    return counted


def _chunks(items: list[tuple[str, str, str]], size: int) -> Iterator[list[tuple[str, str, str]]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
