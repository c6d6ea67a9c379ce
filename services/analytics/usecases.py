"""The analytics service's commands and queries: one function each.

Recording facts runs inside the consumer's transaction (the consumer commits it with
the inbox row); queries load facts through the store and compute with the domain.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.analytics import store
from services.analytics.domain.class_view import class_view
from services.analytics.domain.document import Analytics, learning_analytics
from services.analytics.domain.facts import (
    ActivityFact,
    AssignmentReport,
    AttemptReport,
    EnrollmentReport,
    LessonCompletion,
    StudentFacts,
)
from services.analytics.domain.periods import Period


def record_activities(session: Session, facts: Sequence[ActivityFact]) -> None:
    store.add_activities(session, facts)


def record_attempt_reports(session: Session, reports: Sequence[AttemptReport]) -> None:
    store.add_attempt_reports(session, reports)


def record_lesson_completions(session: Session, completions: Sequence[LessonCompletion]) -> None:
    store.add_lesson_completions(session, completions)


def record_assignment_reports(session: Session, reports: Sequence[AssignmentReport]) -> None:
    store.add_assignment_reports(session, reports)


def record_enrollment_reports(session: Session, reports: Sequence[EnrollmentReport]) -> None:
    store.add_enrollment_reports(session, reports)


def student_analytics(
    session: Session,
    student_id: str,
    course_id: str | None,
    period: Period,
    now: datetime,
) -> Analytics | None:
    """The student's LearningAnalytics; None when analytics knows nothing of the student
    (in that course)."""
    facts = store.student_facts(session, student_id, course_id)
    if not any(
        (facts.activities, facts.attempts, facts.lessons, facts.assignments, facts.enrollments)
    ):
        return None
    if course_id is None:
        classmates: dict[str, StudentFacts] = {}
        catalog = store.catalog_of(session, store.student_courses(session, student_id))
    else:
        classmates = store.facts_of(session, None, course_id)
        catalog = store.catalog_of(session, [course_id])
    model = store.latest_risk_model(session)
    return learning_analytics(facts, classmates, catalog, course_id, period, model, now)


def course_analytics(session: Session, course_id: str, now: datetime) -> dict[str, Any] | None:
    """The class view of a course; None when analytics knows nothing of the course."""
    if not store.course_known(session, course_id):
        return None
    students = store.facts_of(session, None, course_id)
    catalog = store.catalog_of(session, [course_id])
    return class_view(course_id, students, catalog, store.latest_risk_model(session), now)
