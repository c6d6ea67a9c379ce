"""What the reports service knows of a student's work: plain values, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    def __contains__(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment <= self.end


@dataclass(frozen=True)
class LessonDone:
    lesson_id: str
    completed_at: datetime
    time_spent: float = 0.0  # minutes
    score: float | None = None


@dataclass(frozen=True)
class QuizAttempt:
    attempt_id: str
    quiz_id: str
    completed_at: datetime
    score: float | None
    time_spent: float = 0.0  # minutes
    is_practice: bool = False


@dataclass(frozen=True)
class AssignmentWork:
    assignment_id: str
    status: str
    submitted_at: datetime
    grade: float | None = None
    time_spent: float = 0.0  # minutes


@dataclass(frozen=True)
class OutlineItem:
    item_id: str
    kind: str  # lesson, quiz, assignment
    title: str
    module_id: str
    module_title: str
    weight: float = 1.0
    required: bool = True


@dataclass(frozen=True)
class CourseSettings:
    """What a course configures in the reports service (see ``grading``)."""

    scale_bands: tuple[tuple[str, float, float], ...] | None = None
    credit_hours: float = 0.0
    due_dates: dict[str, datetime] = field(default_factory=dict)
    item_titles: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EarnedAchievement:
    """An achievement analytics awarded the student (``analytics.achievement.earned``)."""

    achievement_id: str
    title: str
    earned_at: datetime


@dataclass(frozen=True)
class RiskAssessment:
    """A risk level analytics assessed for the student in a course (``analytics.risk.changed``)."""

    course_id: str
    level: str  # low, medium, high
    assessed_at: datetime


@dataclass(frozen=True)
class StudentRecord:
    """One student's work in one course (or every course, when ``course_id`` is None)."""

    student_id: str
    course_id: str | None
    lessons: tuple[LessonDone, ...] = ()
    attempts: tuple[QuizAttempt, ...] = ()
    assignments: tuple[AssignmentWork, ...] = ()
    course_completed_at: datetime | None = None
    certificate_issued_at: datetime | None = None
    achievements: tuple[EarnedAchievement, ...] = ()
    risks: tuple[RiskAssessment, ...] = ()
