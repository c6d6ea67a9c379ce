"""The progress service's events, in and out, through ``shared.events.contracts``.

Out: every ``progress.*`` payload is built here from its contract (docs/events.md,
"Progress service events"). In: the events of other services are parsed with their
contracts (a payload that breaks one raises ``ContractError``: parked at once, with the
reason) and turned into the domain's values; the rules that are the progress
service's own (envelope keys, id lengths it stores, time zones) raise ``InvalidInput``
naming the field.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from services.progress.domain import (
    ActivityRecord,
    AssignmentEntry,
    AttemptGraded,
    AttemptSubmitted,
    LessonCompletion,
    LessonCompletionReport,
    Outline,
    QuizAttemptFact,
    student_time_zone,
)
from shared.errors import InvalidInput
from shared.events import Envelope
from shared.events.contracts import activity, attempts, parse_as, progress, reports
from shared.time import in_utc, utcnow

PRODUCER = "progress"
MAX_STUDENT_ID_LENGTH = 120
MAX_COURSE_ID_LENGTH = 120

StudentCourse = tuple[str, str]


@dataclass(frozen=True)
class Occasion:
    """When a change is made, and what caused it (the request id or the event id)."""

    now: datetime
    correlation_id: str | None


class AboutEnrollment(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def student_id(self) -> str: ...

    @property
    def course_id(self) -> str: ...


# -- out ------------------------------------------------------------------------------------
def _envelope(payload: progress.EnrollmentEvent, occasion: Occasion) -> Envelope:
    return payload.to_envelope(
        producer=PRODUCER,
        subject=payload.student_id,
        course_id=payload.course_id,
        correlation_id=occasion.correlation_id,
    )


def _about(enrollment: AboutEnrollment) -> dict[str, str]:
    return {
        "enrollment_id": enrollment.id,
        "student_id": enrollment.student_id,
        "course_id": enrollment.course_id,
    }


def enrolled(
    enrollment: AboutEnrollment, status: str, enrolled_at: datetime, occasion: Occasion
) -> Envelope:
    """``enrolled_at`` is the enrollment's: now, or the past moment a record gave."""
    payload = progress.Enrolled(
        **_about(enrollment),
        enrolled_at=in_utc(enrolled_at),
        status=status,  # type: ignore[arg-type]
    )
    return _envelope(payload, occasion)


def lesson_completed(
    enrollment: AboutEnrollment,
    entry: LessonCompletion,
    report: LessonCompletionReport,
    occasion: Occasion,
) -> Envelope:
    """This completion, and the lesson's entry after it."""
    payload = progress.LessonCompleted(
        **_about(enrollment),
        lesson_id=entry.lesson_id,
        completion_id=report.completion_id,
        completed_at=in_utc(report.completed_at),
        time_spent=report.time_spent,
        score=report.score,
        attempts=entry.attempts,
        best_score=entry.score,
    )
    return _envelope(payload, occasion)


def assignment_recorded(
    enrollment: AboutEnrollment, entry: AssignmentEntry, action: str, occasion: Occasion
) -> Envelope:
    """The action, and the assignment's entry after it."""
    payload = progress.AssignmentRecorded(
        **_about(enrollment),
        assignment_id=entry.assignment_id,
        action=action,  # type: ignore[arg-type]
        status=entry.status.value,
        submitted_at=in_utc(entry.submitted_at),
        grade=entry.grade,
        feedback_id=entry.feedback_id,
        time_spent=entry.time_spent,
    )
    return _envelope(payload, occasion)


def status_changed(
    enrollment: AboutEnrollment, from_status: str, to_status: str, reason: str, occasion: Occasion
) -> Envelope:
    payload = progress.StatusChanged(
        **_about(enrollment),
        from_status=from_status,  # type: ignore[arg-type]
        to_status=to_status,  # type: ignore[arg-type]
        reason=reason,  # type: ignore[arg-type]
        changed_at=in_utc(occasion.now),
    )
    return _envelope(payload, occasion)


def course_completed(enrollment: AboutEnrollment, percentage: int, occasion: Occasion) -> Envelope:
    payload = progress.CourseCompleted(
        **_about(enrollment), completed_at=in_utc(occasion.now), progress_percentage=percentage
    )
    return _envelope(payload, occasion)


def certificate_requested(
    enrollment: AboutEnrollment,
    *,
    completed_at: datetime | None,
    average_score: float | None,
    percentage: int,
    occasion: Occasion,
) -> Envelope:
    payload = progress.CertificateRequested(
        **_about(enrollment),
        completed_at=None if completed_at is None else in_utc(completed_at),
        average_score=average_score,
        progress_percentage=percentage,
        requested_at=in_utc(occasion.now),
    )
    return _envelope(payload, occasion)


def outline_published(
    course_id: str, version: int, outline: Outline, occasion: Occasion
) -> Envelope:
    """The whole outline as published: every item in course order, with its module."""
    payload = progress.OutlinePublished(
        course_id=course_id,
        outline_version=version,
        published_at=in_utc(occasion.now),
        items=tuple(
            progress.OutlineItem(
                item_id=position.item.item_id,
                kind=position.item.kind.value,
                module_id=position.module_id,
                required=position.item.required,
                weight=position.item.weight,
                due_at=None if position.item.due_at is None else in_utc(position.item.due_at),
            )
            for position in outline.positions()
        ),
    )
    # The course's event: its subject is the course, not a student.
    return payload.to_envelope(
        producer=PRODUCER,
        subject=course_id,
        course_id=course_id,
        correlation_id=occasion.correlation_id,
    )


