"""The features that need the course's outline (due dates, weights) and the enrollment's
status, worked out by hand on one crafted student.

Outline: A1 due day 10 (weight 10), A2 due day 20 (weight 30), A3 due day 40 (weight
60), A4 due day 45 (weight 5), QZ-1 (a formative quiz, not required) due day 35
(weight 1), lesson L1 due day 5. The student submitted A1 on day 12 (two days late, graded 80)
and A3 early on day 25 (graded 50); A2 never.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from services.analytics.domain.features import features_of
from services.analytics.domain.nulls import NullReasons
from services.analytics.domain.predictions import assess, predictions, reasons_of
from services.analytics.domain.projections import (
    Assignment,
    Attempt,
    Enrollment,
    OutlineItem,
    StudentFacts,
)
from services.analytics.domain.risk_model import PRIOR
from tests.unit.analytics.streams import COURSE, STUDENT, at

pytestmark = pytest.mark.unit


def item(item_id, kind, due_day, weight=1.0, required=True, position=0):
    return OutlineItem(COURSE, item_id, position, kind, "M1", required, weight, at(due_day))


OUTLINE = (
    item("L1", "lesson", 5, position=0),
    item("QZ-1", "quiz", 35, required=False, position=1),
    item("A1", "assignment", 10, weight=10, position=2),
    item("A2", "assignment", 20, weight=30, position=3),
    item("A3", "assignment", 40, weight=60, position=4),
    item("A4", "assignment", 45, weight=5, position=5),
)


def graded(assignment_id, day, grade):
    return Assignment(STUDENT, COURSE, assignment_id, "graded", at(day), at(day), grade, None)


def student(*, status_changes=(), outline=OUTLINE, extra_attempts=()) -> StudentFacts:
    enrollment = Enrollment(
        "ENR-1", STUDENT, COURSE, at(0), "in_progress", None, status_changes=status_changes
    )
    return StudentFacts(
        student_id=STUDENT,
        activities=(),
        attempts=tuple(extra_attempts),
        lessons=(),
        assignments=(graded("A1", 12, 80.0), graded("A3", 25, 50.0)),
        enrollments=(enrollment,),
        outline=outline,
    )


def test_on_day_30_two_required_assessments_were_due_and_one_was_submitted():
    features = features_of(student(), at(30))
    assert features is not None
    assert (features.due, features.due_submitted, features.missed_share) == (2, 1, 0.5)


def test_lateness_is_the_mean_days_late_of_the_due_assessments_submitted():
    features = features_of(student(), at(30))
    assert features is not None
    assert (features.mean_lateness, features.late) == (2.0, 1)


def test_the_weighted_score_counts_missing_due_work_as_zero():
    # A1 (10 x 80) + A2 missing (30 x 0) + A3 submitted early (60 x 50), over 100
    features = features_of(student(), at(30))
    assert features is not None
    assert features.weighted_score == pytest.approx(38.0)


def test_recent_score_trend_and_days_since_the_last_submission():
    features = features_of(student(), at(30))
    assert features is not None
    assert features.recent_score == pytest.approx(65.0)  # (80 + 50) / 2
    assert features.score_trend == pytest.approx(-30.0)  # 50 - 80
    assert features.days_since_submission == pytest.approx(5.0)
    assert features.last_submission_at == at(25)


def test_on_day_15_only_a1_was_due():
    features = features_of(student(), at(15))
    assert features is not None
    assert (features.due, features.missed_share, features.mean_lateness) == (1, 0.0, 2.0)
    assert features.weighted_score == pytest.approx(80.0)
    assert (features.recent_score, features.score_trend) == (80.0, 0.0)
    assert features.days_since_submission == pytest.approx(3.0)


def test_before_anything_is_due_or_submitted_the_features_are_neutral():
    features = features_of(student(), at(5))
    assert features is not None
    assert (features.due, features.missed_share, features.mean_lateness) == (0, 0.0, 0.0)
    assert (features.weighted_score, features.recent_score) == (None, None)
    assert features.days_since_submission == pytest.approx(5.0)  # since the start
    assert features.last_submission_at is None


def test_a_formative_assessment_is_due_too():
    features = features_of(student(), at(36))  # QZ-1, not required, was due on day 35
    assert features is not None
    assert (features.due, features.due_submitted) == (3, 1)
    # its weight 1 joins the weighted score with 0: 3,800 / 101
    assert features.weighted_score == pytest.approx(3800 / 101)


def test_without_an_outline_nothing_is_due():
    features = features_of(student(outline=()), at(30))
    assert features is not None
    assert (features.due, features.missed_share, features.weighted_score) == (0, 0.0, None)


def test_a_quiz_of_the_outline_is_submitted_by_an_attempt():
    required_quiz = (item("QZ-1", "quiz", 8, weight=10, position=0),)
    attempt = Attempt("AT-1", STUDENT, COURSE, "QZ-1", 1, False, at(7), at(7), 5.0, 90.0, True)
    features = features_of(student(outline=required_quiz, extra_attempts=[attempt]), at(9))
    assert features is not None
    assert (features.due, features.due_submitted, features.mean_lateness) == (1, 1, 0.0)
    assert features.weighted_score == pytest.approx(90.0)


def test_paused_counts_from_the_moment_the_change_took_effect():
    facts = student(status_changes=((at(22), "paused"),))
    before, after = features_of(facts, at(21)), features_of(facts, at(30))
    assert before is not None and after is not None
    assert (before.paused, after.paused, after.paused_since) == (0.0, 1.0, at(22))
    resumed = student(status_changes=((at(22), "paused"), (at(26), "in_progress")))
    features = features_of(resumed, at(30))
    assert features is not None and features.paused == 0.0


def test_the_reasons_quote_the_students_own_due_work_and_status():
    facts = student(status_changes=((at(22), "paused"),))
    assessment = assess(facts, PRIOR, at(30))
    assert assessment is not None
    # prior: paused -2; half the due work missed: -1; weighted score 38: 0.03 x -27 =
    # -0.81; active on no day of the last 28: 2.5 x -0.3 = -0.75 (then 0.003 x -120, ...)
    assert assessment.reasons == (
        "stopped the course (paused) on 2026-11-24",
        "submitted 1 of the 2 assessments due so far",
        "weighted score so far 38 with missing work counted as 0 (typical 65)",
        "active on 0% of recent days (typical 30%)",
    )


def test_the_next_milestone_is_the_next_due_item_not_done_and_completion_counts_the_outline():
    reasons = NullReasons()
    catalog = {(COURSE, i.kind, i.item_id) for i in OUTLINE}
    section, _ = predictions(student(), {}, catalog, COURSE, PRIOR, at(30), reasons)
    milestone = section["next_milestone"]
    assert milestone["type"] == "assessment"
    assert milestone["description"] == "quiz QZ-1, due 2026-12-07 08:00 UTC"
    assert milestone["estimated_date"] == at(35)
    # required items left: L1, A2, A4; 2 done in the last 28 days: 3 / (2 / 28) = 42 days
    assert section["estimated_completion_date"] == at(30) + timedelta(days=42)


def test_the_time_since_the_start_is_never_a_reason():
    model = replace(PRIOR, coefficients=tuple(-5.0 for _ in PRIOR.coefficients))
    features = features_of(student(), at(30))
    assert features is not None
    assert "days_enrolled" in model.contributions(features)
    assert "days_enrolled" not in reasons_of(features, model)


def test_a_resubmission_at_the_moment_itself_is_not_known_yet():
    enrollment = Enrollment("ENR-1", STUDENT, COURSE, at(0), "in_progress", None)
    work = Assignment(STUDENT, COURSE, "A1", "submitted", at(5), at(2), None, None)
    facts = StudentFacts(STUDENT, (), (), (), (work,), (enrollment,))
    at_the_resubmission = features_of(facts, at(5))
    assert at_the_resubmission is not None
    assert at_the_resubmission.days_since_submission == pytest.approx(3.0)  # the first, day 2
    after = features_of(facts, at(6))
    assert after is not None and after.days_since_submission == pytest.approx(1.0)
