"""Event handlers of the progress service, registered by event type.

The registry is also the service's subscription: its queue ``stride.progress`` is bound
to exactly the event types registered here.

Idempotency: the inbox makes a redelivered event a no-op; on top of that every
handler merges facts with the domain's order-independent functions (attempt states,
activity ids counted once, the latest certificate rendering), so events applied in
any order give the same enrollment. A malformed payload raises ``InvalidInput`` with
the field at fault: the consumer retries it and then parks it in the dead-letter queue,
and nothing of it is written (the handler's savepoint is rolled back).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from services.progress.activity_facts import ActivityReport, apply_activity_reports
from services.progress.derived import Occasion
from services.progress.domain import (
    ActivityRecord,
    AttemptGraded,
    AttemptSubmitted,
    QuizAttemptFact,
    student_time_zone,
)
from services.progress.facts import group_by_student_course, record_certificate
from services.progress.quiz_facts import AttemptReport, apply_attempt_reports
from shared.errors import InvalidInput
from shared.events import Envelope, HandlerRegistry
from shared.events.envelope import parse_iso, utcnow

registry = HandlerRegistry("progress")

MAX_RECORDS_PER_BATCH = 10_000
MAX_URL_LENGTH = 2048
MAX_STUDENT_ID_LENGTH = 120
MAX_COURSE_ID_LENGTH = 120


@registry.handles_batch("attempts.attempt.submitted", "attempts.attempt.graded")
def apply_quiz_attempts(events: Sequence[Envelope], session: Session) -> None:
    """Merge submitted and graded attempts into the students' ``completed_quizzes`` entries.

    A batch at a time (``quiz_facts``), with the same result as one event at a time.
    """
    apply_attempt_reports(session, [_attempt_report(event) for event in events])


def _attempt_report(event: Envelope) -> AttemptReport:
    student_id = _envelope_text(event.subject, "subject", MAX_STUDENT_ID_LENGTH)
    course_id = _envelope_text(event.course_id, "course_id", MAX_COURSE_ID_LENGTH)
    payload = event.payload
    fact: QuizAttemptFact
    if event.type == "attempts.attempt.submitted":
        fact = AttemptSubmitted(
            attempt_id=_text(payload, "attempt_id"),
            completed_at=_moment(payload, "completed_at"),
            time_spent=_number(payload, "time_spent"),
            score=_optional_number(payload, "score"),
            passed=_flag(payload, "passed"),
            is_practice=_flag(payload, "is_practice", default=False),
        )
    else:
        fact = AttemptGraded(
            attempt_id=_text(payload, "attempt_id"),
            graded_at=_moment(payload, "graded_at"),
            score=_number(payload, "score"),
            passed=_flag(payload, "passed"),
        )
    return AttemptReport(
        student_id=student_id,
        course_id=course_id,
        quiz_id=_text(payload, "quiz_id"),
        fact=fact,
        occasion=Occasion(utcnow(), event.id),
    )


@registry.handles_batch("activity.logs.recorded")
def apply_activity_logs(events: Sequence[Envelope], session: Session) -> None:
    """Count batches of activity logs: last access, time spent and streak per enrollment.

    A consumer batch at a time (``activity_facts``), with the same result as one event
    at a time. Records without a course are not about course progress and are skipped.
    """
    apply_activity_reports(session, [_activity_report(event) for event in events])


def _activity_report(event: Envelope) -> ActivityReport:
    raw_records = event.payload.get("records")
    if not isinstance(raw_records, list) or not raw_records:
        raise InvalidInput.for_field("records", "must be a non-empty list of activity logs")
    if len(raw_records) > MAX_RECORDS_PER_BATCH:
        raise InvalidInput.for_field("records", f"must hold at most {MAX_RECORDS_PER_BATCH}")
    time_zone = event.payload.get("time_zone")
    if time_zone is not None:
        if not isinstance(time_zone, str):
            raise InvalidInput.for_field("time_zone", "must be an IANA time zone name")
        student_time_zone(time_zone)
    if not event.subject:
        raise InvalidInput.for_field("subject", "must name the student whose logs these are")
    parsed = []
    for index, raw in enumerate(raw_records):
        path = f"records[{index}]"
        if not isinstance(raw, Mapping):
            raise InvalidInput.for_field(path, "must be an object")
        if raw.get("student_id") != event.subject:
            # One student per event bounds the keys (and locks) a batch of events takes.
            raise InvalidInput.for_field(f"{path}.student_id", "must be the event's subject")
        course_id = raw.get("course_id")
        if course_id is None:
            continue
        details = raw.get("details") or {}
        if not isinstance(details, Mapping):
            raise InvalidInput.for_field(f"{path}.details", "must be an object")
        record = ActivityRecord(
            activity_id=_text(raw, "id", path),
            occurred_at=_moment(raw, "timestamp", path),
            duration_seconds=_optional_number(details, "duration", f"{path}.details"),
        )
        student_id = _text(raw, "student_id", path, max_length=MAX_STUDENT_ID_LENGTH)
        course_id = _text(raw, "course_id", path, max_length=MAX_COURSE_ID_LENGTH)
        parsed.append((student_id, course_id, record))
    return ActivityReport(
        groups=group_by_student_course(parsed),
        time_zone=time_zone,
        occasion=Occasion(utcnow(), event.id),
    )


@registry.handles("reports.certificate.rendered")
def record_rendered_certificate(event: Envelope, session: Session) -> None:
    """Record the certificate the reports service rendered for an enrollment."""
    payload = event.payload
    url = _text(payload, "certificate_url", max_length=MAX_URL_LENGTH)
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.netloc:
        raise InvalidInput.for_field("certificate_url", "must be an absolute http(s) URL")
    record_certificate(
        session,
        enrollment_id=_text(payload, "enrollment_id"),
        url=url,
        issued_at=_moment(payload, "issued_at"),
        now=utcnow(),
    )


# -- payload fields ---------------------------------------------------------------------
def _name(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _envelope_text(value: str | None, name: str, max_length: int) -> str:
    if not value:
        raise InvalidInput.for_field(name, "the envelope must name it")
    if len(value) > max_length:
        raise InvalidInput.for_field(name, f"must be at most {max_length} characters")
    return value


def _text(raw: Mapping[str, Any], name: str, prefix: str = "", *, max_length: int = 128) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput.for_field(_name(prefix, name), "must be a non-empty string")
    if len(value) > max_length:
        raise InvalidInput.for_field(
            _name(prefix, name), f"must be at most {max_length} characters"
        )
    return value


def _moment(raw: Mapping[str, Any], name: str, prefix: str = "") -> datetime:
    value = raw.get(name)
    try:
        if not isinstance(value, str):
            raise ValueError
        return parse_iso(value)
    except ValueError:
        raise InvalidInput.for_field(
            _name(prefix, name), "must be an ISO 8601 time with its UTC offset"
        ) from None


def _optional_number(raw: Mapping[str, Any], name: str, prefix: str = "") -> float | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput.for_field(_name(prefix, name), "must be a number")
    return float(value)


def _number(raw: Mapping[str, Any], name: str) -> float:
    value = _optional_number(raw, name)
    if value is None:
        raise InvalidInput.for_field(name, "is required")
    return value


def _flag(raw: Mapping[str, Any], name: str, *, default: bool | None = None) -> bool:
    value = raw.get(name, default)
    if not isinstance(value, bool):
        raise InvalidInput.for_field(name, "must be true or false")
    return value