# -- in -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AttemptReport:
    """One submitted or graded attempt, as an event reported it."""

    student_id: str
    course_id: str
    quiz_id: str
    fact: QuizAttemptFact
    occasion: Occasion

    @property
    def student_course(self) -> StudentCourse:
        return (self.student_id, self.course_id)

    @property
    def attempt_key(self) -> tuple[str, str, str]:
        return (self.student_id, self.course_id, self.fact.attempt_id)

    @property
    def quiz_key(self) -> tuple[str, str, str]:
        return (self.student_id, self.course_id, self.quiz_id)


@dataclass(frozen=True)
class ActivityReport:
    """One event's activity logs about courses, grouped by (student, course) in key order."""

    groups: dict[StudentCourse, list[ActivityRecord]]
    time_zone: str | None
    occasion: Occasion


def attempt_report(event: Envelope) -> AttemptReport:
    """``attempts.attempt.submitted`` or ``graded``, as the fact it reports."""
    student_id = _envelope_key(event.subject, "subject", MAX_STUDENT_ID_LENGTH)
    course_id = _envelope_key(event.course_id, "course_id", MAX_COURSE_ID_LENGTH)
    fact: QuizAttemptFact
    if event.type == attempts.AttemptSubmitted.event_type:
        submitted = parse_as(event, attempts.AttemptSubmitted)
        quiz_id = submitted.quiz_id
        fact = AttemptSubmitted(
            attempt_id=submitted.attempt_id,
            completed_at=in_utc(submitted.completed_at),
            time_spent=submitted.time_spent,
            score=submitted.score,
            passed=submitted.passed,
            is_practice=submitted.is_practice,
        )
    else:
        graded = parse_as(event, attempts.AttemptGraded)
        quiz_id = graded.quiz_id
        fact = AttemptGraded(
            attempt_id=graded.attempt_id,
            graded_at=in_utc(graded.graded_at),
            score=graded.score,
            passed=graded.passed,
        )
    return AttemptReport(student_id, course_id, quiz_id, fact, Occasion(utcnow(), event.id))


def activity_report(event: Envelope) -> ActivityReport:
    """``activity.logs.recorded``: its records about courses (the others are skipped)."""
    recorded = parse_as(event, activity.ActivityLogsRecorded)
    if recorded.time_zone is not None:
        student_time_zone(recorded.time_zone)
    if not event.subject:
        raise InvalidInput.for_field("subject", "the envelope must name it")
    parsed = []
    for index, record in enumerate(recorded.records):
        path = f"records[{index}]"
        if record.student_id != event.subject:
            # One student per event bounds the keys (and locks) a batch of events takes.
            raise InvalidInput.for_field(f"{path}.student_id", "must be the event's subject")
        if record.course_id is None:
            continue
        student_id = _stored_id(record.student_id, f"{path}.student_id", MAX_STUDENT_ID_LENGTH)
        course_id = _stored_id(record.course_id, f"{path}.course_id", MAX_COURSE_ID_LENGTH)
        activity_record = ActivityRecord(
            activity_id=record.id,
            occurred_at=in_utc(record.timestamp),
            duration_seconds=_duration(record.details.get("duration"), f"{path}.details"),
        )
        parsed.append((student_id, course_id, activity_record))
    return ActivityReport(
        groups=_by_student_course(parsed),
        time_zone=recorded.time_zone,
        occasion=Occasion(utcnow(), event.id),
    )


@dataclass(frozen=True)
class RenderedCertificate:
    enrollment_id: str
    url: str
    issued_at: datetime


def rendered_certificate(event: Envelope) -> RenderedCertificate:
    rendered = parse_as(event, reports.CertificateRendered)
    return RenderedCertificate(
        rendered.enrollment_id, rendered.certificate_url, in_utc(rendered.issued_at)
    )


def _by_student_course(
    records: Iterable[tuple[str, str, ActivityRecord]],
) -> dict[StudentCourse, list[ActivityRecord]]:
    """Records grouped by (student, course), in key order (a stable lock order)."""
    groups: dict[StudentCourse, list[ActivityRecord]] = defaultdict(list)
    for student_id, course_id, record in records:
        groups[(student_id, course_id)].append(record)
    return dict(sorted(groups.items()))


def _envelope_key(value: str | None, name: str, max_length: int) -> str:
    if not value:
        raise InvalidInput.for_field(name, "the envelope must name it")
    return _stored_id(value, name, max_length)


def _stored_id(value: str, name: str, max_length: int) -> str:
    if len(value) > max_length:
        raise InvalidInput.for_field(name, f"must be at most {max_length} characters")
    return value


def _duration(value: Any, path: str) -> float | None:
    """``details.duration`` in seconds: absent, or a number (the domain refuses < 0)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput.for_field(f"{path}.duration", "must be a number")
    return float(value)
