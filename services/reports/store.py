"""Every query, lock and row <-> domain mapping of the reports service."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from services.reports.domain import work
from services.reports.domain.work import StudentRecord
from services.reports.models import (
    AchievementFact,
    AssignmentWorkFact,
    Certificate,
    CourseSettings,
    EnrollmentFact,
    LessonCompletionFact,
    QuizAttemptFact,
    Report,
    ReportAccess,
    ReportDocument,
    RiskFact,
    ShareLink,
)
from shared.auth import AccessScope
from shared.errors import NotFound
from shared.pagination import Page, paginate
from shared.recordsets import insert_rows
from shared.time import parse_iso


def report_by_id(session: Session, report_id: str, *, lock: bool = False) -> Report | None:
    query = sa.select(Report).where(Report.id == report_id)
    if lock:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def require_report(session: Session, report_id: str, *, lock: bool = False) -> Report:
    report = report_by_id(session, report_id, lock=lock)
    if report is None:
        raise NotFound(f"report {report_id} not found")
    return report


def report_by_schedule_key(session: Session, key: str) -> Report | None:
    return session.execute(sa.select(Report).where(Report.schedule_key == key)).scalar_one_or_none()


def visible_reports_query(
    scope: AccessScope, student_id: str | None, course_id: str | None
) -> sa.Select[Any]:
    query = sa.select(Report).where(*scope.where(Report.student_id, Report.course_id))
    if student_id is not None:
        query = query.where(Report.student_id == student_id)
    if course_id is not None:
        query = query.where(Report.course_id == course_id)
    return query


def reports_page(
    session: Session,
    scope: AccessScope,
    student_id: str | None,
    course_id: str | None,
    *,
    limit: int,
    cursor: str | None,
) -> Page:
    return paginate(
        session,
        visible_reports_query(scope, student_id, course_id),
        [Report.__table__.c.created_at, Report.__table__.c.id],
        limit=limit,
        cursor=cursor,
        key_of=lambda r: [r.created_at, r.id],
        datetime_positions=[0],
    )


def accesses_of(session: Session, report_id: str) -> list[ReportAccess]:
    query = (
        sa.select(ReportAccess)
        .where(ReportAccess.report_id == report_id)
        .order_by(ReportAccess.accessed_at, ReportAccess.id)
    )
    return list(session.execute(query).scalars())


def record_access(
    session: Session,
    report_id: str,
    *,
    user_id: str,
    role: str,
    at: datetime,
    via: str,
    share_link_id: str | None = None,
) -> None:
    session.add(
        ReportAccess(
            report_id=report_id,
            user_id=user_id,
            role=role,
            accessed_at=at,
            via=via,
            share_link_id=share_link_id,
        )
    )


def cached_document(
    session: Session, report_id: str, fmt: str, fingerprint: str
) -> ReportDocument | None:
    document = session.get(ReportDocument, (report_id, fmt))
    if document is None or document.fingerprint != fingerprint:
        return None
    return document


def keep_document(
    session: Session,
    report_id: str,
    fmt: str,
    *,
    fingerprint: str,
    media_type: str,
    body: bytes,
    at: datetime,
) -> None:
    """Store a rendering as the cached document of its format, replacing an older one
    (one statement, so two requests rendering the same document at once both succeed)."""
    values = {
        "report_id": report_id,
        "format": fmt,
        "fingerprint": fingerprint,
        "media_type": media_type,
        "body": body,
        "rendered_at": at,
    }
    table = ReportDocument.__table__
    statement = _insert_for(session)(table).values(**values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["report_id", "format"],
            set_={
                key: statement.excluded[key]
                for key in ("fingerprint", "media_type", "body", "rendered_at")
            },
        )
    )


def documents_of(session: Session, report_id: str) -> list[ReportDocument]:
    query = sa.select(ReportDocument).where(ReportDocument.report_id == report_id)
    return list(session.execute(query).scalars())


# -- share links -------------------------------------------------------------------------
def share_link_by_hash(session: Session, token_hash: str) -> ShareLink | None:
    return session.execute(
        sa.select(ShareLink).where(ShareLink.token_hash == token_hash)
    ).scalar_one_or_none()


def share_links_of(session: Session, report_id: str) -> list[ShareLink]:
    query = (
        sa.select(ShareLink)
        .where(ShareLink.report_id == report_id)
        .order_by(ShareLink.created_at, ShareLink.id)
    )
    return list(session.execute(query).scalars())


# -- course settings ---------------------------------------------------------------------
def course_settings(session: Session, course_id: str | None) -> CourseSettings | None:
    return None if course_id is None else session.get(CourseSettings, course_id)


def course_settings_as_domain(row: CourseSettings | None) -> work.CourseSettings:
    if row is None:
        return work.CourseSettings()
    return work.CourseSettings(
        scale_bands=tuple(
            (band["letter"], float(band["min_percentage"]), float(band["gpa_points"]))
            for band in row.grading_scale
        ),
        credit_hours=row.credit_hours,
        due_dates={key: parse_iso(value) for key, value in row.due_dates.items()},
    )


# -- projections -------------------------------------------------------------------------
def student_record(session: Session, student_id: str, course_id: str | None) -> StudentRecord:
    """What the projections know of a student's work in a course (or in every course)."""

    def where(model: Any) -> list[Any]:
        conditions = [model.student_id == student_id]
        if course_id is not None:
            conditions.append(model.course_id == course_id)
        return conditions

    lessons = session.execute(sa.select(LessonCompletionFact).where(*where(LessonCompletionFact)))
    attempts = session.execute(sa.select(QuizAttemptFact).where(*where(QuizAttemptFact)))
    works = session.execute(sa.select(AssignmentWorkFact).where(*where(AssignmentWorkFact)))
    enrollments = list(
        session.execute(sa.select(EnrollmentFact).where(*where(EnrollmentFact))).scalars()
    )
    certificates = session.execute(sa.select(Certificate).where(*where(Certificate))).scalars()
    achievements = session.execute(sa.select(AchievementFact).where(*where(AchievementFact)))
    risks = session.execute(sa.select(RiskFact).where(*where(RiskFact)))
    completed = [e.completed_at for e in enrollments if e.completed_at is not None]
    issued = [c.issued_at for c in certificates]
    return StudentRecord(
        student_id=student_id,
        course_id=course_id,
        lessons=tuple(
            work.LessonDone(r.lesson_id, r.completed_at, r.time_spent, r.score)
            for r in lessons.scalars()
        ),
        attempts=tuple(
            work.QuizAttempt(
                r.attempt_id, r.quiz_id, r.completed_at, r.score, r.time_spent, r.is_practice
            )
            for r in attempts.scalars()
        ),
        assignments=tuple(
            work.AssignmentWork(r.assignment_id, r.status, r.submitted_at, r.grade, r.time_spent)
            for r in works.scalars()
        ),
        course_completed_at=max(completed) if completed else None,
        certificate_issued_at=max(issued) if issued else None,
        achievements=tuple(
            work.EarnedAchievement(r.achievement_id, r.title, r.earned_at)
            for r in achievements.scalars()
        ),
        risks=tuple(
            work.RiskAssessment(r.course_id, r.level, r.assessed_at) for r in risks.scalars()
        ),
    )


