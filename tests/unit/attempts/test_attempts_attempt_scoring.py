from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from services.attempts.domain import (
    AnswerRecord,
    AnswerValue,
    Quiz,
    score_attempt,
    score_percentage,
    status_after_scoring,
)
from services.attempts.domain.states import AttemptStatus
from shared.errors import InvalidInput

pytestmark = pytest.mark.unit

QuizBuilder = Callable[..., Quiz]


def three_point_quiz(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict], **kw: object
) -> Quiz:
    """Three true/false questions worth 1 point each."""
    return make_quiz(*(new_raw_question("true_false", f"q{n}", points=1) for n in (1, 2, 3)), **kw)


def answered(question_id: str, answer: AnswerValue, at: datetime) -> AnswerRecord:
    return AnswerRecord(question_id, answer, at)


def test_sums_points_and_rounds_the_score_to_two_decimals(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict], start: datetime
) -> None:
    quiz = three_point_quiz(make_quiz, new_raw_question)
    answers = [
        answered("q1", True, start),
        answered("q2", True, start),
        answered("q3", False, start),
    ]

    score = score_attempt(
        quiz, answers, started_at=start, submitted_at=start + timedelta(minutes=4)
    )

    assert (score.points_earned, score.points_possible, score.score) == (2.0, 3.0, 66.67)
    assert score.passed is True
    assert score.pending_grading is False
    assert score.time_spent_minutes == 4.0
    assert [r.question_id for r in score.results] == ["q1", "q2", "q3"]


@pytest.mark.parametrize(
    ("earned", "possible", "score"),
    [(0, 3, 0.0), (1, 3, 33.33), (2, 3, 66.67), (3, 3, 100.0), (1, 8, 12.5), (1, 200_000, 0.0)],
)
def test_score_percentage_rounds_half_up(earned: float, possible: float, score: float) -> None:
    assert score_percentage(earned, possible) == score


def test_score_percentage_rounds_a_half_away_from_zero() -> None:
    assert score_percentage(0.69995, 1) == 70.0


@pytest.mark.parametrize(("passing_score", "passed"), [(66.67, True), (66.68, False), (0, True)])
def test_passes_when_the_rounded_score_reaches_the_passing_score(
    make_quiz: QuizBuilder,
    new_raw_question: Callable[..., dict],
    start: datetime,
    passing_score: float,
    passed: bool,
) -> None:
    quiz = three_point_quiz(make_quiz, new_raw_question, passing_score=passing_score)
    answers = [answered("q1", True, start), answered("q2", True, start)]

    score = score_attempt(quiz, answers, started_at=start, submitted_at=start)

    assert score.passed is passed


def test_unanswered_questions_count_as_zero(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict], start: datetime
) -> None:
    quiz = three_point_quiz(make_quiz, new_raw_question)

    score = score_attempt(quiz, [], started_at=start, submitted_at=start)

    assert (score.points_earned, score.score, score.passed) == (0.0, 0.0, False)
    assert not any(result.answered for result in score.results)


def test_pending_essay_leaves_pass_undetermined_and_the_score_provisional(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict], start: datetime
) -> None:
    quiz = make_quiz(new_raw_question("true_false", "q1"), new_raw_question("essay", "q2"))
    answers = [answered("q1", True, start), answered("q2", "My essay.", start)]

    score = score_attempt(quiz, answers, started_at=start, submitted_at=start)

    assert score.pending_grading is True
    assert score.passed is None
    assert score.score == 50.0
    assert status_after_scoring(score.pending_grading) is AttemptStatus.PENDING_GRADING


def test_teacher_points_settle_the_pending_essay(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict], start: datetime
) -> None:
    quiz = make_quiz(new_raw_question("true_false", "q1"), new_raw_question("essay", "q2"))
    answers = [answered("q1", True, start), answered("q2", "My essay.", start)]

    score = score_attempt(quiz, answers, started_at=start, submitted_at=start, overrides={"q2": 1})

    assert score.pending_grading is False
    assert (score.points_earned, score.score, score.passed) == (3.0, 75.0, True)
    assert status_after_scoring(score.pending_grading) is AttemptStatus.GRADED


