from __future__ import annotations

import itertools
import random

import pytest

from services.progress.domain import (
    AttemptGraded,
    AttemptState,
    AttemptSubmitted,
    QuizAttemptFact,
    QuizResult,
    attempt_states_from_facts,
    quiz_result_from_facts,
    quiz_result_of,
    record_attempt_fact,
)
from shared.errors import InvalidInput
from tests.unit.progress.progress_factories import at

pytestmark = pytest.mark.unit


def submitted(
    attempt_id: str,
    minute: float,
    score: float | None,
    *,
    passed: bool | None = None,
    time_spent: float = 10,
    practice: bool = False,
) -> AttemptSubmitted:
    did_pass = passed if passed is not None else (score is not None and score >= 70)
    return AttemptSubmitted(attempt_id, at(minute), time_spent, score, did_pass, practice)


def graded(attempt_id: str, minute: float, score: float) -> AttemptGraded:
    return AttemptGraded(attempt_id, at(minute), score, score >= 70)


def test_single_attempt_makes_the_entry() -> None:
    result = quiz_result_from_facts("QZ-1", [submitted("AT-1", 0, 85, time_spent=25)])

    assert result == QuizResult(
        quiz_id="QZ-1",
        completed_at=at(0),
        attempts=1,
        best_score=85,
        best_attempt_id="AT-1",
        time_spent=25,
        passed=True,
    )


def test_best_attempt_is_the_highest_score_and_gives_completed_at() -> None:
    facts = [submitted("AT-1", 0, 60), submitted("AT-2", 30, 92), submitted("AT-3", 60, 75)]

    result = quiz_result_from_facts("QZ-1", facts)

    assert result is not None
    assert (result.best_score, result.best_attempt_id, result.completed_at) == (92, "AT-2", at(30))
    assert (result.attempts, result.time_spent) == (3, 30)


@pytest.mark.parametrize(
    ("facts", "best_attempt_id"),
    [
        ([submitted("AT-2", 30, 80), submitted("AT-1", 10, 80)], "AT-1"),
        ([submitted("AT-1", 30, 80), submitted("AT-2", 10, 80)], "AT-2"),
        ([submitted("AT-B", 10, 80), submitted("AT-A", 10, 80)], "AT-A"),
    ],
    ids=["earlier-wins", "earlier-wins-whatever-the-id", "same-time-smallest-id"],
)
def test_tied_best_scores_go_to_the_earliest_then_the_smallest_id(
    facts: list[QuizAttemptFact], best_attempt_id: str
) -> None:
    result = quiz_result_from_facts("QZ-1", facts)

    assert result is not None and result.best_attempt_id == best_attempt_id


def test_quiz_is_passed_once_any_attempt_passed_even_if_a_later_one_failed() -> None:
    facts = [submitted("AT-1", 0, 90), submitted("AT-2", 10, 20)]

    result = quiz_result_from_facts("QZ-1", facts)

    assert result is not None and result.passed is True


def test_practice_attempts_are_left_out_of_the_entry() -> None:
    facts = [
        submitted("AT-P", 0, 100, practice=True, time_spent=40),
        submitted("AT-1", 10, 55, time_spent=12),
    ]

    result = quiz_result_from_facts("QZ-1", facts)

    assert result == QuizResult("QZ-1", at(10), 1, 55, "AT-1", 12, False)


def test_only_practice_attempts_make_no_entry() -> None:
    assert quiz_result_from_facts("QZ-1", [submitted("AT-P", 0, 100, practice=True)]) is None


def test_attempt_awaiting_grading_counts_but_cannot_be_best() -> None:
    facts = [submitted("AT-1", 0, None, time_spent=20), submitted("AT-2", 10, 40)]

    result = quiz_result_from_facts("QZ-1", facts)

    assert result == QuizResult("QZ-1", at(10), 2, 40, "AT-2", 30, False)


def test_only_ungraded_attempts_give_an_entry_without_best_score() -> None:
    result = quiz_result_from_facts("QZ-1", [submitted("AT-1", 0, None)])

    assert result == QuizResult("QZ-1", None, 1, None, None, 10, False)


def test_grading_overrides_the_automatic_score_of_its_attempt() -> None:
    facts: list[QuizAttemptFact] = [submitted("AT-1", 0, None), graded("AT-1", 120, 88)]

    result = quiz_result_from_facts("QZ-1", facts)

    assert result == QuizResult("QZ-1", at(0), 1, 88, "AT-1", 10, True)


