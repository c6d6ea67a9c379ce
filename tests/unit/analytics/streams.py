"""Builders of the events analytics consumes, and a way to apply them as the consumer does.

Imported as ``tests.unit.analytics.streams`` by the analytics tests of every tier.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.analytics.domain.projections import ActivityFact, Kind, StudentFacts
from services.analytics.handlers import registry
from services.analytics.models import metadata
from shared.db import platform_metadata
from shared.events import Envelope
from shared.time import to_iso

STUDENT = "USR-STU-1"
OTHER_STUDENT = "USR-STU-2"
COURSE = "CRS-MATH-1001"
OTHER_COURSE = "CRS-BIO-2001"
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # a Monday


def at(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours, minutes=minutes)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else to_iso(moment)


def activity(
    records: Iterable[dict[str, Any]],
    *,
    student: str = STUDENT,
    time_zone: str | None = "UTC",
    event_id: str | None = None,
) -> Envelope:
    body: dict[str, Any] = {"records": list(records)}
    if time_zone is not None:
        body["time_zone"] = time_zone
    extra = {"id": event_id} if event_id else {}
    return Envelope(
        type="activity.logs.recorded", producer="activity", subject=student, payload=body, **extra
    )


def record(
    record_id: str,
    activity_type: str,
    when: datetime,
    *,
    student: str = STUDENT,
    course: str | None = COURSE,
    duration: float | None = None,
    session: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    details = dict(fields.pop("details", {}))
    if duration is not None:
        details["duration"] = duration
    return {
        "id": record_id,
        "student_id": student,
        "timestamp": to_iso(when),
        "activity_type": activity_type,
        "course_id": course,
        "session_id": session,
        "details": details,
        **fields,
    }


def _attempt_event(
    event_type: str, student: str, course: str, payload: dict[str, Any], event_id: str | None
) -> Envelope:
    extra = {"id": event_id} if event_id else {}
    return Envelope(
        type=event_type,
        producer="attempts",
        subject=student,
        course_id=course,
        payload=payload,
        **extra,
    )


def started(
    attempt_id: str,
    quiz_id: str,
    when: datetime,
    *,
    number: int = 1,
    student: str = STUDENT,
    course: str = COURSE,
    practice: bool = False,
) -> Envelope:
    payload = {
        "attempt_id": attempt_id,
        "quiz_id": quiz_id,
        "attempt_number": number,
        "is_practice": practice,
        "started_at": to_iso(when),
    }
    return _attempt_event("attempts.attempt.started", student, course, payload, None)


def submitted(
    attempt_id: str,
    quiz_id: str,
    when: datetime,
    score: float | None,
    *,
    passed: bool | None = None,
    number: int = 1,
    time_spent: float = 10.0,
    student: str = STUDENT,
    course: str = COURSE,
    practice: bool = False,
    event_id: str | None = None,
) -> Envelope:
    payload = {
        "attempt_id": attempt_id,
        "quiz_id": quiz_id,
        "attempt_number": number,
        "is_practice": practice,
        "completed_at": to_iso(when),
        "time_spent": time_spent,
        "score": score,
        "passed": bool(score is not None and score >= 60) if passed is None else passed,
        "pending_grading": score is None,
    }
    return _attempt_event("attempts.attempt.submitted", student, course, payload, event_id)


def graded(
    attempt_id: str,
    quiz_id: str,
    when: datetime,
    score: float,
    *,
    completed: datetime | None = None,
    number: int = 1,
    student: str = STUDENT,
    course: str = COURSE,
) -> Envelope:
    payload = {
        "attempt_id": attempt_id,
        "quiz_id": quiz_id,
        "attempt_number": number,
        "graded_at": to_iso(when),
        "completed_at": _iso(completed),
        "score": score,
        "passed": score >= 60,
    }
    return _attempt_event("attempts.attempt.graded", student, course, payload, None)


def _progress(
    event_type: str, student: str, course: str, occurred: datetime | None, **payload: Any
) -> Envelope:
    body = {"enrollment_id": f"ENR-{student}-{course}", "student_id": student, "course_id": course}
    extra = {"occurred_at": occurred} if occurred else {}
    return Envelope(
        type=event_type,
        producer="progress",
        subject=student,
        course_id=course,
        payload={**body, **payload},
        **extra,
    )


def lesson_completed(
    lesson_id: str,
    when: datetime,
    *,
    completion_id: str | None = None,
    score: float | None = None,
    time_spent: float | None = 20.0,
    student: str = STUDENT,
    course: str = COURSE,
) -> Envelope:
    return _progress(
        "progress.lesson.completed",
        student,
        course,
        when,
        lesson_id=lesson_id,
        completion_id=completion_id or f"c-{lesson_id}",
        completed_at=to_iso(when),
        time_spent=time_spent,
        score=score,
        attempts=1,
        best_score=score,
    )


def assignment(
    assignment_id: str,
    action: str,
    submitted_at: datetime,
    *,
    occurred: datetime,
    grade: float | None = None,
    student: str = STUDENT,
    course: str = COURSE,
) -> Envelope:
    status = {"submit": "submitted", "grade": "graded", "return": "returned"}[action]
    return _progress(
        "progress.assignment.recorded",
        student,
        course,
        occurred,
        assignment_id=assignment_id,
        action=action,
        status=status,
        submitted_at=to_iso(submitted_at),
        grade=grade,
        time_spent=30.0,
    )


def enrolled(when: datetime, *, student: str = STUDENT, course: str = COURSE) -> Envelope:
    return _progress(
        "progress.enrolled", student, course, when, enrolled_at=to_iso(when), status="not_started"
    )


def status_changed(
    when: datetime,
    from_status: str,
    to_status: str,
    *,
    student: str = STUDENT,
    course: str = COURSE,
    changed_at: datetime | None = None,
    reason: str = "student_work",
) -> Envelope:
    """``when`` is the event's moment; ``changed_at`` when the change took effect."""
    extra = {"changed_at": to_iso(changed_at)} if changed_at else {}
    return _progress(
        "progress.status.changed",
        student,
        course,
        when,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        **extra,
    )


