"""Reading the log: records by filter and a student's sessions, as the caller may see them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.activity import store
from services.activity.domain import session_duration_minutes
from shared.audit import audit_access, audit_listing, authorize
from shared.auth import Principal
from shared.errors import InvalidInput
from shared.pagination import decode_cursor, encode_cursor

LOGS_RESOURCE = "activity logs"
SESSIONS_RESOURCE = "activity sessions"
#: the fields of a record a parent is not shown
PRIVATE_FIELDS = frozenset({"device_info", "ip_hash"})


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def _after(cursor: str | None, size: int) -> Any:
    if not cursor:
        return None
    values = decode_cursor(cursor, size)
    try:
        values[0] = datetime.fromisoformat(values[0])
    except (TypeError, ValueError) as exc:
        raise InvalidInput.for_field("cursor", "is not a cursor this API issued") from exc
    if values[0].tzinfo is None or not all(isinstance(v, str) for v in values[1:]):
        raise InvalidInput.for_field("cursor", "is not a cursor this API issued")
    return tuple(values)


def list_logs(
    session: Session,
    principal: Principal,
    where: store.LogFilter,
    *,
    limit: int,
    cursor: str | None,
    fields: Sequence[str],
) -> store.LogPage:
    """Records the caller may see, newest first, one page at a time, as JSON objects of
    ``fields`` (a parent gets no device or address detail: ``PRIVATE_FIELDS``).

    A filter naming a student (for students and parents) or a course (for teachers) the
    caller may not see answers 404, audited as denied; otherwise the list holds only
    what the caller may see, and every (student, course) it returns is audited.
    """
    if principal.role in {"student", "parent"} and where.student_id is not None:
        authorize(principal, action="list", resource=LOGS_RESOURCE, student_id=where.student_id)
    if principal.role == "teacher" and where.course_id is not None:
        authorize(
            principal,
            action="list",
            resource=LOGS_RESOURCE,
            student_id=where.student_id,
            course_id=where.course_id,
        )
    if principal.role == "parent":
        fields = [name for name in fields if name not in PRIVATE_FIELDS]
    page = store.page_of_logs(
        session, where, principal.scope(), limit=limit, after=_after(cursor, 3), fields=fields
    )
    if page.seen:
        audit_listing(principal, action="list", resource=LOGS_RESOURCE, rows=page.seen)
    else:
        audit_access(
            principal,
            action="list",
            resource=LOGS_RESOURCE,
            student_id=where.student_id,
            course_id=where.course_id,
        )
    return page


def list_sessions(
    session: Session,
    principal: Principal,
    student_id: str,
    *,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    cursor: str | None,
) -> Page:
    """A student's sessions, latest first, with ``session_duration`` derived from their
    records. A teacher sees the sessions made of records in their courses."""
    course_ids: frozenset[str] | None = None
    if principal.role == "teacher":
        course_ids = principal.courses
        audit_access(principal, action="list", resource=SESSIONS_RESOURCE, student_id=student_id)
    else:
        authorize(principal, action="list", resource=SESSIONS_RESOURCE, student_id=student_id)
    rows = store.list_sessions(
        session,
        student_id,
        course_ids,
        start=start,
        end=end,
        limit=limit,
        after=_after(cursor, 2),
    )
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        {
            "session_id": row.session_id,
            "student_id": student_id,
            "started_at": row.started_at,
            "ended_at": row.ended_at,
            "session_duration": session_duration_minutes(row.started_at, row.ended_at),
            "record_count": row.record_count,
        }
        for row in rows
    ]
    last = rows[-1] if more and rows else None
    next_cursor = encode_cursor([last.started_at, last.session_id]) if last is not None else None
    return Page(items, next_cursor)
