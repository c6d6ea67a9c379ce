"""Test support for the attempts API: an app on SQLite or PostgreSQL, callers by role,
quiz definitions, and readers of the outbox, the audit log and the tables.

Imported as ``tests.integration.attempts.attempts_api_support`` by the integration and
security tests of the attempts service.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import sqlalchemy as sa
from flask import Flask

from services.attempts.app import create_app
from tests.support.service_app import (
    COURSE,
    OTHER_COURSE,
    OTHER_STUDENT,
    PARENT,
    STUDENT,
    TEACHER,
    Caller,
    admin,
    app_on_each_backend,
    audit_rows,
    caller,
    make_service_app,
    outbox_events,
    parent,
    service,
    student,
    teacher,
)

__all__ = [
    "COURSE",
    "OTHER_COURSE",
    "OTHER_STUDENT",
    "PARENT",
    "STUDENT",
    "TEACHER",
    "admin",
    "audit_rows",
    "caller",
    "outbox_events",
    "parent",
    "service",
    "student",
    "teacher",
]

QUIZ = "QZ-FRACTIONS-1"


def question(kind: str, question_id: str, **fields: Any) -> dict[str, Any]:
    samples: dict[str, dict[str, Any]] = {
        "multiple_choice": {"options": ["a", "b", "c"], "answer_key": "a"},
        "multiple_response": {"options": ["2", "3", "4", "5"], "answer_key": ["2", "3", "5"]},
        "true_false": {"answer_key": True},
        "numeric": {"answer_key": 3.14, "tolerance": 0.01},
        "short_text": {"answer_key": ["Paris"]},
        "matching": {"answer_key": {"1/2": "0.5", "1/4": "0.25"}},
        "ordering": {"answer_key": ["1/8", "1/4", "1/2", "1"]},
        "essay": {"answer_key": "Equivalent fractions."},
    }
    return {
        "question_id": question_id,
        "type": kind,
        "prompt": f"Question {question_id}",
        "points": 2,
        **samples[kind],
        **fields,
    }


def quiz_definition(*questions: dict[str, Any], **settings: Any) -> dict[str, Any]:
    """A quiz of COURSE: a multiple-choice, a true/false and a numeric question by default."""
    return {
        "course_id": COURSE,
        "lesson_id": "LSN-7",
        "title": "Fractions check",
        "passing_score": 60,
        "questions": list(questions)
        or [
            question("multiple_choice", "q1", tags=["fractions"]),
            question("true_false", "q2", tags=["fractions"]),
            question("numeric", "q3", tags=["decimals"]),
        ],
        **settings,
    }


make_app = partial(make_service_app, create_app)
app = app_on_each_backend("attempts", create_app)


def publish(teacher: Caller, quiz_id: str = QUIZ, **definition: Any) -> dict[str, Any]:
    body = definition.pop("body", None) or quiz_definition(**definition)
    response = teacher.put(f"/quizzes/{quiz_id}", json=body)
    assert response.status_code == 200, response.json
    return response.json


def start(student: Caller, quiz_id: str = QUIZ, **body: Any) -> dict[str, Any]:
    response = student.post(f"/quizzes/{quiz_id}/attempts", json=body)
    assert response.status_code == 201, response.json
    return response.json


def answer(student: Caller, attempt_id: str, question_id: str, value: Any, **extra: Any) -> Any:
    return student.put(
        f"/attempts/{attempt_id}/answers/{question_id}", json={"answer": value, **extra}
    )


def count_rows(app: Flask, table: str) -> int:
    database = app.extensions["stride"].database
    with database.engine.connect() as connection:
        return int(connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def execute(app: Flask, statement: str, **params: Any) -> None:
    database = app.extensions["stride"].database
    with database.engine.begin() as connection:
        connection.execute(sa.text(statement), params)


def move_start_back(app: Flask, attempt_id: str, minutes: float) -> None:
    """Pretend the attempt started ``minutes`` earlier (its deadline and answers move too)."""
    from datetime import timedelta

    from services.attempts.models import Attempt, AttemptAnswer

    shift = timedelta(minutes=minutes)
    database = app.extensions["stride"].database
    with database.unit_of_work() as session:
        attempt = session.get(Attempt, attempt_id)
        assert attempt is not None
        attempt.started_at -= shift
        if attempt.time_limit_ends_at is not None and attempt.expires_at is not None:
            attempt.time_limit_ends_at -= shift
            attempt.expires_at -= shift
        for row in session.query(AttemptAnswer).filter_by(attempt_id=attempt_id):
            row.answered_at -= shift
        session.commit()
