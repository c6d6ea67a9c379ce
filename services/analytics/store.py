"""Every query of the analytics service: facts in (insert once), facts out (rows -> domain).

Facts are inserted with ``ON CONFLICT DO NOTHING`` on their natural keys, on
PostgreSQL and SQLite alike: a fact already stored is left as it is.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from services.analytics.domain.classmates import Classmates
from services.analytics.domain.projections import (
    ActivityFact,
    AssignmentReport,
    AttemptReport,
    CourseOutline,
    EnrollmentReport,
    EnrollmentReportKind,
    Kind,
    LessonCompletion,
    OutlineItem,
    ReportKind,
    StudentFacts,
    merge_assignments,
    merge_attempts,
    merge_enrollments,
)
from services.analytics.domain.risk_model import PRIOR, RiskModel
from services.analytics.domain.sessions import local
from services.analytics.models import (
    NO_COURSE,
    WHOLE_COURSE,
    activity_days,
    activity_records,
    aggregated_days,
    assignment_reports,
    attempt_reports,
    course_outlines,
    course_student_versions,
    course_versions,
    earned_achievements,
    enrollment_reports,
    leaderboard_members,
    lesson_completions,
    outline_items,
    pending_refreshes,
    privacy_budgets,
    privacy_spending,
    recompute_jobs,
    risk_levels,
    risk_models,
)
from shared.db import session_cursor
from shared.recordsets import insert_rows


def _insert_of(session: Session) -> Any:
    """The dialect's INSERT construct (for ON CONFLICT)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def insert_new(session: Session, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert the rows whose key is not stored yet; leave stored ones unchanged."""
    insert_rows(session, table, rows)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Kind | ReportKind | EnrollmentReportKind) else value


def _rows(facts: Sequence[Any]) -> list[dict[str, Any]]:
    # the facts are flat: their fields read one by one (``asdict`` deep-copies each value)
    if not facts:
        return []
    names = [field.name for field in fields(facts[0])]
    return [{name: _plain(getattr(fact, name)) for name in names} for fact in facts]


def add_activities(
    session: Session, facts: Sequence[ActivityFact], versions: Mapping[str, int] | None = None
) -> None:
    """Store the records not stored yet, each with its course's version in ``versions``
    (what ``record_changes`` made in this transaction), by which a read cache finds them."""
    # One record id may appear twice in one batch: keep one, as the key does across batches.
    unique = {(fact.student_id, fact.record_id): fact for fact in facts}
    rows = _rows(list(unique.values()))
    for row in rows:
        row["course_version"] = (versions or {}).get(row["course_id"])
    insert_new(session, activity_records, rows)


def add_attempt_reports(session: Session, reports: Sequence[AttemptReport]) -> None:
    unique = {(r.attempt_id, r.kind, r.at): r for r in reports}
    insert_new(session, attempt_reports, _rows(list(unique.values())))


def add_lesson_completions(session: Session, completions: Sequence[LessonCompletion]) -> None:
    unique = {(c.student_id, c.course_id, c.lesson_id, c.completion_id): c for c in completions}
    insert_new(session, lesson_completions, _rows(list(unique.values())))


def add_assignment_reports(session: Session, reports: Sequence[AssignmentReport]) -> None:
    unique = {r.event_id: r for r in reports}
    insert_new(session, assignment_reports, _rows(list(unique.values())))


def add_enrollment_reports(session: Session, reports: Sequence[EnrollmentReport]) -> None:
    unique = {r.event_id: r for r in reports}
    insert_new(session, enrollment_reports, _rows(list(unique.values())))


def replace_outline(session: Session, outline: CourseOutline) -> bool:
    """Keep ``outline`` as its course's outline when its version is higher than the one
    stored (one conditional upsert, so concurrent consumers agree); True when it replaced.
    An equal or lower version (a redelivery, a late older publication) changes nothing."""
    insert = _insert_of(session)
    statement = insert(course_outlines).values(
        course_id=outline.course_id,
        outline_version=outline.outline_version,
        published_at=outline.published_at,
    )
    replaced = session.execute(
        statement.on_conflict_do_update(
            index_elements=["course_id"],
            set_={
                "outline_version": statement.excluded.outline_version,
                "published_at": statement.excluded.published_at,
            },
            where=course_outlines.c.outline_version < statement.excluded.outline_version,
        ).returning(course_outlines.c.course_id)
    ).first()
    if replaced is None:
        return False
    session.execute(outline_items.delete().where(outline_items.c.course_id == outline.course_id))
    insert_new(session, outline_items, [asdict(item) for item in outline.items])
    return True


def outlines_of(session: Session, course_ids: Sequence[str]) -> dict[str, tuple[OutlineItem, ...]]:
    """The items of these courses' outlines, in course order (a course without one: absent)."""
    if not course_ids:
        return {}
    query = (
        sa.select(outline_items)
        .where(outline_items.c.course_id.in_(sorted(set(course_ids))))
        .order_by(outline_items.c.course_id, outline_items.c.position)
    )
    found: dict[str, list[OutlineItem]] = {}
    for row in session.execute(query).mappings():
        found.setdefault(row["course_id"], []).append(OutlineItem(**dict(row)))
    return {course: tuple(items) for course, items in found.items()}


