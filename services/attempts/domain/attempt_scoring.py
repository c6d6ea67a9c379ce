"""Scoring a whole attempt: points, score, pass/fail, time, per-question results.

Rules:

* Every question of the quiz is scored; an unanswered question earns 0.
* ``points_earned`` and ``points_possible`` are sums over the questions (4 decimals);
  ``score = 100 * points_earned / points_possible``, rounded half-up to 2 decimals.
* ``passed`` is ``score >= passing_score`` on that rounded score, the one the student
  sees. While any answered essay awaits a teacher (``pending_grading``), ``passed`` is
  None: teachers' points may still move the score either way. The score shown then is
  provisional (essays count 0 until graded).
* Answers given after the deadline (time limit + grace) count as unanswered and are
  listed in ``late_question_ids``; ``time_limit_exceeded`` is true when there are such
  answers, the attempt was submitted after the deadline, or the sweep closed it.
* ``time_spent_minutes`` runs from start to submission, capped at the time limit.
* Teacher overrides (points per question id, 0 to the question's points) replace the
  automatic result of those questions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.errors import InvalidInput

from .answering import AnswerRecord
from .field_checks import Problems, as_number
from .question_scoring import QuestionResult, score_answer
from .quizzes import Quiz
from .rounding import percentage_half_up, round_points
from .timing import deadline_of, require_aware, time_spent_minutes


@dataclass(frozen=True)
class AttemptScore:
    """The scored result of an attempt; ``results`` follow the quiz's question order."""

    points_earned: float
    points_possible: float
    score: float
    passing_score: float
    passed: bool | None
    pending_grading: bool
    time_limit_exceeded: bool
    time_spent_minutes: float
    results: tuple[QuestionResult, ...]
    late_question_ids: tuple[str, ...] = ()

    def result_for(self, question_id: str) -> QuestionResult:
        for result in self.results:
            if result.question_id == question_id:
                return result
        raise KeyError(question_id)


def score_percentage(points_earned: float, points_possible: float) -> float:
    """``100 * earned / possible`` rounded half-up to 2 decimals, kept within 0-100."""
    if points_possible <= 0:
        raise InvalidInput.for_field("points_possible", "must be greater than 0")
    return min(100.0, max(0.0, percentage_half_up(points_earned, points_possible)))


def score_attempt(
    quiz: Quiz,
    answers: Sequence[AnswerRecord],
    *,
    started_at: datetime,
    submitted_at: datetime,
    overrides: Mapping[str, object] | None = None,
    closed_by_time_limit: bool = False,
) -> AttemptScore:
    """Score the attempt's ``answers`` to ``quiz`` as submitted at ``submitted_at``.

    ``closed_by_time_limit`` marks an attempt the sweep closed (or one recorded so),
    whose ``time_limit_exceeded`` is true whatever the timestamps say. See the module
    docstring for the rules. Raises InvalidInput for an answer to a
    question the quiz lacks, two answers to one question, a bad override, or a
    submission before the start.
    """
    require_aware("started_at", started_at)
    require_aware("submitted_at", submitted_at)
    if submitted_at < started_at:
        raise InvalidInput.for_field("submitted_at", "must not be before started_at")
    by_question = _answers_by_question(quiz, answers)
    teacher_points = _checked_overrides(quiz, overrides or {})
    deadline = deadline_of(quiz, started_at)
    late = tuple(
        question_id
        for question_id in quiz.question_ids
        if deadline is not None
        and question_id in by_question
        and by_question[question_id].answered_at > deadline
    )
    results = tuple(
        score_answer(
            question,
            _counted_answer(by_question.get(question.question_id), late),
            teacher_points=teacher_points.get(question.question_id),
        )
        for question in quiz.questions
    )
    earned = round_points(sum(result.points_earned for result in results))
    possible = round_points(sum(result.points_possible for result in results))
    pending = any(result.pending for result in results)
    score = score_percentage(earned, possible)
    return AttemptScore(
        points_earned=earned,
        points_possible=possible,
        score=score,
        passing_score=quiz.passing_score,
        passed=None if pending else score >= quiz.passing_score,
        pending_grading=pending,
        time_limit_exceeded=closed_by_time_limit
        or (deadline is not None and (submitted_at > deadline or bool(late))),
        time_spent_minutes=time_spent_minutes(quiz, started_at, submitted_at),
        results=results,
        late_question_ids=late,
    )


def _counted_answer(record: AnswerRecord | None, late: tuple[str, ...]) -> object | None:
    if record is None or record.question_id in late:
        return None
    return record.answer


def _answers_by_question(quiz: Quiz, answers: Sequence[AnswerRecord]) -> dict[str, AnswerRecord]:
    problems = Problems()
    by_question: dict[str, AnswerRecord] = {}
    for index, record in enumerate(answers):
        path = f"answers[{index}].question_id"
        if not quiz.has_question(record.question_id):
            problems.add(path, f"{record.question_id!r} is not a question of this quiz")
        elif record.question_id in by_question:
            problems.add(path, f"{record.question_id!r} is answered more than once")
        else:
            require_aware(f"answers[{index}].answered_at", record.answered_at)
            by_question[record.question_id] = record
    problems.raise_if_any("answers")
    return by_question


def _checked_overrides(quiz: Quiz, overrides: Mapping[str, object]) -> dict[str, float]:
    problems = Problems()
    checked: dict[str, float] = {}
    for question_id, points in overrides.items():
        path = f"overrides.{question_id}"
        number = as_number(points)
        if not quiz.has_question(question_id):
            problems.add(path, "is not a question of this quiz")
        elif number is None or not 0 <= number <= quiz.question(question_id).points:
            maximum = quiz.question(question_id).points
            problems.add(path, f"must be a number from 0 to {maximum:g} (the question's points)")
        else:
            checked[question_id] = number
    problems.raise_if_any("grading overrides")
    return checked
