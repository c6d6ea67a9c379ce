from __future__ import annotations

import itertools
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest

from services.attempts.domain import (
    InvalidAnswer,
    Question,
    QuestionType,
    answer_credit,
    score_answer,
)
from shared.errors import InvalidInput

pytestmark = pytest.mark.unit

QuestionBuilder = Callable[..., Question]


@pytest.mark.parametrize(
    ("question_type", "answer", "correct"),
    [
        ("multiple_choice", "a", True),
        ("multiple_choice", "b", False),
        ("true_false", True, True),
        ("true_false", False, False),
    ],
)
def test_single_answer_types_are_all_or_nothing(
    make_question: QuestionBuilder, question_type: str, answer: object, correct: bool
) -> None:
    result = score_answer(make_question(question_type), answer)

    assert result.is_correct is correct
    assert result.points_earned == (2.0 if correct else 0.0)
    assert result.partial_credit is False


MULTIPLE_RESPONSE_CREDITS = [
    (["2", "3", "5"], Fraction(1)),
    (["2", "3"], Fraction(2, 3)),
    (["2"], Fraction(1, 3)),
    (["2", "3", "4"], Fraction(1, 3)),
    (["2", "4"], Fraction(0)),
    (["2", "4", "6"], Fraction(0)),
    (["2", "3", "4", "5", "6"], Fraction(1, 3)),
    ([], Fraction(0)),
]


@pytest.mark.parametrize(("selected", "credit"), MULTIPLE_RESPONSE_CREDITS)
def test_multiple_response_gives_right_minus_wrong_over_correct_count_floored_at_zero(
    make_question: QuestionBuilder, selected: list[str], credit: Fraction
) -> None:
    assert answer_credit(make_question("multiple_response"), selected) == credit


def test_multiple_response_gives_partial_credit_for_subset(
    make_question: QuestionBuilder,
) -> None:
    result = score_answer(make_question("multiple_response", points=3), ["2", "5"])

    assert (result.points_earned, result.is_correct, result.partial_credit) == (2.0, False, True)


def test_selecting_every_option_never_beats_selecting_only_the_right_ones(
    make_question: QuestionBuilder,
) -> None:
    question = make_question("multiple_response")
    options = question.option_ids
    for size in range(len(options) + 1):
        for selection in itertools.combinations(options, size):
            credit = answer_credit(question, list(selection))
            assert credit is not None and 0 <= credit <= 1
            if set(selection) > {"2", "3", "5"}:
                assert credit < 1


NUMERIC_CASES = [
    (3.14, True),
    (3.145, True),
    (3.135, True),
    (3.1451, False),
    ("3.14", True),
    (3, False),
    (-3.14, False),
]


@pytest.mark.parametrize(("answer", "correct"), NUMERIC_CASES)
def test_numeric_accepts_answers_within_absolute_tolerance_inclusive(
    make_question: QuestionBuilder, answer: object, correct: bool
) -> None:
    assert score_answer(make_question("numeric"), answer).is_correct is correct


def test_numeric_without_tolerance_forgives_float_rounding_only(
    make_question: QuestionBuilder,
) -> None:
    question = make_question("numeric", answer_key=0.3, tolerance=0)

    assert score_answer(question, 0.1 + 0.2).is_correct is True
    assert score_answer(question, 0.3001).is_correct is False


@pytest.mark.parametrize(
    ("answer", "case_sensitive", "correct"),
    [
        ("paris", False, True),
        ("  PARIS. ", False, True),
        ("paname", False, True),
        ("Pariss", False, False),
        ("paris", True, False),
        ("Paris", True, True),
    ],
)
def test_short_text_matches_normalized_accepted_answers(
    make_question: QuestionBuilder, answer: str, case_sensitive: bool, correct: bool
) -> None:
    question = make_question("short_text", case_sensitive=case_sensitive)

    assert score_answer(question, answer).is_correct is correct


@pytest.mark.parametrize(
    ("pairs", "credit"),
    [
        ({"1/2": "0.5", "1/4": "0.25", "3/4": "0.75"}, Fraction(1)),
        ({"1/2": "0.5", "1/4": "0.75", "3/4": "0.25"}, Fraction(1, 3)),
        ({"1/2": "0.5"}, Fraction(1, 3)),
        ({"1/2": "0.2", "1/4": "0.2", "3/4": "0.2"}, Fraction(0)),
        ({}, Fraction(0)),
    ],
)
def test_matching_gives_credit_per_correct_pair(
    make_question: QuestionBuilder, pairs: dict[str, str], credit: Fraction
) -> None:
    assert answer_credit(make_question("matching"), pairs) == credit


ORDERING_CASES = [
    (["1/8", "1/4", "1/2", "1"], Fraction(1)),
    (["1", "1/2", "1/4", "1/8"], Fraction(0)),
    (["1/4", "1/8", "1/2", "1"], Fraction(2, 3)),
    (["1", "1/8", "1/4", "1/2"], Fraction(2, 3)),
    (["1/4", "1/8", "1", "1/2"], Fraction(1, 3)),
]