def enrolled_pairs(session: Session, end: datetime) -> list[tuple[str, str]]:
    """(student, course) pairs enrolled before ``end``: who gets an end-of-term report."""
    query = (
        sa.select(EnrollmentFact.student_id, EnrollmentFact.course_id)
        .where(sa.or_(EnrollmentFact.enrolled_at.is_(None), EnrollmentFact.enrolled_at <= end))
        .distinct()
        .order_by(EnrollmentFact.student_id, EnrollmentFact.course_id)
    )
    return [(row.student_id, row.course_id) for row in session.execute(query)]


def upsert(session: Session, model: Any, values: dict[str, Any], keys: list[str]) -> None:
    """Insert a projection row, or leave the existing one (facts are immutable by key)."""
    statement = _insert_for(session)(model.__table__).values(**values)
    session.execute(statement.on_conflict_do_nothing(index_elements=keys))


def insert_new(
    session: Session, model: Any, rows: Sequence[dict[str, Any]], keys: list[str]
) -> None:
    """Insert the projection rows whose key is not stored yet (facts are immutable by key;
    of rows with equal keys the first stays, as it would one at a time). One statement
    executed for all rows, in key order, so two consumers lock the same keys in the same
    order."""
    first: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        first.setdefault(tuple(row[key] for key in keys), row)
    insert_rows(session, model.__table__, [first[key] for key in sorted(first)], keys=keys)


def upsert_where(
    session: Session,
    model: Any,
    rows: Sequence[dict[str, Any]],
    *,
    keys: list[str],
    update: list[str],
    when: Callable[[Any], Any],
) -> None:
    """Insert projection rows; where one's key is stored, set its ``update`` columns from
    the new row if ``when(excluded)`` holds (a condition on the stored row and
    ``excluded``, the new one). One statement executed for all rows; their keys must be
    distinct. The rows go in key order, so two consumers upserting the same keys lock
    them in the same order."""
    ordered = sorted(rows, key=lambda row: tuple(row[key] for key in keys))
    insert_rows(
        session,
        model.__table__,
        ordered,
        keys=keys,
        set_=lambda new: {column: new[column] for column in update},
        where=when,
    )


def _insert_for(session: Session) -> Any:
    """The dialect's INSERT, which has ON CONFLICT on PostgreSQL and SQLite alike."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql_insert
    return sqlite_insert


def certificate_by_id(session: Session, certificate_id: str) -> Certificate | None:
    return session.get(Certificate, certificate_id)


def certificate_of_enrollment(session: Session, enrollment_id: str) -> Certificate | None:
    return session.execute(
        sa.select(Certificate).where(Certificate.enrollment_id == enrollment_id)
    ).scalar_one_or_none()
