"""The audit trail: who read or changed which student's data, and whether it was allowed.

Inside a request, ``authorize`` and ``audit_access`` collect entries; when the
response is ready they are written in their own transaction with the response's
status, so a denied or failed request is audited as well as a served one. If the
audit cannot be written, the response is withheld (503): no unaudited access.

A view that changes data may instead commit with ``commit_with_audit``: the entries
collected so far then go into the change's own transaction, so the change and its
audit are kept together or not at all, and the request needs no second transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import msgspec
import psycopg
import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.db import Database, audit_table, json_rows_insert, session_cursor
from shared.errors import Forbidden, NotFound
from shared.events.envelope import utcnow

ALLOWED, DENIED, NOT_FOUND = "allowed", "denied", "not_found"
#: outcome of a request refused for want of a valid token (401)
UNAUTHENTICATED = "unauthenticated"
#: the role recorded for a caller no valid token vouches for
NO_ROLE = "none"
#: the columns an audit row is written with (``id`` comes from its sequence)
AUDIT_COLUMNS = tuple(column.name for column in audit_table.columns if column.name != "id")


@dataclass(frozen=True)
class AuditEntry:
    actor: str
    role: str
    student_id: str | None
    course_id: str | None
    action: str
    resource: str
    outcome: str


def _pending() -> list[AuditEntry]:
    entries: list[AuditEntry] = g.setdefault("stride_audit", [])
    return entries


def audit_access(
    principal: Principal,
    *,
    action: str,
    resource: str,
    student_id: str | None,
    course_id: str | None = None,
    outcome: str = ALLOWED,
) -> None:
    """Note an access to a student's data; written when the response is ready."""
    entry = AuditEntry(
        principal.sub, principal.role, student_id, course_id, action, resource, outcome
    )
    if not has_request_context():
        raise RuntimeError("audit_access outside a request: use write_audit_entries")
    _pending().append(entry)


def audit_listing(
    principal: Principal, *, action: str, resource: str, rows: Iterable[tuple[str, str | None]]
) -> None:
    """Audit a list response: one entry per distinct (student, course) it returned."""
    for student_id, course_id in sorted(set(rows), key=lambda row: (row[0], row[1] or "")):
        audit_access(
            principal,
            action=action,
            resource=resource,
            student_id=student_id,
            course_id=course_id,
        )


def authorize(
    principal: Principal,
    *,
    action: str,
    resource: str,
    student_id: str | None,
    course_id: str | None = None,
    change: bool = False,
    permitted: bool = True,
) -> None:
    """Allow the access or raise, auditing either way.

    A caller who may not see the record gets ``NotFound``, exactly as if it did not
    exist (shared/http.py answers every 404 with the same body, so the message, which
    names the resource for the log, never reaches the caller); a caller who may see it
    but not change it (a parent), or whom a rule of the service does not permit this
    action (``permitted=False``), gets ``Forbidden``.
    """
    refusal: NotFound | Forbidden | None = None
    if not principal.may_read(student_id, course_id):
        refusal = NotFound(f"{resource} not found")
    elif (change and not principal.may_change(student_id, course_id)) or not permitted:
        refusal = Forbidden(f"role {principal.role} may not {action} {resource}")
    audit_access(
        principal,
        action=action,
        resource=resource,
        student_id=student_id,
        course_id=course_id,
        outcome=ALLOWED if refusal is None else DENIED,
    )
    if refusal is not None:
        raise refusal


def authorize_action(
    principal: Principal,
    *,
    allowed: bool,
    action: str,
    resource: str,
    student_id: str | None = None,
    course_id: str | None = None,
) -> None:
    """Audit a decision a service's rule made (publish an outline, start an attempt...)
    and raise ``Forbidden`` if it refused."""
    audit_access(
        principal,
        action=action,
        resource=resource,
        student_id=student_id,
        course_id=course_id,
        outcome=ALLOWED if allowed else DENIED,
    )
    if not allowed:
        raise Forbidden(f"role {principal.role} may not {action} {resource}")


def audit_missing(principal: Principal, *, action: str, resource: str) -> NotFound:
    """Audit a request for a record that does not exist; returns the error to raise."""
    audit_access(principal, action=action, resource=resource, student_id=None, outcome=NOT_FOUND)
    return NotFound(f"{resource} not found")


