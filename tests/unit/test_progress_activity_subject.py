"""Progress refuses activity logs that are not all of the event's subject."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from services.progress.handlers import registry
from shared.errors import InvalidInput
from shared.events import Envelope

pytestmark = pytest.mark.unit


def logs(subject: str | None, *students: str) -> Envelope:
    return Envelope(
        type="activity.logs.recorded",
        producer="activity",
        subject=subject,
        payload={
            "records": [
                {
                    "id": f"LOG-{n}",
                    "student_id": student,
                    "course_id": "CRS-1",
                    "timestamp": "2026-11-02T10:00:00Z",
                    "activity_type": "lesson_view",
                }
                for n, student in enumerate(students)
            ]
        },
    )


@pytest.mark.parametrize(
    "event",
    [logs("USR-STU-1", "USR-STU-1", "USR-STU-2"), logs(None, "USR-STU-1")],
    ids=["another student", "no subject"],
)
def test_logs_of_anyone_but_the_subject_are_refused(event: Envelope) -> None:
    handler = registry.handler_for("activity.logs.recorded")
    assert handler is not None
    with pytest.raises(InvalidInput) as refused:
        handler(event, Session())  # refused before the session is used
    assert "student_id" in str(refused.value.fields) or "subject" in str(refused.value.fields)
