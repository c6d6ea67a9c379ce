"""The facts analytics keeps from the events it consumes, and how reports of one thing merge.

Every fact is immutable and keyed by what it is about (an activity record's id, an
attempt's id and the moment of the report, a lesson completion's id, an event's id),
so the projections are sets: storing a fact twice, or facts in any order, leaves the
same set. Where several reports describe one thing (an attempt submitted, then graded,
then regraded; an assignment submitted, graded, returned), the merge functions below
pick the outcome from the reports' own moments, never from their arrival.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Kind(StrEnum):
    """What an activity record's time was spent on."""

    LESSON = "lesson"
    QUIZ = "quiz"
    ASSIGNMENT = "assignment"
    RESOURCE = "resource"
    IDLE = "idle"
    OTHER = "other"


CONTENT_TYPES = ("video", "text", "interactive", "audio")

_KIND_BY_PREFIX = (
    ("quiz_", Kind.QUIZ),
    ("assignment_", Kind.ASSIGNMENT),
    ("lesson_", Kind.LESSON),
    ("video_", Kind.RESOURCE),
    ("resource_", Kind.RESOURCE),
    ("audio_", Kind.RESOURCE),
)
_CONTENT_BY_PREFIX = (
    ("video_", "video"),
    ("audio_", "audio"),
    ("quiz_", "interactive"),
    ("interactive_", "interactive"),
    ("lesson_", "text"),
)


def kind_of(
    activity_type: str,
    *,
    lesson_id: str | None = None,
    quiz_id: str | None = None,
    assignment_id: str | None = None,
    resource_id: str | None = None,
) -> Kind:
    """The record's kind: by its activity type's prefix, else by the item it names."""
    if activity_type == "idle":
        return Kind.IDLE
    for prefix, kind in _KIND_BY_PREFIX:
        if activity_type.startswith(prefix):
            return kind
    if quiz_id:
        return Kind.QUIZ
    if assignment_id:
        return Kind.ASSIGNMENT
    if lesson_id:
        return Kind.LESSON
    if resource_id:
        return Kind.RESOURCE
    return Kind.OTHER


def content_type_of(activity_type: str, declared: object) -> str | None:
    """``details.content_type`` when it is one of ``CONTENT_TYPES``, else by activity type."""
    if isinstance(declared, str) and declared in CONTENT_TYPES:
        return declared
    for prefix, content_type in _CONTENT_BY_PREFIX:
        if activity_type.startswith(prefix):
            return content_type
    return None


@dataclass(frozen=True)
class ActivityFact:
    record_id: str
    student_id: str
    course_id: str | None
    occurred_at: datetime
    activity_type: str
    kind: Kind
    content_type: str | None
    duration_seconds: float
    session_id: str | None
    lesson_id: str | None
    quiz_id: str | None
    assignment_id: str | None
    resource_id: str | None
    interaction_count: int
    page_viewed: bool
    time_zone: str

    @property
    def minutes(self) -> float:
        return self.duration_seconds / 60.0


class ReportKind(StrEnum):
    STARTED = "started"
    SUBMITTED = "submitted"
    GRADED = "graded"


@dataclass(frozen=True)
class AttemptReport:
    """One report of an attempt: keyed by (attempt_id, kind, at)."""

    attempt_id: str
    student_id: str
    course_id: str
    quiz_id: str
    kind: ReportKind
    at: datetime
    attempt_number: int
    is_practice: bool
    completed_at: datetime | None
    time_spent: float | None
    score: float | None
    passed: bool


@dataclass(frozen=True)
class Attempt:
    attempt_id: str
    student_id: str
    course_id: str
    quiz_id: str
    attempt_number: int
    is_practice: bool
    started_at: datetime | None
    completed_at: datetime | None
    time_spent: float | None
    score: float | None
    passed: bool