def audit_unauthenticated(
    *, claimed_subject: str | None, client: str, path: str, reason: str
) -> None:
    """Note a request refused with 401: the subject its token claims (unverified, so
    recorded as ``claimed:<sub>``; ``anonymous`` without one), the client (a keyed hash
    of its address), what it asked for and why it was refused."""
    actor = f"claimed:{claimed_subject}" if claimed_subject else "anonymous"
    _pending().append(
        AuditEntry(
            actor=actor,
            role=NO_ROLE,
            student_id=None,
            course_id=None,
            action=f"authenticate ({reason})",
            resource=f"{path} client={client}",
            outcome=UNAUTHENTICATED,
        )
    )


class StudentRecord(Protocol):
    """A record about one student in one course (an enrollment, an attempt...)."""

    @property
    def student_id(self) -> str: ...

    @property
    def course_id(self) -> str: ...


Record = TypeVar("Record", bound=StudentRecord)


def authorize_record(
    principal: Principal,
    record: Record | None,
    *,
    action: str,
    resource: str,
    change: bool = False,
    permitted: Callable[[Record], bool] | None = None,
) -> Record:
    """``record`` once ``principal`` may ``action`` it: the one authorize-or-404 of a view.

    ``record`` is None when it does not exist: audited, and 404 exactly as a record the
    caller may not see. Otherwise ``authorize`` decides, with ``permitted(record)`` the
    service's own rule where it has one.
    """
    if record is None:
        raise audit_missing(principal, action=action, resource=resource)
    authorize(
        principal,
        action=action,
        resource=resource,
        student_id=record.student_id,
        course_id=record.course_id,
        change=change,
        permitted=True if permitted is None else permitted(record),
    )
    return record


def audit_rows(
    entries: Iterable[AuditEntry], *, status_code: int | None, request_id: str | None
) -> list[dict[str, Any]]:
    """The ``audit_log`` rows of ``entries``, values shortened to their columns."""
    return [
        {
            "occurred_at": utcnow(),
            "actor": _fit(entry.actor, "actor"),
            "role": entry.role,
            "student_id": _fit(entry.student_id, "student_id"),
            "course_id": _fit(entry.course_id, "course_id"),
            "action": _fit(entry.action, "action"),
            "resource": _fit(entry.resource, "resource"),
            "outcome": entry.outcome,
            "status_code": status_code,
            "request_id": request_id,
        }
        for entry in entries
    ]


def write_audit_entries(
    session: Session,
    entries: Iterable[AuditEntry],
    *,
    status_code: int | None = None,
    request_id: str | None = None,
) -> int:
    rows = audit_rows(entries, status_code=status_code, request_id=request_id)
    write_audit_rows(session, rows)
    return len(rows)


def pending_audit_rows(status_code: int) -> list[dict[str, Any]]:
    """The rows of the entries the request collected so far, for a change that commits
    them itself (``commit_with_audit``, or a write handed to another thread); once that
    commit succeeded, ``audit_committed(len(rows))`` drops them from the request's
    pending entries. Until then they stay pending, so a failed commit is audited with
    its error's status when the response is ready."""
    return audit_rows(_pending(), status_code=status_code, request_id=g.get("request_id"))


def audit_committed(count: int) -> None:
    """The first ``count`` pending entries were committed with the change."""
    del _pending()[:count]


