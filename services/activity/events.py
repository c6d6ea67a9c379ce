"""The activity service's events, through the contracts of ``shared.events.contracts``.

Out: ``activity.logs.recorded``, one message per student per ingested batch, carrying
that student's newly stored records (never device details or the address hash).
In: none yet (the queue ``stride.activity`` is bound to what ``handlers`` registers).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from shared.events import Envelope
from shared.events.contracts.activity import ActivityLogsRecorded, ActivityRecord

PRODUCER = "activity"


def _record(row: Mapping[str, Any]) -> ActivityRecord:
    return ActivityRecord(
        id=row["id"],
        student_id=row["student_id"],
        timestamp=row["timestamp"],
        activity_type=row["activity_type"],
        activity_category=row["activity_category"],
        course_id=row["course_id"],
        lesson_id=row["lesson_id"],
        quiz_id=row["quiz_id"],
        assignment_id=row["assignment_id"],
        resource_id=row["resource_id"],
        session_id=row["session_id"],
        details=row["details"],
        success=row["success"],
    )


def logs_recorded(
    rows: Iterable[Mapping[str, Any]], *, time_zone: str | None, correlation_id: str | None
) -> list[Envelope]:
    """One ``activity.logs.recorded`` per student of ``rows``, in the order first seen."""
    by_student: dict[str, list[ActivityRecord]] = defaultdict(list)
    for row in rows:
        by_student[row["student_id"]].append(_record(row))
    envelopes = []
    for student_id, records in by_student.items():
        courses = {record.course_id for record in records}
        payload = ActivityLogsRecorded(records=tuple(records), time_zone=time_zone)
        envelopes.append(
            payload.to_envelope(
                producer=PRODUCER,
                subject=student_id,
                course_id=courses.pop() if len(courses) == 1 else None,
                correlation_id=correlation_id,
            )
        )
    return envelopes
