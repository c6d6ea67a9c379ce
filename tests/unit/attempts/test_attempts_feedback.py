from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest

from services.attempts.domain import (
    AnswerRecord,
    AnswerValue,
    AttemptScore,
    Quiz,
    SkillResult,
    auto_feedback,
    score_attempt,
    skill_breakdown,
)

pytestmark = pytest.mark.unit

QuizBuilder = Callable[..., Quiz]


def skills_quiz(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]], **settings: Any
) -> Quiz:
    return make_quiz(
        new_raw_question("true_false", "f1", prompt="Is 1/2 = 2/4?", tags=["fractions"]),
        new_raw_question("true_false", "f2", prompt="Is 1/3 > 1/2?", tags=["fractions"]),
        new_raw_question(
            "true_false", "d1", prompt="Is 0.5 = 1/2?", tags=["decimals", "fractions"]
        ),
        new_raw_question("true_false", "d2", prompt="Is 0.25 > 0.3?", tags=["decimals"]),
        new_raw_question("true_false", "g1", prompt="Is 2 even?"),
        **settings,
    )


def scored(
    quiz: Quiz, start: datetime, pairs: Mapping[str, AnswerValue], **kw: Any
) -> AttemptScore:
    answers = [AnswerRecord(qid, value, start) for qid, value in pairs.items()]
    return score_attempt(quiz, answers, started_at=start, submitted_at=start, **kw)


WRONG_ON_DECIMALS = {"f1": True, "f2": False, "d1": False, "d2": False, "g1": True}


def test_breaks_points_down_by_skill_with_untagged_questions_as_general(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]], start: datetime
) -> None:
    quiz = skills_quiz(make_quiz, new_raw_question)

    skills = skill_breakdown(quiz, scored(quiz, start, WRONG_ON_DECIMALS))

    assert skills == (
        SkillResult("decimals", 0.0, 4.0, ("d1", "d2")),
        SkillResult("fractions", 2.0, 6.0, ("f2", "d1")),
        SkillResult("general", 2.0, 2.0, ()),
    )


def test_feedback_explains_the_result_skill_by_skill(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]], start: datetime
) -> None:
    quiz = skills_quiz(make_quiz, new_raw_question, passing_score=70)

    text = auto_feedback(quiz, scored(quiz, start, WRONG_ON_DECIMALS))

    assert text == (
        "**Score: 40%** (4 of 10 points). Not passed: the passing score is 70%.\n"
        "\n"
        "### By skill\n"
        "- decimals: 0 of 4 points (0%)\n"
        "- fractions: 2 of 6 points (33.33%)\n"
        "- general: 2 of 2 points (100%)\n"
        "\n"
        "**Strongest skill:** general (100%). **Weakest skill:** decimals (0%).\n"
        "\n"
        "### What to review\n"
        "- decimals (0%)\n"
        "- fractions (33.33%)\n"
    )


def test_feedback_quotes_missed_questions_only_when_review_is_allowed(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]], start: datetime
) -> None:
    quiz = skills_quiz(make_quiz, new_raw_question, passing_score=70, allow_review=True)

    text = auto_feedback(quiz, scored(quiz, start, WRONG_ON_DECIMALS))

    assert text.endswith(
        "### What to review\n"
        "- decimals (0%)\n"
        "  - Is 0.5 = 1/2?\n"
        "  - Is 0.25 > 0.3?\n"
        "- fractions (33.33%)\n"
        "  - Is 1/3 > 1/2?\n"
        "  - Is 0.5 = 1/2?\n"
    )


def test_feedback_is_deterministic(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]], start: datetime
) -> None:
    quiz = skills_quiz(make_quiz, new_raw_question)
    score = scored(quiz, start, WRONG_ON_DECIMALS)

    assert auto_feedback(quiz, score) == auto_feedback(quiz, score)


def test_ties_between_skills_go_to_the_alphabetically_first(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]], start: datetime
) -> None:
    quiz = make_quiz(
        new_raw_question("true_false", "a", tags=["beta"]),
        new_raw_question("true_false", "b", tags=["alpha"]),
        new_raw_question("true_false", "c", tags=["gamma"]),
    )

    text = auto_feedback(quiz, scored(quiz, start, {"a": True, "b": True, "c": False}))

    assert "**Strongest skill:** alpha (100%). **Weakest skill:** gamma (0%)." in text


def test_no_strongest_or_weakest_when_skills_do_not_differ(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]], start: datetime
) -> None:
    quiz = make_quiz(new_raw_question("true_false", "a", tags=["only"]))

    text = auto_feedback(quiz, scored(quiz, start, {"a": True}))

    assert "Strongest" not in text
    assert "Nothing to review: every skill reached the passing score." in text
    assert text.startswith("**Score: 100%** (2 of 2 points). Passed: the passing score is 60%.")


