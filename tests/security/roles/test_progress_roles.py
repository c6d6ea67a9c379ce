"""Every endpoint of the progress service against every kind of caller, on SQLite and
PostgreSQL. The rows come from the access rules of ARCHITECTURE.md and the service's
README; the endpoints are checked against the app's url_map, so an endpoint added
without its row fails here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.security.roles.role_table import (
    PLATFORM_ROWS,
    Request,
    Row,
    World,
    all_roles,
    test_each_role_gets_what_the_rules_say,
    test_every_endpoint_has_a_row_and_every_row_an_endpoint,
    test_every_row_names_every_role,
)
from tests.support.stride_http import (
    STUDENT,
)

pytestmark = [pytest.mark.security, pytest.mark.integration]

OUTLINE = {
    "modules": [
        {
            "module_id": "MOD-1",
            "title": "Limits",
            "items": [
                {"item_id": "LSN-1", "kind": "lesson", "title": "Intro", "weight": 1},
                {"item_id": "ASG-1", "kind": "assignment", "title": "Essay", "weight": 1},
            ],
        }
    ]
}

# -- preparing the records of a row, as the course's admin and student would ----------


def outline(world: World) -> None:
    world.ok(world.as_("admin").put(f"/courses/{world.course}/outline", json=OUTLINE))


def enrollment(world: World) -> str:
    outline(world)
    body = {"student_id": STUDENT, "course_id": world.course, "time_zone": "Europe/Paris"}
    created = world.ok(world.as_("admin").post("/enrollments", json=body), 201)
    return str(created["id"])


def note(world: World) -> tuple[str, str]:
    enrollment_id = enrollment(world)
    body = {"lesson_id": "LSN-1", "content": "*limits*", "tags": ["review"]}
    created = world.ok(world.as_("student").post(f"/enrollments/{enrollment_id}/notes", json=body))
    return enrollment_id, str(created["id"])


def bookmark(world: World) -> tuple[str, str]:
    enrollment_id = enrollment(world)
    body = {"content_type": "video", "content_id": "VID-1", "position": "05:23"}
    path = f"/enrollments/{enrollment_id}/bookmarks"
    created = world.ok(world.as_("student").post(path, json=body))
    return enrollment_id, str(created["id"])


def submitted(world: World) -> str:
    enrollment_id = enrollment(world)
    body = {"assignment_id": "ASG-1", "action": "submit", "submission_id": "S1", "time_spent": 5}
    world.ok(world.as_("admin").post(f"/enrollments/{enrollment_id}/assignments", json=body))
    return enrollment_id


def graded(world: World) -> str:
    enrollment_id = submitted(world)
    body = {"assignment_id": "ASG-1", "action": "grade", "grade": 80}
    world.ok(world.as_("admin").post(f"/enrollments/{enrollment_id}/assignments", json=body))
    return enrollment_id


def past_records(world: World) -> dict[str, Any]:
    """An institution's record of STUDENT in the row's course, with a graded submission."""
    submission = {"item_id": "ASG-1", "submitted_at": "2013-10-18T12:00:00Z", "score": 70}
    record = {
        "student_id": STUDENT,
        "course_id": world.course,
        "enrolled_at": "2013-09-20T00:00:00Z",
        "submissions": [submission],
        "final_result": {"result": "pass", "at": "2014-05-20T00:00:00Z"},
    }
    return {"records": [record]}


# -- what each role gets ---------------------------------------------------------------

#: reading a student's enrollment: the student, their parent, the course's teacher,
#: admins and services; the other student and another course's teacher see nothing.
READ = all_roles(200, other_student=404, other_teacher=404)
#: changing progress: whoever may read, except the parent
CHANGE = all_roles(200, other_student=404, other_teacher=404, parent=403)
#: grading and returning: teachers of the course, admins and services
STAFF = all_roles(200, other_student=404, other_teacher=404, parent=403, student=403)
#: notes and bookmarks are written by their student alone
OWN = all_roles(403, student=200, other_student=404, other_teacher=404)
#: listing: everyone may ask, each sees only what they may read
LISTED = all_roles((200, 1), other_student=(200, 0), other_teacher=(200, 0))


def with_status(table: dict[str, Any], status: int) -> dict[str, Any]:
    """``table`` with every success replaced by ``status`` (201 Created, 204 No Content)."""
    return {role: (status if expected == 200 else expected) for role, expected in table.items()}


def enrollment_path(suffix: str = "") -> Callable[[World], Request]:
    def prepare(world: World) -> Request:
        return Request(f"/enrollments/{enrollment(world)}{suffix}")

    return prepare


ROWS = [
    Row(
        "PUT",
        "/courses/<course_id>/outline",
        "",
        lambda w: Request(f"/courses/{w.course}/outline", json=OUTLINE),
        all_roles(403, teacher=200, admin=200, service=200),
    ),
    Row(
        "GET",
        "/courses/<course_id>/outline",
        "",
        lambda w: (outline(w), Request(f"/courses/{w.course}/outline"))[1],
        all_roles(200),
    ),
    Row(
        "POST",
        "/enrollments",
        "of the student",
        lambda w: (
            outline(w),
            Request("/enrollments", json={"student_id": STUDENT, "course_id": w.course}),
        )[1],
        with_status(CHANGE, 201),
    ),
    Row(
        "POST",
        "/enrollments",
        "backdated",
        lambda w: (
            outline(w),
            Request(
                "/enrollments",
                json={
                    "student_id": STUDENT,
                    "course_id": w.course,
                    "enrolled_at": "2013-09-20T00:00:00Z",
                },
            ),
        )[1],
        all_roles(403, other_student=404, other_teacher=404, admin=201, service=201),
    ),
    Row(
        "GET",
        "/enrollments",
        "of the course",
        lambda w: (enrollment(w), Request("/enrollments", query={"course_id": w.course}))[1],
        LISTED,
    ),
    Row(
        "GET",
        "/enrollments/by-key",
        "",
        lambda w: (
            enrollment(w),
            Request("/enrollments/by-key", query={"student_id": STUDENT, "course_id": w.course}),
        )[1],
        READ,
    ),
    Row("GET", "/enrollments/<enrollment_id>", "", enrollment_path(), READ),
    Row(
        "PATCH",
        "/enrollments/<enrollment_id>",
        "",
        lambda w: Request(f"/enrollments/{enrollment(w)}", json={"current_lesson_id": "LSN-1"}),
        CHANGE,
    ),
    Row(
        "POST",
        "/enrollments/<enrollment_id>/lessons/<lesson_id>/completion",
        "",
        lambda w: Request(
            f"/enrollments/{enrollment(w)}/lessons/LSN-1/completion",
            json={"completion_id": "C-1", "time_spent": 10},
        ),
        with_status(CHANGE, 201),
    ),
    Row(
        "POST",
        "/enrollments/<enrollment_id>/assignments",
        "submit",
        lambda w: Request(
            f"/enrollments/{enrollment(w)}/assignments",
            json={
                "assignment_id": "ASG-1",
                "action": "submit",
                "submission_id": "S1",
                "time_spent": 5,
            },
        ),
        CHANGE,
    ),
    Row(
        "POST",
        "/enrollments/<enrollment_id>/assignments",
        "grade",
        lambda w: Request(
            f"/enrollments/{submitted(w)}/assignments",
            json={"assignment_id": "ASG-1", "action": "grade", "grade": 80},
        ),
        STAFF,
    ),
    Row(
        "POST",
        "/enrollments/<enrollment_id>/assignments",
        "return",
        lambda w: Request(
            f"/enrollments/{graded(w)}/assignments",
            json={"assignment_id": "ASG-1", "action": "return"},
        ),
        STAFF,
    ),
    Row(
        "GET",
        "/enrollments/<enrollment_id>/notes",
        "",
        lambda w: Request(f"/enrollments/{note(w)[0]}/notes"),
        all_roles((200, 1), other_student=404, other_teacher=404),
    ),
    Row(
        "POST",
        "/enrollments/<enrollment_id>/notes",
        "",
        lambda w: Request(
            f"/enrollments/{enrollment(w)}/notes", json={"lesson_id": "LSN-1", "content": "dx"}
        ),
        with_status(OWN, 201),
    ),
    Row(
        "GET",
        "/enrollments/<enrollment_id>/notes/<note_id>",
        "",
        lambda w: Request("/enrollments/{}/notes/{}".format(*note(w))),
        READ,
    ),
    Row(
        "PATCH",
        "/enrollments/<enrollment_id>/notes/<note_id>",
        "",
        lambda w: Request("/enrollments/{}/notes/{}".format(*note(w)), json={"content": "dy"}),
        OWN,
    ),
    Row(
        "DELETE",
        "/enrollments/<enrollment_id>/notes/<note_id>",
        "",
        lambda w: Request("/enrollments/{}/notes/{}".format(*note(w))),
        with_status(OWN, 204),
    ),
    Row(
        "GET",
        "/enrollments/<enrollment_id>/bookmarks",
        "",
        lambda w: Request(f"/enrollments/{bookmark(w)[0]}/bookmarks"),
        all_roles((200, 1), other_student=404, other_teacher=404),
    ),
    Row(
        "POST",
        "/enrollments/<enrollment_id>/bookmarks",
        "",
        lambda w: Request(
            f"/enrollments/{enrollment(w)}/bookmarks",
            json={"content_type": "lesson", "content_id": "LSN-1"},
        ),
        with_status(OWN, 201),
    ),
    Row(
        "GET",
        "/enrollments/<enrollment_id>/bookmarks/<bookmark_id>",
        "",
        lambda w: Request("/enrollments/{}/bookmarks/{}".format(*bookmark(w))),
        READ,
    ),
    Row(
        "PATCH",
        "/enrollments/<enrollment_id>/bookmarks/<bookmark_id>",
        "",
        lambda w: Request(
            "/enrollments/{}/bookmarks/{}".format(*bookmark(w)), json={"position": "06:00"}
        ),
        OWN,
    ),
    Row(
        "DELETE",
        "/enrollments/<enrollment_id>/bookmarks/<bookmark_id>",
        "",
        lambda w: Request("/enrollments/{}/bookmarks/{}".format(*bookmark(w))),
        with_status(OWN, 204),
    ),
    Row(
        "POST",
        "/enrollment-records",
        "",
        lambda w: (outline(w), Request("/enrollment-records", json=past_records(w)))[1],
        all_roles(403, admin=200, service=200),
    ),
    *PLATFORM_ROWS,
]


SERVICE_UNDER_TEST = "progress"

__all__ = [
    "test_each_role_gets_what_the_rules_say",
    "test_every_endpoint_has_a_row_and_every_row_an_endpoint",
    "test_every_row_names_every_role",
]
