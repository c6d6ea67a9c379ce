# ruff: noqa: E501 (the tables keep one case a line)
"""Integrity flags and answer records: their refusals word for word and their bounds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.attempts.domain import (
    AttemptStatus,
    Quiz,
    close_expired_attempt,
    count_interruptions,
    parse_integrity_flag,
    record_answer,
    score_attempt,
)
from services.attempts.domain.errors import AttemptExpired, AttemptNotExpired
from services.attempts.domain.feedback import _excerpt
from services.attempts.domain.integrity import IntegrityFlag, IntegrityFlagType
from shared.errors import InvalidInput

pytestmark = pytest.mark.unit

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TYPES = "tab_switch, copy_paste, window_blur, fullscreen_exit, devtools_open, multiple_faces, other"
WHEN = "must be an ISO 8601 date and time with a UTC offset"


def refused(call: Callable[[], object]) -> tuple[str, dict[str, list[str]]]:
    with pytest.raises(InvalidInput) as error:
        call()
    return str(error.value), error.value.fields


@pytest.mark.parametrize(
    ("raw", "fields"),
    [
        ([], {"integrity_flag": ["must be a JSON object"]}),
        ({"type": "tab_switch", "timestamp": "2026-03-02T09:00:00Z", "x": 1}, {"x": ["is not a known field"]}),
        ({"type": "sneeze", "timestamp": "2026-03-02T09:00:00Z"}, {"type": [f"must be one of: {TYPES}"]}),
        ({"type": None, "timestamp": "2026-03-02T09:00:00Z"}, {"type": [f"must be one of: {TYPES}"]}),
        ({"type": "other", "timestamp": "2026-03-02T09:00:00"}, {"timestamp": [WHEN]}),
        ({"type": "other", "timestamp": "yesterday"}, {"timestamp": [WHEN]}),
        ({"type": "other", "timestamp": 1700000000}, {"timestamp": [WHEN]}),
        ({"type": "other"}, {"timestamp": [WHEN]}),
        ({"type": "other", "timestamp": AT, "details": 5}, {"details": ["must be text of at most 1000 characters"]}),
        ({"type": "other", "timestamp": AT, "details": "x" * 1001}, {"details": ["must be text of at most 1000 characters"]}),
        ({"timestamp": "no"}, {"type": [f"must be one of: {TYPES}"], "timestamp": [WHEN]}),
    ],
)  # fmt: skip
def test_flags_are_refused_word_for_word(raw: object, fields: dict[str, list[str]]) -> None:
    message, found = refused(lambda: parse_integrity_flag(raw))
    assert found == fields
    if isinstance(raw, dict):
        first, [problem, *_] = next(iter(fields.items()))
        assert message.startswith(f"invalid integrity flag: {first}: {problem}")


@pytest.mark.parametrize(
    ("raw", "flag"),
    [
        (
            {"type": "copy_paste", "timestamp": "2026-03-02T10:00:00+01:00"},
            IntegrityFlag(IntegrityFlagType.COPY_PASTE, AT, ""),
        ),
        (
            {"type": "other", "timestamp": AT, "details": None},
            IntegrityFlag(IntegrityFlagType.OTHER, AT, ""),
        ),
        (
            {"type": "tab_switch", "timestamp": AT, "details": "d" * 1000},
            IntegrityFlag(IntegrityFlagType.TAB_SWITCH, AT, "d" * 1000),
        ),
    ],
)
def test_flags_within_the_rules_are_read(raw: dict[str, Any], flag: IntegrityFlag) -> None:
    assert parse_integrity_flag(raw) == flag


def flag(kind: str, seconds: float) -> IntegrityFlag:
    return IntegrityFlag(IntegrityFlagType(kind), AT + timedelta(seconds=seconds), "")


@pytest.mark.parametrize(
    ("flags", "interruptions"),
    [
        ([], 0),
        ([flag("tab_switch", 0)], 1),
        ([flag("tab_switch", 0), flag("window_blur", 1)], 1),  # exactly a second apart: one
        ([flag("tab_switch", 0), flag("window_blur", 1.001)], 2),
        ([flag("tab_switch", 0), flag("tab_switch", 0.5), flag("tab_switch", 1.2)], 1),
        ([flag("fullscreen_exit", 5), flag("tab_switch", 0)], 2),
        ([flag("copy_paste", 0), flag("devtools_open", 3), flag("other", 9)], 0),
    ],
)
def test_interruptions_group_leaving_flags_by_the_second(
    flags: list[IntegrityFlag], interruptions: int
) -> None:
    assert count_interruptions(flags) == interruptions
    assert count_interruptions(flags, reconnects=2) == interruptions + 2


@pytest.mark.parametrize("reconnects", [-1, True, 1.0, "2"])
def test_reconnects_are_refused_by_name(reconnects: Any) -> None:
    assert refused(lambda: count_interruptions([], reconnects=reconnects))[1] == {
        "reconnects": ["must be a whole number, 0 or more"]
    }


@pytest.fixture
def quiz(make_quiz: Callable[..., Quiz], new_raw_question: Callable[..., Any]) -> Quiz:
    return make_quiz(new_raw_question("multiple_choice", "q1"), time_limit_minutes=10)


def answered(quiz: Quiz, **changes: Any) -> Any:
    arguments: dict[str, Any] = {
        "status": AttemptStatus.IN_PROGRESS,
        "started_at": AT,
        "question_order": ("q1",),
        "previous": None,
        "question_id": "q1",
        "answer": "a",
        "time_spent_seconds": 10,
        "now": AT + timedelta(minutes=1),
        **changes,
    }
    return record_answer(quiz, **arguments)


@pytest.mark.parametrize("seconds", [-1, -0.5, "10", None, True, float("nan")])
def test_time_spent_is_refused_by_name(quiz: Quiz, seconds: Any) -> None:
    assert refused(lambda: answered(quiz, time_spent_seconds=seconds)) == (
        "time_spent: must be a number of seconds, 0 or more",
        {"time_spent": ["must be a number of seconds, 0 or more"]},
    )


@pytest.mark.parametrize("level", [0, 6, 2.5, True, "3"])
def test_confidence_is_refused_by_name(quiz: Quiz, level: Any) -> None:
    assert refused(lambda: answered(quiz, confidence_level=level))[1] == {
        "confidence_level": ["must be a whole number from 1 to 5"]
    }


def test_answers_at_the_bounds_are_recorded(quiz: Quiz) -> None:
    first = answered(quiz, time_spent_seconds=0, confidence_level=1)
    assert (first.time_spent_seconds, first.confidence_level, first.attempts_before_answer) == (
        0,
        1,
        0,
    )
    again = answered(quiz, previous=first, answer="b", time_spent_seconds=15, confidence_level=5)
    assert (again.answer, again.time_spent_seconds, again.confidence_level) == ("b", 15, 5)
    assert again.attempts_before_answer == 1
    kept = answered(quiz, previous=again, answer="b", confidence_level=None)
    assert (kept.confidence_level, kept.attempts_before_answer) == (5, 1)
    assert kept.answered_at == again.answered_at
    # time spent never exceeds the time since the start (60 s here)
    assert answered(quiz, time_spent_seconds=500).time_spent_seconds == 60


def test_previous_record_of_another_question_is_refused_by_name(
    make_quiz: Callable[..., Quiz], new_raw_question: Callable[..., Any]
) -> None:
    two = make_quiz(new_raw_question("multiple_choice", "q1"), new_raw_question("true_false", "q2"))
    first = answered(two)
    assert refused(lambda: answered(two, question_id="q2", answer=True, previous=first))[1] == {
        "question_id": ["does not match the previous answer record"]
    }


def test_closing_an_attempt_before_its_deadline_is_refused_saying_why(quiz: Quiz) -> None:
    with pytest.raises(AttemptNotExpired) as error:
        close_expired_attempt(
            quiz, status=AttemptStatus.IN_PROGRESS, answers=[], started_at=AT, now=AT
        )
    assert str(error.value) == "cannot close the attempt as expired: its deadline has not passed"
    closed = close_expired_attempt(
        quiz,
        status=AttemptStatus.IN_PROGRESS,
        answers=[],
        started_at=AT,
        now=AT + timedelta(minutes=11),
    )
    assert closed.completed_at == AT + timedelta(minutes=10)
    assert closed.score.time_limit_exceeded is True


def test_a_result_is_found_by_question_id(quiz: Quiz) -> None:
    score = score_attempt(quiz, [], started_at=AT, submitted_at=AT)
    assert score.result_for("q1").question_id == "q1"
    with pytest.raises(KeyError) as error:
        score.result_for("q9")
    assert error.value.args == ("q9",)


@pytest.mark.parametrize(
    ("prompt", "excerpt"),
    [
        ("  What   is\n1/2?  ", "What is 1/2?"),
        ("x" * 80, "x" * 80),
        ("x" * 81, "x" * 79 + "\u2026"),
        ("word " * 16 + "last", ("word " * 16)[:79].rstrip() + "\u2026"),
    ],
)
def test_prompts_are_shortened_to_80_characters_in_feedback(prompt: str, excerpt: str) -> None:
    assert _excerpt(prompt) == excerpt


@pytest.mark.parametrize("field", ["started_at", "now"])
def test_naive_moments_of_an_answer_are_refused_by_name(quiz: Quiz, field: str) -> None:
    naive = datetime(2026, 3, 2, 9, 1)
    assert refused(lambda: answered(quiz, **{field: naive}))[1] == {
        field: ["must be a timezone-aware date and time"]
    }


def test_an_answer_after_the_deadline_is_refused_saying_why(quiz: Quiz) -> None:
    with pytest.raises(AttemptExpired) as error:
        answered(quiz, now=AT + timedelta(minutes=11))
    assert str(error.value) == "cannot answer a question: the attempt's time limit has passed"


def test_an_answer_at_the_very_start_has_spent_no_time(quiz: Quiz) -> None:
    assert answered(quiz, now=AT, time_spent_seconds=10).time_spent_seconds == 0


@pytest.mark.parametrize("field", ["started_at", "now"])
def test_expiry_refuses_naive_moments_by_name(quiz: Quiz, field: str) -> None:
    from services.attempts.domain import is_expired

    moments = {"started_at": AT, "now": AT, field: AT.replace(tzinfo=None)}
    assert refused(lambda: is_expired(quiz, moments["started_at"], moments["now"]))[1] == {
        field: ["must be a timezone-aware date and time"]
    }


@pytest.mark.parametrize(
    ("value", "text"),
    [(3, "3"), (10, "10"), (2.5, "2.5"), (0.3333333, "0.3333"), (0, "0"), (-0.00001, "0")],
)
def test_points_in_feedback_are_written_without_trailing_zeros(value: float, text: str) -> None:
    from services.attempts.domain.feedback import _number

    assert _number(value) == text


def test_problems_are_true_once_one_is_added() -> None:
    from services.attempts.domain.field_checks import Problems

    problems = Problems()
    assert not problems
    problems.add("title", "is required")
    assert problems
    assert problems.by_field == {"title": ["is required"]}