def course_completed(when: datetime, *, student: str = STUDENT, course: str = COURSE) -> Envelope:
    return _progress(
        "progress.course.completed",
        student,
        course,
        when,
        completed_at=to_iso(when),
        progress_percentage=100,
    )


def apply(session: Session, events: Iterable[Envelope]) -> None:
    """Apply each event with its registered handler, as the consumer does one at a time."""
    for event in events:
        handler = registry.handler_for(event.type)
        assert handler is not None, event.type
        handler(event, session)


def apply_batch(session: Session, batch: Iterable[Envelope]) -> None:
    """Apply ``batch`` as the consumer applies one of its batches: each batch handler once,
    with its events of the batch in arrival order, after the one-at-a-time handlers."""
    grouped: dict[Any, list[Envelope]] = {}
    for event in batch:
        batch_handler = registry.batch_handler_for(event.type)
        if batch_handler is None:
            handler = registry.handler_for(event.type)
            assert handler is not None, event.type
            handler(event, session)
        else:
            grouped.setdefault(batch_handler, []).append(event)
    for batch_handler, events in grouped.items():
        batch_handler(events, session)


@contextmanager
def analytics_session() -> Iterator[Session]:
    """A session on a fresh in-memory SQLite database holding the analytics tables."""
    engine = sa.create_engine("sqlite://")
    platform_metadata.create_all(engine)
    metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def facts_of(events: Iterable[Envelope], student: str = STUDENT) -> StudentFacts:
    """What analytics keeps of ``student`` in COURSE after ``events``."""
    from services.analytics.store import student_facts

    with analytics_session() as session:
        apply(session, events)
        return student_facts(session, student, COURSE)


def analytics_document(
    events: Iterable[Envelope],
    *,
    student: str = STUDENT,
    course: str | None = COURSE,
    period_type: str = "weekly",
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The student's LearningAnalytics document computed from ``events``."""
    from services.analytics import usecases
    from services.analytics.domain.periods import PeriodType, period_of

    moment = now or at(30)
    period = period_of(PeriodType(period_type), start or T0, end, moment)
    with analytics_session() as session:
        apply(session, events)
        analytics = usecases.student_analytics(session, student, course, period, moment)
    assert analytics is not None
    return analytics.document


def outline_published(
    version: int,
    items: Iterable[dict[str, Any]],
    *,
    course: str = COURSE,
    published: datetime | None = None,
    event_id: str | None = None,
) -> Envelope:
    """``progress.outline.published``; each item: item_id, kind, and optionally module_id,
    required, weight, due_at (a datetime)."""
    body = {
        "course_id": course,
        "outline_version": version,
        "published_at": to_iso(published or T0),
        "items": [
            {
                "module_id": "M1",
                **item,
                "due_at": _iso(item.get("due_at")),
            }
            for item in items
        ],
    }
    extra = {"id": event_id} if event_id else {}
    return Envelope(
        type="progress.outline.published",
        producer="progress",
        subject=course,
        payload=body,
        **extra,
    )


def activity_fact(
    record_id: str,
    when: datetime,
    *,
    seconds: float = 0.0,
    session: str | None = None,
    zone: str = "UTC",
    activity_type: str = "login",
    kind: Kind = Kind.OTHER,
) -> ActivityFact:
    """An activity fact as analytics keeps it, for the rules that take facts."""
    return ActivityFact(
        record_id=record_id,
        student_id=STUDENT,
        course_id=None,
        occurred_at=when,
        activity_type=activity_type,
        kind=kind,
        content_type=None,
        duration_seconds=seconds,
        session_id=session,
        lesson_id=None,
        quiz_id=None,
        assignment_id=None,
        resource_id=None,
        interaction_count=0,
        page_viewed=False,
        time_zone=zone,
    )