def outline_version_of(session: Session, course_id: str) -> int | None:
    return session.execute(
        sa.select(course_outlines.c.outline_version).where(course_outlines.c.course_id == course_id)
    ).scalar_one_or_none()


# -- reading -----------------------------------------------------------------------------
#: each enum's members by value: a dict lookup per row instead of the enum's call
KINDS, REPORT_KINDS, ENROLLMENT_REPORT_KINDS = (
    {member.value: member for member in enum} for enum in (Kind, ReportKind, EnrollmentReportKind)
)


def _where(table: sa.Table, student_ids: Sequence[str] | None, course_id: str | None) -> Any:
    conditions: list[Any] = []
    if student_ids is not None:
        conditions.append(table.c.student_id.in_(list(student_ids)))
    if course_id is not None:
        conditions.append(table.c.course_id == course_id)
    return sa.and_(sa.true(), *conditions)


def _read(
    session: Session,
    table: sa.Table,
    cls: type[Any],
    where: Any,
    convert: Mapping[str, Callable[[Any], Any]] | None = None,
) -> Iterator[Any]:
    """The rows of ``table`` matching ``where`` as ``cls`` (a dataclass whose fields are
    columns of the table), built from each row's values in the fields' order, with
    ``convert`` applied to the named fields.

    On PostgreSQL the statement runs on the driver's cursor: its rows are the values
    SQLAlchemy's result would give (moments in UTC, as sessions are: ``create_engine``),
    without a result row and type processing per row, which cost half of loading a
    course's records. The values ``where`` compares with go to the driver as they are,
    without the columns' bind processing: strings, numbers and aware moments only."""
    names = [f.name for f in fields(cls)]
    query = sa.select(*(table.c[name] for name in names)).where(where)
    conversions = [(names.index(name), to) for name, to in (convert or {}).items()]
    rows: Iterable[Sequence[Any]]
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        compiled = query.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        with session_cursor(session) as cursor:
            cursor.execute(str(compiled), compiled.params)
            rows = cursor.fetchall()
    else:
        rows = session.execute(query)
    for row in rows:
        if conversions:
            values = list(row)
            for index, to in conversions:
                values[index] = to(values[index])
            yield cls(*values)
        else:
            yield cls(*row)


def facts_of(
    session: Session,
    student_ids: Sequence[str] | None,
    course_id: str | None,
    rolled_before: date | None = None,
) -> dict[str, StudentFacts]:
    """The facts of these students (``None``: every student), in one course or in all.

    With ``rolled_before``, the activity records of the rolled-up UTC days before it come
    from ``activity_days`` (``rolled_up_records``), the others from the records
    themselves: the same analytics for every computation that looks at those days only
    as a whole (see ``rolled_up_records``)."""
    activities = _activities_of(session, student_ids, course_id, rolled_before)
    return _with_reports(session, activities, student_ids, course_id)


def _activities_of(
    session: Session,
    student_ids: Sequence[str] | None,
    course_id: str | None,
    rolled_before: date | None,
) -> dict[str, list[ActivityFact]]:
    activities: dict[str, list[ActivityFact]] = {}
    raw = _where(activity_records, student_ids, course_id)
    spans = rolled_spans(session, rolled_before) if rolled_before is not None else []
    for first, end in spans:
        moments = (_midnight(first), _midnight(end))
        raw = sa.and_(
            raw,
            sa.not_(
                sa.and_(
                    activity_records.c.occurred_at >= moments[0],
                    activity_records.c.occurred_at < moments[1],
                )
            ),
        )
    for fact in _read(session, activity_records, ActivityFact, raw, {"kind": KINDS.__getitem__}):
        activities.setdefault(fact.student_id, []).append(fact)
    if spans:
        for fact in rolled_up_records(session, student_ids, course_id, spans):
            activities.setdefault(fact.student_id, []).append(fact)
    return activities


