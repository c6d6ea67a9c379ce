"""Who may read analytics: every refused role answers 404 as for an unknown student, and
every read, allowed or refused, is audited."""

from __future__ import annotations

import pytest

from tests.integration.analytics.analytics_api_support import audit_rows, feed
from tests.unit.analytics.streams import (
    COURSE,
    OTHER_COURSE,
    OTHER_STUDENT,
    STUDENT,
    activity,
    at,
    record,
    submitted,
)

pytestmark = pytest.mark.security

MINE = f"/students/{STUDENT}/analytics?course_id={COURSE}&start_date=2026-11-02"
ALL_MINE = f"/students/{STUDENT}/analytics?start_date=2026-11-02"
CLASS = f"/courses/{COURSE}/analytics"


@pytest.fixture
def world(app):
    feed(
        app,
        [
            submitted("AT-1", "QZ-1", at(1), 40.0),
            activity([record("R1", "lesson_start", at(1), duration=600, lesson_id="LSN-1")]),
            submitted("AT-2", "QZ-1", at(1), 90.0, student=OTHER_STUDENT),
            submitted("AT-3", "QZ-9", at(1), 90.0, student=OTHER_STUDENT, course=OTHER_COURSE),
        ],
    )


def test_without_a_valid_token_nothing_is_served(app, world):
    client = app.test_client()
    assert client.get(MINE).status_code == 401
    assert client.get(CLASS).status_code == 401
    assert client.get(MINE, headers={"Authorization": "Bearer nope"}).status_code == 401


@pytest.mark.parametrize(
    ("role", "sub", "claims"),
    [
        ("student", STUDENT, {}),
        ("parent", "USR-PAR-1", {"students": [STUDENT]}),
        ("teacher", "USR-TEA-1", {"courses": [COURSE]}),
        ("admin", "USR-ADM-1", {}),
    ],
)
def test_the_student_their_parent_their_teacher_and_admins_may_read(
    app, world, caller, role, sub, claims
):
    response = caller(role, sub, **claims).get(MINE)
    assert response.status_code == 200, response.json
    assert response.json["student_id"] == STUDENT
    rows = audit_rows(app)
    assert (rows[-1].actor, rows[-1].student_id, rows[-1].outcome) == (
        sub,
        STUDENT,
        "allowed",
    )
    assert rows[-1].status_code == 200


@pytest.mark.parametrize(
    ("role", "sub", "claims"),
    [
        ("student", OTHER_STUDENT, {}),
        ("parent", "USR-PAR-2", {"students": [OTHER_STUDENT]}),
        ("teacher", "USR-TEA-2", {"courses": [OTHER_COURSE]}),
    ],
    ids=["another student", "another child's parent", "teacher of another course"],
)
def test_refused_callers_get_404_as_for_an_unknown_student_and_are_audited(
    app, world, caller, role, sub, claims
):
    refused = caller(role, sub, **claims).get(MINE)
    unknown = caller("admin", "USR-ADM-1").get("/students/USR-NOBODY/analytics")
    assert refused.status_code == unknown.status_code == 404
    assert refused.json["title"] == unknown.json["title"]
    denied = [row for row in audit_rows(app) if row.actor == sub]
    assert [(row.student_id, row.outcome, row.status_code) for row in denied] == [
        (STUDENT, "denied", 404)
    ]


def test_a_teacher_sees_a_student_only_within_their_course(app, world, caller):
    teacher = caller("teacher", "USR-TEA-1", courses=[COURSE])
    assert teacher.get(ALL_MINE).status_code == 404  # all courses: not only theirs
    other = f"/students/{OTHER_STUDENT}/analytics?course_id={OTHER_COURSE}"
    assert teacher.get(other).status_code == 404


@pytest.mark.parametrize(
    ("role", "sub", "claims"),
    [
        ("student", STUDENT, {}),
        ("parent", "USR-PAR-1", {"students": [STUDENT]}),
        ("teacher", "USR-TEA-2", {"courses": [OTHER_COURSE]}),
    ],
)
def test_the_class_view_is_for_the_courses_teachers_and_admins(
    app, world, caller, role, sub, claims
):
    assert caller(role, sub, **claims).get(CLASS).status_code == 404
    denied = [row for row in audit_rows(app) if row.actor == sub]
    assert [(row.course_id, row.outcome) for row in denied] == [(COURSE, "denied")]


def test_the_class_view_audits_every_student_it_lists(app, world, caller):
    response = caller("teacher", "USR-TEA-1", courses=[COURSE]).get(CLASS)
    assert response.status_code == 200
    listed = {row["student_id"] for row in response.json["at_risk"]}
    assert STUDENT in listed
    audited = {row.student_id for row in audit_rows(app) if row.actor == "USR-TEA-1"}
    assert listed <= audited
