"""Recording the facts of consumed events (inside the consumer's transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from services.analytics import store
from services.analytics.domain.projections import (
    ActivityFact,
    BatchFacts,
    CourseOutline,
)


def record_facts(session: Session, facts: BatchFacts, now: datetime) -> None:
    """A batch's facts of every kind, with one mark of the pairs they touch: the courses'
    versions bumped once (the records stamped with the versions they make, so a read
    cache reads only the records after its version), the pairs marked once for the
    worker's refresh, and the days of the records stale if rolled up already."""
    pairs = facts.pairs()
    versions = store.record_changes(session, pairs)
    store.add_activities(session, facts.activities, versions)
    store.mark_days_stale(session, facts.activities, now)
    store.add_attempt_reports(session, facts.attempts)
    store.add_lesson_completions(session, facts.completions)
    store.add_assignment_reports(session, facts.assignments)
    store.add_enrollment_reports(session, facts.enrollments)
    store.mark_pending(session, pairs, now)


def record_activities(session: Session, facts: Sequence[ActivityFact], now: datetime) -> None:
    record_facts(session, BatchFacts(activities=list(facts)), now)


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
