"""Event handlers of the analytics service, registered by event type.

The registry is also the service's subscription: its queue ``stride.analytics`` is bound
to exactly the event types registered here.

Idempotency: the inbox makes a redelivered event a no-op, and beneath it every fact is
stored once under its natural key (``store.insert_new``), so the same fact arriving
in another event, or events in any order, leave the same projections. A payload that
breaks its contract raises ``ContractError``: parked at once with its reason, nothing
of it written. Each handler also marks the (student, course) pairs it touched; the
worker's ``refresh_pending`` re-assesses each pair once (``tasks.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from services.analytics import events, usecases
from shared.events import Envelope, HandlerRegistry
from shared.time import utcnow

registry = HandlerRegistry("analytics")


@registry.handles_batch("activity.logs.recorded")
def record_activity_logs(batch: Sequence[Envelope], session: Session) -> None:
    usecases.record_activities(
        session, [fact for event in batch for fact in events.activity_facts(event)], utcnow()
    )


@registry.handles_batch(
    "attempts.attempt.started", "attempts.attempt.submitted", "attempts.attempt.graded"
)
def record_attempts(batch: Sequence[Envelope], session: Session) -> None:
    usecases.record_attempt_reports(
        session, [events.attempt_report(event) for event in batch], utcnow()
    )


@registry.handles_batch("progress.lesson.completed")
def record_lesson_completions(batch: Sequence[Envelope], session: Session) -> None:
    usecases.record_lesson_completions(
        session, [events.lesson_completion(event) for event in batch], utcnow()
    )


@registry.handles_batch("progress.assignment.recorded")
def record_assignments(batch: Sequence[Envelope], session: Session) -> None:
    usecases.record_assignment_reports(
        session, [events.assignment_report(event) for event in batch], utcnow()
    )


@registry.handles_batch("progress.enrolled", "progress.status.changed", "progress.course.completed")
def record_enrollments(batch: Sequence[Envelope], session: Session) -> None:
    usecases.record_enrollment_reports(
        session, [events.enrollment_report(event) for event in batch], utcnow()
    )


@registry.handles_batch("progress.outline.published")
def record_outlines(batch: Sequence[Envelope], session: Session) -> None:
    usecases.record_outlines(session, [events.course_outline(event) for event in batch], utcnow())
