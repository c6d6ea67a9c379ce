"""Saving an answer: the answer and the audit of its request commit in one transaction,
each audit row carrying the status the request was answered with."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.test import TestResponse

from services.attempts import store
from tests.integration.attempts.attempts_api_support import (
    COURSE,
    STUDENT,
    Caller,
    answer,
    audit_rows,
    count_rows,
    execute,
    move_start_back,
    outbox_events,
    publish,
    question,
    quiz_definition,
    start,
)
from tests.support.engine_events import sqlalchemy_statements, with_commits

pytestmark = pytest.mark.integration


@pytest.fixture
def attempt(teacher: Caller, student: Caller) -> dict[str, Any]:
    publish(teacher, time_limit_minutes=5)
    return start(student)


def audit_of(app: Flask, response: TestResponse) -> list[tuple[Any, ...]]:
    request_id = response.headers["X-Request-ID"]
    return [
        (row.action, row.role, row.student_id, row.course_id, row.outcome, row.status_code)
        for row in audit_rows(app)
        if row.request_id == request_id
    ]


def test_an_answer_and_its_audit_commit_in_one_transaction(app, attempt, student):
    response, commits = with_commits(app, lambda: answer(student, attempt["id"], "q1", "a"))
    assert response.status_code == 200
    assert audit_of(app, response) == [("answer", "student", STUDENT, COURSE, "allowed", 200)]
    assert count_rows(app, "attempt_answers") == 1
    if app.extensions["stride"].database.dialect == "sqlite":
        assert commits == 1
        return
    # On PostgreSQL the save runs on the driver, not through SQLAlchemy: the rows' xmin
    # (the transaction that wrote them) says they were written together.
    [answer_xmin] = rows_of(app, "SELECT xmin::text FROM attempt_answers")
    audit_xmin = rows_of(
        app,
        "SELECT xmin::text FROM audit_log WHERE request_id = :request_id",
        request_id=response.headers["X-Request-ID"],
    )
    assert audit_xmin == [answer_xmin]


def rows_of(app: Flask, statement: str, **params: Any) -> list[Any]:
    with app.extensions["stride"].database.engine.connect() as connection:
        return list(connection.execute(sa.text(statement), params).scalars())


@pytest.mark.parametrize("app", ["postgresql"], indirect=True)
def test_on_postgresql_an_answer_is_saved_on_the_driver_without_a_session(app, attempt, student):
    for value in ("a", "b"):  # a first answer (insert), then a change (update)
        response, statements = sqlalchemy_statements(
            app, lambda value=value: answer(student, attempt["id"], "q1", value)
        )
        assert response.status_code == 200, response.json
        assert statements == 0
    assert response.json["attempts_before_answer"] == 1
    assert app.extensions["stride"].database.engine.pool.checkedout() == 0


@pytest.mark.parametrize("app", ["postgresql"], indirect=True)
def test_an_answer_to_a_quiz_version_not_parsed_yet_takes_the_general_path_audited_once(
    app, attempt, student
):
    store._PARSED.clear()  # as in a worker that has not seen this quiz version yet
    response, statements = sqlalchemy_statements(
        app, lambda: answer(student, attempt["id"], "q1", "a")
    )
    assert response.status_code == 200, response.json
    assert statements > 0, "the general path, through the session"
    assert audit_of(app, response) == [("answer", "student", STUDENT, COURSE, "allowed", 200)]
    again, statements = sqlalchemy_statements(
        app, lambda: answer(student, attempt["id"], "q2", True)
    )
    assert (again.status_code, statements) == (200, 0), "parsed now: the driver's path"
    assert count_rows(app, "attempt_answers") == 2


def test_an_adaptive_answer_takes_the_general_path_audited_once(app, teacher, student):
    levels = (1, 2, 3, 4, 5)
    questions = [question("true_false", f"d{level}", difficulty=level) for level in levels]
    publish(teacher, quiz_id="QZ-ADAPT", body=quiz_definition(*questions, adaptive=True))
    adaptive = start(student, quiz_id="QZ-ADAPT")
    response = answer(student, adaptive["id"], "d3", True)
    assert response.status_code == 200, response.json
    assert response.json["question_order"] == ["d3", "d4"]
    assert audit_of(app, response) == [("answer", "student", STUDENT, COURSE, "allowed", 200)]


def test_an_answer_whose_audit_cannot_be_written_is_not_saved(app, attempt, student):
    execute(app, "ALTER TABLE audit_log RENAME TO audit_log_away")
    try:
        response = answer(student, attempt["id"], "q1", "a")
    finally:
        execute(app, "ALTER TABLE audit_log_away RENAME TO audit_log")
    assert response.status_code == 503
    assert response.json["type"].endswith("audit_unavailable")
    assert count_rows(app, "attempt_answers") == 0
    assert audit_rows(app)[-1].action == "start"


@pytest.mark.parametrize(
    ("question_id", "value", "status"),
    [("q1", "zz", 422), ("q2", "yes", 422), ("q3", "3,5", 422), ("q9", "a", 404)],
)
def test_a_refused_answer_is_audited_with_its_status(
    app, attempt, student, question_id, value, status
):
    response = answer(student, attempt["id"], question_id, value)
    assert response.status_code == status, response.json
    assert audit_of(app, response) == [("answer", "student", STUDENT, COURSE, "allowed", status)]
    assert count_rows(app, "attempt_answers") == 0


def test_an_answer_after_submission_is_audited_with_409(app, attempt, student):
    assert (student.post(f"/attempts/{attempt['id']}/submission")).status_code == 200
    response = answer(student, attempt["id"], "q1", "a")
    assert response.status_code == 409
    assert audit_of(app, response) == [("answer", "student", STUDENT, COURSE, "allowed", 409)]


def test_an_answer_out_of_time_closes_the_attempt_and_is_audited_with_409(app, attempt, student):
    move_start_back(app, attempt["id"], 10)
    response = answer(student, attempt["id"], "q1", "a")
    assert response.status_code == 409
    assert audit_of(app, response) == [("answer", "student", STUDENT, COURSE, "allowed", 409)]
    assert count_rows(app, "attempt_answers") == 0
    [event] = outbox_events(app, "attempts.attempt.submitted")
    assert event["correlation_id"] == response.headers["X-Request-ID"]


def test_an_answer_by_someone_else_is_audited_as_refused(app, attempt, caller, parent, student):
    stranger = answer(caller("student", "USR-STU-2"), attempt["id"], "q1", "a")
    assert stranger.status_code == 404
    assert audit_of(app, stranger) == [("answer", "student", STUDENT, COURSE, "denied", 404)]
    refused = answer(parent, attempt["id"], "q1", "a")
    assert refused.status_code == 403
    assert audit_of(app, refused) == [("answer", "parent", STUDENT, COURSE, "denied", 403)]
    missing = answer(student, "ATT-NOPE", "q1", "a")
    assert missing.status_code == 404
    assert audit_of(app, missing) == [("answer", "student", None, None, "not_found", 404)]
    assert count_rows(app, "attempt_answers") == 0


# Row locks are PostgreSQL's; SQLite (embedded mode) runs one writer at a time.
@pytest.mark.parametrize("app", ["postgresql"], indirect=True)
def test_an_answer_waiting_for_the_attempt_lock_sees_the_answer_saved_meanwhile(
    app, attempt, student
):
    """Two saves of the same question: the second, blocked on the attempt's lock, must
    read the answer the first committed (not a copy from before it waited)."""
    database = app.extensions["stride"].database
    move_start_back(app, attempt["id"], 2)
    results: list[TestResponse] = []
    with database.engine.connect() as first:
        first.execute(
            sa.text("SELECT id FROM attempts WHERE id = :id FOR UPDATE"), {"id": attempt["id"]}
        )
        waiting = threading.Thread(
            target=lambda: results.append(
                answer(student, attempt["id"], "q1", "b", time_spent=20, confidence_level=2)
            )
        )
        waiting.start()
        wait_for_a_blocked_backend(first)
        first.execute(
            sa.text(
                "INSERT INTO attempt_answers (attempt_id, question_id, question_type, answer,"
                " answered_at, time_spent_seconds, attempts_before_answer, confidence_level)"
                " VALUES (:id, 'q1', 'multiple_choice', '\"a\"', now(), 10, 0, 5)"
            ),
            {"id": attempt["id"]},
        )
        first.commit()
        waiting.join(timeout=30)
        assert not waiting.is_alive(), "the waiting answer save never finished"
    [response] = results
    assert response.status_code == 200, response.json
    assert (response.json["answer"], response.json["time_spent"]) == ("b", 30)
    assert response.json["attempts_before_answer"] == 1
    assert count_rows(app, "attempt_answers") == 1


def wait_for_a_blocked_backend(connection: sa.Connection) -> None:
    """Return once another backend of this database waits for a lock (up to 10 s)."""
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with connection.engine.connect() as probe:
            if probe.execute(query).scalar_one():
                return
        time.sleep(0.02)
    raise AssertionError("the second save never waited for the attempt's lock")
