"""Contracts of the progress service's events (docs/events.md, "Progress service events").

Every payload of an enrollment repeats ``enrollment_id``, ``student_id`` and
``course_id``, so a consumer never needs the envelope to find the enrollment; the
outline's event is the course's. Times spent are in minutes.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from shared.events.contracts.base import Payload, UtcDatetime, contract
from shared.events.contracts.fields import Count, Id, Minutes, Score

Status = Literal["not_started", "in_progress", "completed", "paused"]


class EnrollmentEvent(Payload, frozen=True, kw_only=True):
    enrollment_id: Id
    student_id: Id
    course_id: Id


@contract("progress.enrolled", version=1)
class Enrolled(EnrollmentEvent, frozen=True, kw_only=True):
    enrolled_at: UtcDatetime
    status: Status


@contract("progress.lesson.completed", version=1)
class LessonCompleted(EnrollmentEvent, frozen=True, kw_only=True):
    """One counted completion; ``attempts`` and ``best_score`` are the entry's after it."""

    lesson_id: Id
    completion_id: Id
    completed_at: UtcDatetime
    time_spent: Minutes | None = None
    score: Score | None = None
    attempts: Count
    best_score: Score | None = None


@contract("progress.assignment.recorded", version=1)
class AssignmentRecorded(EnrollmentEvent, frozen=True, kw_only=True):
    assignment_id: Id
    action: Literal["submit", "grade", "return"]
    status: Id
    submitted_at: UtcDatetime
    grade: Score | None = None
    feedback_id: Id | None = None
    time_spent: Minutes | None = None


@contract("progress.status.changed", version=1)
class StatusChanged(EnrollmentEvent, frozen=True, kw_only=True):
    """``changed_at`` is when the change took effect (null: when the event occurred);
    ``reason`` ``final_result`` is a final result an institution recorded."""

    from_status: Status
    to_status: Status
    reason: Literal["request", "student_work", "final_result"]
    changed_at: UtcDatetime | None = None


@contract("progress.course.completed", version=1)
class CourseCompleted(EnrollmentEvent, frozen=True, kw_only=True):
    completed_at: UtcDatetime
    progress_percentage: Score


@contract("progress.certificate.requested", version=1)
class CertificateRequested(EnrollmentEvent, frozen=True, kw_only=True):
    """``completed_at`` is null when the certificate criteria are met before completion."""

    completed_at: UtcDatetime | None
    average_score: Score | None = None
    progress_percentage: Score
    requested_at: UtcDatetime


class OutlineItem(Payload, frozen=True, kw_only=True):
    """One lesson, quiz or assignment of a published outline, in course order."""

    item_id: Id
    kind: Literal["lesson", "quiz", "assignment"]
    module_id: Id
    required: bool = True
    weight: Annotated[float, msgspec.Meta(gt=0, le=1000)] = 1.0
    due_at: UtcDatetime | None = None


@contract("progress.outline.published", version=1)
class OutlinePublished(Payload, frozen=True, kw_only=True):
    """The whole outline of a course as published (``outline_version`` counts publications)."""

    course_id: Id
    outline_version: Annotated[int, msgspec.Meta(ge=1)]
    published_at: UtcDatetime
    items: tuple[OutlineItem, ...]
