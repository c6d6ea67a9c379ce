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

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from services.progress.domain import (
    activities_not_yet_counted,
    local_date_of,
    record_activities,
)
from services.progress.events import ActivityReport
from services.progress.store.activities import counted_ids, insert_counted
from services.progress.store.enrollment_progress import keep_progress, progress_of
from services.progress.store.enrollments import enrollments_by_keys, lock_students_courses
from services.progress.store.entries import engagement_of, store_engagement
from services.progress.store.outlines import no_outline, outlines_of
from services.progress.usecases.derivation import refresh
from shared.events import Envelope
from shared.events.outbox import record_events


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
        counted = counted_ids(
            session,
            (
                (student_id, course_id, record.activity_id)
                for report in reports
                for (student_id, course_id), records in report.groups.items()
                for record in records
            ),
        )
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
                store_engagement(
                    enrollment, record_activities(engagement_of(enrollment), fresh, zone)
                )
                outline = outlines.get(course_id)
                if outline is None:
                    raise no_outline(course_id)
                progress = progress_of(enrollment)
                refresh(progress, outline, report.occasion, outbox, after_student_work=True)
                keep_progress(enrollment, progress)
        insert_counted(session, new_rows)
        record_events(session, outbox)