def write_audit_rows(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows made by ``audit_rows`` or ``pending_audit_rows``, in the session's
    transaction (or, in a read session, committed by the statement itself).

    On PostgreSQL one plain statement on the driver's cursor: every request writes at
    least one row, and SQLAlchemy's execution (with the ``RETURNING id`` it adds to a
    one-row insert) cost five times the statement.
    """
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        with session_cursor(session) as cursor:
            if len(rows) == 1:
                row = rows[0]
                cursor.execute(AUDIT_ROW_INSERT, [row[column] for column in AUDIT_COLUMNS])
            else:
                write_audit_rows_on_driver(cursor, rows)
    elif len(rows) == 1:
        # One row (the usual case) as one plain INSERT, not the executemany path.
        session.execute(audit_table.insert(), rows[0])
    else:
        session.execute(audit_table.insert(), list(rows))


#: rows made by ``audit_rows`` as one statement with one JSON parameter (PostgreSQL)
AUDIT_ROWS_INSERT = json_rows_insert(audit_table, AUDIT_COLUMNS)
#: one row made by ``audit_rows``, its values in ``AUDIT_COLUMNS`` order (PostgreSQL)
AUDIT_ROW_INSERT = (
    f"INSERT INTO {audit_table.name} ({', '.join(AUDIT_COLUMNS)}) "
    f"VALUES ({', '.join(['%s'] * len(AUDIT_COLUMNS))})"
)
_ENCODER = msgspec.json.Encoder()


def write_audit_rows_on_driver(cursor: psycopg.Cursor[Any], rows: Sequence[dict[str, Any]]) -> None:
    """``write_audit_rows`` on the driver's connection (PostgreSQL,
    ``shared.db.driver_transaction``): one statement for all the rows."""
    if rows:
        cursor.execute(AUDIT_ROWS_INSERT, (_ENCODER.encode(rows).decode(),))


def commit_with_audit(session: Session, status_code: int) -> None:
    """Commit the view's change together with the audit entries collected so far.

    ``status_code`` is the status the view answers once this commit succeeds, so a view
    calls this last, with its response already built (a failure before this point is
    audited with its own status when the response is ready, as for any request). If the
    audit rows cannot be written, the commit fails and the change is not kept; the
    entries stay pending and are written with the error's status, or the response is
    withheld (503) when the audit cannot be written at all. Entries collected after
    this commit are written when the response is ready too.
    """
    rows = pending_audit_rows(status_code)
    write_audit_rows(session, rows)
    session.commit()
    audit_committed(len(rows))


def commit_statement_with_audit(
    session: Session, status_code: int, statement: str, parameters: Mapping[str, Any]
) -> None:
    """``commit_with_audit`` for a change that is one statement on the driver's cursor
    (PostgreSQL; ``statement`` with named parameters, ``%(name)s``).

    The statement and the audit rows travel as one (``execute_with_audit``): one round
    trip instead of two, committed or failed together as in ``commit_with_audit``.
    """
    rows = pending_audit_rows(status_code)
    with session_cursor(session) as cursor:
        execute_with_audit(cursor, statement, parameters, rows)
    session.commit()
    audit_committed(len(rows))


def execute_with_audit(
    cursor: psycopg.Cursor[Any],
    statement: str,
    parameters: Mapping[str, Any],
    rows: Sequence[dict[str, Any]],
) -> None:
    """Run ``statement`` (one data-modifying statement, named parameters) and insert the
    audit ``rows`` in the same statement (``WITH change AS (statement) INSERT INTO
    audit_log ...``), in the cursor's transaction. Once it commits, the caller drops the
    rows from the pending entries (``audit_committed``)."""
    if not rows:
        cursor.execute(statement, parameters)
        return
    audit, audit_parameters = _audit_insert_named(rows)
    cursor.execute(f"WITH change AS ({statement}) {audit}", {**parameters, **audit_parameters})


def audit_mark() -> int:
    """How many entries the request has collected so far (``discard_audit_since``)."""
    return len(_pending())


def discard_audit_since(mark: int) -> None:
    """Forget the entries collected since ``audit_mark`` gave ``mark``: for work that was
    abandoned before it did anything and is done again from its start, which audits it
    again."""
    del _pending()[mark:]


#: one row made by ``audit_rows``, as named parameters ``audit_<column>`` (PostgreSQL)
AUDIT_ROW_INSERT_NAMED = (
    f"INSERT INTO {audit_table.name} ({', '.join(AUDIT_COLUMNS)}) "
    f"VALUES ({', '.join(f'%(audit_{column})s' for column in AUDIT_COLUMNS)})"
)
AUDIT_ROWS_INSERT_NAMED = AUDIT_ROWS_INSERT.replace("%s", "%(audit_rows)s")


def _audit_insert_named(rows: Sequence[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    if len(rows) == 1:
        return AUDIT_ROW_INSERT_NAMED, {f"audit_{name}": value for name, value in rows[0].items()}
    return AUDIT_ROWS_INSERT_NAMED, {"audit_rows": _ENCODER.encode(rows).decode()}


#: the length of each text column ``_fit`` shortens values to
_LENGTHS: dict[str, int] = {
    column.name: column.type.length
    for column in audit_table.c
    if isinstance(column.type, sa.String) and column.type.length is not None
}


def _fit(value: str | None, column: str) -> str | None:
    """Shorten a value to its column, so an oversized id never prevents the audit."""
    length = _LENGTHS[column]
    return value if value is None or len(value) <= length else value[: length - 1] + "…"


def flush_request_audit(
    database: Database,
    status_code: int,
    request_id: str | None,
    read_session: Session | None = None,
) -> int:
    """Write the entries the current request collected (called once per response).

    ``read_session`` is the open transaction of a request that changed nothing (a GET):
    the audit then rides on it, saving a second connection and transaction.
    """
    entries = g.pop("stride_audit", [])
    if not entries:
        return 0
    if read_session is not None:
        written = write_audit_entries(
            read_session, entries, status_code=status_code, request_id=request_id
        )
        read_session.commit()
        return written
    with database.unit_of_work() as session:
        written = write_audit_entries(
            session, entries, status_code=status_code, request_id=request_id
        )
        session.commit()
    return written
