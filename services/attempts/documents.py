"""An attempt as the spec's QuizAttempt document, and the payloads of its events.

The full document holds every field; ``document_for`` redacts it per role with the
domain's visibility rules, then adds the two fields the quiz player needs that reveal
nothing (``quiz_version``, ``time_limit_ends_at``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa

from services.attempts.domain import (
    AnswerRecord,
    AttemptStatus,
    IntegrityFlag,
    IntegrityFlagType,
    QuestionResult,
    QuestionType,
    Quiz,
    redact_attempt,
)
from services.attempts.models import Attempt, AttemptAnswer
from shared.events.envelope import parse_iso, to_iso


def answer_record(row: AttemptAnswer | sa.Row[Any]) -> AnswerRecord:
    return AnswerRecord(
        question_id=row.question_id,
        answer=row.answer,
        answered_at=row.answered_at,
        time_spent_seconds=row.time_spent_seconds,
        attempts_before_answer=row.attempts_before_answer,
        confidence_level=row.confidence_level,
    )


def stored_result(result: QuestionResult) -> dict[str, Any]:
    return {**asdict(result), "question_type": result.question_type.value}


def question_result(stored: Mapping[str, Any]) -> QuestionResult:
    return QuestionResult(**{**stored, "question_type": QuestionType(stored["question_type"])})


def stored_flag(flag: IntegrityFlag) -> dict[str, Any]:
    return {"type": flag.type.value, "timestamp": to_iso(flag.timestamp), "details": flag.details}


def integrity_flag(stored: Mapping[str, Any]) -> IntegrityFlag:
    return IntegrityFlag(
        IntegrityFlagType(stored["type"]), parse_iso(stored["timestamp"]), stored["details"]
    )


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


def _iso(value: Any) -> str | None:
    return None if value is None else to_iso(value)


def started_payload(attempt: Attempt) -> dict[str, Any]:
    return {
        "attempt_id": attempt.id,
        "quiz_id": attempt.quiz_id,
        "lesson_id": attempt.lesson_id,
        "attempt_number": attempt.attempt_number,
        "is_practice": attempt.is_practice,
        "started_at": to_iso(attempt.started_at),
        "time_limit_ends_at": _iso(attempt.time_limit_ends_at),
        "environment": attempt.environment,
    }


def result_payload(attempt: Attempt) -> dict[str, Any]:
    """The payload of ``submitted`` and ``graded`` (docs/events.md, version 1).

    While an essay waits for its teacher, ``score`` is null, ``pending_grading`` true and
    ``passed`` false (not passed yet: the progress service requires a boolean).
    """
    pending = attempt.status == AttemptStatus.PENDING_GRADING
    return {
        "attempt_id": attempt.id,
        "quiz_id": attempt.quiz_id,
        "lesson_id": attempt.lesson_id,
        "attempt_number": attempt.attempt_number,
        "is_practice": attempt.is_practice,
        "started_at": to_iso(attempt.started_at),
        "completed_at": _iso(attempt.completed_at),
        "time_spent": attempt.time_spent,
        "score": None if pending else attempt.score,
        "points_earned": attempt.points_earned,
        "points_possible": attempt.points_possible,
        "passed": bool(attempt.passed),
        "passing_score": attempt.passing_score,
        "pending_grading": pending,
        "graded_at": _iso(attempt.graded_at),
    }


def flagged_payload(
    attempt: Attempt, flag: IntegrityFlag, counts: Mapping[str, int]
) -> dict[str, Any]:
    """What analytics needs of a new integrity flag: never its free-text details."""
    return {
        "attempt_id": attempt.id,
        "quiz_id": attempt.quiz_id,
        "lesson_id": attempt.lesson_id,
        "is_practice": attempt.is_practice,
        "flag_type": flag.type.value,
        "flagged_at": to_iso(flag.timestamp),
        "flag_counts": dict(counts),
        "interruptions": attempt.interruptions,
    }
