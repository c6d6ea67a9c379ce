from __future__ import annotations

from typing import Any

import pytest

from services.progress.domain import (
    CourseWork,
    EnrollmentStatus,
    Outline,
    UnmetCriterion,
    average_score,
    evaluate_certificate,
    evaluate_completion,
)
from tests.unit.progress.progress_factories import assignment_in, item, outline, quiz_taken, work

pytestmark = pytest.mark.unit


def course(**criteria: Any) -> Outline:
    return outline(
        [item("L1"), item("Q1", "quiz", weight=2), item("X1", required=False)],
        [item("L2"), item("A1", "assignment")],
        **criteria,
    )


PASSED = (quiz_taken("Q1", 80, passed=True),)
GRADED = (assignment_in("A1", grade=70),)
EVERYTHING = work(lessons=("L1", "L2"), quizzes=PASSED, assignments=GRADED)


def test_completion_is_met_when_every_required_item_is_done() -> None:
    evaluation = evaluate_completion(course(), EVERYTHING)

    assert evaluation.met
    assert evaluation.reasons == []


def test_nothing_done_lists_every_missing_item_in_course_order() -> None:
    evaluation = evaluate_completion(course(), work())

    assert not evaluation.met
    assert evaluation.unmet == (
        UnmetCriterion("all_required_lessons", "lesson 'Title of L1' (L1) is not completed", "L1"),
        UnmetCriterion(
            "all_required_quizzes_passed", "quiz 'Title of Q1' (Q1) is not attempted yet", "Q1"
        ),
        UnmetCriterion("all_required_lessons", "lesson 'Title of L2' (L2) is not completed", "L2"),
        UnmetCriterion(
            "all_required_assignments_submitted",
            "assignment 'Title of A1' (A1) is not submitted",
            "A1",
        ),
    )


@pytest.mark.parametrize(
    ("quiz", "reason"),
    [
        (quiz_taken("Q1", 55, passed=False, attempts=2), "is not passed yet (best score 55)"),
        (quiz_taken("Q1", 55.456, passed=False), "is not passed yet (best score 55.46)"),
    ],
)
def test_failed_quiz_reason_shows_the_best_score(quiz: Any, reason: str) -> None:
    done = work(lessons=("L1", "L2"), quizzes=(quiz,), assignments=(assignment_in("A1"),))

    assert evaluate_completion(course(), done).reasons == [f"quiz 'Title of Q1' (Q1) {reason}"]


@pytest.mark.parametrize(
    ("flag", "done"),
    [
        ("all_required_lessons", work(quizzes=PASSED, assignments=GRADED)),
        ("all_required_quizzes_passed", work(lessons=("L1", "L2"), assignments=GRADED)),
        ("all_required_assignments_submitted", work(lessons=("L1", "L2"), quizzes=PASSED)),
    ],
)
def test_switched_off_criterion_is_not_checked(flag: str, done: CourseWork) -> None:
    assert not evaluate_completion(course(), done).met
    assert evaluate_completion(course(completion_criteria={flag: False}), done).met


@pytest.mark.parametrize(
    ("assignment", "reason"),
    [
        (None, "is not submitted"),
        (assignment_in("A1"), "is not graded yet (a grade of at least 60 is required)"),
        (assignment_in("A1", grade=59.5), "is graded 59.5, below the required 60"),
    ],
)
def test_assignment_below_the_minimum_grade_is_unmet(assignment: Any, reason: str) -> None:
    done = work(
        lessons=("L1", "L2"),
        quizzes=(quiz_taken("Q1", 80, passed=True),),
        assignments=(assignment,) if assignment else (),
    )

    evaluation = evaluate_completion(
        course(completion_criteria={"assignments_min_grade": 60}), done
    )

    assert evaluation.reasons == [f"assignment 'Title of A1' (A1) {reason}"]


def test_grade_at_the_minimum_is_enough() -> None:
    strict = course(completion_criteria={"assignments_min_grade": 70})

    assert evaluate_completion(strict, EVERYTHING).met


def test_minimum_grade_applies_even_when_submission_is_not_required() -> None:
    lenient = course(
        completion_criteria={
            "all_required_assignments_submitted": False,
            "assignments_min_grade": 50,
        }
    )
    done = work(lessons=("L1", "L2"), quizzes=(quiz_taken("Q1", 80, passed=True),))

    assert evaluate_completion(lenient, done).reasons == [
        "assignment 'Title of A1' (A1) is not submitted (a grade of at least 50 is required)"
    ]


