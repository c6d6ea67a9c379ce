"""Recording a student's answer (or a change of it) while an attempt is in progress."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.errors import InvalidInput

from .answers import validate_answer
from .errors import AnswerChangeNotAllowed, AttemptExpired, QuestionNotPresented
from .field_checks import as_number
from .question_types import AnswerValue
from .quizzes import Quiz
from .states import AttemptAction, AttemptStatus, ensure_action_allowed
from .timing import is_expired, require_aware

MIN_CONFIDENCE = 1
MAX_CONFIDENCE = 5


@dataclass(frozen=True)
class AnswerRecord:
    """The latest answer to one question of an attempt, with how it came about.

    ``time_spent_seconds`` is the total time on the question over all visits;
    ``attempts_before_answer`` counts how many times the answer changed before the
    attempt was submitted (0 when the first answer was kept).
    """

    question_id: str
    answer: AnswerValue
    answered_at: datetime
    time_spent_seconds: float = 0.0
    attempts_before_answer: int = 0
    confidence_level: int | None = None


def record_answer(
    quiz: Quiz,
    *,
    status: AttemptStatus,
    started_at: datetime,
    question_order: Sequence[str],
    previous: AnswerRecord | None,
    question_id: str,
    answer: object,
    time_spent_seconds: float,
    confidence_level: int | None = None,
    now: datetime,
) -> AnswerRecord:
    """The answer record after the student answers ``question_id`` at ``now``.

    ``previous`` is the record already held for this question (None for a first answer)
    and ``question_order`` the questions presented so far. Rules:

    * Only an ``in_progress`` attempt accepts answers (AttemptStateConflict), and only
      up to its deadline (AttemptExpired).
    * The question must belong to the quiz (QuestionNotFound). In an adaptive quiz it
      must have been presented and may not be changed once answered, because the next
      question was chosen from it (QuestionNotPresented, AnswerChangeNotAllowed); the
      same answer sent again is accepted.
    * The answer is validated and normalized for its type (InvalidAnswer).
    * Sending the same answer again changes nothing but time and confidence, so a retried
      request is harmless; a different answer adds one to ``attempts_before_answer``.
    * ``time_spent_seconds`` (this visit, >= 0) adds to the total, which never exceeds
      the time elapsed since the attempt started.
    * ``confidence_level`` is 1-5; None keeps the previous level.
    """
    require_aware("started_at", started_at)
    require_aware("now", now)
    ensure_action_allowed(status, AttemptAction.ANSWER)
    if is_expired(quiz, started_at, now):
        raise AttemptExpired("cannot answer a question: the attempt's time limit has passed")
    question = quiz.question(question_id)
    if previous is not None and previous.question_id != question_id:
        raise InvalidInput.for_field("question_id", "does not match the previous answer record")
    value = validate_answer(question, answer)
    unchanged = previous is not None and previous.answer == value
    if quiz.adaptive:
        _ensure_adaptive_answer_allowed(question_id, question_order, previous, unchanged)
    visit_seconds = _checked_time_spent(time_spent_seconds)
    confidence = _checked_confidence(confidence_level)
    elapsed = max(0.0, (now - started_at).total_seconds())
    if previous is None:
        return AnswerRecord(question_id, value, now, min(visit_seconds, elapsed), 0, confidence)
    return AnswerRecord(
        question_id=question_id,
        answer=value,
        answered_at=previous.answered_at if unchanged else now,
        time_spent_seconds=min(previous.time_spent_seconds + visit_seconds, elapsed),
        attempts_before_answer=previous.attempts_before_answer + (0 if unchanged else 1),
        confidence_level=previous.confidence_level if confidence is None else confidence,
    )


def _ensure_adaptive_answer_allowed(
    question_id: str,
    question_order: Sequence[str],
    previous: AnswerRecord | None,
    unchanged: bool,
) -> None:
    if question_id not in question_order:
        raise QuestionNotPresented(
            f"question {question_id!r} has not been presented in this adaptive attempt"
        )
    if previous is not None and not unchanged:
        raise AnswerChangeNotAllowed(
            f"question {question_id!r} was already answered; adaptive quizzes do not "
            "allow changing an answer once the next question was chosen from it"
        )


def _checked_time_spent(value: object) -> float:
    number = as_number(value)
    if number is None or number < 0:
        raise InvalidInput.for_field("time_spent", "must be a number of seconds, 0 or more")
    return number


def _checked_confidence(value: object) -> int | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not (MIN_CONFIDENCE <= value <= MAX_CONFIDENCE)
    ):
        raise InvalidInput.for_field(
            "confidence_level", f"must be a whole number from {MIN_CONFIDENCE} to {MAX_CONFIDENCE}"
        )
    return value
