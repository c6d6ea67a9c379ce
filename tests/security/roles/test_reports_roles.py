"""Every endpoint of the reports service against every kind of caller, on SQLite and
PostgreSQL. The rows come from the access rules of ARCHITECTURE.md and the service's
README: students request and read their own reports, parents their children's where the
report is visible to parents (read only), teachers their courses' students', admins all;
a report's ``configuration.visibility`` hides it from a role (not from its author);
services never read reports; a share link opens for any signed-in person holding it. The
endpoints are checked against the app's url_map, so an endpoint added without its row
fails here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.reports import store, usecases
from shared.events.contracts.progress import CertificateRequested
from shared.time import utcnow
from tests.integration.reports.reports_support import END, START, run_jobs
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
from tests.support.stride_http import STUDENT, database_of

pytestmark = [pytest.mark.security, pytest.mark.integration]


# -- preparing the records of a row ----------------------------------------------------------


def report_body(world: World, **configuration: Any) -> dict[str, Any]:
    return {
        "student_id": STUDENT,
        "course_id": world.course,
        "report_type": "progress",
        "period_start": START.isoformat(),
        "period_end": END.isoformat(),
        "configuration": {"format": "json", "sharing": {"shareable": True}, **configuration},
    }


def ready(world: World, author: str = "admin", **configuration: Any) -> str:
    """A report of the row's course, built, requested by ``author``."""
    created = world.ok(
        world.as_(author).post("/reports", json=report_body(world, **configuration)), 202
    )
    run_jobs(world.app)
    return str(created["id"])


def hidden_from(switch: str, author: str = "admin") -> Any:
    def prepare(world: World) -> Request:
        return Request(f"/reports/{ready(world, author, visibility={switch: False})}")

    return prepare


def shared(world: World) -> tuple[str, str, str]:
    """A ready report and a live share link to it: (report id, link id, token)."""
    report_id = ready(world)
    expires = (utcnow() + timedelta(days=1)).isoformat()
    link = world.ok(
        world.as_("teacher").post(f"/reports/{report_id}/share-links", json={"expires_at": expires})
    )
    return report_id, link["id"], link["share_url"].rsplit("/", 1)[1]


def settings_body() -> dict[str, Any]:
    return {
        "grading_scale": [
            {"letter": "P", "min_percentage": 50, "gpa_points": 4},
            {"letter": "F", "min_percentage": 0, "gpa_points": 0},
        ]
    }


def configured(world: World) -> str:
    world.ok(world.as_("teacher").put(f"/courses/{world.course}/settings", json=settings_body()))
    return world.course


def certificate(world: World) -> str:
    """A certificate of the student in the row's course, as progress asks for one."""
    with database_of(world.app).unit_of_work() as session:
        usecases.issue_certificate(
            session,
            world.settings,
            CertificateRequested(
                enrollment_id=f"ENR-{world.course}",
                student_id=STUDENT,
                course_id=world.course,
                completed_at=END,
                average_score=90,
                progress_percentage=100,
                requested_at=END,
            ),
            correlation_id=None,
        )
        session.commit()
        found = store.certificate_of_enrollment(session, f"ENR-{world.course}")
        assert found is not None
        return found.id


# -- what each role gets ---------------------------------------------------------------

#: reading a report: its student, their parent, the course's teacher, admins; never a service
READ = all_roles(200, other_student=404, other_teacher=404, service=404)
#: requesting one: the student, the course's teacher, admins; parents read only
REQUEST = all_roles(202, other_student=404, other_teacher=404, parent=403, service=403)
#: writing into one: the course's teachers and admins
ANNOTATE = all_roles(403, teacher=202, admin=202, other_student=404, other_teacher=404, service=404)
#: sharing: who may see and change the report (not parents, never a service)
SHARE = all_roles(200, other_student=404, other_teacher=404, parent=403, service=404)
#: a course's settings: its teachers and admins; to anyone else the course has none
COURSE_ONLY = all_roles(404, teacher=200, admin=200)


def with_status(table: dict[str, Any], status: int) -> dict[str, Any]:
    return {role: (status if expected == 200 else expected) for role, expected in table.items()}


