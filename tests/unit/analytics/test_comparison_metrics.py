"""comparison_metrics, worked out by hand on a class of five."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.analytics.domain.comparison import course_score
from services.analytics.store import student_facts
from tests.unit.analytics.streams import (
    COURSE,
    STUDENT,
    activity,
    analytics_document,
    analytics_session,
    apply,
    assignment,
    at,
    record,
    submitted,
)

pytestmark = pytest.mark.unit


def classmate(name: str, score: float) -> list:
    return [submitted(f"AT-{name}", "QZ-1", at(1), score, student=name)]


def stream() -> list:
    return [
        # the student: 80 this week, 60 and 70 in the two weeks before
        submitted("AT-1", "QZ-1", at(1), 80.0),
        submitted("AT-0", "QZ-2", at(-6), 60.0),
        submitted("AT-00", "QZ-3", at(-13), 70.0),
        # 60 minutes this week, 40 the week before
        activity(
            [
                record("R1", "lesson_start", at(1), duration=3600, lesson_id="LSN-1"),
                record("R0", "lesson_start", at(-6), duration=2400, lesson_id="LSN-1"),
            ]
        ),
        *classmate("USR-STU-A", 50.0),
        *classmate("USR-STU-B", 70.0),
        *classmate("USR-STU-C", 70.0),  # QZ-1 70; mean with nothing else
        *classmate("USR-STU-D", 90.0),
    ]


def test_class_comparison_uses_course_scores():
    # the student's course score: mean best of QZ-1 80, QZ-2 60, QZ-3 70 = 70
    # classmates: 50, 70, 70, 90 (mean 70)
    metrics = analytics_document(stream())["comparison_metrics"]
    assert metrics["vs_class_average"] == 0.0
    assert metrics["percentile_rank"] == 50.0  # 1 below, 2 equal: (1 + 2/2) / 4
    assert metrics["peer_comparison"] == {
        "ahead_of_peers": 25.0,  # 50
        "similar_to_peers": 50.0,  # 70, 70
        "behind_peers": 25.0,  # 90
    }


def test_previous_period_and_personal_best():
    metrics = analytics_document(stream())["comparison_metrics"]
    assert metrics["vs_previous_period"] == 50.0  # 60 minutes against 40
    assert metrics["vs_personal_best"] == 10.0  # 80 against the best earlier week, 70


def test_without_a_course_there_is_no_class_to_compare_with():
    document = analytics_document(stream(), course=None)
    assert document["comparison_metrics"]["percentile_rank"] is None
    assert document["null_reasons"]["comparison_metrics.percentile_rank"] == (
        "comparisons with a class are within a course: ask with course_id"
    )


def test_a_student_alone_in_the_course_has_no_class_comparison():
    events = [submitted("AT-1", "QZ-1", at(1), 80.0, student=STUDENT)]
    document = analytics_document(events)
    assert document["comparison_metrics"]["vs_class_average"] is None
    assert document["null_reasons"]["comparison_metrics.vs_class_average"] == (
        "no classmate has a quiz or assignment result in the course yet"
    )


def test_with_nothing_to_compare_every_null_says_why():
    document = analytics_document([submitted("AT-9", "QZ-1", at(-40), 55.0)])
    assert document["comparison_metrics"] == {
        "vs_class_average": None,
        "vs_previous_period": None,
        "percentile_rank": None,
        "vs_personal_best": None,
        "peer_comparison": {"ahead_of_peers": None, "similar_to_peers": None, "behind_peers": None},
    }
    nulls = {k: v for k, v in document["null_reasons"].items() if k.startswith("comparison")}
    alone = "no classmate has a quiz or assignment result in the course yet"
    assert nulls == {
        "comparison_metrics.vs_previous_period": "no activity time in the previous period",
        "comparison_metrics.vs_personal_best": (
            "no scored quiz in this period or in the 12 periods before it"
        ),
        "comparison_metrics.vs_class_average": alone,
        "comparison_metrics.percentile_rank": alone,
        "comparison_metrics.peer_comparison.ahead_of_peers": alone,
        "comparison_metrics.peer_comparison.similar_to_peers": alone,
        "comparison_metrics.peer_comparison.behind_peers": alone,
    }


def test_a_course_score_counts_the_work_submitted_before_its_moment():
    with analytics_session() as session:
        apply(
            session,
            [
                assignment("TMA-1", "submit", at(1), occurred=at(1)),
                assignment("TMA-1", "grade", at(1), occurred=at(2), grade=64.0),
            ],
        )
        facts = student_facts(session, STUDENT, COURSE)
    assert course_score(facts, at(1)) is None
    assert course_score(facts, at(1) + timedelta(microseconds=1)) == 64.0


def test_shares_of_peers_are_rounded_to_two_decimals():
    events = [
        submitted("AT-1", "QZ-1", at(1), 80.0),
        *classmate("USR-STU-A", 50.0),  # more than 5 points below: ahead of them
        *classmate("USR-STU-B", 78.0),  # similar
        *classmate("USR-STU-C", 90.0),  # behind them
    ]
    peers = analytics_document(events)["comparison_metrics"]["peer_comparison"]
    assert peers == {"ahead_of_peers": 33.33, "similar_to_peers": 33.33, "behind_peers": 33.33}


def class_of(mine: float, *others: float) -> list:
    events = [submitted("AT-1", "QZ-1", at(1), mine)]
    for n, score in enumerate(others):
        events += classmate(f"USR-STU-PEER-{n}", score)
    return events


def test_vs_class_average_and_percentile_rank_worked_out_and_rounded():
    # 80 against 50, 78, 90: the class average 72.666..., 2 of 3 below
    metrics = analytics_document(class_of(80.0, 50.0, 78.0, 90.0))["comparison_metrics"]
    assert metrics["vs_class_average"] == 10.09  # 100 x (80 - 72.667) / 72.667
    assert metrics["percentile_rank"] == 66.67


def test_a_classmate_with_the_same_score_counts_half():
    metrics = analytics_document(class_of(80.0, 50.0, 80.0, 90.0))["comparison_metrics"]
    assert metrics["percentile_rank"] == 50.0  # (1 below + 1 equal / 2) / 3


def test_five_points_either_way_is_still_similar():
    metrics = analytics_document(class_of(80.0, 75.0, 85.0))["comparison_metrics"]
    assert metrics["peer_comparison"] == {
        "ahead_of_peers": 0.0,
        "similar_to_peers": 100.0,
        "behind_peers": 0.0,
    }


def test_a_class_average_of_0_gives_no_ratio_and_says_why():
    document = analytics_document(class_of(80.0, 0.0, 0.0))
    assert document["comparison_metrics"]["vs_class_average"] is None
    assert document["null_reasons"]["comparison_metrics.vs_class_average"] == (
        "the class average is 0"
    )
    assert document["comparison_metrics"]["percentile_rank"] == 100.0


def test_a_class_average_under_1_point_still_gives_a_ratio():
    metrics = analytics_document(class_of(80.0, 0.0, 1.0))["comparison_metrics"]
    assert metrics["vs_class_average"] == 15900.0  # 100 x (80 - 0.5) / 0.5


def test_a_student_without_a_result_has_no_class_comparison_and_is_told_why():
    events = [activity([record("R1", "login", at(1))]), *classmate("USR-STU-A", 70.0)]
    document = analytics_document(events)
    assert document["comparison_metrics"]["percentile_rank"] is None
    assert document["null_reasons"]["comparison_metrics.percentile_rank"] == (
        "the student has no quiz or assignment result in the course yet"
    )


def test_less_than_a_minute_in_the_previous_period_is_still_compared_with():
    events = [
        activity(
            [
                record("R1", "lesson_start", at(1), duration=60, lesson_id="LSN-1"),
                record("R0", "lesson_start", at(-6), duration=30, lesson_id="LSN-1"),
            ]
        )
    ]
    metrics = analytics_document(events)["comparison_metrics"]
    assert metrics["vs_previous_period"] == 100.0  # 1 minute against half a minute
