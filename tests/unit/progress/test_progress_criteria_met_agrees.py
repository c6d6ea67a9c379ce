"""``completion_met`` and ``certificate_met`` (what deriving progress asks on every
change, stopping at the first unmet criterion) say what the word-for-word evaluations
say, for any outline, criteria, work, final result and status."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.progress.domain import (
    CourseWork,
    EnrollmentStatus,
    FinalResult,
    Outline,
    certificate_met,
    completion_met,
    derive_progress,
    evaluate_certificate,
    evaluate_completion,
)
from tests.unit.progress.progress_factories import assignment_in, item, outline, quiz_taken, work

pytestmark = pytest.mark.unit

KINDS = ("lesson", "quiz", "assignment")


@st.composite
def course_and_work(draw: st.DrawFn) -> tuple[Outline, CourseWork]:
    count = draw(st.integers(1, 8))
    items = [
        item(
            f"I{n}",
            draw(st.sampled_from(KINDS)),
            required=draw(st.booleans()),
            weight=draw(st.sampled_from([0.5, 1, 2, 0.1])),
        )
        for n in range(count)
    ]
    split = draw(st.integers(0, count))
    completion: dict[str, Any] = {
        "all_required_lessons": draw(st.booleans()),
        "all_required_quizzes_passed": draw(st.booleans()),
        "all_required_assignments_submitted": draw(st.booleans()),
        "assignments_min_grade": draw(st.none() | st.sampled_from([0, 50, 70, 100])),
        "min_progress_percentage": draw(st.none() | st.integers(0, 100)),
        "requires_final_result": draw(st.booleans()),
    }
    certificate: dict[str, Any] = {
        "requires_completion": draw(st.booleans()),
        "min_average_score": draw(st.none() | st.sampled_from([0, 40, 66.67, 80, 100])),
    }
    course = outline(
        items[:split] or items,
        *([items[split:]] if items[:split] and items[split:] else []),
        completion_criteria=completion,
        certificate_criteria=certificate,
    )
    ids = {kind: [i["item_id"] for i in items if i["kind"] == kind] for kind in KINDS}
    lessons = (
        tuple(draw(st.lists(st.sampled_from(ids["lesson"]), unique=True))) if ids["lesson"] else ()
    )
    quizzes = tuple(
        quiz_taken(quiz_id, draw(st.sampled_from([0, 45.5, 80, 100])), passed=draw(st.booleans()))
        for quiz_id in ids["quiz"]
        if draw(st.booleans())
    )
    assignments = tuple(
        assignment_in(assignment_id, draw(st.none() | st.sampled_from([0, 55, 70, 99.5])))
        for assignment_id in ids["assignment"]
        if draw(st.booleans())
    )
    done = work(lessons, quizzes, assignments)
    final = draw(st.none() | st.sampled_from(list(FinalResult)))
    return course, replace(done, final_result=final)


@settings(max_examples=400, deadline=None)
@given(course_and_work(), st.sampled_from(list(EnrollmentStatus)))
def test_met_is_what_the_evaluation_says(
    given_course: tuple[Outline, CourseWork], status: EnrollmentStatus
) -> None:
    course, done = given_course
    assert completion_met(course, done) == evaluate_completion(course, done).met
    assert certificate_met(course, done, status) == evaluate_certificate(course, done, status).met
    for after_student_work in (True, False):
        derived = derive_progress(course, done, status, after_student_work=after_student_work)
        assert derived.completion_met == evaluate_completion(course, done).met
        assert derived.certificate_earned == (
            evaluate_certificate(course, done, derived.status).met
        )
