from __future__ import annotations

import pytest

from services.progress.domain import (
    CourseWork,
    CurrentPosition,
    current_position,
    next_unfinished_item,
)
from tests.unit.progress.progress_factories import assignment_in, item, outline, quiz_taken, work

pytestmark = pytest.mark.unit

COURSE = outline(
    [item("L1"), item("X1", required=False), item("Q1", "quiz"), item("L2")],
    [item("L3"), item("A1", "assignment")],
)
PASSED_Q1 = quiz_taken("Q1", 90, passed=True)


@pytest.mark.parametrize(
    ("done", "expected"),
    [
        (work(), CurrentPosition("MOD-1", "L1")),
        (work(lessons=("L1",)), CurrentPosition("MOD-1", "L2")),
        (work(lessons=("L1", "L2")), CurrentPosition("MOD-2", "L3")),
        (work(lessons=("L2",)), CurrentPosition("MOD-1", "L1")),
        (work(lessons=("L1", "L2", "L3")), CurrentPosition("MOD-1", None)),
        (work(lessons=("L1", "L2", "L3"), quizzes=(PASSED_Q1,)), CurrentPosition("MOD-2", None)),
        (
            work(
                lessons=("L1", "L2", "L3"), quizzes=(PASSED_Q1,), assignments=(assignment_in("A1"),)
            ),
            CurrentPosition(None, None),
        ),
    ],
    ids=["nothing", "first", "module-done", "gap", "lessons-done", "quiz-passed", "all-done"],
)
def test_current_lesson_is_the_first_unfinished_required_lesson(
    done: CourseWork, expected: CurrentPosition
) -> None:
    assert current_position(COURSE, done) == expected


def test_next_item_is_the_first_unfinished_required_item_of_any_kind() -> None:
    position = next_unfinished_item(COURSE, work(lessons=("L1",)))

    assert position is not None
    assert (position.module_id, position.item.item_id) == ("MOD-1", "Q1")


def test_optional_items_are_never_the_next_item() -> None:
    position = next_unfinished_item(COURSE, work(lessons=("L1",), quizzes=(PASSED_Q1,)))

    assert position is not None and position.item.item_id == "L2"


def test_failed_quiz_stays_the_next_item() -> None:
    failed = quiz_taken("Q1", 30, passed=False, attempts=3)

    position = next_unfinished_item(COURSE, work(lessons=("L1",), quizzes=(failed,)))

    assert position is not None and position.item.item_id == "Q1"


def test_no_next_item_when_everything_counted_is_done() -> None:
    done = work(
        lessons=("L1", "L2", "L3"), quizzes=(PASSED_Q1,), assignments=(assignment_in("A1"),)
    )

    assert next_unfinished_item(COURSE, done) is None


def test_counted_positions_are_the_counted_items_in_course_order_computed_once() -> None:
    course = outline(
        [item("L1"), item("X1", required=False), item("Q1", "quiz")],
        [item("L2", required=False), item("A1", "assignment")],
    )

    assert course.counted_positions is course.counted_positions
    assert [(p.module_id, p.item.item_id) for p in course.counted_positions] == [
        (p.module_id, p.item.item_id)
        for p in course.positions()
        if p.item in course.counted_items()
    ]
    assert [p.item.item_id for p in course.counted_positions] == ["L1", "Q1", "A1"]