def merge_attempt(reports: Iterable[AttemptReport]) -> Attempt:
    """The attempt as its reports tell it, whatever order they came in.

    The score is the latest grading's (by ``graded_at``; equal moments: the higher
    score), else the submission's; ``completed_at`` the submission's (else a grading's).
    """
    ordered = sorted(reports, key=lambda r: (r.at, r.kind, r.score or -1.0, r.passed))
    if not ordered:
        raise ValueError("an attempt needs at least one report")
    first = ordered[0]
    started = [r.at for r in ordered if r.kind is ReportKind.STARTED]
    submitted = [r for r in ordered if r.kind is ReportKind.SUBMITTED]
    graded = [r for r in ordered if r.kind is ReportKind.GRADED]
    completed = [r.completed_at for r in submitted if r.completed_at] or [
        r.completed_at for r in graded if r.completed_at
    ]
    outcome = graded[-1] if graded else (submitted[-1] if submitted else None)
    time_spent = [r.time_spent for r in submitted if r.time_spent is not None]
    return Attempt(
        attempt_id=first.attempt_id,
        student_id=first.student_id,
        course_id=first.course_id,
        quiz_id=first.quiz_id,
        attempt_number=max(r.attempt_number for r in ordered),
        is_practice=any(r.is_practice for r in ordered),
        started_at=min(started) if started else None,
        completed_at=min(completed) if completed else None,
        time_spent=max(time_spent) if time_spent else None,
        score=outcome.score if outcome else None,
        passed=outcome.passed if outcome else False,
    )


def merge_attempts(reports: Iterable[AttemptReport]) -> list[Attempt]:
    by_attempt: dict[str, list[AttemptReport]] = {}
    for report in reports:
        by_attempt.setdefault(report.attempt_id, []).append(report)
    return [merge_attempt(by_attempt[key]) for key in sorted(by_attempt)]


@dataclass(frozen=True)
class LessonCompletion:
    student_id: str
    course_id: str
    lesson_id: str
    completion_id: str
    completed_at: datetime
    time_spent: float | None
    score: float | None


_ACTION_RANK = {"submit": 0, "grade": 1, "return": 2}


@dataclass(frozen=True)
class AssignmentReport:
    """One ``progress.assignment.recorded``: the entry after an action, keyed by event id."""

    event_id: str
    student_id: str
    course_id: str
    assignment_id: str
    action: str
    status: str
    submitted_at: datetime
    grade: float | None
    time_spent: float | None
    occurred_at: datetime


@dataclass(frozen=True)
class Assignment:
    student_id: str
    course_id: str
    assignment_id: str
    status: str
    submitted_at: datetime
    first_submitted_at: datetime
    grade: float | None
    time_spent: float | None


def merge_assignments(reports: Iterable[AssignmentReport]) -> list[Assignment]:
    """Each assignment as its latest report says (by the event's moment, then the action)."""
    by_key: dict[tuple[str, str, str], list[AssignmentReport]] = {}
    for report in reports:
        key = (report.student_id, report.course_id, report.assignment_id)
        by_key.setdefault(key, []).append(report)
    merged = []
    for key in sorted(by_key):
        group = by_key[key]
        latest = max(
            group,
            key=lambda r: (
                r.occurred_at,
                r.submitted_at,
                _ACTION_RANK.get(r.action, 0),
                r.grade if r.grade is not None else -1.0,
                r.event_id,
            ),
        )
        merged.append(
            Assignment(
                student_id=latest.student_id,
                course_id=latest.course_id,
                assignment_id=latest.assignment_id,
                status=latest.status,
                submitted_at=latest.submitted_at,
                first_submitted_at=min(r.submitted_at for r in group),
                grade=latest.grade,
                time_spent=latest.time_spent,
            )
        )
    return merged


class EnrollmentReportKind(StrEnum):
    ENROLLED = "enrolled"
    STATUS_CHANGED = "status_changed"
    COMPLETED = "completed"


@dataclass(frozen=True)
class EnrollmentReport:
    event_id: str
    enrollment_id: str
    student_id: str
    course_id: str
    kind: EnrollmentReportKind
    at: datetime
    status: str


