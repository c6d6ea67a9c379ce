"""An institution's final result decides the enrollment; due moments ride on the outline."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.progress.domain import (
    CourseWork,
    EnrollmentStatus,
    FinalResult,
    FinalResultRecord,
    derive_progress,
    evaluate_completion,
    is_new_final_result,
    parse_outline,
    status_on_final_result,
)
from shared.errors import Conflict, InvalidInput
from tests.unit.progress.progress_factories import (
    T0,
    assignment_in,
    item,
    outline,
    quiz_taken,
    raw_outline,
    work,
)

pytestmark = pytest.mark.unit

EVERYTHING = work(
    lessons=("L1",),
    quizzes=(quiz_taken("Q1", 80, passed=True),),
    assignments=(assignment_in("A1", 70),),
)


def course(**completion: object) -> object:
    return outline(
        [item("L1"), item("Q1", "quiz")],
        [item("A1", "assignment")],
        completion_criteria=completion,
    )


def test_a_course_decided_by_its_final_result_is_not_completed_by_its_items() -> None:
    evaluation = evaluate_completion(course(requires_final_result=True), EVERYTHING)

    assert not evaluation.met
    assert [u.criterion for u in evaluation.unmet] == ["requires_final_result"]
    assert evaluation.reasons == [
        "the course is decided by its final result, and none is recorded yet"
    ]


def test_requires_final_result_is_off_unless_asked() -> None:
    assert evaluate_completion(course(), EVERYTHING).met
    assert course().completion.requires_final_result is False


@pytest.mark.parametrize("result", [FinalResult.PASS, FinalResult.DISTINCTION])
def test_a_passing_final_result_completes_whatever_the_items(result: FinalResult) -> None:
    nothing_done = CourseWork(final_result=result)

    for given in (course(requires_final_result=True), course()):
        evaluation = evaluate_completion(given, nothing_done)
        assert evaluation.met
        assert evaluation.unmet == () and evaluation.reasons == []


@pytest.mark.parametrize("result", [FinalResult.FAIL, FinalResult.WITHDRAWN])
def test_a_failing_final_result_is_never_completed_by_the_items(result: FinalResult) -> None:
    evaluation = evaluate_completion(course(), replace(EVERYTHING, final_result=result))

    assert [u.criterion for u in evaluation.unmet] == ["final_result"]
    assert evaluation.reasons == [f"the final result is {result.value}"]


def test_work_after_a_failing_final_result_leaves_the_enrollment_paused() -> None:
    failed = replace(EVERYTHING, final_result=FinalResult.FAIL)

    derived = derive_progress(course(), failed, EnrollmentStatus.PAUSED, after_student_work=True)

    assert derived.status is EnrollmentStatus.PAUSED


@pytest.mark.parametrize(
    ("result", "status"),
    [
        (FinalResult.PASS, EnrollmentStatus.COMPLETED),
        (FinalResult.DISTINCTION, EnrollmentStatus.COMPLETED),
        (FinalResult.FAIL, EnrollmentStatus.PAUSED),
        (FinalResult.WITHDRAWN, EnrollmentStatus.PAUSED),
    ],
)
def test_the_final_result_sets_the_status(result: FinalResult, status: EnrollmentStatus) -> None:
    assert status_on_final_result(result) is status


def test_the_same_final_result_again_is_not_new_and_another_one_is_a_conflict() -> None:
    recorded = FinalResultRecord(FinalResult.PASS, T0)
    same_moment_elsewhere = T0.astimezone(timezone(timedelta(hours=2)))

    assert is_new_final_result(None, recorded) is True
    assert not is_new_final_result(
        recorded, FinalResultRecord(FinalResult.PASS, same_moment_elsewhere)
    )
    assert not is_new_final_result(recorded, recorded)
    with pytest.raises(Conflict) as refused:
        is_new_final_result(recorded, FinalResultRecord(FinalResult.FAIL, T0))
    assert refused.value.message == (
        "the enrollment's final result is already pass (at 2024-09-02T08:00:00Z); "
        "it is not changed to fail (at 2024-09-02T08:00:00Z)"
    )


def test_a_final_result_needs_an_aware_moment() -> None:
    with pytest.raises(InvalidInput) as refused:
        FinalResultRecord(FinalResult.PASS, datetime(2014, 5, 20))
    assert refused.value.fields == {"at": ["must include a time zone offset (UTC)"]}


def test_an_item_keeps_its_due_moment_in_utc() -> None:
    raw = raw_outline([{**item("A1", "assignment"), "due_at": "2013-10-18T13:00:00+01:00"}])

    (only,) = parse_outline(raw).items()

    assert only.due_at == datetime(2013, 10, 18, 12, 0, tzinfo=UTC)
    assert next(parse_outline(raw_outline([item("L1")])).items()).due_at is None


@pytest.mark.parametrize("due_at", ["2013-10-18T12:00:00", "tomorrow", 1381000000, True])
def test_an_item_due_moment_without_offset_or_not_a_moment_is_refused(due_at: object) -> None:
    raw = raw_outline([item("L1")], [{**item("A1", "assignment"), "due_at": due_at}])

    with pytest.raises(InvalidInput) as refused:
        parse_outline(raw)

    assert refused.value.fields == {
        "modules[1].items[0].due_at": ["must be an ISO 8601 date and time with its offset, or null"]
    }


def test_requires_final_result_must_be_a_boolean() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_outline(raw_outline([item("L1")], completion_criteria={"requires_final_result": 1}))
    assert refused.value.fields == {
        "completion_criteria.requires_final_result": ["must be true or false"]
    }
