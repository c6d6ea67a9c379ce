"""The worker's refresh: pairs marked by events are re-assessed once each; a changed risk
level emits analytics.risk.changed, a new achievement analytics.achievement.earned."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from services.analytics import store, usecases
from shared.db import outbox_table
from tests.unit.analytics.streams import (
    COURSE,
    OTHER_STUDENT,
    STUDENT,
    activity,
    analytics_session,
    apply,
    at,
    record,
    submitted,
)

pytestmark = pytest.mark.unit


def outbox(session) -> list[dict]:
    rows = session.execute(sa.select(outbox_table.c.body).order_by(outbox_table.c.created_at))
    return [json.loads(body) for (body,) in rows]


def of_type(session, event_type: str) -> list[dict]:
    return [e for e in outbox(session) if e["type"] == event_type]


def test_many_events_of_a_student_are_refreshed_once():
    with analytics_session() as session:
        apply(session, [submitted(f"AT-{n}", "QZ-1", at(n), 90.0) for n in range(5)])
        apply(session, [submitted("AT-X", "QZ-1", at(1), 90.0, student=OTHER_STUDENT)])
        assert store.pending_count(session) == 2
        assert usecases.refresh_pending(session, at(6)) == 2
        assert store.pending_count(session) == 0
        assert len(of_type(session, "analytics.snapshot.updated")) == 2


def test_risk_changed_is_emitted_when_the_level_changes_and_only_then():
    with analytics_session() as session:
        apply(
            session,
            [
                submitted("AT-1", "QZ-1", at(0), 20.0),
                submitted("AT-2", "QZ-1", at(1), 25.0, number=2),
            ],
        )
        usecases.refresh_pending(session, at(2))
        first = of_type(session, "analytics.risk.changed")
        assert [(e["payload"]["from_level"], e["payload"]["to_level"]) for e in first] == [
            (None, "high")
        ]
        assert first[0]["subject"] == STUDENT and first[0]["course_id"] == COURSE
        assert first[0]["payload"]["reasons"]  # the student's own reasons, in words
        # a refresh with nothing new emits no second change
        usecases.refresh_student(session, STUDENT, COURSE, at(2))
        assert len(of_type(session, "analytics.risk.changed")) == 1
        # much better work moves the level
        records = [
            record(f"R{d}", "lesson_start", at(d), duration=3600, lesson_id=f"L{d}")
            for d in range(3)
        ]
        apply(
            session,
            [activity(records)]
            + [submitted(f"AT-{n}", f"QZ-{n}", at(2, n), 100.0) for n in range(3, 9)],
        )
        usecases.refresh_pending(session, at(3))
        changes = of_type(session, "analytics.risk.changed")
        assert [e["payload"]["from_level"] for e in changes] == [None, "high"]
        assert changes[1]["payload"]["to_level"] in {"medium", "low"}


def test_an_achievement_is_announced_once_with_the_moment_it_was_earned():
    with analytics_session() as session:
        apply(session, [submitted("AT-1", "QZ-1", at(1), 100.0)])
        usecases.refresh_pending(session, at(2))
        apply(session, [submitted("AT-1", "QZ-1", at(1), 100.0)])  # redelivered
        usecases.refresh_pending(session, at(3))
        earned = of_type(session, "analytics.achievement.earned")
        assert sorted(e["payload"]["achievement_id"] for e in earned) == [
            "first-quiz-passed",
            "perfect-score",
        ]
        assert {e["payload"]["earned_at"] for e in earned} == {"2026-11-03T08:00:00Z"}


def test_a_recompute_takes_the_pairs_a_course_at_a_time():
    # a batch of the job then reads few courses, each once (a course's facts are read
    # together), not a few students of every course
    with analytics_session() as session:
        apply(
            session,
            [
                submitted(f"AT-{s}-{c}", "QZ-1", at(1), 90.0, student=s, course=c)
                for s in (STUDENT, OTHER_STUDENT)
                for c in ("CRS-B", "CRS-A")
            ],
        )
        assert store.course_pairs(session, None) == [
            (STUDENT, "CRS-A"),
            (OTHER_STUDENT, "CRS-A"),
            (STUDENT, "CRS-B"),
            (OTHER_STUDENT, "CRS-B"),
        ]
