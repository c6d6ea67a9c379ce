"""Test support for the attempts API: an app on SQLite or PostgreSQL, callers by role,
quiz definitions, and readers of the outbox, the audit log and the tables.

Imported as ``tests.integration.attempts.attempts_api_support`` by the integration and
security tests of the attempts service.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from services.attempts.app import create_app
from shared.config import Settings
from shared.db import audit_table, outbox_table

COURSE = "CRS-MATH-1001"
OTHER_COURSE = "CRS-BIO-2001"
QUIZ = "QZ-FRACTIONS-1"
STUDENT = "USR-STU-1"
OTHER_STUDENT = "USR-STU-2"
TEACHER = "USR-TEA-1"
PARENT = "USR-PAR-1"


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


class Caller:
    """A test client that sends one role's bearer token."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(path, headers=self.headers, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.client.post(path, json=json, headers=self.headers, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.client.put(path, json=json, headers=self.headers, **kwargs)


@pytest.fixture(params=["sqlite", "postgresql"])
def app(
    request: pytest.FixtureRequest,
    settings: Settings,
) -> Iterator[Flask]:
    config: dict[str, Any] = {"STRIDE_SETTINGS": settings, "TESTING": True}
    if request.param == "postgresql":
        make_database = request.getfixturevalue("make_postgres_database")
        config["DATABASE_URL"] = make_database("attempts")
    application = create_app(config)
    yield application
    application.extensions["stride"].database.dispose()


@pytest.fixture
def caller(app: Flask, token_for: Callable[..., str]) -> Callable[..., Caller]:
    def make(role: str, sub: str, **claims: list[str]) -> Caller:
        return Caller(app.test_client(), token_for(role, sub, **claims))

    return make


@pytest.fixture
def student(caller: Callable[..., Caller]) -> Caller:
    return caller("student", STUDENT)


@pytest.fixture
def teacher(caller: Callable[..., Caller]) -> Caller:
    return caller("teacher", TEACHER, courses=[COURSE])


@pytest.fixture
def admin(caller: Callable[..., Caller]) -> Caller:
    return caller("admin", "USR-ADM-1")


@pytest.fixture
def parent(caller: Callable[..., Caller]) -> Caller:
    return caller("parent", PARENT, students=[STUDENT])


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


def outbox_events(app: Flask, event_type: str | None = None) -> list[dict[str, Any]]:
    database = app.extensions["stride"].database
    query = sa.select(outbox_table.c.body).order_by(outbox_table.c.created_at)
    if event_type is not None:
        query = query.where(outbox_table.c.event_type == event_type)
    with database.engine.connect() as connection:
        return [json.loads(body) for body in connection.execute(query).scalars()]


def audit_rows(app: Flask) -> list[sa.Row[Any]]:
    database = app.extensions["stride"].database
    with database.engine.connect() as connection:
        return list(connection.execute(sa.select(audit_table).order_by(audit_table.c.id)))


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
