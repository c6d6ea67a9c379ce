"""A course's grading scale, credit hours and due dates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from services.reports import store
from services.reports.domain.grading import grading_scale_from
from services.reports.models import CourseSettings
from shared.audit import ALLOWED, DENIED, audit_access, commit_with_audit
from shared.auth import Principal
from shared.errors import NotFound
from shared.time import parse_iso, to_iso, utcnow


# -- course settings ---------------------------------------------------------------------
def _course_settings_out(row: CourseSettings) -> dict[str, Any]:
    return {
        "course_id": row.course_id,
        "grading_scale": row.grading_scale,
        "credit_hours": row.credit_hours,
        "due_dates": {key: parse_iso(value) for key, value in row.due_dates.items()},
        "updated_at": row.updated_at,
        "updated_by": row.updated_by,
    }


def _authorize_course(principal: Principal, course_id: str, action: str) -> None:
    permitted = principal.role == "admin" or (
        principal.role == "teacher" and course_id in principal.courses
    )
    audit_access(
        principal,
        action=action,
        resource="course_settings",
        student_id=None,
        course_id=course_id,
        outcome=ALLOWED if permitted else DENIED,
    )
    if not permitted:
        raise NotFound(f"course settings of {course_id} not found")


def configure_course(
    session: Session, principal: Principal, course_id: str, data: Mapping[str, Any]
) -> dict[str, Any]:
    """Set a course's grading scale, credit hours and due dates (its teachers, admins)."""
    _authorize_course(principal, course_id, "configure")
    scale = grading_scale_from(data["grading_scale"])
    row = session.get(CourseSettings, course_id, with_for_update=True)
    if row is None:
        row = CourseSettings(course_id=course_id)
        session.add(row)
    row.grading_scale = scale.to_dict()
    row.credit_hours = data.get("credit_hours", 0)
    row.due_dates = {key: to_iso(value) for key, value in data.get("due_dates", {}).items()}
    row.updated_at, row.updated_by = utcnow(), principal.sub
    session.flush()
    out = _course_settings_out(row)
    commit_with_audit(session, 200)
    return out


def show_course_settings(session: Session, principal: Principal, course_id: str) -> dict[str, Any]:
    _authorize_course(principal, course_id, "read")
    row = store.course_settings(session, course_id)
    if row is None:
        raise NotFound(f"course settings of {course_id} not found")
    return _course_settings_out(row)