def test_answers_after_the_deadline_count_as_unanswered(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict], start: datetime
) -> None:
    quiz = three_point_quiz(make_quiz, new_raw_question, time_limit_minutes=10, grace_seconds=30)
    deadline = start + timedelta(minutes=10, seconds=30)
    answers = [
        answered("q1", True, deadline),
        answered("q2", True, deadline + timedelta(seconds=1)),
    ]

    score = score_attempt(quiz, answers, started_at=start, submitted_at=deadline)

    assert score.late_question_ids == ("q2",)
    assert score.result_for("q2").answered is False
    assert score.points_earned == 1.0
    assert score.time_limit_exceeded is True


@pytest.mark.parametrize(
    ("submitted_after", "exceeded"),
    [
        (timedelta(minutes=9), False),
        (timedelta(minutes=10, seconds=30), False),
        (timedelta(minutes=10, seconds=31), True),
    ],
)
def test_time_limit_is_exceeded_only_after_limit_plus_grace(
    make_quiz: QuizBuilder,
    new_raw_question: Callable[..., dict],
    start: datetime,
    submitted_after: timedelta,
    exceeded: bool,
) -> None:
    quiz = three_point_quiz(make_quiz, new_raw_question, time_limit_minutes=10)

    score = score_attempt(quiz, [], started_at=start, submitted_at=start + submitted_after)

    assert score.time_limit_exceeded is exceeded


def test_time_spent_is_capped_at_the_time_limit(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict], start: datetime
) -> None:
    limited = three_point_quiz(make_quiz, new_raw_question, time_limit_minutes=10)
    unlimited = three_point_quiz(make_quiz, new_raw_question)
    end = start + timedelta(minutes=12, seconds=15)

    assert score_attempt(limited, [], started_at=start, submitted_at=end).time_spent_minutes == 10
    assert (
        score_attempt(unlimited, [], started_at=start, submitted_at=end).time_spent_minutes == 12.25
    )


def test_closed_by_time_limit_marks_the_limit_exceeded(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict], start: datetime
) -> None:
    quiz = three_point_quiz(make_quiz, new_raw_question, time_limit_minutes=10)

    score = score_attempt(
        quiz,
        [],
        started_at=start,
        submitted_at=start + timedelta(minutes=10),
        closed_by_time_limit=True,
    )

    assert score.time_limit_exceeded is True


def test_rejects_answers_to_unknown_or_repeated_questions(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict], start: datetime
) -> None:
    quiz = three_point_quiz(make_quiz, new_raw_question)
    answers = [
        answered("q1", True, start),
        answered("q9", True, start),
        answered("q1", False, start),
    ]

    with pytest.raises(InvalidInput) as caught:
        score_attempt(quiz, answers, started_at=start, submitted_at=start)

    assert caught.value.fields == {
        "answers[1].question_id": ["'q9' is not a question of this quiz"],
        "answers[2].question_id": ["'q1' is answered more than once"],
    }


def test_rejects_overrides_for_unknown_questions_or_out_of_range(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict], start: datetime
) -> None:
    quiz = three_point_quiz(make_quiz, new_raw_question)

    with pytest.raises(InvalidInput) as caught:
        score_attempt(quiz, [], started_at=start, submitted_at=start, overrides={"q9": 1, "q1": 2})

    assert set(caught.value.fields) == {"overrides.q9", "overrides.q1"}


def test_rejects_a_submission_before_the_start(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict], start: datetime
) -> None:
    quiz = three_point_quiz(make_quiz, new_raw_question)

    with pytest.raises(InvalidInput) as caught:
        score_attempt(quiz, [], started_at=start, submitted_at=start - timedelta(seconds=1))

    assert list(caught.value.fields) == ["submitted_at"]


