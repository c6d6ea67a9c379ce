"""No existence oracle: a record the caller may not see answers exactly as a missing one.

For every route of progress and attempts that names a record in its path (read from the
Flask url_map, so a new route cannot be forgotten: it fails here until it is listed),
and for every id in that path, a caller who may not see the record sends the same
request twice, once naming the real record and once a record that does not exist, with
the same X-Request-ID. Status, content type and body must be byte-for-byte the same,
and the refusal must be a 404 (so a test body that fails validation first cannot make
the comparison vacuous).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.attempts.app import create_app as create_attempts_app
from services.progress.app import create_app as create_progress_app
from shared.config import Settings
from shared.http import NOT_FOUND_DETAIL
from tests.integration.attempts.attempts_api_support import quiz_definition
from tests.integration.progress.progress_api_support import outline_document

pytestmark = pytest.mark.security

COURSE, OTHER_COURSE = "CRS-MATH-1001", "CRS-BIO-2001"
STUDENT = "USR-STU-1"
#: Routes that are not records of a student: served to every caller, or to nobody.
NOT_RECORDS = {"static", "health.docs_assets"}
#: Path ids whose existence every authenticated caller may know: quizzes and course
#: outlines are readable by any caller (the answer keys and the statistics are not,
#: and are refused with 403 by role, never by existence).
PUBLIC_IDS = {"quiz_id", "course_id"}

FLAG = {"type": "tab_switch", "timestamp": "2026-11-25T10:00:00Z"}
#: A valid body for every route and method that takes one: validation passes, so the
#: answer is the access decision.
BODIES: dict[tuple[str, str], Any] = {
    ("/enrollments/<enrollment_id>", "PATCH"): {"status": "paused"},
    ("/enrollments/<enrollment_id>/lessons/<lesson_id>/completion", "POST"): {
        "completion_id": "c-1",
        "time_spent": 1,
    },
    ("/enrollments/<enrollment_id>/assignments", "POST"): {
        "assignment_id": "ASG-1",
        "action": "submit",
        "submission_id": "s-1",
        "time_spent": 1,
    },
    ("/enrollments/<enrollment_id>/notes", "POST"): {"lesson_id": "LSN-1", "content": "x"},
    ("/enrollments/<enrollment_id>/notes/<note_id>", "PATCH"): {"content": "y"},
    ("/enrollments/<enrollment_id>/bookmarks", "POST"): {
        "content_type": "lesson",
        "content_id": "LSN-1",
    },
    ("/enrollments/<enrollment_id>/bookmarks/<bookmark_id>", "PATCH"): {"note": "n"},
    ("/attempts/<attempt_id>/answers/<question_id>", "PUT"): {"answer": "a"},
    ("/attempts/<attempt_id>/integrity-flags", "POST"): FLAG,
    ("/attempts/<attempt_id>/feedback", "POST"): {"feedback": "x"},
}
NO_BODY = {"GET", "DELETE"}
NO_BODY_ROUTES = {("/attempts/<attempt_id>/submission", "POST")}


class Caller:
    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.token = token

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        return self.client.open(
            path,
            method=method,
            json=body,
            headers={"Authorization": f"Bearer {self.token}", **headers},
        )


def outsiders(client: FlaskClient, token_for: Callable[..., str]) -> dict[str, Caller]:
    """Callers who may see none of the student's records in COURSE."""
    return {
        "another student": Caller(client, token_for("student", "USR-STU-2")),
        "parent of another child": Caller(
            client, token_for("parent", "USR-PAR-2", students=["USR-STU-2"])
        ),
        "teacher of another course": Caller(
            client, token_for("teacher", "USR-TEA-2", courses=[OTHER_COURSE])
        ),
    }


def routes_with_ids(app: Flask) -> list[tuple[str, str, list[str]]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_RECORDS or not rule.arguments:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.rule, method, sorted(rule.arguments)))
    return found


def body_of(rule: str, method: str) -> Any:
    if method in NO_BODY or (rule, method) in NO_BODY_ROUTES:
        return None
    if (rule, method) not in BODIES:
        pytest.fail(f"{method} {rule} takes a body: add a valid one to BODIES", pytrace=False)
    return BODIES[(rule, method)]


def fill(rule: str, values: dict[str, str]) -> str:
    path = rule
    for name, value in values.items():
        path = path.replace(f"<{name}>", value)
    assert "<" not in path, path
    return path


def assert_no_oracle(
    app: Flask, token_for: Callable[..., str], existing: dict[str, str]
) -> list[str]:
    """Compare real and missing ids for every route; returns what was compared."""
    client = app.test_client()
    compared = []
    for rule, method, arguments in routes_with_ids(app):
        private = [argument for argument in arguments if argument not in PUBLIC_IDS]
        if not private:
            continue
        body = body_of(rule, method)
        for argument in private:
            missing = {**existing, argument: f"missing-{uuid.uuid4().hex}"}
            for name, who in outsiders(client, token_for).items():
                request_id = uuid.uuid4().hex
                real = who.call(method, fill(rule, existing), body, **{"X-Request-ID": request_id})
                absent = who.call(method, fill(rule, missing), body, **{"X-Request-ID": request_id})
                where = f"{method} {rule} ({argument}, {name})"
                assert real.status_code == 404, (where, real.status_code, real.get_data())
                assert (real.status_code, real.content_type, real.get_data()) == (
                    absent.status_code,
                    absent.content_type,
                    absent.get_data(),
                ), where
                assert real.json["detail"] == NOT_FOUND_DETAIL, where
                compared.append(f"{method} {rule} {argument}")
    return compared