@dataclass(frozen=True)
class Enrollment:
    enrollment_id: str
    student_id: str
    course_id: str
    enrolled_at: datetime | None
    status: str
    completed_at: datetime | None
    #: (moment it took effect, status) of every status change, in time order
    status_changes: tuple[tuple[datetime, str], ...] = ()

    def status_at(self, moment: datetime) -> str | None:
        """The status the latest change before ``moment`` set (None: no change before)."""
        before = [status for at, status in self.status_changes if at < moment]
        return before[-1] if before else None


_STATUS_RANK = {"not_started": 0, "paused": 1, "in_progress": 2, "completed": 3}


def merge_enrollments(reports: Iterable[EnrollmentReport]) -> list[Enrollment]:
    """Each enrollment: its enrollment moment, its latest status (by the event's moment)."""
    by_id: dict[str, list[EnrollmentReport]] = {}
    for report in reports:
        by_id.setdefault(report.enrollment_id, []).append(report)
    merged = []
    for enrollment_id in sorted(by_id):
        group = by_id[enrollment_id]
        latest = max(group, key=lambda r: (r.at, _STATUS_RANK.get(r.status, 0), r.event_id))
        enrolled = [r.at for r in group if r.kind is EnrollmentReportKind.ENROLLED]
        completed = [r.at for r in group if r.kind is EnrollmentReportKind.COMPLETED]
        changes = sorted(
            (r for r in group if r.kind is not EnrollmentReportKind.ENROLLED),
            key=lambda r: (r.at, _STATUS_RANK.get(r.status, 0), r.event_id),
        )
        merged.append(
            Enrollment(
                enrollment_id=enrollment_id,
                student_id=latest.student_id,
                course_id=latest.course_id,
                enrolled_at=min(enrolled) if enrolled else None,
                status=latest.status,
                completed_at=max(completed) if completed and latest.status == "completed" else None,
                status_changes=tuple((r.at, r.status) for r in changes),
            )
        )
    return merged


ASSESSED_KINDS = ("quiz", "assignment")


@dataclass(frozen=True)
class OutlineItem:
    """One item of a course's published outline (``progress.outline.published``)."""

    course_id: str
    item_id: str
    position: int
    kind: str  # lesson, quiz or assignment
    module_id: str
    required: bool
    weight: float
    due_at: datetime | None

    @property
    def assessed(self) -> bool:
        return self.kind in ASSESSED_KINDS


@dataclass(frozen=True)
class CourseOutline:
    """A course's outline as published: the highest ``outline_version`` wins."""

    course_id: str
    outline_version: int
    published_at: datetime
    items: tuple[OutlineItem, ...]


@dataclass
class BatchFacts:
    """The facts of one batch of consumed events, by kind: recorded together, so the
    (student, course) pairs they touch are marked once for the whole batch."""

    activities: list[ActivityFact] = field(default_factory=list)
    attempts: list[AttemptReport] = field(default_factory=list)
    completions: list[LessonCompletion] = field(default_factory=list)
    assignments: list[AssignmentReport] = field(default_factory=list)
    enrollments: list[EnrollmentReport] = field(default_factory=list)

    def pairs(self) -> list[tuple[str, str]]:
        """The (student, course) pairs these facts are about (a record of no course is
        about none)."""
        pairs = [(f.student_id, f.course_id) for f in self.activities if f.course_id is not None]
        for reports in (self.attempts, self.completions, self.assignments, self.enrollments):
            pairs += [(r.student_id, r.course_id) for r in reports]
        return pairs


@dataclass(frozen=True)
class StudentFacts:
    """Everything analytics knows of one student (in one course, or in all), with the
    published outlines of those courses."""

    student_id: str
    activities: tuple[ActivityFact, ...]
    attempts: tuple[Attempt, ...]
    lessons: tuple[LessonCompletion, ...]
    assignments: tuple[Assignment, ...]
    enrollments: tuple[Enrollment, ...]
    outline: tuple[OutlineItem, ...] = ()