def test_latest_grading_wins_even_when_it_arrives_first() -> None:
    facts: list[QuizAttemptFact] = [
        graded("AT-1", 300, 45),
        submitted("AT-1", 0, None),
        graded("AT-1", 120, 88),
    ]

    result = quiz_result_from_facts("QZ-1", facts)

    assert result is not None
    assert (result.best_score, result.passed) == (45, False)


def test_grading_without_its_submission_waits_and_counts_nothing() -> None:
    state = record_attempt_fact(None, graded("AT-1", 120, 88))

    assert quiz_result_of("QZ-1", [state]) is None
    assert state.grading == graded("AT-1", 120, 88)


def test_fact_of_another_attempt_is_refused() -> None:
    state = record_attempt_fact(None, submitted("AT-1", 0, 50))

    with pytest.raises(InvalidInput, match="attempt_id"):
        record_attempt_fact(state, submitted("AT-2", 0, 50))


def test_redelivered_facts_change_nothing() -> None:
    state = record_attempt_fact(None, submitted("AT-1", 0, None))
    state = record_attempt_fact(state, graded("AT-1", 60, 70))

    again = record_attempt_fact(
        record_attempt_fact(state, graded("AT-1", 60, 70)), submitted("AT-1", 0, None)
    )

    assert again == state


HISTORY: list[QuizAttemptFact] = [
    submitted("AT-1", 0, 40, time_spent=12.5),
    submitted("AT-2", 20, None, time_spent=30.25),
    graded("AT-2", 100, 90),
    graded("AT-2", 200, 80),
    submitted("AT-3", 40, 80, time_spent=0.1, practice=False),
    submitted("AT-P", 50, 100, practice=True),
]
EXPECTED = QuizResult("QZ-1", at(20), 3, 80, "AT-2", 42.85, True)


def test_entry_is_the_same_for_every_order_of_events_with_duplicates() -> None:
    # 7 deliveries: 5,040 orders.
    with_duplicates: list[QuizAttemptFact] = [*HISTORY[:5], HISTORY[2], HISTORY[0]]

    results = {
        quiz_result_from_facts("QZ-1", order) for order in itertools.permutations(with_duplicates)
    }

    assert results == {EXPECTED}


@pytest.mark.parametrize("seed", range(20))
def test_entry_is_the_same_after_random_shuffles_and_redeliveries(seed: int) -> None:
    rng = random.Random(seed)
    deliveries: list[QuizAttemptFact] = HISTORY + rng.choices(HISTORY, k=rng.randint(1, 10))
    rng.shuffle(deliveries)

    assert quiz_result_from_facts("QZ-1", deliveries) == EXPECTED


def test_incremental_states_match_the_batch_fold() -> None:
    states: dict[str, AttemptState] = {}
    for fact in reversed(HISTORY):
        states[fact.attempt_id] = record_attempt_fact(states.get(fact.attempt_id), fact)

    assert states == attempt_states_from_facts(HISTORY)
    assert quiz_result_of("QZ-1", states.values()) == EXPECTED


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: AttemptSubmitted("", at(0), 1, 50, False), "attempt_id"),
        (lambda: AttemptSubmitted("AT-1", at(0), -1, 50, False), "time_spent"),
        (lambda: AttemptSubmitted("AT-1", at(0), 1, 101, True), "score"),
        (lambda: AttemptGraded("AT-1", at(0).replace(tzinfo=None), 50, False), "graded_at"),
        (lambda: AttemptGraded("AT-1", at(0), -5, False), "score"),
    ],
)
def test_invalid_attempt_fact_names_the_field(build: object, field: str) -> None:
    assert callable(build)
    with pytest.raises(InvalidInput) as raised:
        build()

    assert list(raised.value.fields) == [field]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # different moments: the earlier is kept
        (
            AttemptSubmitted("AT-1", at(5), 10, 80, True),
            AttemptSubmitted("AT-1", at(3), 10, 90, True),
        ),
        # same moment and time: an unscored submission sorts below a score of 0.5
        (
            AttemptSubmitted("AT-1", at(3), 10, 0.5, False),
            AttemptSubmitted("AT-1", at(3), 10, None, False),
        ),
    ],
)
def test_two_different_submissions_of_one_attempt_keep_the_same_one_in_any_order(
    first: AttemptSubmitted, second: AttemptSubmitted
) -> None:
    one_way = record_attempt_fact(record_attempt_fact(None, first), second)
    other_way = record_attempt_fact(record_attempt_fact(None, second), first)

    assert one_way == other_way
    assert one_way.submission == second
