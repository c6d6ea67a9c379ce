"""Queries: the LearningAnalytics document, the class view, achievements, the leaderboard."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.analytics import store
from services.analytics.domain.achievements import earned, next_achievement, xp_of
from services.analytics.domain.class_view import class_view
from services.analytics.domain.document import Analytics, learning_analytics
from services.analytics.domain.leaderboard import neighbours_of, ranking
from services.analytics.domain.periods import Period
from services.analytics.domain.projections import (
    StudentFacts,
)
from services.analytics.usecases.rollup import cached_rolled_before, rolled_before


def student_analytics(
    session: Session,
    student_id: str,
    course_id: str | None,
    period: Period,
    now: datetime,
) -> Analytics | None:
    """The student's LearningAnalytics; None when analytics knows nothing of the student
    (in that course). The records of rolled-up days before the period, the one before
    it and the prediction's windows are read rolled up."""
    rolled = rolled_before(min(period.end, now), period)
    if course_id is None:
        facts = store.student_facts(session, student_id, None, rolled)
        classmates: Mapping[str, StudentFacts] = {}
        catalog = store.catalog_of(session, store.student_courses(session, student_id))
    else:
        course = store.course_facts_cache.get(session, course_id, rolled, cached_rolled_before(now))
        classmates, catalog = course.students, course.catalog
        found = classmates.get(student_id)
        if found is None:
            return None
        facts = found
    if not any(
        (facts.activities, facts.attempts, facts.lessons, facts.assignments, facts.enrollments)
    ):
        return None
    model = store.latest_risk_model(session)
    return learning_analytics(facts, classmates, catalog, course_id, period, model, now)


def course_analytics(session: Session, course_id: str, now: datetime) -> dict[str, Any] | None:
    """The class view of a course; None when analytics knows nothing of the course."""
    if not store.course_known(session, course_id):
        return None
    course = store.course_facts_cache.get(
        session, course_id, rolled_before(now), cached_rolled_before(now)
    )
    return class_view(
        course_id, course.students, course.catalog, store.latest_risk_model(session), now
    )


def student_achievements(
    session: Session, student_id: str, course_id: str, now: datetime
) -> dict[str, Any] | None:
    facts = store.student_facts(session, student_id, course_id, rolled_before(now))
    if not any((facts.activities, facts.attempts, facts.lessons, facts.assignments)) and not (
        facts.enrollments
    ):
        return None
    return {
        "student_id": student_id,
        "course_id": course_id,
        "xp": xp_of(facts, now),
        "earned": [
            {
                "achievement_id": e.achievement_id,
                "title": e.title,
                "xp": e.xp,
                "earned_at": e.earned_at,
            }
            for e in earned(facts, now)
        ],
        "next_achievement": next_achievement(facts, now),
    }


def set_leaderboard_membership(
    session: Session, course_id: str, student_id: str, joined: bool, now: datetime
) -> None:
    if joined:
        store.join_leaderboard(session, course_id, student_id, now)
    else:
        store.leave_leaderboard(session, course_id, student_id)


def leaderboard(
    session: Session, course_id: str, viewer: str | None, now: datetime
) -> list[dict[str, Any]] | None:
    """The opted-in students by XP; only the viewer's neighbours when ``viewer`` is a
    student (None when that student has not opted in)."""
    members = store.leaderboard_members_of(session, course_id)
    if viewer is not None and viewer not in members:
        return None
    facts = store.facts_of(session, members, course_id, rolled_before(now))
    rows = ranking({m: xp_of(facts[m], now) if m in facts else 0 for m in members})
    return rows if viewer is None else neighbours_of(rows, viewer)
