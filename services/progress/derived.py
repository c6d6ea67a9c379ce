"""The enrollment's derived fields, and the events their changes cause.

After any recorded work (or a new outline) ``refresh`` recomputes percentage and
position with the domain's ``derive_progress``, moves the status, and records in the
outbox of the same transaction: ``progress.status.changed``,
``progress.course.completed`` (on reaching ``completed``) and, once per enrollment,
``progress.certificate.requested`` when the certificate criteria are first met.

Events are inserted into the outbox at once, or, given an ``outbox`` list, appended
to it for the caller to insert with the rest of its batch (``record_events``).

Both work on ``ProgressFields``: an ORM ``Enrollment`` (the API) or a plain
``store.ProgressRow`` (event batches, written back in one statement).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session

from services.progress import entries
from services.progress.domain import (
    CourseWork,
    EnrollmentStatus,
    Outline,
    average_score,
    derive_progress,
)
from shared.events import Envelope, record_event
from shared.events.envelope import to_iso

PRODUCER = "progress"

Entry = TypeVar("Entry")


class ProgressFields(Protocol):
    """The enrollment fields recorded work reads and derives."""

    id: str
    student_id: str
    course_id: str
    status: str
    completed_lessons: list[dict[str, Any]]
    completed_quizzes: list[dict[str, Any]]
    completed_assignments: list[dict[str, Any]]
    progress_percentage: int
    current_module_id: str | None
    current_lesson_id: str | None
    completed_at: datetime | None
    certificate_issued: bool
    certificate_requested_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class Occasion:
    """When a change is made, and what caused it (the request id or the event id)."""

    now: datetime
    correlation_id: str | None


def emit(
    session: Session,
    enrollment: ProgressFields,
    event_type: str,
    payload: dict[str, Any],
    occasion: Occasion,
    outbox: list[Envelope] | None = None,
) -> None:
    """Record a ``progress.*`` event about ``enrollment`` in the session's transaction."""
    body = {
        "enrollment_id": enrollment.id,
        "student_id": enrollment.student_id,
        "course_id": enrollment.course_id,
        **payload,
    }
    envelope = Envelope(
        type=event_type,
        producer=PRODUCER,
        subject=enrollment.student_id,
        course_id=enrollment.course_id,
        correlation_id=occasion.correlation_id,
        payload=body,
    )
    if outbox is None:
        record_event(session, envelope)
    else:
        outbox.append(envelope)


def refresh(
    session: Session,
    enrollment: ProgressFields,
    outline: Outline,
    occasion: Occasion,
    *,
    after_student_work: bool,
    outbox: list[Envelope] | None = None,
) -> None:
    """Recompute the derived fields; emit status, completion and certificate events."""
    work = work_of(enrollment)
    previous = EnrollmentStatus(enrollment.status)
    derived = derive_progress(outline, work, previous, after_student_work=after_student_work)
    enrollment.progress_percentage = derived.progress_percentage
    enrollment.current_module_id = derived.current_module_id
    enrollment.current_lesson_id = derived.current_lesson_id
    enrollment.updated_at = occasion.now
    change_status(
        session, enrollment, derived.status, occasion, reason="student_work", outbox=outbox
    )
    if (
        derived.certificate_earned
        and not enrollment.certificate_issued
        and enrollment.certificate_requested_at is None
    ):
        enrollment.certificate_requested_at = occasion.now
        payload = {
            "completed_at": None
            if enrollment.completed_at is None
            else to_iso(enrollment.completed_at),
            "average_score": average_score(outline, work),
            "progress_percentage": enrollment.progress_percentage,
            "requested_at": to_iso(occasion.now),
        }
        emit(session, enrollment, "progress.certificate.requested", payload, occasion, outbox)


def change_status(
    session: Session,
    enrollment: ProgressFields,
    new: EnrollmentStatus,
    occasion: Occasion,
    *,
    reason: str,
    outbox: list[Envelope] | None = None,
) -> None:
    """Set the status if it changes, with ``progress.status.changed`` (and completion)."""
    previous = EnrollmentStatus(enrollment.status)
    if new is previous:
        return
    enrollment.status = new.value
    enrollment.updated_at = occasion.now
    enrollment.completed_at = occasion.now if new is EnrollmentStatus.COMPLETED else None
    payload = {"from_status": previous.value, "to_status": new.value, "reason": reason}
    emit(session, enrollment, "progress.status.changed", payload, occasion, outbox)
    if new is EnrollmentStatus.COMPLETED:
        completed = {
            "completed_at": to_iso(occasion.now),
            "progress_percentage": enrollment.progress_percentage,
        }
        emit(session, enrollment, "progress.course.completed", completed, occasion, outbox)


def work_of(enrollment: ProgressFields) -> CourseWork:
    """The student's work, from the stored entries.

    Lesson entries are parsed only when read: deriving progress asks only which
    lessons are completed, and an enrollment holds more lessons than anything else.
    """
    return CourseWork(
        lessons=ParsedOnRead(enrollment.completed_lessons, "lesson_id", entries.lesson_from_json),
        quizzes={
            raw["quiz_id"]: entries.quiz_from_json(raw) for raw in enrollment.completed_quizzes
        },
        assignments={
            raw["assignment_id"]: entries.assignment_from_json(raw)
            for raw in enrollment.completed_assignments
        },
    )


class ParsedOnRead(Mapping[str, Entry]):
    """Stored entries by their item id, each parsed from its JSON when it is read."""

    def __init__(
        self,
        stored: Iterable[Mapping[str, Any]],
        key: str,
        parse: Callable[[Mapping[str, Any]], Entry],
    ) -> None:
        self._stored = {raw[key]: raw for raw in stored}
        self._parse = parse

    def __getitem__(self, item_id: str) -> Entry:
        return self._parse(self._stored[item_id])

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._stored

    def __iter__(self) -> Iterator[str]:
        return iter(self._stored)

    def __len__(self) -> int:
        return len(self._stored)
