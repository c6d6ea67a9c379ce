"""The analytics service's commands and queries: one function each.

Recording facts runs inside the consumer's transaction (the consumer commits it with
the inbox row); queries load facts through the store and compute with the domain.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.analytics import events, store
from services.analytics.domain.achievements import earned
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
from services.analytics.domain.predictions import assess
from services.analytics.domain.risk_model import RiskModel, train, training_examples
from shared.events import record_events
from shared.events.contracts.analytics import AchievementEarned, RiskChanged


def record_activities(session: Session, facts: Sequence[ActivityFact], now: datetime) -> None:
    store.add_activities(session, facts)
    pairs = [(f.student_id, f.course_id) for f in facts if f.course_id is not None]
    store.mark_pending(session, pairs, now)


def record_attempt_reports(
    session: Session, reports: Sequence[AttemptReport], now: datetime
) -> None:
    store.add_attempt_reports(session, reports)
    store.mark_pending(session, [(r.student_id, r.course_id) for r in reports], now)


def record_lesson_completions(
    session: Session, completions: Sequence[LessonCompletion], now: datetime
) -> None:
    store.add_lesson_completions(session, completions)
    store.mark_pending(session, [(c.student_id, c.course_id) for c in completions], now)


def record_assignment_reports(
    session: Session, reports: Sequence[AssignmentReport], now: datetime
) -> None:
    store.add_assignment_reports(session, reports)
    store.mark_pending(session, [(r.student_id, r.course_id) for r in reports], now)


def record_enrollment_reports(
    session: Session, reports: Sequence[EnrollmentReport], now: datetime
) -> None:
    store.add_enrollment_reports(session, reports)
    store.mark_pending(session, [(r.student_id, r.course_id) for r in reports], now)


def refresh_student(session: Session, student_id: str, course_id: str, now: datetime) -> int:
    """Re-assess one student in one course from their facts: a changed risk level and
    newly earned achievements go to the outbox. Returns the number of events written.

    Idempotent: a second refresh with no new facts finds the same level and the same
    achievements, and writes nothing.
    """
    facts = store.student_facts(session, student_id, course_id)
    written = []
    assessment = assess(facts, store.latest_risk_model(session), now)
    if assessment is not None:
        before = store.risk_level_of(session, student_id, course_id)
        if before != assessment.level:
            written.append(
                events.risk_changed(
                    RiskChanged(
                        student_id=student_id,
                        course_id=course_id,
                        from_level=before,  # type: ignore[arg-type]
                        to_level=assessment.level,  # type: ignore[arg-type]
                        success_probability=assessment.probability,
                        reasons=assessment.reasons,
                        assessed_at=now,
                    )
                )
            )
        store.set_risk_level(
            session, student_id, course_id, assessment.level, assessment.probability, now
        )
    known = store.earned_ids(session, student_id, course_id)
    new = [e for e in earned(facts, now) if e.achievement_id not in known]
    store.add_earned(
        session, student_id, course_id, [(e.achievement_id, e.earned_at, e.xp) for e in new]
    )
    for achievement in new:
        written.append(
            events.achievement_earned(
                AchievementEarned(
                    student_id=student_id,
                    course_id=course_id,
                    achievement_id=achievement.achievement_id,
                    title=achievement.title,
                    xp=achievement.xp,
                    earned_at=achievement.earned_at,
                )
            )
        )
    written.append(events.snapshot_updated(student_id, course_id, now))
    record_events(session, written)
    return len(written)


def refresh_pending(session: Session, now: datetime, limit: int = 500) -> int:
    """Refresh the pairs with new facts, each once however many events it received
    (coalesced), and forget them. Returns how many pairs were refreshed."""
    claimed = store.claim_pending(session, limit)
    for student_id, course_id, _ in claimed:
        refresh_student(session, student_id, course_id, now)
    store.forget_pending(session, claimed)
    return len(claimed)


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


def retrain_risk_model(session: Session, now: datetime) -> RiskModel:
    """Fit the success model on every enrollment finished before ``now`` and keep it
    (the prior while there is not enough history: then nothing is stored)."""
    examples = training_examples(store.enrollment_facts(session), now)
    model = train(examples, now)
    if model.source == "trained":
        store.save_risk_model(session, model, now)
    return model
