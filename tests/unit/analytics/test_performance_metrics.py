"""performance_metrics, worked out by hand: the week of Nov 2, 2026 (UTC)."""

from __future__ import annotations

import pytest

from services.analytics.domain.performance import best_scores, improvement, items_done
from tests.unit.analytics.streams import (
    COURSE,
    OTHER_STUDENT,
    activity,
    analytics_document,
    assignment,
    at,
    facts_of,
    graded,
    lesson_completed,
    record,
    submitted,
)

pytestmark = pytest.mark.unit


def stream() -> list:
    return [
        # QZ-1: 50 on Monday, regraded 70 on Tuesday; 90 on Wednesday
        submitted("AT-1", "QZ-1", at(0), 50.0),
        graded("AT-1", "QZ-1", at(1), 70.0),
        submitted("AT-2", "QZ-1", at(2), 90.0, number=2),
        # QZ-2: an essay waiting for its grade (no score), and 40 before the week
        submitted("AT-3", "QZ-2", at(3), None),
        submitted("AT-5", "QZ-2", at(-3), 40.0),
        # QZ-3: a practice attempt never counts
        submitted("AT-4", "QZ-3", at(3), 100.0, practice=True),
        # ASG-1 submitted Wednesday, graded 85 on Friday; ASG-2 submitted, not graded
        assignment("ASG-1", "submit", at(2), occurred=at(2)),
        assignment("ASG-1", "grade", at(2), occurred=at(4), grade=85.0),
        assignment("ASG-2", "submit", at(3), occurred=at(3)),
        lesson_completed("LSN-1", at(1)),
        # another student's record names LSN-2: the course has 7 known items
        activity(
            [record("X1", "lesson_start", at(1), student=OTHER_STUDENT, lesson_id="LSN-2")],
            student=OTHER_STUDENT,
        ),
    ]


def test_quiz_average_and_improvement_use_the_latest_grade_of_scored_attempts():
    metrics = analytics_document(stream())["performance_metrics"]
    assert metrics["quiz_average"] == 80.0  # (70 + 90) / 2
    assert metrics["quiz_improvement"] == 20.0  # 90 - 70


def test_assignment_average_counts_graded_assignments_only():
    assert analytics_document(stream())["performance_metrics"]["assignment_average"] == 85.0


def test_completion_rate_is_items_done_of_the_known_items():
    # done: LSN-1, QZ-1 (passed), ASG-1, ASG-2 (submitted) of LSN-1, LSN-2, QZ-1..3, ASG-1..2
    assert analytics_document(stream())["performance_metrics"]["completion_rate"] == 57.14


def test_mastery_strengths_and_weaknesses_use_each_quizs_best_score():
    metrics = analytics_document(stream())["performance_metrics"]
    assert metrics["mastery_level"] == 65.0  # QZ-1 best 90, QZ-2 best 40
    assert metrics["strengths"] == ["QZ-1"]
    assert metrics["weaknesses"] == ["QZ-2"]


def test_grade_distribution_counts_quiz_scores_and_assignment_grades():
    assert analytics_document(stream())["performance_metrics"]["grade_distribution"] == {
        "a_count": 1,
        "b_count": 1,
        "c_count": 1,
        "d_count": 0,
        "f_count": 0,
    }


def test_a_period_without_results_says_why_its_averages_are_null():
    document = analytics_document(stream(), start=at(14))
    metrics, reasons = document["performance_metrics"], document["null_reasons"]
    assert metrics["quiz_average"] is None
    assert reasons["performance_metrics.quiz_average"] == "no scored quiz attempt in the period"
    assert reasons["performance_metrics.quiz_improvement"].startswith("fewer than two")
    assert reasons["performance_metrics.assignment_average"] == "no graded assignment in the period"
    assert metrics["mastery_level"] == 65.0  # mastery accumulates up to the period's end


@pytest.mark.parametrize(
    ("scores", "change"),
    [
        ([60.0, 90.0], 30.0),
        ([60.0, 70.0, 80.0, 90.0], 20.0),
        ([50.0, 70.0, 99.0, 60.0, 90.0], 15.0),
    ],
)
def test_improvement_is_the_later_halfs_mean_minus_the_earlier_halfs(
    scores: list[float], change: float
):
    assert improvement(scores) == change


def test_strengths_best_first_weaknesses_worst_first_80_strong_and_60_not_weak():
    events = [
        submitted("AT-1", "QZ-A", at(1), 85.0),
        submitted("AT-2", "QZ-B", at(1), 95.0),
        submitted("AT-3", "QZ-C", at(1), 95.0),
        submitted("AT-4", "QZ-D", at(1), 50.0),
        submitted("AT-5", "QZ-E", at(1), 30.0),
        submitted("AT-6", "QZ-F", at(1), 60.0),
        submitted("AT-7", "QZ-G", at(1), 80.0),
        submitted("AT-8", "QZ-H", at(1), 79.5),
    ]
    metrics = analytics_document(events)["performance_metrics"]
    assert metrics["strengths"] == ["QZ-B", "QZ-C", "QZ-A", "QZ-G"]
    assert metrics["weaknesses"] == ["QZ-E", "QZ-D"]


def test_grade_distribution_counts_every_result_of_a_band():
    events = [submitted(f"AT-{n}", f"QZ-{n}", at(1), 92.0 + n) for n in range(3)]
    distribution = analytics_document(events)["performance_metrics"]["grade_distribution"]
    assert distribution == {"a_count": 3, "b_count": 0, "c_count": 0, "d_count": 0, "f_count": 0}


def test_no_completion_rate_before_any_item_is_known():
    document = analytics_document([activity([record("R1", "login", at(1))])])
    assert document["performance_metrics"]["completion_rate"] is None
    assert document["null_reasons"]["performance_metrics.completion_rate"] == (
        "no lesson, quiz or assignment is known yet"
    )


def test_best_scores_are_each_quizs_best_before_the_moment():
    facts = facts_of(
        [
            submitted("AT-1", "QZ-1", at(1), 90.0),
            submitted("AT-2", "QZ-1", at(2), 50.0, number=2),
            submitted("AT-3", "QZ-2", at(1), 0.0),
            submitted("AT-4", "QZ-3", at(3), 70.0),  # exactly at the moment: not yet
            submitted("AT-5", "QZ-4", at(4), 70.0),  # after it
        ]
    )
    assert best_scores(facts.attempts, at(3)) == {"QZ-1": 90.0, "QZ-2": 0.0}


def test_an_item_done_at_the_moment_itself_is_not_done_yet():
    facts = facts_of(
        [
            lesson_completed("LSN-1", at(1)),
            submitted("AT-1", "QZ-1", at(1), 90.0),
            assignment("TMA-1", "submit", at(1), occurred=at(1)),
        ]
    )
    assert items_done(facts, at(1)) == set()
    assert items_done(facts, at(1, 0, 1)) == {
        (COURSE, "lesson", "LSN-1"),
        (COURSE, "quiz", "QZ-1"),
        (COURSE, "assignment", "TMA-1"),
    }


def test_no_mastery_before_any_scored_quiz():
    document = analytics_document([lesson_completed("LSN-1", at(1))])
    assert document["performance_metrics"]["mastery_level"] is None
    assert document["null_reasons"]["performance_metrics.mastery_level"] == (
        "no scored quiz attempt up to the period's end"
    )
