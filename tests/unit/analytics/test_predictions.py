"""predictions, worked out by hand with the documented prior (no trained model yet)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from tests.unit.analytics.streams import (
    OTHER_STUDENT,
    activity,
    analytics_document,
    assignment,
    at,
    enrolled,
    lesson_completed,
    outline_published,
    record,
    status_changed,
    submitted,
)

pytestmark = pytest.mark.unit


def struggling() -> list:
    return [
        enrolled(at(0)),
        activity(
            [
                record("R1", "lesson_start", at(0), duration=1800, lesson_id="LSN-1"),
                record("R2", "quiz_start", at(1), duration=1800, quiz_id="QZ-1"),
            ]
        ),
        submitted("AT-1", "QZ-1", at(1), 50.0),
        submitted("AT-2", "QZ-1", at(2), 55.0, number=2),
    ]


def test_success_probability_follows_the_prior_term_by_term():
    # as of the week's end (Nov 9 00:00): 6.67 days since the start (Nov 2 08:00)
    # active 2 of 6.67 days (0.3): 0; 4.67 days since the last submission: -0.06 x 1.67;
    # 2 submissions in 0.952 weeks (2.1): +0.4 x 1.1 = +0.44; score 52.5: -0.7;
    # 60 minutes in 14 days: -0.18; no item done: -0.5; 1 retry per quiz: -0.35
    logit = 0.4 - 0.06 * (14 / 3 - 3) + 0.4 * (2.1 - 1) + 0.04 * (52.5 - 70) - 0.18 - 0.5 - 0.35
    expected = round(100 / (1 + math.exp(-logit)), 2)
    predictions = analytics_document(struggling())["predictions"]
    assert predictions["success_probability"] == pytest.approx(expected, abs=0.01)
    assert expected == pytest.approx(27.09, abs=0.01)


def test_reasons_name_what_pulled_this_students_probability_down_most():
    document = analytics_document(struggling())
    assert document["predictions"]["at_risk_indicators"] == [
        "average score 52 on 2 graded assessments (typical 70)",
        "completing 0.0 lessons, quizzes or assignments per week (typical 2.0)",
        "2.0 attempts per quiz on average",
        "60 minutes of study in the last 14 days (typical 120)",
    ]
    assert document["engagement_metrics"]["risk_level"] == "high"
    assert [i["type"] for i in document["predictions"]["recommended_interventions"]] == [
        "tutoring",
        "study_plan",
        "review",
        "study_plan",
    ]
    assert {i["urgency"] for i in document["predictions"]["recommended_interventions"]} == {"high"}
    assert document["model"] == {"source": "prior", "trained_on": 0}


def test_no_completion_date_without_pace_but_a_next_milestone():
    document = analytics_document(struggling())
    assert document["predictions"]["estimated_completion_date"] is None
    assert document["null_reasons"]["predictions.estimated_completion_date"] == (
        "no item done in the last 28 days"
    )
    milestone = document["predictions"]["next_milestone"]
    assert milestone["type"] == "lesson"
    assert milestone["description"] == "lesson LSN-1"
    assert milestone["estimated_date"] is None


def test_completion_date_from_pace_and_milestone_in_the_classs_order():
    events = [
        enrolled(at(0)),
        lesson_completed("LSN-1", at(1)),
        lesson_completed("LSN-2", at(2)),
        # a classmate did LSN-4 one day after starting, LSN-3 three days after
        enrolled(at(0), student=OTHER_STUDENT),
        lesson_completed("LSN-4", at(1), student=OTHER_STUDENT),
        lesson_completed("LSN-3", at(3), student=OTHER_STUDENT),
    ]
    predictions = analytics_document(events)["predictions"]
    # 2 items in 6.67 days = 0.3 a day; 2 items left: 6.67 days after Nov 9 00:00
    assert predictions["estimated_completion_date"] == datetime(2026, 11, 15, 16, tzinfo=UTC)
    assert predictions["next_milestone"]["description"] == "lesson LSN-4"
    assert predictions["next_milestone"]["estimated_date"] == datetime(2026, 11, 12, 8, tzinfo=UTC)


def test_without_a_course_predictions_say_they_are_per_course():
    document = analytics_document(struggling(), course=None)
    assert document["predictions"]["success_probability"] is None
    assert document["null_reasons"]["predictions.success_probability"] == (
        "predictions are per course: ask with course_id"
    )


def test_a_past_custom_period_predicts_from_what_was_known_at_its_end():
    outline = outline_published(
        1,
        [
            {"item_id": "TMA-1", "kind": "assignment", "weight": 20.0, "due_at": at(10)},
            {"item_id": "TMA-2", "kind": "assignment", "weight": 80.0, "due_at": at(18)},
            {"item_id": "TMA-3", "kind": "assignment", "weight": 50.0, "due_at": at(40)},
        ],
    )
    known_by_day_20 = [
        enrolled(at(0)),
        outline,
        assignment("TMA-1", "submit", at(12), occurred=at(12)),
        assignment("TMA-1", "grade", at(12), occurred=at(13), grade=45.0),
    ]
    later = [
        assignment("TMA-2", "submit", at(22), occurred=at(22)),
        assignment("TMA-2", "grade", at(22), occurred=at(23), grade=95.0),
        status_changed(at(30), "in_progress", "paused", changed_at=at(25)),
    ]
    window = {"period_type": "custom", "start": at(0), "end": at(20)}
    then = analytics_document(known_by_day_20, now=at(20), **window)["predictions"]
    asked_later = analytics_document(known_by_day_20 + later, now=at(60), **window)["predictions"]
    assert asked_later == then
    assert "submitted 1 of the 2 assessments due so far" in then["at_risk_indicators"]
    assert then["next_milestone"]["description"] == "assignment TMA-3, due 2026-12-12 08:00 UTC"
    today = analytics_document(
        known_by_day_20 + later, now=at(60), period_type="weekly", start=at(59)
    )
    assert "stopped the course (paused) on 2026-11-27" in today["predictions"]["at_risk_indicators"]