def _with_reports(
    session: Session,
    activities: Mapping[str, Sequence[ActivityFact]],
    student_ids: Sequence[str] | None,
    course_id: str | None,
) -> dict[str, StudentFacts]:
    """The facts of these students: their ``activities``, and their reports (attempts,
    lessons, assignments, enrollments) and courses' outlines read here."""

    def reports(
        table: sa.Table, cls: type[Any], kind: Callable[[Any], Any] | None = None
    ) -> list[Any]:
        where = _where(table, student_ids, course_id)
        return list(_read(session, table, cls, where, {"kind": kind} if kind else None))

    attempts: list[AttemptReport] = reports(
        attempt_reports, AttemptReport, REPORT_KINDS.__getitem__
    )
    lessons: list[LessonCompletion] = reports(lesson_completions, LessonCompletion)
    assignments: list[AssignmentReport] = reports(assignment_reports, AssignmentReport)
    enrollments: list[EnrollmentReport] = reports(
        enrollment_reports, EnrollmentReport, ENROLLMENT_REPORT_KINDS.__getitem__
    )
    students = set(activities) | {r.student_id for r in attempts}
    students |= {c.student_id for c in lessons} | {r.student_id for r in assignments}
    students |= {r.student_id for r in enrollments}
    by_student: dict[str, dict[str, list[Any]]] = {
        student: {"attempts": [], "lessons": [], "assignments": [], "enrollments": []}
        for student in students
    }
    for attempt in merge_attempts(attempts):
        by_student[attempt.student_id]["attempts"].append(attempt)
    for completion in lessons:
        by_student[completion.student_id]["lessons"].append(completion)
    for assignment in merge_assignments(assignments):
        by_student[assignment.student_id]["assignments"].append(assignment)
    for enrollment in merge_enrollments(enrollments):
        by_student[enrollment.student_id]["enrollments"].append(enrollment)
    courses_of: dict[str, set[str]] = {student: set() for student in students}
    for student, facts in activities.items():
        courses_of[student] |= {f.course_id for f in facts if f.course_id is not None}
    for group in (attempts, lessons, assignments, enrollments):
        for report in group:
            courses_of[report.student_id].add(report.course_id)
    outlines = outlines_of(session, sorted(set().union(*courses_of.values())))
    return {
        student: StudentFacts(
            student_id=student,
            activities=tuple(
                sorted(activities.get(student, []), key=lambda f: (f.occurred_at, f.record_id))
            ),
            attempts=tuple(by_student[student]["attempts"]),
            lessons=tuple(
                sorted(
                    by_student[student]["lessons"],
                    key=lambda c: (c.completed_at, c.lesson_id, c.completion_id),
                )
            ),
            assignments=tuple(by_student[student]["assignments"]),
            enrollments=tuple(by_student[student]["enrollments"]),
            outline=tuple(
                item for course in sorted(courses_of[student]) for item in outlines.get(course, ())
            ),
        )
        for student in sorted(students)
    }


def student_facts(
    session: Session, student_id: str, course_id: str | None, rolled_before: date | None = None
) -> StudentFacts:
    found = facts_of(session, [student_id], course_id, rolled_before)
    return found.get(student_id) or StudentFacts(student_id, (), (), (), (), ())


def student_courses(session: Session, student_id: str) -> list[str]:
    """The courses analytics knows the student in (any fact naming both)."""
    tables = (
        activity_records,
        attempt_reports,
        lesson_completions,
        assignment_reports,
        enrollment_reports,
    )
    query = sa.union(
        *(sa.select(table.c.course_id).where(table.c.student_id == student_id) for table in tables)
    )
    return sorted(course for (course,) in session.execute(query) if course)


def student_known(session: Session, student_id: str) -> bool:
    tables = (
        activity_records,
        attempt_reports,
        lesson_completions,
        assignment_reports,
        enrollment_reports,
    )
    for table in tables:
        query = sa.select(sa.literal(1)).where(table.c.student_id == student_id).limit(1)
        if session.execute(query).first() is not None:
            return True
    return False


def catalog_of(session: Session, course_ids: Sequence[str]) -> set[tuple[str, str, str]]:
    """(course, kind, id) of the known items of these courses: the items of a course's
    published outline; without one, every lesson, quiz and assignment any event of the
    course named, for any student."""
    if not course_ids:
        return set()
    outlines = outlines_of(session, course_ids)
    catalog_from_outlines = {
        (course, item.kind, item.item_id) for course, items in outlines.items() for item in items
    }
    courses = [course for course in course_ids if course not in outlines]
    if not courses:
        return catalog_from_outlines
    sources = (
        ("lesson", lesson_completions.c.course_id, lesson_completions.c.lesson_id),
        ("lesson", activity_records.c.course_id, activity_records.c.lesson_id),
        ("quiz", attempt_reports.c.course_id, attempt_reports.c.quiz_id),
        ("quiz", activity_records.c.course_id, activity_records.c.quiz_id),
        ("assignment", assignment_reports.c.course_id, assignment_reports.c.assignment_id),
        ("assignment", activity_records.c.course_id, activity_records.c.assignment_id),
    )
    catalog: set[tuple[str, str, str]] = set()
    for kind, course_column, item_column in sources:
        query = (
            sa.select(course_column, item_column)
            .where(course_column.in_(courses), item_column.is_not(None))
            .distinct()
        )
        catalog |= {(course, kind, item) for course, item in session.execute(query)}
    return catalog | catalog_from_outlines


