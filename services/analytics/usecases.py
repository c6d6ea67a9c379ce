"""The analytics service's commands and queries: one function each.

Recording facts runs inside the consumer's transaction (the consumer commits it with
the inbox row); queries load facts through the store and compute with the domain.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.analytics import events, store
from services.analytics.domain.achievements import Earned, earned, next_achievement, xp_of
from services.analytics.domain.class_view import band_of, class_view
from services.analytics.domain.comparison import course_score, minutes_in, quiz_average
from services.analytics.domain.document import Analytics, learning_analytics
from services.analytics.domain.facts import (
    ActivityFact,
    AssignmentReport,
    AttemptReport,
    EnrollmentReport,
    LessonCompletion,
    StudentFacts,
)
from services.analytics.domain.leaderboard import neighbours_of, ranking
from services.analytics.domain.performance import items_done
from services.analytics.domain.periods import Period
from services.analytics.domain.predictions import Assessment, assess
from services.analytics.domain.privacy import (
    describe,
    laplace_mechanisms,
    private_aggregate,
    pseudonym,
)
from services.analytics.domain.risk_model import RiskModel, train, training_examples
from shared.config import Settings
from shared.db import Database
from shared.errors import Conflict
from shared.events import Envelope, record_events
from shared.events.contracts.analytics import AchievementEarned, RiskChanged
from shared.time import utcnow


def _touched(session: Session, pairs: Sequence[tuple[str, str]], now: datetime) -> None:
    """New facts of these pairs: mark them for the worker's refresh and invalidate the
    cached facts of their courses."""
    store.mark_pending(session, pairs, now)
    store.bump_course_versions(session, [course for _, course in pairs])


def record_activities(session: Session, facts: Sequence[ActivityFact], now: datetime) -> None:
    store.add_activities(session, facts)
    _touched(session, [(f.student_id, f.course_id) for f in facts if f.course_id is not None], now)


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


def refresh_student(session: Session, student_id: str, course_id: str, now: datetime) -> int:
    """Re-assess one student in one course (``refresh_students`` of one pair)."""
    return refresh_students(session, [(student_id, course_id)], now)


def refresh_students(session: Session, pairs: Sequence[tuple[str, str]], now: datetime) -> int:
    """Re-assess (student, course) pairs from their facts, a course at a time (one load of
    the facts, levels and achievements per course): a changed risk level and newly earned
    achievements go to the outbox with a snapshot event. Returns the events written.

    Idempotent: a second refresh with no new facts finds the same levels and the same
    achievements, and writes only snapshot events.
    """
    model = store.latest_risk_model(session)
    by_course: dict[str, list[str]] = {}
    for student_id, course_id in sorted(set(pairs)):
        by_course.setdefault(course_id, []).append(student_id)
    written: list[Envelope] = []
    for course_id, students in by_course.items():
        facts = store.facts_of(session, students, course_id)
        levels = store.risk_levels_of(session, course_id, students)
        known = store.earned_ids_of(session, course_id, students)
        assessed, earned_rows = [], []
        for student_id in students:
            student = facts.get(student_id)
            if student is None:
                continue
            assessment = assess(student, model, now)
            if assessment is not None:
                before = levels.get(student_id)
                if before != assessment.level:
                    written.append(_risk_changed(student_id, course_id, before, assessment, now))
                assessed.append((student_id, assessment.level, assessment.probability))
            for won in earned(student, now):
                if won.achievement_id in known.get(student_id, set()):
                    continue
                earned_rows.append(
                    {
                        "student_id": student_id,
                        "course_id": course_id,
                        "achievement_id": won.achievement_id,
                        "earned_at": won.earned_at,
                        "xp": won.xp,
                    }
                )
                written.append(_achievement_earned(student_id, course_id, won))
            written.append(events.snapshot_updated(student_id, course_id, now))
        store.set_risk_levels(session, course_id, assessed, now)
        store.add_earned_rows(session, earned_rows)
    record_events(session, written)
    return len(written)


def _risk_changed(
    student_id: str, course_id: str, before: str | None, assessment: Assessment, now: datetime
) -> Envelope:
    return events.risk_changed(
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


def _achievement_earned(student_id: str, course_id: str, won: Earned) -> Envelope:
    return events.achievement_earned(
        AchievementEarned(
            student_id=student_id,
            course_id=course_id,
            achievement_id=won.achievement_id,
            title=won.title,
            xp=won.xp,
            earned_at=won.earned_at,
        )
    )


def refresh_pending(session: Session, now: datetime, limit: int = 500) -> int:
    """Refresh the pairs with new facts, each once however many events it received
    (coalesced), and forget them. Returns how many pairs were refreshed."""
    claimed = store.claim_pending(session, limit)
    refresh_students(session, [(student, course) for student, course, _ in claimed], now)
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
    if course_id is None:
        facts = store.student_facts(session, student_id, None)
        classmates: dict[str, StudentFacts] = {}
        catalog = store.catalog_of(session, store.student_courses(session, student_id))
    else:
        course = store.course_facts_cache.get(session, course_id)
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
    course = store.course_facts_cache.get(session, course_id)
    return class_view(
        course_id, course.students, course.catalog, store.latest_risk_model(session), now
    )


def retrain_risk_model(session: Session, now: datetime) -> RiskModel:
    """Fit the success model on every enrollment finished before ``now`` and keep it
    (the prior while there is not enough history: then nothing is stored)."""
    examples = training_examples(store.enrollment_facts(session), now)
    model = train(examples, now)
    if model.source == "trained":
        store.save_risk_model(session, model, now)
    return model


def _metric_of(
    metric: str, period: Period, catalog: set[tuple[str, str, str]]
) -> tuple[float, float, Callable[[StudentFacts], float | None]]:
    if metric == "total_time":
        return 0.0, 120.0 * period.days, lambda f: minutes_in(f.activities, period)
    if metric == "quiz_average":
        return 0.0, 100.0, lambda f: quiz_average(f, period)
    return (
        0.0,
        100.0,
        lambda f: (
            100 * len(items_done(f, period.end) & catalog) / len(catalog) if catalog else None
        ),
    )


def private_aggregate_by_course(
    session: Session,
    *,
    metric: str,
    course_ids: Sequence[str] | None,
    period: Period,
    epsilon: float,
    settings: Settings,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """A metric per course with differential privacy, spending ``epsilon`` of the month's
    budget (``Conflict`` when it is spent: nothing is computed or shown)."""
    month = now.strftime("%Y-%m")
    courses = list(course_ids) if course_ids else store.all_courses(session)
    catalog = store.catalog_of(session, courses)
    lower, upper, value_of = _metric_of(metric, period, catalog)
    mechanisms = laplace_mechanisms(epsilon, upper)
    query = f"{metric} by course {period.start.date()}..{period.end.date()}"
    remaining = store.spend_privacy_budget(
        session,
        month,
        mechanisms.epsilon,
        settings.privacy_budget,
        actor=actor,
        query=query,
        at=now,
    )
    if remaining is None:
        left = max(0.0, settings.privacy_budget - store.privacy_spent(session, month))
        raise Conflict(
            f"the privacy budget of {month} is spent: {left:.3f} of "
            f"{settings.privacy_budget} left, the query needs {mechanisms.epsilon:.3f}"
        )
    groups: dict[str, list[float]] = {}
    for course_id in courses:
        values = [
            v
            for facts in store.facts_of(session, None, course_id).values()
            if (v := value_of(facts)) is not None
        ]
        groups[course_id] = values
    shown, suppressed = private_aggregate(
        groups,
        lower=lower,
        upper=upper,
        min_group_size=settings.min_group_size,
        mechanisms=mechanisms,
    )
    return {
        "metric": metric,
        "start_date": period.start,
        "end_date": period.end,
        "epsilon_spent": round(mechanisms.epsilon, 6),
        "budget_month": month,
        "budget_remaining": round(remaining, 6),
        "min_group_size": settings.min_group_size,
        "groups": describe(shown),
        "suppressed_groups": suppressed,
    }


def pseudonymous_export(
    session: Session, course_id: str, settings: Settings, now: datetime
) -> dict[str, Any] | None:
    """Per-student rows of a course under pseudonyms with coarse bands; None for an
    unknown course; ``Conflict`` for a course smaller than the minimum group."""
    if not store.course_known(session, course_id):
        return None
    students = store.facts_of(session, None, course_id)
    if len(students) < settings.min_group_size:
        raise Conflict(
            f"the course has fewer than {settings.min_group_size} students: not exported"
        )
    catalog = store.catalog_of(session, [course_id])
    model = store.latest_risk_model(session)
    rows = []
    for student_id, facts in students.items():
        assessment = assess(facts, model, now)
        done = len(items_done(facts, now) & catalog)
        score = course_score(facts, now)
        rows.append(
            {
                "pseudonym": pseudonym(settings.pseudonym_key, student_id),
                "completion_band": band_of(100 * done / len(catalog)) if catalog else None,
                "score_band": band_of(score) if score is not None else None,
                "risk_level": assessment.level if assessment else None,
            }
        )
    rows.sort(key=lambda row: str(row["pseudonym"]))
    return {"course_id": course_id, "as_of": now, "students": rows}


def student_achievements(
    session: Session, student_id: str, course_id: str, now: datetime
) -> dict[str, Any] | None:
    facts = store.student_facts(session, student_id, course_id)
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
    facts = store.facts_of(session, members, course_id)
    rows = ranking({m: xp_of(facts[m], now) if m in facts else 0 for m in members})
    return rows if viewer is None else neighbours_of(rows, viewer)


def request_recompute(
    session: Session, course_id: str | None, requested_by: str, now: datetime
) -> dict[str, Any]:
    """A recompute job of a course (or every course): queued, done by the worker."""
    job = {
        "id": str(uuid.uuid4()),
        "course_id": course_id,
        "status": "queued",
        "total": len(store.course_pairs(session, course_id)),
        "done": 0,
        "requested_by": requested_by,
        "requested_at": now,
        "finished_at": None,
    }
    store.add_job(session, job)
    return job


def run_recompute(database: Database, job_id: str, batch: int = 200) -> dict[str, Any] | None:
    """Refresh every pair of the job's scope, committing its progress after each batch.

    Idempotent: refreshing a pair twice writes nothing the second time; a job run again
    (its worker died) starts over and reports its progress anew.
    """
    with database.unit_of_work() as session:
        job = store.job(session, job_id)
        if job is None or job["status"] == "finished":
            return job
        pairs = store.course_pairs(session, job["course_id"])
        store.update_job(session, job_id, status="running", total=len(pairs), done=0)
        session.commit()
    for start in range(0, len(pairs), batch):
        with database.unit_of_work() as session:
            refresh_students(session, pairs[start : start + batch], utcnow())
            store.update_job(session, job_id, done=min(len(pairs), start + batch))
            session.commit()
    with database.unit_of_work() as session:
        store.update_job(session, job_id, status="finished", finished_at=utcnow())
        session.commit()
        return store.job(session, job_id)


def recompute_job(session: Session, job_id: str) -> dict[str, Any] | None:
    return store.job(session, job_id)
