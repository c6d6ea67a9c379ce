"""Who may request, read, annotate and share reports; refusals answer as if the report did
not exist; every access, allowed or not, is audited and every view is in ``accessed_by``."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from services.reports.models import ShareLink
from shared.time import utcnow
from tests.integration.reports.reports_support import (
    COURSE,
    OTHER_COURSE,
    OTHER_STUDENT,
    STUDENT,
    audit_rows,
    outbox_types,
    report_request,
    run_jobs,
    seed_work,
)

pytestmark = pytest.mark.security


@pytest.fixture
def ready_report(app, teacher):
    seed_work(app)
    body = report_request(
        configuration={"format": "json", "sharing": {"shareable": True}},
    )
    report_id = teacher.post("/reports", json=body).json["id"]
    run_jobs(app)
    return report_id


def test_no_token_is_401(app):
    client = app.test_client()
    assert client.post("/reports", json=report_request()).status_code == 401
    assert client.get("/reports/x").status_code == 401


@pytest.mark.parametrize(
    ("role", "sub", "claims", "body", "status"),
    [
        ("student", OTHER_STUDENT, {}, report_request(), 404),
        ("parent", "USR-PAR-1", {"students": [STUDENT]}, report_request(), 403),
        ("parent", "USR-PAR-2", {"students": [OTHER_STUDENT]}, report_request(), 404),
        ("teacher", "USR-TEA-2", {"courses": [OTHER_COURSE]}, report_request(), 404),
        ("teacher", "USR-TEA-1", {"courses": [COURSE]}, report_request(course_id=None), 404),
        ("service", "svc-x", {}, report_request(), 403),
    ],
)
def test_roles_that_may_not_request_a_report_are_refused_and_audited(
    app, caller, role, sub, claims, body, status
):
    response = caller(role, sub, **claims).post("/reports", json=body)
    assert response.status_code == status
    [row] = [r for r in audit_rows(app) if r.actor == sub]
    assert row.outcome == "denied" and row.status_code == status


@pytest.mark.parametrize(
    ("role", "sub", "claims"),
    [
        ("student", OTHER_STUDENT, {}),
        ("parent", "USR-PAR-2", {"students": [OTHER_STUDENT]}),
        ("teacher", "USR-TEA-2", {"courses": [OTHER_COURSE]}),
        ("service", "svc-x", {}),
    ],
)
def test_refused_readers_get_404_as_if_the_report_did_not_exist(
    app, caller, ready_report, role, sub, claims
):
    reader = caller(role, sub, **claims)
    assert reader.get(f"/reports/{ready_report}").status_code == 404
    assert reader.get(f"/reports/{ready_report}/document").status_code == 404
    assert reader.get("/reports").json["items"] == []
    assert {r.outcome for r in audit_rows(app) if r.actor == sub} <= {"denied", "allowed"}
    assert any(r.outcome == "denied" for r in audit_rows(app) if r.actor == sub)


def test_the_student_parent_teacher_and_admin_read_and_are_recorded(
    app, ready_report, student, parent, admin
):
    for reader in (student, parent, admin):
        assert reader.get(f"/reports/{ready_report}").status_code == 200
    accessed = admin.get(f"/reports/{ready_report}").json["accessed_by"]
    assert [(a["user_id"], a["role"]) for a in accessed] == [
        (STUDENT, "student"),
        ("USR-PAR-1", "parent"),
        ("USR-ADM-1", "admin"),
        ("USR-ADM-1", "admin"),
    ]
    assert outbox_types(app).count("reports.report.accessed") == 4
    reads = [r for r in audit_rows(app) if r.action == "read" and r.outcome == "allowed"]
    assert {r.actor for r in reads} == {STUDENT, "USR-PAR-1", "USR-ADM-1"}
    assert all(r.student_id == STUDENT for r in reads)


def test_visibility_hides_the_report_from_parents(app, teacher, parent, student):
    body = report_request(configuration={"format": "json", "visibility": {"parents": False}})
    report_id = teacher.post("/reports", json=body).json["id"]
    run_jobs(app)
    assert parent.get(f"/reports/{report_id}").status_code == 404
    assert parent.get("/reports").json["items"] == []
    assert student.get(f"/reports/{report_id}").status_code == 200
    assert teacher.get(f"/reports/{report_id}").status_code == 200  # the author


def test_only_teachers_and_admins_enter_teacher_input(app, ready_report, student, parent):
    body = {"teacher_comments": "I wrote this myself"}
    assert student.put(f"/reports/{ready_report}/teacher-input", json=body).status_code == 403
    assert parent.put(f"/reports/{ready_report}/teacher-input", json=body).status_code == 403


def test_course_settings_belong_to_the_course_teachers(app, caller, student):
    scale = {"grading_scale": [{"letter": "F", "min_percentage": 0, "gpa_points": 0}]}
    other = caller("teacher", "USR-TEA-2", courses=[OTHER_COURSE])
    assert other.put(f"/courses/{COURSE}/settings", json=scale).status_code == 404
    assert student.put(f"/courses/{COURSE}/settings", json=scale).status_code == 404
    bad = {"grading_scale": [{"letter": "A", "min_percentage": 50, "gpa_points": 4}]}
    response = caller("admin", "USR-ADM-1").put(f"/courses/{COURSE}/settings", json=bad)
    assert response.status_code == 422 and "grading_scale" in response.json["errors"]


# -- share links -------------------------------------------------------------------------
def _share(caller_, report_id, **delta):
    expires = utcnow() + timedelta(**(delta or {"days": 1}))
    return caller_.post(
        f"/reports/{report_id}/share-links", json={"expires_at": expires.isoformat()}
    )


def test_a_share_link_opens_the_report_for_a_signed_in_holder(app, caller, teacher, ready_report):
    response = _share(teacher, ready_report)
    assert response.status_code == 201, response.json
    token = response.json["share_url"].rsplit("/", 1)[1]
    with app.extensions["stride"].database.engine.connect() as connection:
        stored = connection.execute(sa.select(ShareLink.token_hash)).scalar_one()
    assert token not in stored and len(stored) == 64  # only the digest is kept
    counselor = caller("teacher", "USR-TEA-9", courses=[OTHER_COURSE])
    opened = counselor.get(f"/shared/{token}")
    assert opened.status_code == 200 and opened.json["student_id"] == STUDENT
    accessed = teacher.get(f"/reports/{ready_report}").json["accessed_by"]
    assert ("USR-TEA-9", "teacher") in [(a["user_id"], a["role"]) for a in accessed]
    assert teacher.get(f"/reports/{ready_report}/share-links").json[0]["share_url"] is None


def test_forged_expired_and_revoked_links_are_refused(app, caller, teacher, ready_report):
    holder = caller("student", OTHER_STUDENT)
    assert holder.get("/shared/forged-token-that-was-never-issued").status_code == 404
    live = _share(teacher, ready_report).json
    token = live["share_url"].rsplit("/", 1)[1]
    assert holder.get(f"/shared/{token}").status_code == 200
    revoked = teacher.delete(f"/reports/{ready_report}/share-links/{live['id']}")
    assert revoked.status_code == 200 and revoked.json["revoked_at"] is not None
    assert holder.get(f"/shared/{token}").status_code == 404
    expiring = _share(teacher, ready_report).json
    expired_token = expiring["share_url"].rsplit("/", 1)[1]
    with app.extensions["stride"].database.engine.begin() as connection:
        connection.execute(
            sa.update(ShareLink)
            .where(ShareLink.id == expiring["id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert holder.get(f"/shared/{expired_token}").status_code == 404
    outcomes = [r.outcome for r in audit_rows(app) if r.action == "open_share_link"]
    assert outcomes == ["not_found", "allowed", "denied", "denied"]


def test_share_links_need_a_shareable_report_a_future_expiry_and_a_right_to_share(
    app, teacher, parent, ready_report
):
    assert _share(parent, ready_report).status_code == 403
    assert _share(teacher, ready_report, days=-1).status_code == 422
    unshareable = teacher.post("/reports", json=report_request()).json["id"]
    run_jobs(app)
    assert _share(teacher, unshareable).status_code == 409


def test_every_view_of_a_document_is_recorded_and_audited(
    app, caller, teacher, student, ready_report
):
    assert student.get(f"/reports/{ready_report}/document?format=html").status_code == 200
    token = _share(teacher, ready_report).json["share_url"].rsplit("/", 1)[1]
    holder = caller("parent", "USR-PAR-9", students=[OTHER_STUDENT])
    assert holder.get(f"/shared/{token}?format=json").status_code == 200
    # a service token holding the link is refused, and audited as such
    assert caller("service", "svc-x").get(f"/shared/{token}").status_code == 404
    accessed = teacher.get(f"/reports/{ready_report}").json["accessed_by"]
    assert [(a["user_id"], a["role"]) for a in accessed] == [
        (STUDENT, "student"),
        ("USR-PAR-9", "parent"),
        ("USR-TEA-1", "teacher"),
    ]
    audited = [(r.actor, r.action, r.outcome) for r in audit_rows(app) if r.actor != "USR-TEA-1"]
    assert audited == [
        (STUDENT, "read_document", "allowed"),
        ("USR-PAR-9", "open_share_link", "allowed"),
        ("svc-x", "open_share_link", "denied"),
    ]
    assert outbox_types(app).count("reports.report.accessed") == 3


def test_a_cached_json_document_never_shows_stale_share_links(app, teacher, ready_report):
    """Share links come and go without the report's data changing: the JSON document
    carries whether the report is shareable, not the links' state (GET /reports/{id}
    serves that), so the cached document stays true."""
    first = teacher.get(f"/reports/{ready_report}/document?format=json")
    link = _share(teacher, ready_report).json
    again = teacher.get(f"/reports/{ready_report}/document?format=json")
    assert again.headers["X-Stride-Cache"] == "hit" and again.data == first.data
    assert again.json["configuration"]["sharing"] == {"shareable": True}
    sharing = teacher.get(f"/reports/{ready_report}").json["configuration"]["sharing"]
    assert sharing["expires_at"] == link["expires_at"]


def test_a_list_shows_no_report_s_content_so_every_view_is_recorded(
    app, student, teacher, ready_report
):
    listed = student.get("/reports").json["items"]
    [item] = listed
    assert item["id"] == ready_report and item["status"] == "ready"
    assert item["document_url"].endswith(f"/reports/{ready_report}/document")
    content = {"summary", "assessments", "skills", "goals", "feedback", "next_steps"}
    assert not (content | {"teacher_input", "accessed_by"}) & set(item)
    # the list viewed nothing; the teacher's read is the one view
    accessed = teacher.get(f"/reports/{ready_report}").json["accessed_by"]
    assert [a["user_id"] for a in accessed] == ["USR-TEA-1"]
    assert [r.action for r in audit_rows(app) if r.actor == STUDENT] == ["list"]
