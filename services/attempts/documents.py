"""An attempt as the spec's QuizAttempt document, and a quiz's questions as presented.

The full document holds every field; ``document_for`` redacts it per role with the
domain's visibility rules, then adds the two fields the quiz player needs that reveal
nothing (``quiz_version``, ``time_limit_ends_at``). ``presented_questions`` shows
questions without their answer keys, options in the attempt's seeded order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from services.attempts.domain import (
    AttemptStatus,
    QuestionType,
    Quiz,
    option_order_for,
    redact_attempt,
    seeded_shuffle,
)
from services.attempts.models import Attempt, AttemptAnswer


def _answer_entries(
    attempt: Attempt, quiz: Quiz, answers: Iterable[AttemptAnswer]
) -> list[dict[str, Any]]:
    by_question = {row.question_id: row for row in answers}
    if attempt.results is not None:
        results = {stored["question_id"]: stored for stored in attempt.results}
        question_ids = [stored["question_id"] for stored in attempt.results]
    else:
        results = {}
        question_ids = [qid for qid in attempt.question_order if qid in by_question]
        question_ids += [qid for qid in by_question if qid not in question_ids]
    entries = []
    for question_id in question_ids:
        row, result = by_question.get(question_id), results.get(question_id)
        question = quiz.question(question_id)
        entries.append(
            {
                "question_id": question_id,
                "question_type": question.type.value,
                "answer": row.answer if row is not None else None,
                "correct_answer": question.correct_answer,
                "is_correct": result["is_correct"] if result else None,
                "partial_credit": result["partial_credit"] if result else None,
                "points_earned": result["points_earned"] if result else None,
                "points_possible": question.points,
                "pending": result["pending"] if result else None,
                "time_spent": row.time_spent_seconds if row is not None else 0.0,
                "attempts_before_answer": row.attempts_before_answer if row is not None else 0,
                "confidence_level": row.confidence_level if row is not None else None,
            }
        )
    return entries


def full_document(attempt: Attempt, quiz: Quiz, answers: Iterable[AttemptAnswer]) -> dict[str, Any]:
    """Every field of the attempt, answer keys included (redact before it leaves)."""
    return {
        "id": attempt.id,
        "student_id": attempt.student_id,
        "quiz_id": attempt.quiz_id,
        "course_id": attempt.course_id,
        "lesson_id": attempt.lesson_id,
        "status": attempt.status,
        "started_at": attempt.started_at,
        "completed_at": attempt.completed_at,
        "time_spent": attempt.time_spent,
        "time_limit_exceeded": attempt.time_limit_exceeded,
        "score": attempt.score,
        "points_earned": attempt.points_earned,
        "points_possible": attempt.points_possible,
        "passed": attempt.passed,
        "passing_score": attempt.passing_score,
        "answers": _answer_entries(attempt, quiz, answers),
        "feedback": attempt.feedback,
        "feedback_provided_at": attempt.feedback_provided_at,
        "feedback_provided_by": attempt.feedback_provided_by,
        "auto_feedback": attempt.auto_feedback,
        "attempt_number": attempt.attempt_number,
        "is_practice": attempt.is_practice,
        "environment": attempt.environment,
        "device_info": attempt.device_info,
        "location_info": attempt.location_info,
        "integrity_flags": attempt.integrity_flags,
        "session_id": attempt.session_id,
        "interruptions": attempt.interruptions,
        "metadata": {
            "question_order": attempt.question_order,
            "randomized": attempt.randomized,
            "adaptive": attempt.adaptive,
            "difficulty_adjustments": attempt.difficulty_adjustments,
        },
    }


def document_for(
    role: str, attempt: Attempt, quiz: Quiz, answers: Iterable[AttemptAnswer]
) -> dict[str, Any]:
    """The attempt as ``role`` may see it (the domain's redaction rules)."""
    document = redact_attempt(
        full_document(attempt, quiz, answers),
        role,
        status=AttemptStatus(attempt.status),
        allow_review=quiz.allow_review,
    )
    document["quiz_version"] = attempt.quiz_version
    document["time_limit_ends_at"] = attempt.time_limit_ends_at
    return document


def presented_questions(
    quiz: Quiz, seed: str, question_ids: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Questions as a student sees them: no answer key, options in the order ``seed`` gives.

    ``seed`` is the attempt id (the attempt's own seeded order) or the quiz id (a
    preview). Matching questions show their left items and the right-hand choices;
    choices taken from the key itself are always shuffled, so their order never pairs
    them. Ordering questions show their items shuffled, never in the answer's order.
    """
    shown = []
    for question_id in quiz.question_ids if question_ids is None else question_ids:
        question = quiz.question(question_id)
        texts = {option.option_id: option.text for option in question.options}
        order = option_order_for(quiz, question, seed)
        if question.type is QuestionType.MATCHING and not question.options:
            order = seeded_shuffle(order, f"{seed}/choices/{question_id}")
        entry: dict[str, Any] = {
            "question_id": question_id,
            "type": question.type.value,
            "prompt": question.prompt,
            "points": question.points,
            "tags": list(question.tags),
        }
        if not quiz.adaptive:
            # In an adaptive quiz the difficulty of the next question tells whether the
            # last answer was right; its authors read it in the definition.
            entry["difficulty"] = question.difficulty
        if question.type is QuestionType.MATCHING:
            entry["left_items"] = list(question.matching_left_items)
        if order:
            entry["options"] = [{"id": item, "text": texts.get(item, item)} for item in order]
        shown.append(entry)
    return shown