@pytest.mark.parametrize(("order", "credit"), ORDERING_CASES)
def test_ordering_gives_credit_for_the_longest_run_in_correct_relative_order(
    make_question: QuestionBuilder, order: list[str], credit: Fraction
) -> None:
    assert answer_credit(make_question("ordering"), order) == credit


def test_ordering_credit_stays_within_zero_and_one_for_every_permutation(
    make_question: QuestionBuilder,
) -> None:
    question = make_question("ordering")
    credits = [
        answer_credit(question, list(order))
        for order in itertools.permutations(question.ordering_items)
    ]

    assert all(credit is not None and 0 <= credit <= 1 for credit in credits)
    assert credits.count(Fraction(1)) == 1


def test_answered_essay_is_pending_until_graded(make_question: QuestionBuilder) -> None:
    result = score_answer(make_question("essay"), "Because they are equivalent.")

    assert result.pending is True
    assert result.is_correct is None
    assert result.points_earned == 0.0
    assert answer_credit(make_question("essay"), "text") is None


def test_unanswered_question_earns_nothing_and_is_never_pending(
    make_question: QuestionBuilder,
) -> None:
    result = score_answer(make_question("essay"), None)

    assert (result.answered, result.pending, result.is_correct) == (False, False, False)
    assert result.points_earned == 0.0
    assert result.correct_answer == "Equivalent fractions."


@pytest.mark.parametrize(
    ("points", "is_correct", "partial"), [(0, False, False), (1.5, False, True), (2, True, False)]
)
def test_teacher_points_grade_an_essay(
    make_question: QuestionBuilder, points: float, is_correct: bool, partial: bool
) -> None:
    result = score_answer(make_question("essay"), "An answer.", teacher_points=points)

    assert (result.points_earned, result.is_correct, result.partial_credit) == (
        points,
        is_correct,
        partial,
    )
    assert result.pending is False
    assert result.graded_by_teacher is True


def test_teacher_points_override_an_automatic_score(make_question: QuestionBuilder) -> None:
    result = score_answer(make_question("multiple_choice"), "b", teacher_points=1)

    assert result.points_earned == 1
    assert result.partial_credit is True


@pytest.mark.parametrize("points", [-1, 2.5, "2", True, float("nan")])
def test_teacher_points_outside_the_questions_range_are_rejected(
    make_question: QuestionBuilder, points: Any
) -> None:
    with pytest.raises(InvalidInput) as caught:
        score_answer(make_question("essay"), "text", teacher_points=points)

    assert list(caught.value.fields) == ["overrides.q1"]


def test_partial_points_are_rounded_to_four_decimals(make_question: QuestionBuilder) -> None:
    result = score_answer(make_question("multiple_response", points=1), ["2"])

    assert result.points_earned == 0.3333
    assert result.points_possible == 1


def test_partial_credit_is_true_exactly_when_between_zero_and_possible(
    make_question: QuestionBuilder,
) -> None:
    question = make_question("multiple_response")
    for size in range(len(question.option_ids) + 1):
        for selection in itertools.combinations(question.option_ids, size):
            result = score_answer(question, list(selection))
            assert result.partial_credit is (0 < result.points_earned < result.points_possible)
            assert result.is_correct is (result.points_earned == result.points_possible)


def test_result_reports_type_answer_and_correct_answer(make_question: QuestionBuilder) -> None:
    result = score_answer(make_question("multiple_response"), ["5", "2"])

    assert result.question_type is QuestionType.MULTIPLE_RESPONSE
    assert result.answer == ["2", "5"]
    assert result.correct_answer == ["2", "3", "5"]


def test_scoring_rejects_an_answer_of_the_wrong_shape(make_question: QuestionBuilder) -> None:
    with pytest.raises(InvalidAnswer):
        score_answer(make_question("ordering"), ["1/8"])


def test_teacher_points_outside_the_range_are_refused_word_for_word(
    make_question: QuestionBuilder,
) -> None:
    question = make_question("essay", question_id="q-essay", points=2.5)

    with pytest.raises(InvalidInput) as caught:
        score_answer(question, "An answer.", teacher_points=3)

    assert caught.value.fields == {
        "overrides.q-essay": ["must be a number from 0 to 2.5 (the question's points)"]
    }


def test_a_numeric_question_without_tolerance_takes_the_exact_answer_only(
    make_question: QuestionBuilder,
) -> None:
    question = make_question("numeric", answer_key=3, tolerance=None)

    assert score_answer(question, 3).is_correct
    assert not score_answer(question, 3.5).is_correct
    assert not score_answer(question, 3.001).is_correct


def test_a_pending_or_teacher_graded_answer_keeps_the_answer_given(
    make_question: QuestionBuilder,
) -> None:
    essay = make_question("essay")

    assert score_answer(essay, "An answer.").answer == "An answer."
    assert score_answer(essay, "An answer.", teacher_points=1).answer == "An answer."


def test_full_credit_earns_the_question_s_points_exactly(make_question: QuestionBuilder) -> None:
    question = make_question("true_false", points=1.23456)

    assert score_answer(question, True).points_earned == 1.23456
