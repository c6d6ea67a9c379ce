"""The access rules of ARCHITECTURE.md and the audit trail, on the shared plumbing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask

from shared.auth import Principal
from shared.config import Settings
from shared.db import audit_table
from shared.http import NOT_FOUND_DETAIL
from tests.support.probe import create_probe_app

pytestmark = pytest.mark.security


@pytest.fixture
def app(settings: Settings) -> Flask:
    return create_probe_app(settings)


def audit_rows(app: Flask) -> list[sa.Row]:
    database = app.extensions["stride"].database
    with database.engine.connect() as connection:
        return list(connection.execute(sa.select(audit_table).order_by(audit_table.c.id)))


def read(app: Flask, token: str, student: str = "USR-STU-1", course: str = "CRS-1"):
    return app.test_client().get(
        f"/students/{student}/records?course_id={course}",
        headers={"Authorization": f"Bearer {token}"},
    )


def write(app: Flask, token: str, student: str = "USR-STU-1", course: str = "CRS-1"):
    return app.test_client().post(
        f"/students/{student}/records",
        json={"course_id": course, "score": 90},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_student_reads_own_records_and_it_is_audited(app: Flask, token_for: Callable):
    response = read(app, token_for("student", "USR-STU-1"))
    assert response.status_code == 200
    [row] = audit_rows(app)
    assert (row.actor, row.role, row.student_id, row.outcome, row.status_code) == (
        "USR-STU-1",
        "student",
        "USR-STU-1",
        "allowed",
        200,
    )
    assert row.request_id == response.headers["X-Request-ID"]


def test_student_cannot_see_another_student_and_gets_404(app: Flask, token_for: Callable):
    response = read(app, token_for("student", "USR-STU-2"))
    assert response.status_code == 404
    assert response.json["detail"] == NOT_FOUND_DETAIL
    [row] = audit_rows(app)
    assert (row.actor, row.student_id, row.outcome, row.status_code) == (
        "USR-STU-2",
        "USR-STU-1",
        "denied",
        404,
    )


def test_parent_sees_their_child_but_not_another(app: Flask, token_for: Callable):
    parent = token_for("parent", "USR-PAR-1", students=["USR-STU-1"])
    assert read(app, parent, student="USR-STU-1").status_code == 200
    assert read(app, parent, student="USR-STU-9").status_code == 404


def test_parent_changes_nothing(app: Flask, token_for: Callable):
    parent = token_for("parent", "USR-PAR-1", students=["USR-STU-1"])
    response = write(app, parent)
    assert response.status_code == 403
    assert audit_rows(app)[-1].outcome == "denied"


def test_teacher_sees_only_students_of_their_courses(app: Flask, token_for: Callable):
    teacher = token_for("teacher", "USR-TEA-1", courses=["CRS-1"])
    assert read(app, teacher, course="CRS-1").status_code == 200
    assert read(app, teacher, course="CRS-2").status_code == 404
    assert write(app, teacher, course="CRS-2").status_code == 404


def test_admin_sees_everyone(app: Flask, token_for: Callable):
    assert read(app, token_for("admin", "USR-ADM-1"), student="USR-STU-77").status_code == 200


def test_audit_log_is_append_only(app: Flask, token_for: Callable):
    read(app, token_for("student", "USR-STU-1"))
    database = app.extensions["stride"].database
    for statement in (audit_table.update().values(outcome="denied"), audit_table.delete()):
        with (
            pytest.raises(sa.exc.DBAPIError, match="append-only"),
            database.engine.begin() as connection,
        ):
            connection.execute(statement)
    assert len(audit_rows(app)) == 1


@pytest.mark.parametrize(
    ("principal", "student", "course", "readable", "changeable"),
    [
        (Principal("S1", "student"), "S1", "C1", True, True),
        (Principal("S1", "student"), "S2", "C1", False, False),
        (Principal("P1", "parent", students=frozenset({"S1"})), "S1", "C1", True, False),
        (Principal("P1", "parent", students=frozenset({"S1"})), "S2", "C1", False, False),
        (Principal("T1", "teacher", courses=frozenset({"C1"})), "S9", "C1", True, True),
        (Principal("T1", "teacher", courses=frozenset({"C1"})), "S9", "C2", False, False),
        (Principal("T1", "teacher", courses=frozenset({"C1"})), "S9", None, False, False),
        (Principal("A1", "admin"), "S9", None, True, True),
        (Principal("SVC", "service"), "S9", "C2", True, True),
    ],
)
def test_access_matrix(principal, student, course, readable, changeable):
    assert principal.may_read(student, course) is readable
    assert principal.may_change(student, course) is changeable


def test_an_oversized_id_is_still_audited(app: Flask, token_for: Callable):
    response = read(app, token_for("student", "USR-STU-2"), student="S" * 500, course="C" * 500)
    assert response.status_code == 404
    row = audit_rows(app)[-1]
    assert row.outcome == "denied" and row.student_id.startswith("SSS")
    assert len(row.student_id) <= 120 and len(row.course_id) <= 120