def test_rejects_naive_datetimes(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict], start: datetime
) -> None:
    quiz = three_point_quiz(make_quiz, new_raw_question)

    with pytest.raises(InvalidInput) as caught:
        score_attempt(quiz, [], started_at=start.replace(tzinfo=None), submitted_at=start)

    assert list(caught.value.fields) == ["started_at"]


def test_score_always_lies_between_0_and_100_for_random_answers(
    every_type_quiz: Quiz, start: datetime
) -> None:
    rng = random.Random(20260302)
    candidates: dict[str, list[AnswerValue]] = {
        "q-multiple_choice": ["a", "b", "c"],
        "q-multiple_response": [[], ["2"], ["2", "3", "5"], ["4", "6"], ["2", "3", "4", "5", "6"]],
        "q-true_false": [True, False],
        "q-numeric": [3.14, 2, "3.141", -100],
        "q-short_text": ["paris", "london", "PANAME!"],
        "q-matching": [{}, {"1/2": "0.5"}, {"1/2": "0.2", "1/4": "0.25", "3/4": "0.75"}],
        "q-ordering": [["1/8", "1/4", "1/2", "1"], ["1", "1/2", "1/4", "1/8"]],
        "q-essay": ["An essay."],
    }
    for _ in range(200):
        chosen = [qid for qid in candidates if rng.random() < 0.8]
        answers = [answered(qid, rng.choice(candidates[qid]), start) for qid in chosen]
        overrides = {"q-essay": rng.choice([0, 1, 2])} if rng.random() < 0.5 else {}

        score = score_attempt(
            quiz=every_type_quiz,
            answers=answers,
            started_at=start,
            submitted_at=start,
            overrides=overrides,
        )

        assert 0 <= score.score <= 100
        assert 0 <= score.points_earned <= score.points_possible == 16
        assert score.passed is (None if score.pending_grading else score.score >= 60)


def test_refused_overrides_and_answers_are_named_word_for_word(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict], start: datetime
) -> None:
    quiz = three_point_quiz(make_quiz, new_raw_question)

    with pytest.raises(InvalidInput) as overrides:
        score_attempt(quiz, [], started_at=start, submitted_at=start, overrides={"q9": 1, "q1": 2})
    with pytest.raises(InvalidInput) as answers:
        score_attempt(quiz, [answered("q9", True, start)], started_at=start, submitted_at=start)
    with pytest.raises(InvalidInput) as naive:
        score_attempt(
            quiz,
            [answered("q1", True, start), answered("q2", True, start.replace(tzinfo=None))],
            started_at=start,
            submitted_at=start,
        )

    assert str(overrides.value) == (
        "invalid grading overrides: overrides.q9: is not a question of this quiz; "
        "overrides.q1: must be a number from 0 to 1 (the question's points)"
    )
    assert str(answers.value) == (
        "invalid answers: answers[0].question_id: 'q9' is not a question of this quiz"
    )
    assert naive.value.fields == {
        "answers[1].answered_at": ["must be a timezone-aware date and time"]
    }


def test_refused_submission_moments_are_named_word_for_word(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict], start: datetime
) -> None:
    quiz = three_point_quiz(make_quiz, new_raw_question)

    with pytest.raises(InvalidInput) as naive:
        score_attempt(quiz, [], started_at=start, submitted_at=start.replace(tzinfo=None))
    with pytest.raises(InvalidInput) as early:
        score_attempt(quiz, [], started_at=start, submitted_at=start - timedelta(seconds=1))

    assert naive.value.fields == {"submitted_at": ["must be a timezone-aware date and time"]}
    assert early.value.fields == {"submitted_at": ["must not be before started_at"]}


def test_a_percentage_of_nothing_is_refused_and_a_percentage_is_capped_at_100() -> None:
    with pytest.raises(InvalidInput) as caught:
        score_percentage(1, 0)

    assert caught.value.fields == {"points_possible": ["must be greater than 0"]}
    assert score_percentage(3, 2) == 100.0