@pytest.fixture
def progress_app(settings: Settings, tmp_path: Any) -> Iterator[Flask]:
    app = create_progress_app(
        {
            "STRIDE_SETTINGS": settings,
            "DATABASE_URL": f"sqlite:///{tmp_path}/progress.db",
            "TESTING": True,
        }
    )
    yield app
    app.extensions["stride"].database.dispose()


@pytest.fixture
def attempts_app(settings: Settings, tmp_path: Any) -> Iterator[Flask]:
    app = create_attempts_app(
        {
            "STRIDE_SETTINGS": settings,
            "DATABASE_URL": f"sqlite:///{tmp_path}/attempts.db",
            "TESTING": True,
        }
    )
    yield app
    app.extensions["stride"].database.dispose()


def test_progress_answers_refused_and_missing_records_alike(
    progress_app: Flask, token_for: Callable[..., str]
):
    client = progress_app.test_client()
    admin = Caller(client, token_for("admin", "USR-ADM-1"))
    student = Caller(client, token_for("student", STUDENT))
    assert admin.call("PUT", f"/courses/{COURSE}/outline", outline_document()).status_code == 200
    enrollment = admin.call("POST", "/enrollments", {"student_id": STUDENT, "course_id": COURSE})
    enrollment_id = enrollment.json["id"]
    note = student.call(
        "POST", f"/enrollments/{enrollment_id}/notes", {"lesson_id": "LSN-1", "content": "n"}
    )
    bookmark = student.call(
        "POST",
        f"/enrollments/{enrollment_id}/bookmarks",
        {"content_type": "lesson", "content_id": "LSN-2"},
    )
    existing = {
        "enrollment_id": enrollment_id,
        "note_id": note.json["id"],
        "bookmark_id": bookmark.json["id"],
        "lesson_id": "LSN-1",
        "course_id": COURSE,
    }
    compared = assert_no_oracle(progress_app, token_for, existing)
    assert "GET /enrollments/<enrollment_id>/notes/<note_id> note_id" in compared
    assert "PATCH /enrollments/<enrollment_id> enrollment_id" in compared


def test_progress_by_key_answers_refused_and_missing_pairs_alike(
    progress_app: Flask, token_for: Callable[..., str]
):
    """The natural key is an id too: who is enrolled where is not told to outsiders."""
    client = progress_app.test_client()
    admin = Caller(client, token_for("admin", "USR-ADM-1"))
    admin.call("PUT", f"/courses/{COURSE}/outline", outline_document())
    admin.call("POST", "/enrollments", {"student_id": STUDENT, "course_id": COURSE})
    for name, who in outsiders(client, token_for).items():
        request_id = uuid.uuid4().hex
        real = who.call(
            "GET",
            f"/enrollments/by-key?student_id={STUDENT}&course_id={COURSE}",
            **{"X-Request-ID": request_id},
        )
        absent = who.call(
            "GET",
            f"/enrollments/by-key?student_id=USR-STU-404&course_id={COURSE}",
            **{"X-Request-ID": request_id},
        )
        assert real.status_code == 404, name
        assert real.get_data() == absent.get_data(), name
        assert real.headers.get("Content-Length") == absent.headers.get("Content-Length")


def test_attempts_answer_refused_and_missing_records_alike(
    attempts_app: Flask, token_for: Callable[..., str]
):
    client = attempts_app.test_client()
    teacher = Caller(client, token_for("teacher", "USR-TEA-1", courses=[COURSE]))
    student = Caller(client, token_for("student", STUDENT))
    assert teacher.call("PUT", "/quizzes/QZ-1", quiz_definition()).status_code == 200
    attempt = student.call("POST", "/quizzes/QZ-1/attempts", {})
    assert attempt.status_code == 201, attempt.json
    existing = {"attempt_id": attempt.json["id"], "question_id": "q1", "quiz_id": "QZ-1"}
    compared = assert_no_oracle(attempts_app, token_for, existing)
    assert "PUT /attempts/<attempt_id>/answers/<question_id> attempt_id" in compared


def test_every_404_has_one_body(attempts_app: Flask, token_for: Callable[..., str]):
    """An unknown route, an unknown record and an unknown question say the same."""
    client = attempts_app.test_client()
    admin = Caller(client, token_for("admin", "USR-ADM-1"))
    request_id = uuid.uuid4().hex
    bodies = {
        admin.call("GET", path, **{"X-Request-ID": request_id}).get_data()
        for path in ("/no/such/route", "/attempts/nothing", "/quizzes/nothing")
    }
    assert len(bodies) == 1
