"""The head of a LearningAnalytics document: its stable id, scope and period, and what it
says of the risk level without a prediction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.analytics import usecases
from services.analytics.domain.periods import PeriodType, period_of
from tests.unit.analytics.streams import (
    COURSE,
    STUDENT,
    analytics_document,
    analytics_session,
    apply,
    at,
    enrolled,
    lesson_completed,
)

pytestmark = pytest.mark.unit

HEAD = ("id", "student_id", "course_id", "period_type", "start_date", "end_date")


def test_the_head_names_the_student_the_course_and_the_period():
    document = analytics_document([enrolled(at(0)), lesson_completed("LSN-1", at(1))])
    assert {name: document[name] for name in HEAD} == {
        "id": f"{STUDENT}:{COURSE}:weekly:2026-11-02:2026-11-09",
        "student_id": STUDENT,
        "course_id": COURSE,
        "period_type": "weekly",
        "start_date": datetime(2026, 11, 2, tzinfo=UTC),
        "end_date": datetime(2026, 11, 9, tzinfo=UTC),
    }


def test_a_document_of_every_course_says_so_in_its_id():
    document = analytics_document([lesson_completed("LSN-1", at(1))], course=None)
    assert document["id"] == f"{STUDENT}:all-courses:weekly:2026-11-02:2026-11-09"
    assert document["course_id"] is None


def test_without_a_prediction_the_risk_level_gives_its_reason():
    document = analytics_document([lesson_completed("LSN-1", at(1))], course=None)
    assert document["engagement_metrics"]["risk_level"] is None
    assert document["null_reasons"]["engagement_metrics.risk_level"] == (
        "predictions are per course: ask with course_id"
    )


def test_the_assessment_comes_with_the_document():
    period = period_of(PeriodType.WEEKLY, at(0), None, at(30))
    with analytics_session() as session:
        apply(session, [enrolled(at(0)), lesson_completed("LSN-1", at(1))])
        analytics = usecases.student_analytics(session, STUDENT, COURSE, period, at(30))
    assert analytics is not None and analytics.assessment is not None
    assert analytics.document["predictions"]["success_probability"] == (
        analytics.assessment.probability
    )
    assert analytics.document["engagement_metrics"]["risk_level"] == analytics.assessment.level
