"""Events in and out of the analytics service, through ``shared/events/contracts``.

In: each consumed envelope becomes the facts of ``domain/projections.py`` (a payload that
breaks its contract raises ``ContractError``: the consumer parks it with the reason).
Out: ``analytics.snapshot.updated``, ``analytics.risk.changed`` and
``analytics.achievement.earned`` envelopes for the outbox.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.analytics.domain.projections import (
    ActivityFact,
    AssignmentReport,
    AttemptReport,
    BatchFacts,
    CourseOutline,
    EnrollmentReport,
    EnrollmentReportKind,
    LessonCompletion,
    OutlineItem,
    ReportKind,
    content_type_of,
    kind_of,
)
from shared.events import Envelope
from shared.events.contracts import ContractError, parse_as
from shared.events.contracts.activity import ActivityLogsRecorded
from shared.events.contracts.analytics import AchievementEarned, RiskChanged, SnapshotUpdated
from shared.events.contracts.attempts import AttemptGraded, AttemptStarted, AttemptSubmitted
from shared.events.contracts.progress import (
    AssignmentRecorded,
    CourseCompleted,
    Enrolled,
    EnrollmentEvent,
    LessonCompleted,
    OutlinePublished,
    StatusChanged,
)

PRODUCER = "analytics"
DEFAULT_TIME_ZONE = "UTC"
MAX_ID = 120

E = TypeVar("E", bound=EnrollmentEvent)


def _time_zone(name: str | None) -> str:
    if name is None:
        return DEFAULT_TIME_ZONE
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ContractError(f"time_zone: {name!r} is not an IANA time zone") from exc
    return name


def _envelope_field(value: str | None, name: str) -> str:
    if not value:
        raise ContractError(f"{name}: the envelope must name it")
    if len(value) > MAX_ID:
        raise ContractError(f"{name}: must be at most {MAX_ID} characters")
    return value


def activity_facts(event: Envelope) -> list[ActivityFact]:
    payload = parse_as(event, ActivityLogsRecorded)
    zone = _time_zone(payload.time_zone)
    facts = []
    for record in payload.records:
        if len(record.student_id) > MAX_ID:
            raise ContractError(f"records.student_id: must be at most {MAX_ID} characters")
        details = record.details
        interactions = details.get("interaction_count")
        facts.append(
            ActivityFact(
                record_id=record.id,
                student_id=record.student_id,
                course_id=record.course_id,
                occurred_at=record.timestamp,
                activity_type=record.activity_type,
                kind=kind_of(
                    record.activity_type,
                    lesson_id=record.lesson_id,
                    quiz_id=record.quiz_id,
                    assignment_id=record.assignment_id,
                    resource_id=record.resource_id,
                ),
                content_type=content_type_of(record.activity_type, details.get("content_type")),
                duration_seconds=record.duration_seconds,
                session_id=record.session_id,
                lesson_id=record.lesson_id,
                quiz_id=record.quiz_id,
                assignment_id=record.assignment_id,
                resource_id=record.resource_id,
                interaction_count=interactions
                if isinstance(interactions, int)
                and not isinstance(interactions, bool)
                and 0 <= interactions < 2**31
                else 0,
                page_viewed=isinstance(details.get("page_url"), str),
                time_zone=zone,
            )
        )
    return facts


def attempt_report(event: Envelope) -> AttemptReport:
    student_id = _envelope_field(event.subject, "subject")
    course_id = _envelope_field(event.course_id, "course_id")
    if event.type == "attempts.attempt.started":
        started = parse_as(event, AttemptStarted)
        return AttemptReport(
            attempt_id=started.attempt_id,
            student_id=student_id,
            course_id=course_id,
            quiz_id=started.quiz_id,
            kind=ReportKind.STARTED,
            at=started.started_at,
            attempt_number=started.attempt_number,
            is_practice=started.is_practice,
            completed_at=None,
            time_spent=None,
            score=None,
            passed=False,
        )
    result: AttemptSubmitted | AttemptGraded
    if event.type == "attempts.attempt.submitted":
        result = parse_as(event, AttemptSubmitted)
        kind, at = ReportKind.SUBMITTED, result.completed_at
    else:
        result = parse_as(event, AttemptGraded)
        kind, at = ReportKind.GRADED, result.graded_at
    return AttemptReport(
        attempt_id=result.attempt_id,
        student_id=student_id,
        course_id=course_id,
        quiz_id=result.quiz_id,
        kind=kind,
        at=at,
        attempt_number=result.attempt_number,
        is_practice=result.is_practice,
        completed_at=result.completed_at,
        time_spent=result.time_spent,
        score=None if result.pending_grading else result.score,
        passed=result.passed,
    )


def lesson_completion(event: Envelope) -> LessonCompletion:
    payload = _checked(parse_as(event, LessonCompleted))
    return LessonCompletion(
        student_id=payload.student_id,
        course_id=payload.course_id,
        lesson_id=payload.lesson_id,
        completion_id=payload.completion_id,
        completed_at=payload.completed_at,
        time_spent=payload.time_spent,
        score=payload.score,
    )


def assignment_report(event: Envelope) -> AssignmentReport:
    recorded = _checked(parse_as(event, AssignmentRecorded))
    return AssignmentReport(
        event_id=event.id,
        student_id=recorded.student_id,
        course_id=recorded.course_id,
        assignment_id=recorded.assignment_id,
        action=recorded.action,
        status=recorded.status,
        submitted_at=recorded.submitted_at,
        grade=recorded.grade,
        time_spent=recorded.time_spent,
        occurred_at=event.occurred_at,
    )


def enrollment_report(event: Envelope) -> EnrollmentReport:
    kind: EnrollmentReportKind
    at: datetime
    if event.type == "progress.enrolled":
        enrolled = _checked(parse_as(event, Enrolled))
        base: EnrollmentEvent = enrolled
        kind, at, status = EnrollmentReportKind.ENROLLED, enrolled.enrolled_at, enrolled.status
    elif event.type == "progress.status.changed":
        changed = _checked(parse_as(event, StatusChanged))
        base, kind, at, status = (
            changed,
            EnrollmentReportKind.STATUS_CHANGED,
            changed.changed_at or event.occurred_at,
            changed.to_status,
        )
    else:
        completed = _checked(parse_as(event, CourseCompleted))
        base, kind, at, status = (
            completed,
            EnrollmentReportKind.COMPLETED,
            completed.completed_at,
            "completed",
        )
    return EnrollmentReport(
        event_id=event.id,
        enrollment_id=base.enrollment_id,
        student_id=base.student_id,
        course_id=base.course_id,
        kind=kind,
        at=at,
        status=status,
    )


#: the event types that become facts (``batch_facts``)
ATTEMPT_TYPES = (
    "attempts.attempt.started",
    "attempts.attempt.submitted",
    "attempts.attempt.graded",
)
ENROLLMENT_TYPES = ("progress.enrolled", "progress.status.changed", "progress.course.completed")
FACT_TYPES = (
    "activity.logs.recorded",
    *ATTEMPT_TYPES,
    "progress.lesson.completed",
    "progress.assignment.recorded",
    *ENROLLMENT_TYPES,
)


def batch_facts(batch: Iterable[Envelope]) -> BatchFacts:
    """The facts of a batch of events of ``FACT_TYPES``, by kind, in arrival order."""
    facts = BatchFacts()
    for event in batch:
        if event.type == "activity.logs.recorded":
            facts.activities += activity_facts(event)
        elif event.type in ATTEMPT_TYPES:
            facts.attempts.append(attempt_report(event))
        elif event.type == "progress.lesson.completed":
            facts.completions.append(lesson_completion(event))
        elif event.type == "progress.assignment.recorded":
            facts.assignments.append(assignment_report(event))
        elif event.type in ENROLLMENT_TYPES:
            facts.enrollments.append(enrollment_report(event))
        else:
            raise ValueError(f"{event.type} is not an event analytics keeps facts of")
    return facts


def course_outline(event: Envelope) -> CourseOutline:
    published = parse_as(event, OutlinePublished)
    seen: set[str] = set()
    for item in published.items:
        if item.item_id in seen:
            raise ContractError(f"items.item_id: {item.item_id!r} appears twice")
        seen.add(item.item_id)
    return CourseOutline(
        course_id=published.course_id,
        outline_version=published.outline_version,
        published_at=published.published_at,
        items=tuple(
            OutlineItem(
                course_id=published.course_id,
                item_id=item.item_id,
                position=position,
                kind=item.kind,
                module_id=item.module_id,
                required=item.required,
                weight=item.weight,
                due_at=item.due_at,
            )
            for position, item in enumerate(published.items)
        ),
    )


def _checked(payload: E) -> E:
    if len(payload.student_id) > MAX_ID:
        raise ContractError(f"student_id: must be at most {MAX_ID} characters")
    return payload


# -- out ---------------------------------------------------------------------------------
def snapshot_updated(student_id: str, course_id: str, as_of: datetime) -> Envelope:
    payload = SnapshotUpdated(student_id=student_id, course_id=course_id, as_of=as_of)
    return payload.to_envelope(producer=PRODUCER, subject=student_id, course_id=course_id)


def risk_changed(payload: RiskChanged) -> Envelope:
    return payload.to_envelope(
        producer=PRODUCER, subject=payload.student_id, course_id=payload.course_id
    )


def achievement_earned(payload: AchievementEarned) -> Envelope:
    return payload.to_envelope(
        producer=PRODUCER, subject=payload.student_id, course_id=payload.course_id
    )