def test_feedback_notes_pending_essays_and_leaves_them_out_of_skills(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]], start: datetime
) -> None:
    quiz = make_quiz(
        new_raw_question("true_false", "t", tags=["logic"]),
        new_raw_question("essay", "e", tags=["writing"]),
    )

    text = auto_feedback(quiz, scored(quiz, start, {"t": True, "e": "Essay."}))

    assert "Not final yet: the passing score is 60%." in text
    assert "1 answer(s) await teacher grading" in text
    assert "writing" not in text


def test_feedback_notes_an_exceeded_time_limit(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]], start: datetime
) -> None:
    quiz = make_quiz(new_raw_question("true_false", "t"), time_limit_minutes=5)
    late = [AnswerRecord("t", True, start + timedelta(minutes=6))]

    score = score_attempt(quiz, late, started_at=start, submitted_at=start + timedelta(minutes=6))

    assert "The time limit ran out; answers given after it did not count." in auto_feedback(
        quiz, score
    )


def test_long_prompts_are_shortened_in_review(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]], start: datetime
) -> None:
    prompt = "Consider   the following\nlong statement " + "x" * 100
    quiz = make_quiz(new_raw_question("true_false", "t", prompt=prompt), allow_review=True)

    text = auto_feedback(quiz, scored(quiz, start, {"t": False}))

    line = next(line for line in text.splitlines() if line.startswith("  - "))
    assert line.startswith("  - Consider the following long statement x")
    assert line.endswith("…")
    assert len(line) == 4 + 80


def test_feedback_of_a_pending_essay_before_a_graded_answer_word_for_word(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]], start: datetime
) -> None:
    quiz = make_quiz(
        new_raw_question("essay", "e", tags=["writing"]),
        new_raw_question("true_false", "t", tags=["logic"]),
    )

    text = auto_feedback(quiz, scored(quiz, start, {"e": "Essay.", "t": True}))

    assert text == (
        "**Score: 50%** (2 of 4 points). Not final yet: the passing score is 60%.\n"
        "\n"
        "1 answer(s) await teacher grading; they count as 0 until graded "
        "and are left out of the skills below.\n"
        "\n"
        "### By skill\n"
        "- logic: 2 of 2 points (100%)\n"
        "\n"
        "### What to review\n"
        "Nothing to review: every skill reached the passing score.\n"
    )


def test_feedback_of_an_exceeded_time_limit_word_for_word(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]], start: datetime
) -> None:
    quiz = make_quiz(new_raw_question("true_false", "t"), time_limit_minutes=5)
    late = [AnswerRecord("t", True, start + timedelta(minutes=6))]

    score = score_attempt(quiz, late, started_at=start, submitted_at=start + timedelta(minutes=6))

    assert auto_feedback(quiz, score).splitlines()[1:3] == [
        "",
        "The time limit ran out; answers given after it did not count.",
    ]


def test_two_skills_with_the_same_share_have_no_strongest_or_weakest(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]], start: datetime
) -> None:
    quiz = make_quiz(
        new_raw_question("true_false", "a", tags=["alpha"]),
        new_raw_question("true_false", "b", tags=["beta"]),
    )

    text = auto_feedback(quiz, scored(quiz, start, {"a": True, "b": True}))

    assert "Strongest" not in text


def test_two_skills_that_differ_name_the_strongest_and_the_weakest(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]], start: datetime
) -> None:
    quiz = make_quiz(
        new_raw_question("true_false", "a", tags=["alpha"]),
        new_raw_question("true_false", "b", tags=["beta"]),
    )

    text = auto_feedback(quiz, scored(quiz, start, {"a": False, "b": True}))

    assert "**Strongest skill:** beta (100%). **Weakest skill:** alpha (0%).\n" in text


@pytest.mark.parametrize(("passing_score", "to_review"), [(50, False), (50.25, True)])
def test_a_skill_is_reviewed_only_below_the_passing_score(
    make_quiz: QuizBuilder,
    new_raw_question: Callable[..., dict[str, Any]],
    start: datetime,
    passing_score: float,
    to_review: bool,
) -> None:
    quiz = make_quiz(
        new_raw_question("true_false", "a", tags=["alpha"]),
        new_raw_question("true_false", "b", tags=["alpha"]),
        passing_score=passing_score,
    )

    text = auto_feedback(quiz, scored(quiz, start, {"a": True, "b": False}))

    review = text.split("### What to review\n")[1]
    assert review == (
        "- alpha (50%)\n"
        if to_review
        else "Nothing to review: every skill reached the passing score.\n"
    )


def test_a_shortened_prompt_does_not_end_in_a_space(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]], start: datetime
) -> None:
    prompt = "x" * 78 + " " + "y" * 30
    quiz = make_quiz(new_raw_question("true_false", "t", prompt=prompt), allow_review=True)

    text = auto_feedback(quiz, scored(quiz, start, {"t": False}))

    assert "  - " + "x" * 78 + "…\n" in text
