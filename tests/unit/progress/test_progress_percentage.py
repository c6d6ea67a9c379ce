from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest

from services.progress.domain import CourseWork, ItemKind, Outline, progress_percentage
from services.progress.domain.criteria import average_score
from services.progress.domain.percentage import exact_decimal
from tests.unit.progress.progress_factories import assignment_in, item, outline, quiz_taken, work

pytestmark = pytest.mark.unit

COURSE = outline(
    [item("L1", weight=2), item("L2", weight=2), item("Q1", "quiz", weight=1)],
    [item("L3", weight=3), item("X1", required=False, weight=50), item("A1", "assignment")],
)  # counted weight: 2 + 2 + 1 + 3 + 1 = 9


@pytest.mark.parametrize(
    ("done", "percentage"),
    [
        (work(), 0),
        (work(lessons=("L1",)), 22),  # 2/9 = 22.2
        (work(lessons=("L1", "L2")), 44),  # 4/9 = 44.4
        (work(lessons=("L1", "L2", "L3")), 77),  # 7/9 = 77.7: rounded down
        (work(lessons=("L1", "L2", "L3"), assignments=(assignment_in("A1"),)), 88),
        (
            work(
                lessons=("L1", "L2", "L3"),
                quizzes=(quiz_taken("Q1", 90, passed=True),),
                assignments=(assignment_in("A1"),),
            ),
            100,
        ),
    ],
)
def test_percentage_is_the_weighted_share_of_required_items_done(
    done: CourseWork, percentage: int
) -> None:
    assert progress_percentage(COURSE, done) == percentage


def test_optional_items_neither_add_nor_penalize() -> None:
    with_optional = work(lessons=("L1", "X1"))

    assert progress_percentage(COURSE, with_optional) == progress_percentage(
        COURSE, work(lessons=("L1",))
    )


def test_failed_quiz_is_not_done_and_passed_quiz_is() -> None:
    course = outline([item("L1"), item("Q1", "quiz")])

    assert progress_percentage(course, work(quizzes=(quiz_taken("Q1", 40, passed=False),))) == 0
    assert progress_percentage(course, work(quizzes=(quiz_taken("Q1", 80, passed=True),))) == 50


def test_submitted_assignment_counts_as_done_before_it_is_graded() -> None:
    course = outline([item("A1", "assignment"), item("L1")])

    assert progress_percentage(course, work(assignments=(assignment_in("A1"),))) == 50


def test_percentage_reaches_100_only_when_everything_counted_is_done() -> None:
    course = outline([item(f"L{n}") for n in range(1, 201)])  # 199/200 = 99.5

    almost = work(lessons=tuple(f"L{n}" for n in range(1, 200)))

    assert progress_percentage(course, almost) == 99


def test_decimal_weights_add_up_exactly() -> None:
    course = outline([item("L1", weight=0.1), item("L2", weight=0.2), item("L3", weight=0.3)])

    assert progress_percentage(course, work(lessons=("L1", "L2"))) == 50


def test_course_without_required_items_measures_every_item() -> None:
    course = outline([item("L1", required=False), item("L2", required=False)])

    assert progress_percentage(course, work(lessons=("L2",))) == 50


def test_outline_change_keeps_work_on_remaining_items_and_ignores_removed_ones() -> None:
    done = work(lessons=("L1", "L2"))
    before = outline([item("L1"), item("L2")])
    after = outline([item("L2"), item("L3"), item("L4"), item("L5")])  # L1 removed, 3 added

    assert progress_percentage(before, done) == 100
    assert progress_percentage(after, done) == 25
    assert set(done.lessons) == {"L1", "L2"}


def test_exact_decimal_is_the_fraction_of_the_decimal_form_and_is_remembered() -> None:
    assert exact_decimal(0.1) == Fraction(1, 10)
    assert exact_decimal(0.1) + exact_decimal(0.2) == Fraction(3, 10)
    assert exact_decimal(0.1) is exact_decimal(0.1)


def test_counted_items_are_computed_once_per_outline_and_keep_equality() -> None:
    parsed = outline([item("L1"), item("L2", required=False)])

    assert parsed.counted_items() is parsed.counted_items()
    assert [i.item_id for i in parsed.counted_items()] == ["L1"]
    assert parsed == outline([item("L1"), item("L2", required=False)])


def reference_percentage(course: Outline, done: CourseWork) -> int:
    """The formula of COMPUTATION.md with Fraction arithmetic, term by term."""
    counted = course.counted_items()
    total = sum((Fraction(str(i.weight)) for i in counted), Fraction(0))
    share = sum((Fraction(str(i.weight)) for i in counted if done.is_done(i)), Fraction(0))
    return math.floor(100 * share / total) if total else 0


def reference_average(course: Outline, done: CourseWork) -> float | None:
    """The average score of COMPUTATION.md with Fraction arithmetic, rounded half up."""
    scored = [i for i in course.counted_items() if i.kind is not ItemKind.LESSON]
    if not scored:
        return None
    total = sum((Fraction(str(i.weight)) for i in scored), Fraction(0))
    weighted = sum(
        (Fraction(str(i.weight)) * Fraction(str(done.score_of(i) or 0)) for i in scored),
        Fraction(0),
    )
    return math.floor(weighted / total * 100 + Fraction(1, 2)) / 100


@pytest.mark.parametrize("seed", range(40))
def test_percentage_and_average_equal_fraction_arithmetic(seed: int) -> None:
    rng = random.Random(seed)
    weights = [0.1, 0.2, 0.3, 1, 2.5, 3, 7, 12.75, 33.3, 1000]
    scores = [0, 12.5, 33.33, 49.995, 55, 66.66666666666667, 74.125, 99.99, 100]
    items = [
        item(f"I{n}", rng.choice(["lesson", "quiz", "assignment"]), weight=rng.choice(weights))
        for n in range(rng.randint(2, 30))
    ]
    for entry in items:
        entry["required"] = rng.random() < 0.8
    course = outline(items[: len(items) // 2], items[len(items) // 2 :])
    kinds = {i.item_id: i.kind for i in course.items()}
    done = work(
        lessons=tuple(i for i, k in kinds.items() if k is ItemKind.LESSON and rng.random() < 0.5),
        quizzes=tuple(
            quiz_taken(i, rng.choice(scores), passed=rng.random() < 0.5)
            for i, k in kinds.items()
            if k is ItemKind.QUIZ and rng.random() < 0.7
        ),
        assignments=tuple(
            assignment_in(i, rng.choice([None, *scores]))
            for i, k in kinds.items()
            if k is ItemKind.ASSIGNMENT and rng.random() < 0.7
        ),
    )

    assert progress_percentage(course, done) == reference_percentage(course, done)
    assert average_score(course, done) == reference_average(course, done)
