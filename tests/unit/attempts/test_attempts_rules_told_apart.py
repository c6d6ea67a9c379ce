"""Cases chosen so that plausible wrong rules give other answers than the written ones
(SCORING.md): ordering credit from the longest in-order subsequence (not the longest
adjacent run), half-up rounding (not Python's ``round``), item discrimination from
credit (not from fully correct answers) over the top and bottom 27%.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import timedelta
from fractions import Fraction
from typing import Any

import pytest

from services.attempts.domain import (
    AttemptForAnalysis,
    AttemptStatus,
    Question,
    Quiz,
    analyze_items,
    answer_credit,
    score_answer,
    score_attempt,
    score_percentage,
    time_spent_minutes,
)
from services.attempts.domain.answering import AnswerRecord
from services.attempts.domain.rounding import (
    percentage_half_up,
    round_half_up,
    round_points,
    round_score,
)

pytestmark = pytest.mark.unit

QuestionBuilder = Callable[..., Question]

# -- ordering ----------------------------------------------------------------------------

SIX = ["a", "b", "c", "d", "e", "f"]


def reference_ordering_credit(correct: Sequence[str], answer: Sequence[str]) -> Fraction:
    """(L - 1) / (n - 1), L the longest subsequence of ``answer`` in correct relative
    order, found by trying every subsequence: slow, but plainly the rule."""
    position = {item: index for index, item in enumerate(correct)}
    ranks = [position[item] for item in answer if item in position]
    longest = 0
    for size in range(len(ranks), 0, -1):
        if any(list(c) == sorted(c) for c in itertools.combinations(ranks, size)):
            longest = size
            break
    return Fraction(max(0, longest - 1), len(correct) - 1)


@pytest.mark.parametrize(
    ("order", "credit"),
    [
        # in order 1/8, 1/4, 1: three, though no two correct neighbours stand together
        (["1/8", "1/2", "1/4", "1"], Fraction(2, 3)),
        # 1/4, 1/2, 1 in order, split by 1/8
        (["1/4", "1/8", "1/2", "1"], Fraction(2, 3)),
        (["1/2", "1/8", "1", "1/4"], Fraction(1, 3)),
    ],
)
def test_ordering_counts_items_in_order_even_when_not_adjacent(
    make_question: QuestionBuilder, order: list[str], credit: Fraction
) -> None:
    assert answer_credit(make_question("ordering"), order) == credit


def test_ordering_a_long_subsequence_beats_the_longest_adjacent_run(
    make_question: QuestionBuilder,
) -> None:
    question = make_question("ordering", answer_key=SIX)
    # a, b, c, d in order with e, f pushed between them: the longest adjacent run is 2
    answer = ["a", "e", "b", "f", "c", "d"]

    assert answer_credit(question, answer) == Fraction(3, 5)


def test_ordering_credit_equals_the_rule_for_every_order_of_five_items(
    make_question: QuestionBuilder,
) -> None:
    items = ["v", "w", "x", "y", "z"]
    question = make_question("ordering", answer_key=items)
    for order in itertools.permutations(items):
        expected = reference_ordering_credit(items, order)
        assert answer_credit(question, list(order)) == expected, order


def test_ordering_points_follow_the_credit(make_question: QuestionBuilder) -> None:
    question = make_question("ordering", answer_key=SIX, points=5)
    result = score_answer(question, ["a", "e", "b", "f", "c", "d"])

    assert (result.points_earned, result.is_correct, result.partial_credit) == (3.0, False, True)


# -- rounding ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "places", "rounded"),
    [
        (0.125, 2, 0.13),  # exactly halfway in binary: round() gives 0.12
        (0.375, 2, 0.38),
        (0.625, 2, 0.63),  # round() gives 0.62
        (2.5, 0, 3.0),  # round() gives 2
        (0.5, 0, 1.0),  # round() gives 0
        (-0.125, 2, -0.13),  # halves go away from zero
        (2.675, 2, 2.68),  # as written, though its float is a hair below
        (0.03125, 4, 0.0313),  # round() gives 0.0312
        (1.00005, 4, 1.0001),
        (0.12, 2, 0.12),
        (0.1249, 2, 0.12),
    ],
)
def test_round_half_up(value: float, places: int, rounded: float) -> None:
    assert round_half_up(value, places) == rounded


def test_points_and_scores_round_half_up() -> None:
    assert round_points(0.03125) == 0.0313
    assert round_points(0.09375) == 0.0938
    assert round_score(0.125) == 0.13
    assert round_score(10.625) == 10.63


@pytest.mark.parametrize(
    ("part", "whole", "score"),
    [(1, 800, 0.13), (5, 800, 0.63), (1, 1600, 0.06), (7, 8, 87.5), (0.69995, 1, 70.0)],
)
def test_percentages_round_half_up(part: float, whole: float, score: float) -> None:
    assert percentage_half_up(part, whole) == score
    assert score_percentage(part, whole) == score


def test_a_score_exactly_between_two_hundredths_rounds_up_through_scoring(
    make_quiz: Callable[..., Quiz], new_raw_question: Callable[..., dict[str, Any]], start
) -> None:
    """1 point of 800: 0.125% is stored as 0.13, never 0.12."""
    questions = [new_raw_question("true_false", "q1", points=1)]
    questions += [new_raw_question("true_false", "q2", points=799)]
    quiz = make_quiz(*questions)
    answers = [AnswerRecord("q1", True, start), AnswerRecord("q2", False, start)]

    score = score_attempt(quiz, answers, started_at=start, submitted_at=start)

    assert (score.points_earned, score.points_possible, score.score) == (1.0, 800.0, 0.13)


def test_partial_points_halfway_at_the_fourth_decimal_round_up(
    make_question: QuestionBuilder,
) -> None:
    """One of eight pairs of a question worth 0.25: 0.03125 points, kept as 0.0313."""
    key = {f"k{n}": f"v{n}" for n in range(8)}
    question = make_question("matching", answer_key=key, options=list(key.values()), points=0.25)

    result = score_answer(question, {"k0": "v0"})

    assert result.points_earned == 0.0313


def test_time_spent_halfway_at_the_second_decimal_rounds_up(
    make_quiz: Callable[..., Quiz], start
) -> None:
    quiz = make_quiz()
    # 7.5 seconds are 0.125 minutes
    assert time_spent_minutes(quiz, start, start + timedelta(seconds=7.5)) == 0.13
    assert time_spent_minutes(quiz, start, start + timedelta(seconds=37.5)) == 0.63


# -- item analysis -----------------------------------------------------------------------


@pytest.fixture
def quiz(make_quiz: Callable[..., Quiz], new_raw_question: Callable[..., dict[str, Any]]) -> Quiz:
    return make_quiz(
        new_raw_question("true_false", "tf"),
        new_raw_question("multiple_response", "mr", points=3),
    )


def attempt(quiz: Quiz, rank: int, answers: dict[str, object]) -> AttemptForAnalysis:
    """The attempt ranked ``rank`` (0 is the best score)."""
    results = tuple(
        score_answer(question, answers.get(question.question_id)) for question in quiz.questions
    )
    return AttemptForAnalysis(
        f"ATT-{rank:03d}", AttemptStatus.GRADED, False, 1000.0 - rank, results
    )


def test_discrimination_compares_credit_not_fully_correct_answers(quiz: Quiz) -> None:
    """Ten attempts, groups of three: the top three earn 2/3 of mr, the bottom three
    1/3, nobody gets it fully right. Credit separates them by 1/3; counting only fully
    correct answers would say 0."""
    top, middle, bottom = ["2", "3"], ["2", "3", "5"], ["2"]
    answers = [top] * 3 + [middle] * 4 + [bottom] * 3
    attempts = [attempt(quiz, rank, {"mr": answers[rank]}) for rank in range(10)]

    mr = analyze_items(quiz, attempts)[1]

    assert mr.fully_correct_share == 0.4
    assert mr.facility == 0.7  # (3 * 2/3 + 4 * 1 + 3 * 1/3) / 10
    assert mr.discrimination == 0.3333


def test_discrimination_uses_the_top_and_bottom_27_percent(quiz: Quiz) -> None:
    """100 attempts: tf right for ranks 0-19, 26 and 73. With groups of 27 the upper
    has 21 right and the lower 1 (20/27 = 0.7407); groups of 25, 30 or 33 give 0.8,
    0.6667 or 0.6061."""
    right = set(range(20)) | {26, 73}
    attempts = [attempt(quiz, rank, {"tf": rank in right}) for rank in range(100)]

    tf = analyze_items(quiz, attempts)[0]

    assert tf.discrimination == 0.7407
    assert tf.facility == 0.22


def test_the_group_size_rounds_half_up(quiz: Quiz) -> None:
    """150 attempts: 27% is 40.5, so each group holds 41. tf is right for ranks 0-19
    and 40: 21/41 = 0.5122 (groups of 40 would give 20/40 = 0.5)."""
    right = set(range(20)) | {40}
    attempts = [attempt(quiz, rank, {"tf": rank in right}) for rank in range(150)]

    assert analyze_items(quiz, attempts)[0].discrimination == 0.5122


def test_the_groups_are_taken_by_total_score_not_by_input_order(quiz: Quiz) -> None:
    right = set(range(20)) | {26, 73}
    attempts = [attempt(quiz, rank, {"tf": rank in right}) for rank in range(100)]

    assert analyze_items(quiz, attempts[::-1]) == analyze_items(quiz, attempts)