def test_minimum_progress_percentage_alone_can_complete_a_course() -> None:
    by_progress = course(
        completion_criteria={
            "all_required_lessons": False,
            "all_required_quizzes_passed": False,
            "all_required_assignments_submitted": False,
            "min_progress_percentage": 40,
        }
    )  # counted weights: L1 1, Q1 2, L2 1, A1 1

    assert evaluate_completion(by_progress, work(lessons=("L1", "L2"))).met
    assert evaluate_completion(by_progress, work(lessons=("L1",))).reasons == [
        "progress is 20%, below the required 40%"
    ]


def test_certificate_requires_completed_status_by_default() -> None:
    evaluation = evaluate_certificate(course(), EVERYTHING, EnrollmentStatus.IN_PROGRESS)

    assert evaluation.unmet == (
        UnmetCriterion("requires_completion", "the course is not completed (status: in_progress)"),
    )
    assert evaluate_certificate(course(), EVERYTHING, EnrollmentStatus.COMPLETED).met


def test_average_score_weighs_quizzes_and_assignments_by_their_outline_weight() -> None:
    # Q1 weighs 2 with 80, A1 weighs 1 with 70: (160 + 70) / 3
    assert average_score(course(), EVERYTHING) == 76.67


def test_certificate_minimum_average_lists_the_shortfall_and_unscored_items() -> None:
    demanding = course(certificate_criteria={"min_average_score": 60})
    done = work(quizzes=(quiz_taken("Q1", 80, passed=True),), assignments=(assignment_in("A1"),))

    evaluation = evaluate_certificate(demanding, done, EnrollmentStatus.COMPLETED)

    assert evaluation.reasons == [
        "average score 53.33 is below the required 60 (1 not scored yet, counted as 0)"
    ]


@pytest.mark.parametrize("minimum", [76.67, 230 / 3])
def test_certificate_average_at_the_minimum_as_shown_is_enough(minimum: float) -> None:
    exact = course(certificate_criteria={"min_average_score": minimum})

    assert evaluate_certificate(exact, EVERYTHING, EnrollmentStatus.COMPLETED).met


def test_certificate_average_just_below_the_minimum_is_not_enough() -> None:
    strict = course(certificate_criteria={"min_average_score": 76.68})

    assert evaluate_certificate(strict, EVERYTHING, EnrollmentStatus.COMPLETED).reasons == [
        "average score 76.67 is below the required 76.68"
    ]


@pytest.mark.parametrize(
    ("quiz_score", "average"), [(59.995, 60.0), (59.985, 59.99), (59.9849, 59.98)]
)
def test_average_score_rounds_half_up_to_hundredths(quiz_score: float, average: float) -> None:
    single_quiz = outline([item("Q1", "quiz")])

    done = work(quizzes=(quiz_taken("Q1", quiz_score, passed=False),))

    assert average_score(single_quiz, done) == average


def test_average_score_of_long_weights_and_scores_is_exact_at_the_half() -> None:
    # (0.502433885 * 97.6 + 1 * 20.126996719975) / 1.502433885 is exactly 46.035
    # (9207/200): it rounds up to 46.04, where float arithmetic lands just below the half.
    uneven = outline([item("Q1", "quiz", weight=0.502433885), item("Q2", "quiz")])
    done = work(
        quizzes=(
            quiz_taken("Q1", 97.6, passed=True),
            quiz_taken("Q2", 20.126996719975, passed=False),
        )
    )

    assert average_score(uneven, done) == 46.04


def test_course_of_lessons_only_has_no_average_to_judge() -> None:
    lessons_only = outline([item("L1")], certificate_criteria={"min_average_score": 90})

    assert average_score(lessons_only, work()) is None
    assert evaluate_certificate(lessons_only, work(lessons=("L1",)), EnrollmentStatus.COMPLETED).met


def test_certificate_without_completion_requirement_can_be_earned_in_progress() -> None:
    open_course = course(certificate_criteria={"requires_completion": False})

    assert evaluate_certificate(open_course, work(), EnrollmentStatus.IN_PROGRESS).met
