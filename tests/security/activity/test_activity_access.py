"""Who may write and read activity records (ARCHITECTURE.md "Access control"), and the
audit of every access, allowed or refused."""

from __future__ import annotations

import pytest

from tests.integration.activity.activity_api_support import (
    COURSE,
    OTHER_COURSE,
    OTHER_STUDENT,
    STUDENT,
    audit_rows,
    outbox_events,
    record,
    stored,
)

pytestmark = pytest.mark.security


@pytest.fixture
def seeded(service):
    records = [
        record(id="MINE-1", session_id="SES-1"),
        record(id="MINE-2", course_id=OTHER_COURSE, session_id="SES-2"),
        record(id="THEIRS-1", student_id=OTHER_STUDENT, session_id="SES-3"),
    ]
    assert service.post("/logs", json={"records": records}).status_code == 202
    return records


def test_no_token_is_refused_everywhere(app):
    client = app.test_client()
    assert client.post("/logs", json=record()).status_code == 401
    assert client.get("/logs").status_code == 401
    assert client.get(f"/students/{STUDENT}/sessions").status_code == 401
    assert stored(app) == []


def test_a_student_writes_only_their_own_records(app, student):
    batch = {"records": [record(), record(student_id=OTHER_STUDENT)]}
    response = student.post("/logs", json=batch)
    assert response.status_code == 403
    assert OTHER_STUDENT in response.json["detail"]
    assert stored(app) == [] and outbox_events(app) == []
    outcomes = {(row.student_id, row.outcome) for row in audit_rows(app)}
    assert outcomes >= {(STUDENT, "allowed"), (OTHER_STUDENT, "denied")}
    assert {row.status_code for row in audit_rows(app)} == {403}


@pytest.mark.parametrize("role", ["parent", "teacher"])
def test_parents_and_teachers_write_no_records(app, caller, role):
    claims = {"students": [STUDENT]} if role == "parent" else {"courses": [COURSE]}
    response = caller(role, f"USR-{role.upper()}-1", **claims).post("/logs", json=record())
    assert response.status_code == 403
    assert stored(app) == []
    [row] = audit_rows(app)
    assert (row.role, row.outcome, row.action) == (role, "denied", "record")


def test_a_service_token_and_an_admin_write_for_any_student(app, service, admin):
    assert service.post("/logs", json=record(student_id=OTHER_STUDENT)).status_code == 202
    assert admin.post("/logs", json=record()).status_code == 202
    assert len(stored(app)) == 2


def test_a_student_reads_only_their_own_records(app, student, seeded):
    mine = student.get("/logs")
    assert {item["id"] for item in mine.json["items"]} == {"MINE-1", "MINE-2"}
    refused = student.get(f"/logs?student_id={OTHER_STUDENT}")
    assert refused.status_code == 404
    assert student.get(f"/students/{OTHER_STUDENT}/sessions").status_code == 404
    denied = [row for row in audit_rows(app) if row.outcome == "denied"]
    assert {(row.student_id, row.status_code) for row in denied} == {(OTHER_STUDENT, 404)}


def test_a_parent_reads_their_child_without_device_or_address(app, parent, seeded):
    response = parent.get(f"/logs?student_id={STUDENT}")
    assert response.status_code == 200
    assert {item["id"] for item in response.json["items"]} == {"MINE-1", "MINE-2"}
    assert all(
        "device_info" not in item and "ip_hash" not in item for item in response.json["items"]
    )
    assert {item["id"] for item in parent.get("/logs").json["items"]} == {"MINE-1", "MINE-2"}
    assert parent.get(f"/logs?student_id={OTHER_STUDENT}").status_code == 404
    assert parent.get(f"/students/{OTHER_STUDENT}/sessions").status_code == 404
    assert parent.get(f"/students/{STUDENT}/sessions").status_code == 200


def test_a_teacher_reads_only_their_courses(app, teacher, seeded):
    listed = teacher.get("/logs")
    assert {item["id"] for item in listed.json["items"]} == {"MINE-1", "THEIRS-1"}
    assert teacher.get(f"/logs?course_id={OTHER_COURSE}").status_code == 404
    assert "device_info" in listed.json["items"][0]
    sessions = teacher.get(f"/students/{STUDENT}/sessions").json["items"]
    assert [item["session_id"] for item in sessions] == ["SES-1"]


def test_admins_read_everything(admin, seeded):
    assert len(admin.get("/logs").json["items"]) == 3
    assert len(admin.get(f"/students/{STUDENT}/sessions").json["items"]) == 2


def test_every_read_is_audited_with_who_whom_and_outcome(app, teacher, seeded):
    before = len(audit_rows(app))
    teacher.get("/logs")
    teacher.get(f"/students/{STUDENT}/sessions")
    rows = audit_rows(app)[before:]
    assert {(row.actor, row.student_id, row.course_id, row.outcome) for row in rows} == {
        ("USR-TEA-1", STUDENT, COURSE, "allowed"),
        ("USR-TEA-1", OTHER_STUDENT, COURSE, "allowed"),
        ("USR-TEA-1", STUDENT, None, "allowed"),
    }
