"""The analytics service's commands and queries: one function each.

Recording facts runs inside the consumer's transaction (the consumer commits it with
the inbox row); queries load facts through the store and compute with the domain.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from services.analytics import store
from services.analytics.domain.facts import (
    ActivityFact,
    AssignmentReport,
    AttemptReport,
    EnrollmentReport,
    LessonCompletion,
)


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
