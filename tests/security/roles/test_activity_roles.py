"""Every endpoint of the activity service against every kind of caller, on SQLite and
PostgreSQL. The rows come from the access rules of ARCHITECTURE.md and the service's
README: a student records only their own activity, a service token (a content player, the
LMS) and admins record anyone's, parents and teachers record nothing; a student reads their
own records, a parent their children's, a teacher their courses' students', admins and
services all; a record the caller may not see answers 404, and lists never show it. The
endpoints are checked against the app's url_map, so an endpoint added without its row
fails here.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from shared.time import to_iso, utcnow
from tests.integration.activity.activity_api_support import record
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
from tests.support.stride_http import OTHER_STUDENT, STUDENT

pytestmark = [pytest.mark.security, pytest.mark.integration]


# -- preparing the records of a row, as a content player would ---------------------------


#: each row's records at a minute of their own, so a student's lists show one row's alone:
#: counted back from one moment fixed for the whole run (counted back from the clock, a
#: world made after the clock's minute turned got the same minute as the one before it)
MINUTES = itertools.count(1)
START = utcnow().replace(second=0, microsecond=0)


def moment(world: World) -> datetime:
    if "moment" not in world.ids:
        world.ids["moment"] = to_iso(START - timedelta(minutes=next(MINUTES)))
    return datetime.fromisoformat(world.ids["moment"])


def within_the_minute(world: World) -> dict[str, str]:
    start = moment(world)
    return {"from": to_iso(start), "to": to_iso(start + timedelta(minutes=1))}


def mine(world: World, student: str = STUDENT) -> dict[str, Any]:
    """A record of ``student`` in the row's course, at the row's minute and session."""
    session = world.ids.setdefault("session", f"SES-{uuid.uuid4().hex[:12]}")
    return record(
        student_id=student,
        course_id=world.course,
        session_id=session,
        timestamp=to_iso(moment(world)),
    )


def seeded(world: World) -> World:
    """One record of the student in the row's course, written by the service token."""
    world.ok(world.as_("service").post("/logs", json={"records": [mine(world)]}), 202)
    return world


def logs_of(world: World, **query: str) -> Request:
    seeded(world)
    return Request("/logs", query=query)


# -- what each role gets ---------------------------------------------------------------

#: recording: the student themself, services (content players, the LMS) and admins
RECORD = all_roles(403, student=202, admin=202, service=202)
#: reading one student's records in the row's course, as a list of one
READ_ONE = all_roles((200, 1), other_student=404, other_teacher=404)

ROWS = [
    Row(
        "POST",
        "/logs",
        "one record of the student",
        lambda w: Request("/logs", json=mine(w)),
        RECORD,
    ),
    Row(
        "POST",
        "/logs",
        "a batch of the student",
        lambda w: Request("/logs", json={"records": [mine(w), mine(w)], "time_zone": "UTC"}),
        RECORD,
    ),
    Row(
        "POST",
        "/logs",
        "a batch naming another student too",
        lambda w: Request("/logs", json={"records": [mine(w), mine(w, OTHER_STUDENT)]}),
        all_roles(403, admin=202, service=202),
    ),
    Row(
        "GET",
        "/logs",
        "of the student in the course",
        lambda w: logs_of(w, student_id=STUDENT, course_id=w.course),
        READ_ONE,
    ),
    Row(
        "GET",
        "/logs",
        "of the course",
        lambda w: logs_of(w, course_id=w.course),
        all_roles((200, 1), other_student=(200, 0), other_teacher=404),
    ),
    Row(
        "GET",
        "/logs",
        "of the student",
        lambda w: logs_of(w, student_id=STUDENT, **within_the_minute(w)),
        all_roles((200, 1), other_student=404, other_teacher=(200, 0)),
    ),
    Row(
        "GET",
        "/students/<student_id>/sessions",
        "",
        lambda w: (
            seeded(w),
            Request(f"/students/{STUDENT}/sessions", query=within_the_minute(w)),
        )[1],
        all_roles((200, 1), other_student=404, other_teacher=(200, 0)),
    ),
    *PLATFORM_ROWS,
]


SERVICE_UNDER_TEST = "activity"

__all__ = [
    "test_each_role_gets_what_the_rules_say",
    "test_every_endpoint_has_a_row_and_every_row_an_endpoint",
    "test_every_row_names_every_role",
]
