"""Outlines with due moments and their event; enrollments backdated by admins and services.

On SQLite and PostgreSQL, through the HTTP API.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.time import to_iso, utcnow
from tests.integration.progress.progress_api_support import (
    COURSE,
    STUDENT,
    audit_rows,
    outbox_events,
    outline_document,
    publish_outline,
    row_counts,
)

pytestmark = pytest.mark.integration


def dated_outline() -> dict:
    document = outline_document()
    document["modules"][0]["items"][2]["due_at"] = "2013-10-18T13:00:00+01:00"
    return document


def test_an_item_due_moment_is_stored_and_returned_in_utc(admin):
    assert admin.put(f"/courses/{COURSE}/outline", json=dated_outline()).status_code == 200

    items = admin.get(f"/courses/{COURSE}/outline").json["outline"]["modules"][0]["items"]

    assert items[2]["due_at"] == "2013-10-18T12:00:00+00:00"
    assert "due_at" not in items[0]


@pytest.mark.parametrize("due_at", ["2013-10-18T12:00:00", "soon", 7])
def test_an_item_due_moment_without_offset_is_refused_naming_it(admin, due_at):
    document = outline_document()
    document["modules"][1]["items"][1]["due_at"] = due_at

    response = admin.put(f"/courses/{COURSE}/outline", json=document)

    assert response.status_code == 422
    assert "modules.1.items.1.due_at" in response.json["detail"]
    assert row_counts(admin.client.application)["course_outlines"] == 0


def test_publishing_an_outline_emits_every_item_with_its_module_and_due_moment(admin):
    admin.put(f"/courses/{COURSE}/outline", json=dated_outline())

    [event] = outbox_events(admin.client.application, "progress.outline.published")

    assert (event["subject"], event["course_id"], event["producer"]) == (COURSE, COURSE, "progress")
    payload = event["payload"]
    assert (payload["course_id"], payload["outline_version"]) == (COURSE, 1)
    assert [
        (i["item_id"], i["kind"], i["module_id"], i["required"], i["weight"], i["due_at"])
        for i in payload["items"]
    ] == [
        ("LSN-1", "lesson", "MOD-1", True, 1.0, None),
        ("LSN-2", "lesson", "MOD-1", True, 1.0, None),
        ("QZ-1", "quiz", "MOD-1", True, 2.0, "2013-10-18T12:00:00Z"),
        ("LSN-3", "lesson", "MOD-2", True, 1.0, None),
        ("ASG-1", "assignment", "MOD-2", True, 1.0, None),
        ("LSN-X", "lesson", "MOD-2", False, 1.0, None),
    ]


def test_the_same_outline_again_keeps_its_version_and_emits_nothing(admin, teacher):
    first = publish_outline(admin)
    again = teacher.put(f"/courses/{COURSE}/outline", json=outline_document())

    assert again.status_code == 200
    assert (again.json["version"], again.json["updated_by"]) == (1, first["updated_by"])
    assert again.json["updated_at"] == first["updated_at"]
    assert len(outbox_events(admin.client.application, "progress.outline.published")) == 1


def test_a_changed_outline_is_the_next_version_and_emits_it(admin):
    publish_outline(admin)
    changed = admin.put(f"/courses/{COURSE}/outline", json=dated_outline())

    assert changed.json["version"] == 2
    events = outbox_events(admin.client.application, "progress.outline.published")
    assert [e["payload"]["outline_version"] for e in events] == [1, 2]


def test_requires_final_result_is_a_completion_criterion_of_the_outline(admin):
    criteria = {"completion_criteria": {"requires_final_result": True}}
    published = publish_outline(admin, **criteria)

    assert published["outline"]["completion_criteria"] == {"requires_final_result": True}
    refused = admin.put(
        f"/courses/{COURSE}/outline",
        json=outline_document(completion_criteria={"requires_final_result": 7}),
    )
    assert refused.status_code == 422
    assert "completion_criteria.requires_final_result" in refused.json["detail"]


@pytest.mark.parametrize("role", ["admin", "service"])
def test_an_admin_or_a_service_backdates_an_enrollment(request, admin, role):
    publish_outline(admin)
    caller = request.getfixturevalue(role)
    body = {"student_id": STUDENT, "course_id": COURSE, "enrolled_at": "2013-09-20T01:00:00+01:00"}

    created = caller.post("/enrollments", json=body)

    assert created.status_code == 201, created.json
    assert created.json["enrolled_at"] == "2013-09-20T00:00:00+00:00"
    [event] = outbox_events(admin.client.application, "progress.enrolled")
    assert event["payload"]["enrolled_at"] == "2013-09-20T00:00:00Z"


@pytest.mark.parametrize("role", ["student", "teacher"])
def test_a_student_or_teacher_giving_enrolled_at_is_refused_naming_it(request, admin, role):
    publish_outline(admin)
    caller = request.getfixturevalue(role)
    before = row_counts(admin.client.application)
    body = {"student_id": STUDENT, "course_id": COURSE, "enrolled_at": "2013-09-20T00:00:00Z"}

    response = caller.post("/enrollments", json=body)

    assert response.status_code == 403
    assert response.json["detail"].startswith("enrolled_at: only an administrator or a service")
    assert row_counts(admin.client.application) == before
    [denied] = [row for row in audit_rows(admin.client.application) if row.outcome == "denied"]
    assert (denied.action, denied.student_id, denied.status_code) == ("backdate", STUDENT, 403)


def test_an_enrollment_moment_in_the_future_is_refused(admin):
    publish_outline(admin)
    before = row_counts(admin.client.application)
    later = to_iso(utcnow() + timedelta(hours=1))

    response = admin.post(
        "/enrollments", json={"student_id": STUDENT, "course_id": COURSE, "enrolled_at": later}
    )

    assert response.status_code == 422
    assert response.json["errors"] == {
        "enrolled_at": ["must not be in the future (more than 300 seconds ahead of now)"]
    }
    assert row_counts(admin.client.application) == before


def test_an_enrollment_moment_without_offset_is_refused(admin):
    publish_outline(admin)
    body = {"student_id": STUDENT, "course_id": COURSE, "enrolled_at": "2013-09-20T00:00:00"}

    response = admin.post("/enrollments", json=body)

    assert response.status_code == 422
    assert "enrolled_at" in response.json["errors"]
