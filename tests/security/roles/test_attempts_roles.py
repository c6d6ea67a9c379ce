"""Every endpoint of the attempts service against every kind of caller, on SQLite and
PostgreSQL. The rows come from the access rules of ARCHITECTURE.md and the service's
README (grading and item analysis belong to the course's teachers and admins, never to
services; an attempt is taken by its student alone); the endpoints are checked against
the app's url_map, so an endpoint added without its row fails here.
"""

from __future__ import annotations

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

pytestmark = [pytest.mark.security, pytest.mark.integration]

FLAG = {"type": "tab_switch", "timestamp": "2026-03-02T09:00:05+00:00"}


def definition(world: World) -> dict[str, Any]:
    return {
        "course_id": world.course,
        "lesson_id": "LSN-1",
        "title": "Fractions check",
        "passing_score": 50,
        "questions": [
            {
                "question_id": "q1",
                "type": "multiple_choice",
                "prompt": "1/2 + 1/4?",
                "points": 2,
                "options": ["3/4", "2/6"],
                "answer_key": "3/4",
            },
            {
                "question_id": "q2",
                "type": "true_false",
                "prompt": "0.5 = 1/2",
                "points": 1,
                "answer_key": True,
            },
        ],
    }


# -- preparing the records of a row, as the course's teacher and student would ---------


def quiz(world: World) -> str:
    world.ok(world.as_("teacher").put(f"/quizzes/{world.quiz}", json=definition(world)))
    return world.quiz


def started(world: World) -> str:
    quiz(world)
    created = world.ok(world.as_("student").post(f"/quizzes/{world.quiz}/attempts", json={}))
    return str(created["id"])


def submitted(world: World) -> str:
    attempt_id = started(world)
    student = world.as_("student")
    world.ok(student.put(f"/attempts/{attempt_id}/answers/q1", json={"answer": "3/4"}))
    world.ok(student.post(f"/attempts/{attempt_id}/submission", json={}))
    return attempt_id


# -- what each role gets ---------------------------------------------------------------

#: reading an attempt: its student, their parent, the course's teacher, admins, services
READ = all_roles(200, other_student=404, other_teacher=404)
#: taking it (answer, flag, submit): its student alone
TAKE = all_roles(403, student=200, other_student=404, other_teacher=404)
#: publishing, grading and item analysis: the course's teachers and admins
AUTHOR = all_roles(403, teacher=200, admin=200)
GRADE = all_roles(403, teacher=200, admin=200, other_student=404, other_teacher=404)


def with_status(table: dict[str, Any], status: int) -> dict[str, Any]:
    return {role: (status if expected == 200 else expected) for role, expected in table.items()}


ROWS = [
    Row(
        "PUT",
        "/quizzes/<quiz_id>",
        "",
        lambda w: Request(f"/quizzes/{w.quiz}", json=definition(w)),
        AUTHOR,
    ),
    Row("GET", "/quizzes/<quiz_id>", "", lambda w: Request(f"/quizzes/{quiz(w)}"), all_roles(200)),
    Row(
        "GET",
        "/quizzes/<quiz_id>/item-analysis",
        "",
        lambda w: (submitted(w), Request(f"/quizzes/{w.quiz}/item-analysis"))[1],
        AUTHOR,
    ),
    Row(
        "POST",
        "/quizzes/<quiz_id>/attempts",
        "their own",
        lambda w: Request(f"/quizzes/{quiz(w)}/attempts", json={}),
        all_roles(403, student=201, other_student=201),
    ),
    Row(
        "GET",
        "/attempts",
        "of the quiz",
        lambda w: (started(w), Request("/attempts", query={"quiz_id": w.quiz}))[1],
        all_roles((200, 1), other_student=(200, 0), other_teacher=(200, 0)),
    ),
    Row("GET", "/attempts/<attempt_id>", "", lambda w: Request(f"/attempts/{started(w)}"), READ),
    Row(
        "GET",
        "/attempts/<attempt_id>/questions",
        "",
        lambda w: Request(f"/attempts/{started(w)}/questions"),
        READ,
    ),
    Row(
        "PUT",
        "/attempts/<attempt_id>/answers/<question_id>",
        "",
        lambda w: Request(f"/attempts/{started(w)}/answers/q1", json={"answer": "3/4"}),
        TAKE,
    ),
    Row(
        "POST",
        "/attempts/<attempt_id>/integrity-flags",
        "",
        lambda w: Request(f"/attempts/{started(w)}/integrity-flags", json=FLAG),
        TAKE,
    ),
    Row(
        "POST",
        "/attempts/<attempt_id>/submission",
        "",
        lambda w: Request(f"/attempts/{started(w)}/submission", json={}),
        TAKE,
    ),
    Row(
        "POST",
        "/attempts/<attempt_id>/feedback",
        "",
        lambda w: Request(
            f"/attempts/{submitted(w)}/feedback",
            json={"feedback": "Check q2.", "points": {"q2": 1}},
        ),
        GRADE,
    ),
    Row(
        "POST",
        "/attempts/sweep",
        "",
        lambda w: Request("/attempts/sweep", json={}),
        all_roles(403, service=200, admin=200),
    ),
    *PLATFORM_ROWS,
]


SERVICE_UNDER_TEST = "attempts"

__all__ = [
    "test_each_role_gets_what_the_rules_say",
    "test_every_endpoint_has_a_row_and_every_row_an_endpoint",
    "test_every_row_names_every_role",
]
