# ruff: noqa: E501 (tables of messages keep one case a line)
"""What the completion and certificate criteria tell a student is missing, word for word,
at the bounds; and the refusals of the facts the criteria are computed from."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from services.progress.domain import (
    AssignmentGrading,
    AssignmentSubmission,
    EnrollmentStatus,
    QuizResult,
    evaluate_certificate,
    evaluate_completion,
)
from services.progress.domain.criteria import UnmetCriterion, average_score
from services.progress.domain.engagement import ActivityRecord
from services.progress.domain.quizzes import AttemptGraded, AttemptSubmitted
from shared.errors import InvalidInput
from tests.unit.progress.progress_factories import (
    T0,
    assignment_in,
    item,
    outline,
    quiz_taken,
    work,
)

pytestmark = pytest.mark.unit

ITEMS = [item("L1"), item("Q1", "quiz"), item("A1", "assignment")]


def unmet(*entries: tuple[str, str, str | None]) -> tuple[UnmetCriterion, ...]:
    return tuple(UnmetCriterion(*entry) for entry in entries)


def test_nothing_done_names_every_item_and_its_criterion():
    evaluation = evaluate_completion(outline(ITEMS), work())
    assert evaluation.unmet == unmet(
        ("all_required_lessons", "lesson 'Title of L1' (L1) is not completed", "L1"),
        ("all_required_quizzes_passed", "quiz 'Title of Q1' (Q1) is not attempted yet", "Q1"),
        ("all_required_assignments_submitted", "assignment 'Title of A1' (A1) is not submitted", "A1"),
    )  # fmt: skip
    assert evaluation.met is False
    assert evaluation.reasons == [entry.message for entry in evaluation.unmet]


@pytest.mark.parametrize(
    ("result", "message"),
    [
        (quiz_taken("Q1", 45.5, passed=False), "is not passed yet (best score 45.5)"),
        (quiz_taken("Q1", 59.996, passed=False), "is not passed yet (best score 60)"),
        (QuizResult("Q1", T0, 1, None, "AT-1", 10, False), "is not passed yet (awaiting grading)"),
    ],
)
def test_a_quiz_not_passed_says_why(result: QuizResult, message: str):
    evaluation = evaluate_completion(
        outline(ITEMS), work(("L1",), (result,), (assignment_in("A1"),))
    )
    assert evaluation.unmet == unmet(
        ("all_required_quizzes_passed", f"quiz 'Title of Q1' (Q1) {message}", "Q1")
    )


MIN_70: dict[str, Any] = {"assignments_min_grade": 70, "all_required_assignments_submitted": False}


@pytest.mark.parametrize(
    ("criteria", "assignment", "problem"),
    [
        (MIN_70, None, "is not submitted (a grade of at least 70 is required)"),
        (MIN_70, assignment_in("A1"), "is not graded yet (a grade of at least 70 is required)"),
        (MIN_70, assignment_in("A1", 69.99), "is graded 69.99, below the required 70"),
        ({"assignments_min_grade": 70.5}, assignment_in("A1", 70.25), "is graded 70.25, below the required 70.5"),
    ],
)  # fmt: skip
def test_an_assignment_short_of_the_minimum_grade_says_why(
    criteria: dict[str, Any], assignment: Any, problem: str
):
    done = work(("L1",), (quiz_taken("Q1", 90, passed=True),), (assignment,) if assignment else ())
    evaluation = evaluate_completion(outline(ITEMS, completion_criteria=criteria), done)
    assert evaluation.unmet == unmet(
        ("assignments_min_grade", f"assignment 'Title of A1' (A1) {problem}", "A1")
    )


@pytest.mark.parametrize(
    ("criteria", "assignment"),
    [
        (MIN_70, assignment_in("A1", 70)),
        ({"all_required_assignments_submitted": False}, None),
        ({}, assignment_in("A1")),
    ],
)
def test_an_assignment_meeting_its_criteria_is_not_named(criteria: dict[str, Any], assignment: Any):
    done = work(("L1",), (quiz_taken("Q1", 90, passed=True),), (assignment,) if assignment else ())
    assert evaluate_completion(outline(ITEMS, completion_criteria=criteria), done).unmet == ()


def test_switched_off_criteria_name_nothing():
    criteria = {
        "all_required_lessons": False,
        "all_required_quizzes_passed": False,
        "all_required_assignments_submitted": False,
    }
    assert evaluate_completion(outline(ITEMS, completion_criteria=criteria), work()).met


def test_progress_short_of_the_minimum_says_how_far():
    criteria = {
        "all_required_lessons": False,
        "all_required_quizzes_passed": False,
        "all_required_assignments_submitted": False,
        "min_progress_percentage": 67,
    }
    evaluation = evaluate_completion(outline(ITEMS, completion_criteria=criteria), work(("L1",)))
    assert evaluation.unmet == unmet(
        ("min_progress_percentage", "progress is 33%, below the required 67%", None)
    )
    at_minimum = {**criteria, "min_progress_percentage": 33}
    assert evaluate_completion(outline(ITEMS, completion_criteria=at_minimum), work(("L1",))).met


def test_the_certificate_waits_for_completion():
    evaluation = evaluate_certificate(outline(ITEMS), work(), EnrollmentStatus.IN_PROGRESS)
    assert evaluation.unmet == unmet(
        ("requires_completion", "the course is not completed (status: in_progress)", None)
    )
    assert evaluate_certificate(outline(ITEMS), work(), EnrollmentStatus.COMPLETED).met
    relaxed = outline(ITEMS, certificate_criteria={"requires_completion": False})
    assert evaluate_certificate(relaxed, work(), EnrollmentStatus.PAUSED).met


def test_a_low_average_says_what_is_not_scored_yet():
    criteria = {"requires_completion": False, "min_average_score": 80}
    below = work((), (quiz_taken("Q1", 60, passed=True),))
    evaluation = evaluate_certificate(
        outline(ITEMS, certificate_criteria=criteria), below, EnrollmentStatus.IN_PROGRESS
    )
    assert evaluation.unmet == unmet(
        (
            "min_average_score",
            "average score 30 is below the required 80 (1 not scored yet, counted as 0)",
            None,
        )
    )
    all_scored = work((), (quiz_taken("Q1", 60, passed=True),), (assignment_in("A1", 99.5),))
    evaluation = evaluate_certificate(
        outline(ITEMS, certificate_criteria=criteria), all_scored, EnrollmentStatus.IN_PROGRESS
    )
    assert evaluation.reasons == ["average score 79.75 is below the required 80"]
    exactly = work((), (quiz_taken("Q1", 60, passed=True),), (assignment_in("A1", 100),))
    assert evaluate_certificate(
        outline(ITEMS, certificate_criteria=criteria), exactly, EnrollmentStatus.IN_PROGRESS
    ).met


@pytest.mark.parametrize(
    ("scores", "weights", "average"),
    [
        ((33.335,), (1,), 33.34),  # half up, computed exactly
        ((0.005,), (1,), 0.01),
        ((0.004,), (1,), 0.0),
        ((100, 0), (1, 2), 33.33),
        ((100, 0), (2, 1), 66.67),
        ((80, 90), (1.5, 0.5), 82.5),
    ],
)
def test_the_average_is_weighted_and_rounded_half_up(
    scores: tuple[float, ...], weights: tuple[float, ...], average: float
):
    items = [item(f"Q{n}", "quiz", weight=w) for n, w in enumerate(weights)]
    results = tuple(quiz_taken(f"Q{n}", s, passed=True) for n, s in enumerate(scores))
    assert average_score(outline(items), work((), results)) == average


def test_without_scored_items_there_is_no_average():
    assert average_score(outline([item("L1")]), work(("L1",))) is None


# -- the facts the criteria are computed from --------------------------------------------

NAIVE = datetime(2026, 1, 1)


@pytest.mark.parametrize(
    ("build", "field", "message"),
    [
        (lambda: AttemptSubmitted("", T0, 1, 50, True), "attempt_id", "must be a non-empty string"),
        (lambda: AttemptSubmitted("AT", NAIVE, 1, 50, True), "completed_at", "must include a time zone offset (UTC)"),
        (lambda: AttemptSubmitted("AT", T0, -1, 50, True), "time_spent", "must be at least 0, got -1"),
        (lambda: AttemptSubmitted("AT", T0, 1, 101, True), "score", "must be from 0 to 100, got 101"),
        (lambda: AttemptGraded(" AT", T0, 50, True), "attempt_id", "must not start or end with whitespace"),
        (lambda: AttemptGraded("AT", NAIVE, 50, True), "graded_at", "must include a time zone offset (UTC)"),
        (lambda: AttemptGraded("AT", T0, None, True), "score", "must be a number from 0 to 100"),
        (lambda: AssignmentSubmission("", T0, 1), "submission_id", "must be a non-empty string"),
        (lambda: AssignmentSubmission("S", NAIVE, 1), "submitted_at", "must include a time zone offset (UTC)"),
        (lambda: AssignmentSubmission("S", T0, "1"), "time_spent", "must be a number of at least 0"),
        (lambda: AssignmentGrading(101, T0), "grade", "must be from 0 to 100, got 101"),
        (lambda: AssignmentGrading(90, NAIVE), "graded_at", "must include a time zone offset (UTC)"),
        (lambda: AssignmentGrading(90, T0, ""), "feedback_id", "must be a non-empty string"),
        (lambda: ActivityRecord("", T0), "activity_id", "must be a non-empty string"),
        (lambda: ActivityRecord("LOG", NAIVE), "occurred_at", "must include a time zone offset (UTC)"),
        (lambda: ActivityRecord("LOG", T0, -5), "duration_seconds", "must be at least 0, got -5"),
    ],
)  # fmt: skip
def test_facts_are_refused_by_field(build: Callable[[], object], field: str, message: str):
    with pytest.raises(InvalidInput) as error:
        build()
    assert error.value.fields == {field: [message]}


def test_facts_within_their_bounds_are_accepted():
    assert AttemptSubmitted("AT", T0, 0, None, False).score is None
    assert AttemptGraded("AT", T0, 100, True).score == 100
    assert AssignmentGrading(0, T0, None).feedback_id is None
    assert AssignmentGrading(0, T0, "FB-1").feedback_id == "FB-1"
    assert ActivityRecord("LOG", T0, None).duration_seconds is None
    assert ActivityRecord("LOG", T0, 0).duration_seconds == 0
