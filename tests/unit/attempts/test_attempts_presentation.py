from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from services.attempts.domain import (
    Quiz,
    option_order_for,
    option_orders_for,
    question_order_for,
    seeded_shuffle,
)

pytestmark = pytest.mark.unit

QuizBuilder = Callable[..., Quiz]
REPOSITORY_ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("size", [0, 1, 2, 5, 30])
def test_seeded_shuffle_is_a_reproducible_permutation(size: int) -> None:
    items = [f"item-{n}" for n in range(size)]
    for attempt in range(50):
        shuffled = seeded_shuffle(items, f"ATT-{attempt}")
        assert sorted(shuffled) == sorted(items)
        assert shuffled == seeded_shuffle(items, f"ATT-{attempt}")


def test_seeded_shuffle_is_pinned_so_stored_attempts_keep_their_order() -> None:
    assert seeded_shuffle(list("abcdefgh"), "pinned-seed") == tuple("ecdabgfh")


def test_seeded_shuffle_does_not_depend_on_the_process_hash_seed() -> None:
    program = (
        "from services.attempts.domain import seeded_shuffle;"
        "print(''.join(seeded_shuffle(list('abcdefgh'), 'pinned-seed')))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", program],
            env={"PYTHONHASHSEED": hash_seed, "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
            cwd=REPOSITORY_ROOT,
        ).stdout.strip()
        for hash_seed in ("1", "2")
    }

    assert outputs == {"ecdabgfh"}


def test_seeded_shuffle_spreads_evenly_over_permutations() -> None:
    counts = Counter(seeded_shuffle("abc", f"seed-{n}") for n in range(2400))

    assert len(counts) == 6
    assert all(300 <= count <= 500 for count in counts.values()), counts


@pytest.fixture
def quiz_questions(new_raw_question: Callable[..., dict[str, Any]]) -> list[dict[str, Any]]:
    return [new_raw_question("true_false", f"q{n}") for n in range(1, 11)]


def test_questions_keep_definition_order_unless_randomized(
    make_quiz: QuizBuilder, quiz_questions: list[dict[str, Any]]
) -> None:
    quiz = make_quiz(*quiz_questions)

    assert question_order_for(quiz, "ATT-1") == quiz.question_ids


def test_randomized_questions_differ_between_attempts_but_not_within_one(
    make_quiz: QuizBuilder, quiz_questions: list[dict[str, Any]]
) -> None:
    quiz = make_quiz(*quiz_questions, randomize_questions=True)

    first = question_order_for(quiz, "ATT-1")

    assert sorted(first) == sorted(quiz.question_ids)
    assert first == question_order_for(quiz, "ATT-1")
    assert first != question_order_for(quiz, "ATT-2")
    assert first != quiz.question_ids


def test_options_keep_author_order_unless_randomized(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]]
) -> None:
    raw = new_raw_question("multiple_response")
    plain = make_quiz(raw)
    shuffled = make_quiz(raw, randomize_options=True)
    question = plain.questions[0]

    assert option_order_for(plain, question, "ATT-1") == ("2", "3", "4", "5", "6")
    orders = {option_order_for(shuffled, question, f"ATT-{n}") for n in range(20)}
    assert all(sorted(order) == ["2", "3", "4", "5", "6"] for order in orders)
    assert len(orders) > 1


def test_option_order_is_seeded_per_question(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]]
) -> None:
    quiz = make_quiz(
        new_raw_question("multiple_response", "q1"),
        new_raw_question("multiple_response", "q2"),
        randomize_options=True,
    )

    orders = option_orders_for(quiz, "ATT-7")

    assert orders["q1"] != orders["q2"]


def test_ordering_items_are_never_presented_in_the_correct_order(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]]
) -> None:
    quiz = make_quiz(new_raw_question("ordering", answer_key=["first", "second"]))
    question = quiz.questions[0]

    orders = {option_order_for(quiz, question, f"ATT-{n}") for n in range(40)}

    assert orders == {("second", "first")}


def test_ordering_with_author_display_order_uses_it(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]]
) -> None:
    display = ["1/2", "1", "1/8", "1/4"]
    quiz = make_quiz(new_raw_question("ordering", options=display))

    assert option_order_for(quiz, quiz.questions[0], "ATT-1") == tuple(display)


def test_matching_presents_its_right_hand_choices(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]]
) -> None:
    quiz = make_quiz(new_raw_question("matching"), randomize_options=True)

    order = option_order_for(quiz, quiz.questions[0], "ATT-1")

    assert sorted(order) == sorted(["0.5", "0.25", "0.75", "0.2"])


def test_questions_without_options_have_no_option_order(every_type_quiz: Quiz) -> None:
    assert set(option_orders_for(every_type_quiz, "ATT-1")) == {
        "q-multiple_choice",
        "q-multiple_response",
        "q-matching",
        "q-ordering",
    }


def test_seeded_shuffle_past_the_first_digest_is_pinned() -> None:
    # 16 items draw 15 numbers: four SHA-256 digests of the seed and a counter
    assert seeded_shuffle(list("abcdefghijklmnop"), "pinned-seed") == tuple("gdinalfjkohecbmp")


def test_ordering_items_are_shuffled_per_attempt(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]]
) -> None:
    quiz = make_quiz(new_raw_question("ordering", answer_key=["a", "b", "c", "d", "e"]))
    question = quiz.questions[0]

    orders = {option_order_for(quiz, question, f"ATT-{n}") for n in range(20)}

    assert len(orders) > 1


@pytest.mark.parametrize("randomize", [False, True])
def test_matching_choices_from_the_key_follow_the_randomize_setting(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]], randomize: bool
) -> None:
    key = {"a": "1", "b": "2", "c": "3", "d": "4", "e": "5"}
    quiz = make_quiz(
        new_raw_question("matching", answer_key=key, options=None), randomize_options=randomize
    )
    question = quiz.questions[0]

    orders = {option_order_for(quiz, question, f"ATT-{n}") for n in range(20)}

    assert all(sorted(order) == ["1", "2", "3", "4", "5"] for order in orders)
    assert (len(orders) > 1) is randomize
    if not randomize:
        assert orders == {("1", "2", "3", "4", "5")}
