from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from services.attempts.domain import (
    AttemptForAnalysis,
    AttemptStatus,
    ItemStatistics,
    Quiz,
    analyze_items,
    score_answer,
)

pytestmark = pytest.mark.unit

GRADED = AttemptStatus.GRADED


@pytest.fixture
def quiz(make_quiz: Callable[..., Quiz], new_raw_question: Callable[..., dict[str, Any]]) -> Quiz:
    return make_quiz(
        new_raw_question("true_false", "tf"),
        new_raw_question("multiple_response", "mr", points=3),
        new_raw_question("essay", "essay"),
    )


def attempt(
    quiz: Quiz,
    number: int,
    score: float,
    answers: dict[str, object],
    *,
    status: AttemptStatus = GRADED,
    practice: bool = False,
    essay_points: float | None = None,
) -> AttemptForAnalysis:
    results = tuple(
        score_answer(
            question,
            answers.get(question.question_id),
            teacher_points=essay_points if question.question_id == "essay" else None,
        )
        for question in quiz.questions
    )
    return AttemptForAnalysis(f"ATT-{number:02d}", status, practice, score, results)


def class_of_ten(quiz: Quiz) -> list[AttemptForAnalysis]:
    """Ten attempts, scores 100 down to 10: the top five got tf right, all got mr 1/3."""
    return [
        attempt(quiz, n, 110 - 10 * n, {"tf": n <= 5, "mr": ["2"]}, essay_points=1)
        for n in range(1, 11)
    ]


def test_facility_is_the_mean_share_earned_and_discrimination_compares_top_and_bottom(
    quiz: Quiz,
) -> None:
    statistics = analyze_items(quiz, class_of_ten(quiz))

    assert statistics == (
        ItemStatistics("tf", 10, 0.5, 0.5, 1.0),
        ItemStatistics("mr", 10, 0.3333, 0.0, 0.0),
        ItemStatistics("essay", 10, 0.5, 0.0, 0.0),
    )


def test_an_item_that_weaker_students_get_right_discriminates_negatively(quiz: Quiz) -> None:
    attempts = [attempt(quiz, n, 110 - 10 * n, {"tf": n > 7}, essay_points=0) for n in range(1, 11)]

    tf = analyze_items(quiz, attempts)[0]

    assert tf.discrimination == -1.0
    assert tf.facility == 0.3


def test_only_closed_graded_attempts_count(quiz: Quiz) -> None:
    attempts = class_of_ten(quiz)
    attempts += [
        attempt(quiz, 20, 0, {"tf": True}, practice=True),
        attempt(quiz, 21, 0, {"tf": True}, status=AttemptStatus.IN_PROGRESS),
    ]

    assert analyze_items(quiz, attempts) == analyze_items(quiz, class_of_ten(quiz))


def test_pending_essays_are_left_out_of_their_item(quiz: Quiz) -> None:
    attempts = [
        attempt(quiz, 1, 90, {"essay": "Text."}, status=AttemptStatus.PENDING_GRADING),
        attempt(quiz, 2, 80, {"essay": "Text."}, essay_points=2),
    ]

    essay = analyze_items(quiz, attempts)[2]

    assert (essay.responses, essay.facility, essay.fully_correct_share) == (1, 1.0, 1.0)


@pytest.mark.parametrize(("count", "has_discrimination"), [(1, False), (5, False), (7, True)])
def test_discrimination_needs_at_least_two_attempts_per_group(
    quiz: Quiz, count: int, has_discrimination: bool
) -> None:
    attempts = [attempt(quiz, n, 100 - n, {"tf": n % 2 == 0}) for n in range(count)]

    tf = analyze_items(quiz, attempts)[0]

    assert tf.responses == count
    assert (tf.discrimination is not None) is has_discrimination


def test_questions_without_any_counted_attempt_have_no_statistics(quiz: Quiz) -> None:
    assert analyze_items(quiz, []) == tuple(
        ItemStatistics(question_id, 0, None, None, None) for question_id in quiz.question_ids
    )


def test_result_does_not_depend_on_input_order_even_with_tied_scores(quiz: Quiz) -> None:
    attempts = [attempt(quiz, n, 50, {"tf": n % 3 == 0, "mr": ["2", "3"]}) for n in range(12)]
    shuffled = list(attempts)
    random.Random(7).shuffle(shuffled)

    assert analyze_items(quiz, shuffled) == analyze_items(quiz, attempts)


def test_statistics_stay_within_their_ranges_for_random_classes(quiz: Quiz) -> None:
    rng = random.Random(11)
    choices: list[object] = [[], ["2"], ["2", "3", "5"], ["4", "6"]]
    for _ in range(30):
        attempts = [
            attempt(
                quiz, n, rng.uniform(0, 100), {"tf": rng.random() < 0.5, "mr": rng.choice(choices)}
            )
            for n in range(rng.randint(0, 25))
        ]
        for item in analyze_items(quiz, attempts):
            if item.facility is not None:
                assert 0 <= item.facility <= 1
            if item.discrimination is not None:
                assert -1 <= item.discrimination <= 1
