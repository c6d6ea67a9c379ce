"""Who may read and change progress: refusals for every role that must be refused, audited."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.progress.progress_api_support import (
    COURSE,
    OTHER_COURSE,
    OTHER_STUDENT,
    STUDENT,
    audit_rows,
    complete,
    enroll,
    outbox_events,
    outline_document,
    publish_outline,
    row_counts,
)

pytestmark = pytest.mark.security


@pytest.fixture
def world(admin, student) -> dict[str, Any]:
    """Two students in the course, one of them also in another course, with a note each."""
    publish_outline(admin)
    publish_outline(admin, course=OTHER_COURSE)
    mine = enroll(admin)["id"]
    theirs = enroll(admin, student_id=OTHER_STUDENT)["id"]
    elsewhere = enroll(admin, student_id=OTHER_STUDENT, course=OTHER_COURSE)["id"]
    note = student.post(
        f"/enrollments/{mine}/notes", json={"lesson_id": "LSN-1", "content": "mine"}
    ).json
    return {"mine": mine, "theirs": theirs, "elsewhere": elsewhere, "note": note["id"]}


def reads(enrollment_id: str, note_id: str = "x") -> list[str]:
    return [
        f"/enrollments/{enrollment_id}",
        f"/enrollments/{enrollment_id}/notes",
        f"/enrollments/{enrollment_id}/notes/{note_id}",
        f"/enrollments/{enrollment_id}/bookmarks",
    ]


def changes(enrollment_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("patch", f"/enrollments/{enrollment_id}", {"status": "paused"}),
        ("patch", f"/enrollments/{enrollment_id}", {"custom_fields": {"a": 1}}),
        (
            "post",
            f"/enrollments/{enrollment_id}/lessons/LSN-1/completion",
            {"completion_id": "c-1", "time_spent": 1},
        ),
        (
            "post",
            f"/enrollments/{enrollment_id}/assignments",
            {"assignment_id": "ASG-1", "action": "submit", "submission_id": "s", "time_spent": 1},
        ),
        ("post", f"/enrollments/{enrollment_id}/notes", {"lesson_id": "LSN-1", "content": "x"}),
        (
            "post",
            f"/enrollments/{enrollment_id}/bookmarks",
            {"content_type": "lesson", "content_id": "LSN-1"},
        ),
    ]


def test_requests_without_a_valid_token_are_refused(app):
    client = app.test_client()
    assert client.get("/enrollments").status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert client.get("/enrollments", headers=bad).status_code == 401


def test_a_student_cannot_see_another_students_progress(app, student, world):
    for path in reads(world["theirs"]):
        assert student.get(path).status_code == 404, path
    by_key = student.get(f"/enrollments/by-key?student_id={OTHER_STUDENT}&course_id={COURSE}")
    assert by_key.status_code == 404
    listed = student.get("/enrollments").json["items"]
    assert [item["id"] for item in listed] == [world["mine"]]
    assert student.get(f"/enrollments?student_id={OTHER_STUDENT}").json["items"] == []
    denied = [row for row in audit_rows(app) if row.outcome == "denied"]
    assert {row.student_id for row in denied} == {OTHER_STUDENT}
    assert all(row.actor == STUDENT and row.status_code == 404 for row in denied)


def test_a_student_cannot_change_another_students_progress(app, student, world):
    before = row_counts(app)
    for method, path, body in changes(world["theirs"]):
        response = getattr(student, method)(path, json=body)
        assert response.status_code == 404, (path, response.json)
    assert row_counts(app) == before


def test_a_student_cannot_grade_enroll_others_or_publish_outlines(app, student, world):
    before = row_counts(app)
    graded = student.post(
        f"/enrollments/{world['mine']}/assignments",
        json={"assignment_id": "ASG-1", "action": "grade", "grade": 100},
    )
    assert graded.status_code == 403
    enrolled = student.post("/enrollments", json={"student_id": "USR-STU-9", "course_id": COURSE})
    assert enrolled.status_code == 404
    outline = student.put(f"/courses/{COURSE}/outline", json=outline_document())
    assert outline.status_code == 403
    assert row_counts(app) == before
    assert audit_rows(app)[-1].outcome == "denied"


def test_a_student_cannot_reopen_a_completed_course(app, admin, student):
    document = outline_document()
    document["modules"] = [
        {"module_id": "M", "title": "Only", "items": [
            {"item_id": "L", "kind": "lesson", "title": "Only lesson"}]}
    ]  # fmt: skip
    assert (admin.put(f"/courses/{COURSE}/outline", json=document)).status_code == 200
    enrollment_id = enroll(admin)["id"]
    assert complete(student, enrollment_id, "L", "c-1").json["status"] == "completed"
    assert (
        student.patch(f"/enrollments/{enrollment_id}", json={"status": "in_progress"}).status_code
        == 403
    )
    reopened = admin.patch(f"/enrollments/{enrollment_id}", json={"status": "in_progress"})
    assert reopened.status_code == 200 and reopened.json["status"] == "in_progress"


def test_a_parent_reads_their_child_only_and_changes_nothing(app, caller, world):
    parent = caller("parent", "USR-PAR-1", students=[STUDENT])
    for path in reads(world["mine"], world["note"]):
        assert parent.get(path).status_code == 200, path
    for path in reads(world["theirs"]):
        assert parent.get(path).status_code == 404, path
    assert [item["id"] for item in parent.get("/enrollments").json["items"]] == [world["mine"]]
    before = row_counts(app)
    for method, path, body in changes(world["mine"]):
        response = getattr(parent, method)(path, json=body)
        assert response.status_code == 403, (path, response.json)
    note_path = f"/enrollments/{world['mine']}/notes/{world['note']}"
    assert parent.patch(note_path, json={"content": "edited"}).status_code == 403
    assert parent.delete(note_path).status_code == 403
    enrolled = parent.post("/enrollments", json={"student_id": STUDENT, "course_id": OTHER_COURSE})
    assert enrolled.status_code == 403
    assert parent.put(f"/courses/{COURSE}/outline", json=outline_document()).status_code == 403
    assert row_counts(app) == before
    parent_rows = [row for row in audit_rows(app) if row.actor == "USR-PAR-1"]
    assert {row.outcome for row in parent_rows if row.status_code == 403} == {"denied"}


def test_a_teacher_sees_only_the_students_of_their_courses(app, teacher, world):
    assert teacher.get(f"/enrollments/{world['theirs']}").status_code == 200
    assert teacher.get(f"/enrollments/{world['elsewhere']}").status_code == 404
    listed = {item["id"] for item in teacher.get("/enrollments").json["items"]}
    assert listed == {world["mine"], world["theirs"]}
    other = teacher.get(f"/enrollments?course_id={OTHER_COURSE}").json["items"]
    assert other == []
    before = row_counts(app)
    for method, path, body in changes(world["elsewhere"]):
        assert getattr(teacher, method)(path, json=body).status_code == 404, path
    assert (
        teacher.put(f"/courses/{OTHER_COURSE}/outline", json=outline_document()).status_code == 403
    )
    assert row_counts(app) == before


def test_a_teacher_grades_but_does_not_write_the_students_notes(app, teacher, world):
    path = f"/enrollments/{world['mine']}/notes"
    assert teacher.get(path).status_code == 200
    assert teacher.post(path, json={"lesson_id": "LSN-1", "content": "x"}).status_code == 403
    assert teacher.put(f"/courses/{COURSE}/outline", json=outline_document()).status_code == 200


def test_every_read_and_change_is_audited_with_its_outcome(app, student, world):
    start = len(audit_rows(app))
    student.get(f"/enrollments/{world['mine']}")
    student.patch(f"/enrollments/{world['mine']}", json={"status": "paused"})
    student.get(f"/enrollments/{world['theirs']}")
    student.get("/enrollments/does-not-exist")
    rows = audit_rows(app)[start:]
    assert [(row.action, row.outcome, row.status_code) for row in rows] == [
        ("read", "allowed", 200),
        ("update", "allowed", 200),
        ("read", "denied", 404),
        ("read", "not_found", 404),
    ]
    assert rows[0].student_id == STUDENT and rows[0].course_id == COURSE


def test_a_refused_change_emits_no_event(app, caller, world):
    parent = caller("parent", "USR-PAR-1", students=[STUDENT])
    before = len(outbox_events(app))
    parent.patch(f"/enrollments/{world['mine']}", json={"status": "paused"})
    assert len(outbox_events(app)) == before


@pytest.mark.parametrize("role", ["student", "parent", "teacher"])
def test_only_admins_and_services_record_past_enrollments(app, caller, admin, world, role):
    claims = {"student": {}, "parent": {"students": [STUDENT]}, "teacher": {"courses": [COURSE]}}
    who = caller(role, {"student": STUDENT, "parent": "USR-PAR-1", "teacher": "USR-TEA-1"}[role],
                 **claims[role])  # fmt: skip
    before = row_counts(app)
    records = [
        {"student_id": STUDENT, "course_id": COURSE, "enrolled_at": "2013-09-20T00:00:00Z",
         "final_result": {"result": "pass", "at": "2014-05-20T00:00:00Z"}},
        {"student_id": OTHER_STUDENT, "course_id": COURSE, "enrolled_at": "2013-09-20T00:00:00Z"},
    ]  # fmt: skip

    response = who.post("/enrollment-records", json={"records": records})

    assert response.status_code == 403
    assert "only an administrator or a service" in response.json["detail"]
    assert row_counts(app) == before
    denied = [row for row in audit_rows(app) if row.action == "record_history"]
    assert [(row.student_id, row.outcome, row.status_code) for row in denied] == [
        (STUDENT, "denied", 403),
        (OTHER_STUDENT, "denied", 403),
    ]


def test_a_student_cannot_backdate_their_own_enrollment(app, admin, student):
    publish_outline(admin, course=OTHER_COURSE)
    before = row_counts(app)
    body = {"student_id": STUDENT, "course_id": OTHER_COURSE, "enrolled_at": "2013-09-20T00:00:00Z"}

    response = student.post("/enrollments", json=body)

    assert response.status_code == 403
    assert response.json["detail"].startswith("enrolled_at: ")
    assert row_counts(app) == before
