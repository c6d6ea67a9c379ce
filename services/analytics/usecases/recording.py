"""Recording the facts of consumed events (inside the consumer's transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from services.analytics import store
from services.analytics.domain.projections import (
    ActivityFact,
    AssignmentReport,
    AttemptReport,
    CourseOutline,
    EnrollmentReport,
    LessonCompletion,
)


def _touched(session: Session, pairs: Sequence[tuple[str, str]], now: datetime) -> None:
    """New facts of these pairs: mark them for the worker's refresh and invalidate the
    cached facts of their courses."""
    store.mark_pending(session, pairs, now)
    store.record_changes(session, pairs)


def record_activities(session: Session, facts: Sequence[ActivityFact], now: datetime) -> None:
    """The records, stamped with the course versions they make (so a read cache reads
    only the records after its version); their days stale if rolled up already."""
    pairs = [(f.student_id, f.course_id) for f in facts if f.course_id is not None]
    versions = store.record_changes(session, pairs)
    store.add_activities(session, facts, versions)
    store.mark_days_stale(session, facts, now)
    store.mark_pending(session, pairs, now)


def record_attempt_reports(
    session: Session, reports: Sequence[AttemptReport], now: datetime
) -> None:
    store.add_attempt_reports(session, reports)
    _touched(session, [(r.student_id, r.course_id) for r in reports], now)


def record_lesson_completions(
    session: Session, completions: Sequence[LessonCompletion], now: datetime
) -> None:
    store.add_lesson_completions(session, completions)
    _touched(session, [(c.student_id, c.course_id) for c in completions], now)


def record_assignment_reports(
    session: Session, reports: Sequence[AssignmentReport], now: datetime
) -> None:
    store.add_assignment_reports(session, reports)
    _touched(session, [(r.student_id, r.course_id) for r in reports], now)


def record_enrollment_reports(
    session: Session, reports: Sequence[EnrollmentReport], now: datetime
) -> None:
    store.add_enrollment_reports(session, reports)
    _touched(session, [(r.student_id, r.course_id) for r in reports], now)


def record_outlines(session: Session, outlines: Sequence[CourseOutline], now: datetime) -> None:
    """Keep each course's outline of the highest version; a course whose outline changed
    has its cached facts invalidated and every student of it re-assessed (due dates and
    weights change their predictions)."""
    changed = [
        outline.course_id
        for outline in sorted(outlines, key=lambda o: (o.course_id, o.outline_version))
        if store.replace_outline(session, outline)
    ]
    for course_id in sorted(set(changed)):
        store.mark_pending(session, store.course_pairs(session, course_id), now)
    store.record_changes(session, [], whole_courses=changed)