def latest_risk_model(session: Session) -> RiskModel:
    row = session.execute(
        sa.select(risk_models.c.document, risk_models.c.trained_at)
        .order_by(risk_models.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return PRIOR
    # a model fitted on other features (before an upgrade) waits for the next training
    return RiskModel.from_dict(dict(row.document), row.trained_at) or PRIOR


def save_risk_model(session: Session, model: RiskModel, trained_at: datetime) -> None:
    session.execute(risk_models.insert().values(trained_at=trained_at, document=model.to_dict()))


def course_known(session: Session, course_id: str) -> bool:
    tables = (activity_records, attempt_reports, lesson_completions, enrollment_reports)
    for table in tables:
        query = sa.select(sa.literal(1)).where(table.c.course_id == course_id).limit(1)
        if session.execute(query).first() is not None:
            return True
    return False


def mark_pending(session: Session, pairs: Sequence[tuple[str, str]], at: datetime) -> None:
    """Note that these (student, course) pairs have new facts (once per pair)."""
    rows = [{"student_id": s, "course_id": c, "marked_at": at} for s, c in sorted(set(pairs))]
    insert_rows(
        session,
        pending_refreshes,
        rows,
        keys=["student_id", "course_id"],
        set_=lambda new: {"marked_at": new.marked_at},
    )


def claim_pending(session: Session, limit: int) -> list[tuple[str, str, datetime]]:
    """Lock up to ``limit`` pending pairs, oldest first, skipping those another worker holds."""
    query = (
        sa.select(
            pending_refreshes.c.student_id,
            pending_refreshes.c.course_id,
            pending_refreshes.c.marked_at,
        )
        .order_by(pending_refreshes.c.marked_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [(row.student_id, row.course_id, row.marked_at) for row in session.execute(query)]


def forget_pending(session: Session, claimed: Sequence[tuple[str, str, datetime]]) -> None:
    """Drop the claimed pairs, unless they were marked again since (then they stay)."""
    for student_id, course_id, marked_at in claimed:
        session.execute(
            pending_refreshes.delete().where(
                pending_refreshes.c.student_id == student_id,
                pending_refreshes.c.course_id == course_id,
                pending_refreshes.c.marked_at == marked_at,
            )
        )


def pending_count(session: Session) -> int:
    return int(
        session.execute(sa.select(sa.func.count()).select_from(pending_refreshes)).scalar_one()
    )


def enrollment_facts(
    session: Session, course_ids: Sequence[str] | None = None
) -> list[StudentFacts]:
    """The facts of every (student, course) pair (of ``course_ids`` only, if given), one
    ``StudentFacts`` per pair."""
    courses = sorted(
        {c for (c,) in session.execute(sa.select(enrollment_reports.c.course_id).distinct())}
    )
    if course_ids is not None:
        courses = [c for c in courses if c in set(course_ids)]
    pairs: list[StudentFacts] = []
    for course_id in courses:
        pairs.extend(facts_of(session, None, course_id).values())
    return pairs


def spend_privacy_budget(
    session: Session,
    month: str,
    epsilon: float,
    budget: float,
    *,
    actor: str,
    query: str,
    at: datetime,
) -> float | None:
    """Spend ``epsilon`` of the month's budget in one checked statement; the remaining
    budget, or None (nothing spent) when it would exceed ``budget``."""
    insert_new(session, privacy_budgets, [{"month": month, "spent": 0.0}])
    result = session.execute(
        privacy_budgets.update()
        .where(
            privacy_budgets.c.month == month,
            privacy_budgets.c.spent + epsilon <= budget + 1e-9,
        )
        .values(spent=privacy_budgets.c.spent + epsilon)
        .returning(privacy_budgets.c.spent)
    ).first()
    if result is None:
        return None
    session.execute(
        privacy_spending.insert().values(
            month=month, epsilon=epsilon, actor=actor, query=query[:200], spent_at=at
        )
    )
    return max(0.0, budget - float(result.spent))


def privacy_spent(session: Session, month: str) -> float:
    spent = session.execute(
        sa.select(privacy_budgets.c.spent).where(privacy_budgets.c.month == month)
    ).scalar_one_or_none()
    return float(spent or 0.0)


def all_courses(session: Session) -> list[str]:
    courses: set[str] = set()
    for table in (activity_records, attempt_reports, lesson_completions, enrollment_reports):
        query = sa.select(table.c.course_id).where(table.c.course_id.is_not(None)).distinct()
        courses |= {course for (course,) in session.execute(query)}
    return sorted(courses)


def join_leaderboard(session: Session, course_id: str, student_id: str, at: datetime) -> None:
    insert_new(
        session,
        leaderboard_members,
        [{"course_id": course_id, "student_id": student_id, "joined_at": at}],
    )


def leave_leaderboard(session: Session, course_id: str, student_id: str) -> None:
    session.execute(
        leaderboard_members.delete().where(
            leaderboard_members.c.course_id == course_id,
            leaderboard_members.c.student_id == student_id,
        )
    )


def leaderboard_members_of(session: Session, course_id: str) -> list[str]:
    query = sa.select(leaderboard_members.c.student_id).where(
        leaderboard_members.c.course_id == course_id
    )
    return sorted(session.execute(query).scalars())


def course_pairs(session: Session, course_id: str | None) -> list[tuple[str, str]]:
    """Every (student, course) pair with facts, in one course or in all, a course at a
    time (by course, then student): a recompute's batch then reads the facts of one or
    two courses, each in one statement, rather than a few students of every course."""
    pairs: set[tuple[str, str]] = set()
    tables = (
        activity_records,
        attempt_reports,
        lesson_completions,
        assignment_reports,
        enrollment_reports,
    )
    for table in tables:
        query = sa.select(table.c.student_id, table.c.course_id).where(
            table.c.course_id.is_not(None)
        )
        if course_id is not None:
            query = query.where(table.c.course_id == course_id)
        pairs |= {(s, c) for s, c in session.execute(query.distinct())}
    return sorted(pairs, key=lambda pair: (pair[1], pair[0]))


def add_job(session: Session, row: Mapping[str, Any]) -> None:
    session.execute(recompute_jobs.insert().values(**row))


def job(session: Session, job_id: str) -> dict[str, Any] | None:
    row = session.execute(sa.select(recompute_jobs).where(recompute_jobs.c.id == job_id)).first()
    return dict(row._mapping) if row is not None else None


def update_job(session: Session, job_id: str, **values: Any) -> None:
    session.execute(recompute_jobs.update().where(recompute_jobs.c.id == job_id).values(**values))


def risk_levels_of(session: Session, course_id: str, student_ids: Sequence[str]) -> dict[str, str]:
    query = sa.select(risk_levels.c.student_id, risk_levels.c.level).where(
        risk_levels.c.course_id == course_id, risk_levels.c.student_id.in_(list(student_ids))
    )
    return {student: level for student, level in session.execute(query)}


def set_risk_levels(
    session: Session, course_id: str, rows: Sequence[tuple[str, str, float]], at: datetime
) -> None:
    """Upsert (student, level, probability) rows of one course in one statement."""
    if not rows:
        return
    values = [
        {
            "student_id": student,
            "course_id": course_id,
            "level": level,
            "success_probability": probability,
            "assessed_at": at,
        }
        for student, level, probability in rows
    ]
    insert_rows(
        session,
        risk_levels,
        values,
        keys=["student_id", "course_id"],
        set_=lambda new: {
            "level": new.level,
            "success_probability": new.success_probability,
            "assessed_at": new.assessed_at,
        },
    )


def earned_ids_of(
    session: Session, course_id: str, student_ids: Sequence[str]
) -> dict[str, set[str]]:
    query = sa.select(earned_achievements.c.student_id, earned_achievements.c.achievement_id).where(
        earned_achievements.c.course_id == course_id,
        earned_achievements.c.student_id.in_(list(student_ids)),
    )
    found: dict[str, set[str]] = {}
    for student, achievement in session.execute(query):
        found.setdefault(student, set()).add(achievement)
    return found


def add_earned_rows(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    insert_new(session, earned_achievements, rows)


# -- the read cache ----------------------------------------------------------------------
def record_changes(
    session: Session, pairs: Sequence[tuple[str, str]], whole_courses: Sequence[str] = ()
) -> dict[str, int]:
    """New facts of these (student, course) pairs, or of everything of ``whole_courses``
    (a new outline): bump the courses' versions, invalidating their cached facts, and
    note at which version each student changed, so that a cache reloads only them. In
    the transaction of the new facts; courses in sorted order, so concurrent consumers
    lock rows in the same order. Returns each course's new version: the row of a
    course stays locked until the transaction ends, so versions follow the order in
    which the transactions of a course commit."""
    courses = sorted({course for _, course in pairs} | set(whole_courses))
    if not courses:
        return {}
    insert_rows(
        session,
        course_versions,
        [{"course_id": c, "version": 1} for c in courses],
        keys=["course_id"],
        set_=lambda _new: {"version": course_versions.c.version + 1},
    )
    found = session.execute(
        sa.select(course_versions.c.course_id, course_versions.c.version).where(
            course_versions.c.course_id.in_(courses)
        )
    )
    versions: dict[str, int] = {course: int(version) for course, version in found}
    changed = sorted({(course, student) for student, course in pairs})
    changed += [(course, WHOLE_COURSE) for course in sorted(set(whole_courses))]
    insert_rows(
        session,
        course_student_versions,
        [{"course_id": c, "student_id": s, "version": versions[c]} for c, s in changed],
        keys=["course_id", "student_id"],
        set_=lambda new: {"version": new.version},
    )
    return versions


def course_version(session: Session, course_id: str) -> int:
    version = session.execute(
        sa.select(course_versions.c.version).where(course_versions.c.course_id == course_id)
    ).scalar_one_or_none()
    return int(version or 0)


def changed_since(session: Session, course_id: str, version: int) -> set[str]:
    """The students whose facts of the course changed after ``version`` (``WHOLE_COURSE``
    among them when the whole course did)."""
    query = sa.select(course_student_versions.c.student_id).where(
        course_student_versions.c.course_id == course_id,
        course_student_versions.c.version > version,
    )
    return set(session.execute(query).scalars())


def catalog_named_by(facts: Iterable[StudentFacts], course_id: str) -> set[tuple[str, str, str]]:
    """(course, kind, id) of every lesson, quiz and assignment these facts of the course
    name: what ``catalog_of`` finds in the tables for a course without an outline."""
    catalog: set[tuple[str, str, str]] = set()
    for student in facts:
        for record in student.activities:
            for kind, item in (
                ("lesson", record.lesson_id),
                ("quiz", record.quiz_id),
                ("assignment", record.assignment_id),
            ):
                if item is not None and record.course_id == course_id:
                    catalog.add((course_id, kind, item))
        catalog |= {(course_id, "lesson", c.lesson_id) for c in student.lessons}
        catalog |= {(course_id, "quiz", a.quiz_id) for a in student.attempts}
        catalog |= {(course_id, "assignment", a.assignment_id) for a in student.assignments}
    return catalog


@dataclass(frozen=True)
class CourseFacts:
    version: int
    students: Classmates
    catalog: set[tuple[str, str, str]]
    #: the catalog is the course's outline (else: every item its facts name)
    outlined: bool = False
    #: the activity records of rolled-up days before it are rolled up (``facts_of``)
    rolled_before: date | None = None

    def serves(self, rolled_before: date | None) -> bool:
        """Its facts fit a reading whose history before ``rolled_before`` may be rolled up."""
        if self.rolled_before is None:
            return True
        return rolled_before is not None and self.rolled_before <= rolled_before


def load_course(
    session: Session, course_id: str, version: int, rolled_before: date | None = None
) -> CourseFacts:
    """Every student's facts of the course, and its catalog, read afresh."""
    outlined = bool(outlines_of(session, [course_id]))
    return CourseFacts(
        version,
        Classmates(facts_of(session, None, course_id, rolled_before)),
        catalog_of(session, [course_id]),
        outlined,
        rolled_before,
    )


def records_since(session: Session, course_id: str, version: int) -> dict[str, list[ActivityFact]]:
    """The course's activity records stored at a version after ``version``, by student."""
    where = sa.and_(
        activity_records.c.course_id == course_id, activity_records.c.course_version > version
    )
    found: dict[str, list[ActivityFact]] = {}
    for fact in _read(session, activity_records, ActivityFact, where, {"kind": KINDS.__getitem__}):
        found.setdefault(fact.student_id, []).append(fact)
    return found


def refreshed_course(
    session: Session, course_id: str, cached: CourseFacts, version: int
) -> CourseFacts:
    """``cached`` brought to ``version``: only the students whose facts changed since its
    version are read again (the whole course when its outline changed), and of their
    activity records only those stored after it, added to the ones cached (records are
    never changed once stored). Read after the version, the changes are those up to it
    at least; a record read twice (stored after the version was read, before the load
    read the records) is kept once. A student with a new record of a rolled-up day
    (before ``rolled_before``) is read again whole, as that day is now read record by
    record."""
    changed = changed_since(session, course_id, cached.version)
    if WHOLE_COURSE in changed:
        return load_course(session, course_id, version, cached.rolled_before)
    new_records = records_since(session, course_id, cached.version)
    boundary = _midnight(cached.rolled_before) if cached.rolled_before is not None else None
    whole = {
        student
        for student, records in new_records.items()
        if boundary is not None and any(r.occurred_at < boundary for r in records)
    }
    added: dict[str, list[ActivityFact]] = {}
    for student in sorted(changed - whole):
        known = cached.students[student].activities if student in cached.students else ()
        merged = {r.record_id: r for r in known}
        for record in new_records.get(student, []):
            merged.setdefault(record.record_id, record)
        added[student] = list(merged.values())
    fresh = _with_reports(session, added, sorted(added), course_id)
    if whole:
        fresh |= facts_of(session, sorted(whole), course_id, cached.rolled_before)
    catalog = cached.catalog
    if not cached.outlined:
        catalog = catalog | catalog_named_by(fresh.values(), course_id)
    return CourseFacts(
        version,
        cached.students.updated(fresh),
        catalog,
        cached.outlined,
        cached.rolled_before,
    )


class CourseFactsCache:
    """The facts and known items of recently read courses, per process and database,
    keyed by the course's version: a read after new facts of the course were committed
    sees a new version and reads again the facts of the students that changed; nothing
    stale is ever served. One thread brings a course forward while the others that need
    it wait for its facts (a newer version serves them too), so a busy course is read
    again once per process, not once per thread.

    A course is loaded with its history before ``keep_rolled_before`` rolled up; a
    reading that needs the records themselves from earlier on (``rolled_before``, an
    old period) loads the course afresh with them, and that is kept."""

    #: how long a reader waits for another thread's load before loading itself
    WAIT_SECONDS = 30.0

    def __init__(self, size: int = 32, students: int = 20_000) -> None:
        """At most ``size`` courses, and no more students in all than ``students``
        (``STRIDE_ANALYTICS_CACHE_STUDENTS``) beside the course read last: the least
        recently read courses are forgotten first."""
        self.size = size
        self.students = students
        self._by_engine: weakref.WeakKeyDictionary[Engine, OrderedDict[str, CourseFacts]] = (
            weakref.WeakKeyDictionary()
        )
        self._loading: weakref.WeakKeyDictionary[Engine, dict[str, threading.Event]] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def get(
        self,
        session: Session,
        course_id: str,
        rolled_before: date | None = None,
        keep_rolled_before: date | None = None,
    ) -> CourseFacts:
        engine = session.get_bind().engine
        version = course_version(session, course_id)
        while True:
            with self._lock:
                entries = self._by_engine.setdefault(engine, OrderedDict())
                loading = self._loading.setdefault(engine, {})
                cached = entries.get(course_id)
                if (
                    cached is not None
                    and cached.version >= version
                    and cached.serves(rolled_before)
                ):
                    entries.move_to_end(course_id)
                    return cached
                other = loading.get(course_id)
                if other is None:
                    done = loading[course_id] = threading.Event()
                    break
            if not other.wait(self.WAIT_SECONDS):  # else look again: its facts may serve
                done = threading.Event()  # the other load is stuck: load alone
                break
        try:
            if cached is not None and cached.version < version and cached.serves(rolled_before):
                loaded = refreshed_course(session, course_id, cached, version)
            else:
                keep = rolled_before
                if rolled_before is not None and keep_rolled_before is not None:
                    keep = min(rolled_before, keep_rolled_before)
                loaded = load_course(session, course_id, version, keep)
            with self._lock:
                current = entries.get(course_id)
                if current is None or current.version <= loaded.version:
                    entries[course_id] = loaded
                    entries.move_to_end(course_id)
                cached_students = sum(len(c.students) for c in entries.values())
                while len(entries) > 1 and (
                    len(entries) > self.size or cached_students > self.students
                ):
                    _course, forgotten = entries.popitem(last=False)
                    cached_students -= len(forgotten.students)
        finally:
            with self._lock:
                if loading.get(course_id) is done:
                    del loading[course_id]
            done.set()
        return loaded


course_facts_cache = CourseFactsCache()


# -- the daily roll-up of activity records -----------------------------------------------
def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def mark_days_stale(session: Session, facts: Sequence[ActivityFact], now: datetime) -> None:
    """New records of rolled-up days: their days are stale, rolled up again by the next
    run and read from the records until then.

    For days before today (UTC) an upsert, not an update: it waits for a roll-up of the
    day in progress (which locks the day's row before reading its records), so a record
    is either in that roll-up or marks the day stale after it. Today and later days
    cannot be closed yet; they are only updated when rolled up all the same (a clock
    ahead), without creating the hot row of today."""
    today = utc_day(now)
    days = {utc_day(f.occurred_at) for f in facts}
    earlier = sorted(day for day in days if day < today)
    if earlier:
        statement = _insert_of(session)(aggregated_days)
        session.execute(
            statement.on_conflict_do_update(index_elements=["day"], set_={"stale": True}),
            [{"day": day, "aggregated_at": None, "stale": False} for day in earlier],
        )
    later = sorted(day for day in days if day >= today)
    if later:
        session.execute(
            aggregated_days.update()
            .where(aggregated_days.c.day.in_(later), aggregated_days.c.aggregated_at.is_not(None))
            .values(stale=True)
        )


def rolled_spans(session: Session, before: date) -> list[tuple[date, date]]:
    """The rolled-up, not stale days before ``before``, as [first, end) runs of days."""
    query = (
        sa.select(aggregated_days.c.day)
        .where(
            aggregated_days.c.day < before,
            aggregated_days.c.aggregated_at.is_not(None),
            aggregated_days.c.stale.is_(False),
        )
        .order_by(aggregated_days.c.day)
    )
    spans: list[tuple[date, date]] = []
    for day in session.execute(query).scalars():
        if spans and spans[-1][1] == day:
            spans[-1] = (spans[-1][0], day + timedelta(days=1))
        else:
            spans.append((day, day + timedelta(days=1)))
    return spans


def _rolled_fact(
    row: Mapping[str, Any],
    record_id: str,
    moment: datetime,
    items: Sequence[str | None] = (None, None, None),
) -> ActivityFact:
    """A record of no duration standing for a rolled-up day's record ``record_id``."""
    return ActivityFact(
        record_id=record_id,
        student_id=row["student_id"],
        course_id=row["course_id"] if row["course_id"] != NO_COURSE else None,
        occurred_at=moment,
        activity_type="rolled_up",
        kind=Kind.OTHER,
        content_type=None,
        duration_seconds=0.0,
        session_id=None,
        lesson_id=items[0],
        quiz_id=items[1],
        assignment_id=items[2],
        resource_id=None,
        interaction_count=0,
        page_viewed=False,
        time_zone=row["time_zone"],
    )


def rolled_up_records(
    session: Session,
    student_ids: Sequence[str] | None,
    course_id: str | None,
    spans: Sequence[tuple[date, date]],
) -> list[ActivityFact]:
    """The records of the rolled-up days, as each row's first and last record (their
    moments, ids and zone) and one record at the first moment per item the day named,
    all of no duration. Every reading of history before the detailed window takes of
    the records only that: local days and their first moments (streaks, XP), the first
    and the last moment (start, last activity), the zone of the latest record, and the
    items named (a course's catalog without an outline)."""
    if not spans:
        return []
    conditions = [sa.and_(activity_days.c.day >= s, activity_days.c.day < e) for s, e in spans]
    query = sa.select(activity_days).where(sa.or_(*conditions))
    if student_ids is not None:
        query = query.where(activity_days.c.student_id.in_(list(student_ids)))
    if course_id is not None:
        query = query.where(activity_days.c.course_id == course_id)
    facts: list[ActivityFact] = []
    for found in session.execute(query).mappings():
        row = dict(found)
        first = (row["first_record_id"], row["first_at"])
        facts.append(_rolled_fact(row, *first))
        facts += [_rolled_fact(row, *first, items=items) for items in row["items"]]
        if row["records"] > 1:
            facts.append(_rolled_fact(row, row["last_record_id"], row["last_at"]))
    return facts


def _rows_of_day(session: Session, day: date) -> tuple[int, list[dict[str, Any]]]:
    """The day's records, folded per (student, course, local day, zone)."""
    query = sa.select(
        activity_records.c.student_id,
        activity_records.c.record_id,
        activity_records.c.course_id,
        activity_records.c.occurred_at,
        activity_records.c.time_zone,
        activity_records.c.lesson_id,
        activity_records.c.quiz_id,
        activity_records.c.assignment_id,
    ).where(
        activity_records.c.occurred_at >= _midnight(day),
        activity_records.c.occurred_at < _midnight(day + timedelta(days=1)),
    )
    rows: dict[tuple[str, str, date, str], dict[str, Any]] = {}
    count = 0
    for r in session.execute(query):
        count += 1
        key = (
            r.student_id,
            r.course_id if r.course_id is not None else NO_COURSE,
            local(r.occurred_at, r.time_zone).date(),
            r.time_zone,
        )
        moment = (r.occurred_at, r.record_id)
        row = rows.get(key)
        if row is None:
            row = rows[key] = {
                "day": day,
                "student_id": key[0],
                "course_id": key[1],
                "local_date": key[2],
                "time_zone": key[3],
                "records": 0,
                "first": moment,
                "last": moment,
                "items": set(),
            }
        row["records"] += 1
        row["first"] = min(row["first"], moment)
        row["last"] = max(row["last"], moment)
        named = (r.lesson_id, r.quiz_id, r.assignment_id)
        if any(item is not None for item in named):
            row["items"].add(named)
    folded = []
    for row in rows.values():
        (first_at, first_id), (last_at, last_id) = row.pop("first"), row.pop("last")
        items = sorted(row.pop("items"), key=lambda t: tuple(item or "" for item in t))
        folded.append(
            {
                **row,
                "first_record_id": first_id,
                "first_at": first_at,
                "last_record_id": last_id,
                "last_at": last_at,
                "items": [list(t) for t in items],
            }
        )
    return count, folded


def aggregate_day(session: Session, day: date, now: datetime) -> tuple[int, int]:
    """Roll up the records of one UTC day (again): (records read, rows written).

    Idempotent: the day's rows are replaced by those its records give. The day's row
    in ``aggregated_days`` is locked first, so that a record of the day stored
    meanwhile either is read here or marks the day stale after this roll-up."""
    statement = _insert_of(session)(aggregated_days)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["day"], set_={"stale": aggregated_days.c.stale}
        ),
        [{"day": day, "aggregated_at": None, "stale": False}],
    )
    session.execute(activity_days.delete().where(activity_days.c.day == day))
    count, rows = _rows_of_day(session, day)
    if rows:
        session.execute(activity_days.insert(), rows)
    session.execute(
        aggregated_days.update()
        .where(aggregated_days.c.day == day)
        .values(aggregated_at=now, stale=False)
    )
    return count, len(rows)


def days_to_aggregate(session: Session, last_closed: date) -> list[date]:
    """The days up to ``last_closed`` never rolled up (from the day after the latest
    rolled-up one, or from the first record's) and the stale ones, in order."""
    watermark = session.execute(
        sa.select(sa.func.max(aggregated_days.c.day)).where(
            aggregated_days.c.aggregated_at.is_not(None)
        )
    ).scalar_one_or_none()
    if watermark is None:
        first = session.execute(sa.select(sa.func.min(activity_records.c.occurred_at))).scalar()
        start = utc_day(first) if first is not None else last_closed + timedelta(days=1)
    else:
        start = watermark + timedelta(days=1)
    days = {start + timedelta(days=n) for n in range((last_closed - start).days + 1)}
    waiting = sa.select(aggregated_days.c.day).where(
        aggregated_days.c.day <= last_closed,
        sa.or_(aggregated_days.c.stale.is_(True), aggregated_days.c.aggregated_at.is_(None)),
    )
    days |= set(session.execute(waiting).scalars())
    return sorted(days)
