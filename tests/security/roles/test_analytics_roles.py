"""Every endpoint of the analytics service against every kind of caller, on SQLite and
PostgreSQL. The rows come from the access rules of ARCHITECTURE.md and the service's
README: a student's analytics and achievements for the student, their parents, the
course's teachers, admins and services; the class view for the course's teachers, admins
and services; the leaderboard joined and left by the student alone; views beyond a class
(private aggregates, pseudonymous exports) for admins and services; recompute jobs for
admins. A refused read answers 404 as for an unknown student. The endpoints are checked
against the app's url_map, so an endpoint added without its row fails here.
"""

from __future__ import annotations

import pytest

from shared.events import Envelope
from tests.integration.analytics.analytics_api_support import feed
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
from tests.support.stride_http import STUDENT
from tests.unit.analytics.streams import activity, at, lesson_completed, record, submitted

pytestmark = [pytest.mark.security, pytest.mark.integration]

#: the role tables' settings keep the default minimum group size of views beyond a class
CLASS_SIZE = 10


# -- preparing the records of a row, as the consumers would from the platform's events --


def taught(world: World) -> World:
    """The student's work in the row's course: a lesson, some activity, a quiz."""
    events: list[Envelope] = [
        lesson_completed("LSN-1", at(1), student=STUDENT, course=world.course),
        activity(
            [record(f"R-{world.course}", "lesson_start", at(1), course=world.course, duration=600)]
        ),
        submitted(f"AT-{world.course}", "QZ-1", at(2), 80.0, course=world.course),
    ]
    feed(world.app, events)
    return world


def a_class(world: World) -> World:
    """The student and classmates enough for a view beyond the class."""
    taught(world)
    feed(
        world.app,
        [
            submitted(
                f"AT-{world.course}-{n}",
                "QZ-1",
                at(2),
                50.0 + n,
                student=f"USR-STU-C{n}",
                course=world.course,
            )
            for n in range(CLASS_SIZE)
        ],
    )
    return world


def analytics_of(world: World, **query: str) -> Request:
    taught(world)
    return Request(f"/students/{STUDENT}/analytics", query={"start_date": "2026-11-02", **query})


def on_the_board(world: World) -> Request:
    taught(world)
    world.ok(
        world.as_("student").put(f"/courses/{world.course}/leaderboard/members/{STUDENT}"), 204
    )
    return Request(f"/courses/{world.course}/leaderboard")


def membership(world: World) -> Request:
    taught(world)
    return Request(f"/courses/{world.course}/leaderboard/members/{STUDENT}")


def aggregate(world: World) -> Request:
    a_class(world)
    body = {
        "metric": "quiz_average",
        "course_ids": [world.course],
        "start_date": "2026-11-01",
        "end_date": "2026-12-01",
        "epsilon": 0.1,
    }
    return Request("/private-aggregates", json=body)


def job(world: World) -> Request:
    created = world.ok(
        world.as_("admin").post("/recompute-jobs", json={"course_id": world.course}), 202
    )
    return Request(f"/recompute-jobs/{created['id']}")


# -- what each role gets ---------------------------------------------------------------

#: one student's analytics in the course: them, their parents, its teachers, admins, services
READ = all_roles(200, other_student=404, other_teacher=404)
#: the class: the course's teachers, admins and services; to anyone else there is none
CLASS = all_roles(404, teacher=200, admin=200, service=200)
#: beyond a class: admins and services
BEYOND = all_roles(403, admin=200, service=200)
#: the leaderboard: the student themself joins and leaves; parents and staff may not
MEMBERSHIP = all_roles(403, student=204, other_student=404, other_teacher=404)
#: recompute jobs: admins
ADMINS = all_roles(403, admin=200)

ROWS = [
    Row(
        "GET",
        "/students/<student_id>/analytics",
        "in the course",
        lambda w: analytics_of(w, course_id=w.course),
        READ,
    ),
    Row(
        "GET",
        "/students/<student_id>/analytics",
        "in all courses",
        lambda w: analytics_of(w),
        {**READ, "teacher": 404},
    ),
    Row(
        "GET",
        "/courses/<course_id>/analytics",
        "",
        lambda w: (taught(w), Request(f"/courses/{w.course}/analytics"))[1],
        CLASS,
    ),
    Row(
        "GET",
        "/students/<student_id>/achievements",
        "",
        lambda w: (
            taught(w),
            Request(f"/students/{STUDENT}/achievements", query={"course_id": w.course}),
        )[1],
        READ,
    ),
    Row("PUT", "/courses/<course_id>/leaderboard/members/<student_id>", "", membership, MEMBERSHIP),
    Row(
        "DELETE",
        "/courses/<course_id>/leaderboard/members/<student_id>",
        "",
        membership,
        MEMBERSHIP,
    ),
    Row(
        "GET",
        "/courses/<course_id>/leaderboard",
        "the student on it",
        on_the_board,
        all_roles(200, other_student=404, parent=404, other_teacher=404),
    ),
    Row("POST", "/private-aggregates", "", aggregate, BEYOND),
    Row(
        "GET",
        "/exports/courses/<course_id>/students",
        "",
        lambda w: (a_class(w), Request(f"/exports/courses/{w.course}/students"))[1],
        BEYOND,
    ),
    Row(
        "POST",
        "/recompute-jobs",
        "",
        lambda w: Request("/recompute-jobs", json={"course_id": w.course}),
        all_roles(403, admin=202),
    ),
    Row("GET", "/recompute-jobs/<job_id>", "", job, ADMINS),
    *PLATFORM_ROWS,
]


SERVICE_UNDER_TEST = "analytics"

__all__ = [
    "test_each_role_gets_what_the_rules_say",
    "test_every_endpoint_has_a_row_and_every_row_an_endpoint",
    "test_every_row_names_every_role",
]
