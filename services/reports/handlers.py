"""Event handlers of the reports service, registered by event type.

The registry is also the service's subscription: its queue ``stride.reports`` is bound
to exactly the event types registered here.

Idempotency: the inbox makes a redelivered event a no-op; on top of that every
projection is keyed by the event's natural id (completion, attempt, enrollment,
achievement, risk assessment's moment) and merges order-independently (latest state by
the event's own time, grading over submission), and a certificate is rendered once per
enrollment. A payload that breaks
its contract raises ``ContractError``: the consumer parks it with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from services.reports import events, usecases
from shared.config import load_settings
from shared.errors import InvalidInput
from shared.events import Envelope, HandlerRegistry

registry = HandlerRegistry("reports")

MAX_ID_LENGTH = 128


@registry.handles_batch("progress.enrolled")
def project_enrollments(batch: Sequence[Envelope], session: Session) -> None:
    usecases.record_enrollments(session, [events.parse_as(e, events.Enrolled) for e in batch])


@registry.handles_batch("progress.course.completed")
def project_course_completions(batch: Sequence[Envelope], session: Session) -> None:
    usecases.record_course_completions(
        session, [events.parse_as(e, events.CourseCompleted) for e in batch]
    )


@registry.handles("progress.lesson.completed")
def project_lesson_completion(event: Envelope, session: Session) -> None:
    usecases.record_lesson_completion(session, events.parse_as(event, events.LessonCompleted))


@registry.handles_batch("progress.assignment.recorded")
def project_assignment_works(batch: Sequence[Envelope], session: Session) -> None:
    usecases.record_assignment_works(
        session,
        [(events.parse_as(e, events.AssignmentRecorded), e.occurred_at) for e in batch],
    )


@registry.handles("attempts.attempt.submitted", "attempts.attempt.graded")
def project_quiz_attempt(event: Envelope, session: Session) -> None:
    graded = event.type == "attempts.attempt.graded"
    contract = events.AttemptGraded if graded else events.AttemptSubmitted
    result = events.parse_as(event, contract)
    for name, value in (("subject", event.subject), ("course_id", event.course_id)):
        if not value or len(value) > MAX_ID_LENGTH:
            raise InvalidInput.for_field(
                name, f"must name the attempt's student and course (1-{MAX_ID_LENGTH} characters)"
            )
    assert event.subject is not None and event.course_id is not None
    usecases.record_quiz_attempt(
        session,
        student_id=event.subject,
        course_id=event.course_id,
        result=result,
        graded=graded,
    )


@registry.handles_batch("analytics.achievement.earned")
def project_achievements(batch: Sequence[Envelope], session: Session) -> None:
    usecases.record_achievements(
        session, [events.parse_as(e, events.AchievementEarned) for e in batch]
    )


@registry.handles_batch("analytics.risk.changed")
def project_risk_levels(batch: Sequence[Envelope], session: Session) -> None:
    usecases.record_risk_levels(session, [events.parse_as(e, events.RiskChanged) for e in batch])


@registry.handles("progress.certificate.requested")
def render_requested_certificate(event: Envelope, session: Session) -> None:
    requested = events.parse_as(event, events.CertificateRequested)
    usecases.issue_certificate(session, load_settings(), requested, correlation_id=event.id)