ROWS = [
    Row("POST", "/reports", "", lambda w: Request("/reports", json=report_body(w)), REQUEST),
    Row(
        "GET",
        "/reports",
        "of the course",
        lambda w: (ready(w), Request("/reports", query={"course_id": w.course}))[1],
        all_roles((200, 1), other_student=(200, 0), other_teacher=(200, 0), service=(200, 0)),
    ),
    Row(
        "GET",
        "/reports",
        "hidden from parents",
        lambda w: (
            ready(w, visibility={"parents": False}),
            Request("/reports", query={"course_id": w.course}),
        )[1],
        all_roles(
            (200, 1),
            other_student=(200, 0),
            other_teacher=(200, 0),
            service=(200, 0),
            parent=(200, 0),
        ),
    ),
    Row("GET", "/reports/<report_id>", "", lambda w: Request(f"/reports/{ready(w)}"), READ),
    Row(
        "GET",
        "/reports/<report_id>",
        "hidden from parents",
        hidden_from("parents"),
        {**READ, "parent": 404},
    ),
    Row(
        "GET",
        "/reports/<report_id>",
        "hidden from the student",
        hidden_from("student"),
        {**READ, "student": 404},
    ),
    Row(
        "GET",
        "/reports/<report_id>",
        "hidden from teachers",
        hidden_from("teachers"),
        {**READ, "teacher": 404},
    ),
    Row(
        "GET",
        "/reports/<report_id>",
        "hidden from administrators, by its teacher",
        hidden_from("administrators", author="teacher"),
        {**READ, "admin": 404},
    ),
    Row(
        "GET",
        "/reports/<report_id>/document",
        "",
        lambda w: Request(f"/reports/{ready(w)}/document"),
        READ,
    ),
    Row(
        "GET",
        "/reports/<report_id>/document",
        "hidden from parents",
        lambda w: Request(f"/reports/{ready(w, visibility={'parents': False})}/document"),
        {**READ, "parent": 404},
    ),
    Row(
        "PUT",
        "/reports/<report_id>/teacher-input",
        "",
        lambda w: Request(f"/reports/{ready(w)}/teacher-input", json={"teacher_comments": "Good."}),
        ANNOTATE,
    ),
    Row(
        "POST",
        "/reports/<report_id>/share-links",
        "",
        lambda w: Request(
            f"/reports/{ready(w)}/share-links",
            json={"expires_at": (utcnow() + timedelta(days=1)).isoformat()},
        ),
        with_status(SHARE, 201),
    ),
    Row(
        "GET",
        "/reports/<report_id>/share-links",
        "",
        lambda w: Request(f"/reports/{shared(w)[0]}/share-links"),
        SHARE,
    ),
    Row(
        "DELETE",
        "/reports/<report_id>/share-links/<link_id>",
        "",
        lambda w: (lambda r, link, _t: Request(f"/reports/{r}/share-links/{link}"))(*shared(w)),
        SHARE,
    ),
    Row(
        "GET",
        "/shared/<token>",
        "a live link",
        lambda w: Request(f"/shared/{shared(w)[2]}"),
        all_roles(200, service=404),
    ),
    Row(
        "GET",
        "/shared/<token>",
        "a forged link",
        lambda w: Request("/shared/forged-token-never-issued"),
        all_roles(404),
    ),
    Row(
        "PUT",
        "/courses/<course_id>/settings",
        "",
        lambda w: Request(f"/courses/{w.course}/settings", json=settings_body()),
        COURSE_ONLY,
    ),
    Row(
        "GET",
        "/courses/<course_id>/settings",
        "",
        lambda w: Request(f"/courses/{configured(w)}/settings"),
        COURSE_ONLY,
    ),
    Row(
        "GET",
        "/certificates/<certificate_id>.pdf",
        "",
        lambda w: Request(f"/certificates/{certificate(w)}.pdf"),
        all_roles(200, other_student=404, other_teacher=404, service=403),
    ),
    *PLATFORM_ROWS,
]


SERVICE_UNDER_TEST = "reports"

__all__ = [
    "test_each_role_gets_what_the_rules_say",
    "test_every_endpoint_has_a_row_and_every_row_an_endpoint",
    "test_every_row_names_every_role",
]
