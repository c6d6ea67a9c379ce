"""The worker's jobs: refreshing (student, course) pairs, recompute jobs, the success model."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.analytics import events, store
from services.analytics.domain.achievements import Earned, earned
from services.analytics.domain.evaluation import CheckpointScore, default_split, evaluate
from services.analytics.domain.predictions import Assessment, assess
from services.analytics.domain.risk_model import RiskModel, train, training_set
from services.analytics.usecases.rollup import rolled_before
from shared.db import Database
from shared.events import Envelope, record_events
from shared.events.contracts.analytics import AchievementEarned, RiskChanged
from shared.time import utcnow


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
        facts = store.facts_of(session, students, course_id, rolled_before(now))
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


def retrain_risk_model(
    session: Session, now: datetime, course_ids: Sequence[str] | None = None
) -> RiskModel:
    """Fit the success model on every enrollment finished before ``now`` (of
    ``course_ids`` only, if given) and keep it (the prior while there is not enough
    history: then nothing is stored)."""
    examples, courses = training_set(store.enrollment_facts(session, course_ids), now)
    model = train(examples, now, courses)
    if model.source == "trained":
        store.save_risk_model(session, model, now)
    return model


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


@dataclass(frozen=True)
class Evaluation:
    split: datetime
    model: RiskModel
    scores: list[CheckpointScore]


def evaluate_risk_model(
    session: Session, split: datetime | None, now: datetime
) -> Evaluation | None:
    """AUC and calibration of the success model trained on the enrollments started before
    ``split`` (default: ``default_split``), judged on those started from ``split`` on
    and finished before ``now``, by checkpoint; None without a finished enrollment."""
    enrollments = store.enrollment_facts(session)
    split = split or default_split(enrollments, now)
    if split is None:
        return None
    model, scores = evaluate(enrollments, split, now)
    return Evaluation(split, model, scores)
