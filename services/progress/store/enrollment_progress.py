"""The enrollment's write model: the progress that recorded work reads, changes and derives.

``EnrollmentProgress`` is the one state object of every change of progress, whichever
path it comes by:

* a request loads the enrollment through the ORM (locked); ``progress_of`` takes its
  state and ``keep_progress`` puts the changed state back, for the ORM to flush;
* an event batch loads the states of all its enrollments as plain rows in one
  ``SELECT ... FOR UPDATE`` (``progress_by_keys``) and writes the changed ones back in
  one ``UPDATE`` (``write_progress``), without the ORM's per-object bookkeeping.

The entries are kept as stored (JSON) and parsed when read; lessons, the largest
collection, one at a time (``ParsedOnRead``): deriving progress asks only which lessons
are completed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.progress.domain import (
    AssignmentEntry,
    CourseWork,
    FinalResult,
    FinalResultRecord,
    LessonCompletion,
    QuizResult,
)
from services.progress.models import Enrollment
from services.progress.store import entries
from shared.recordsets import is_postgresql, json_rows, keys_in

Entry = TypeVar("Entry")


@dataclass(eq=False, slots=True)
class EnrollmentProgress:
    """The columns of one enrollment that recorded work reads and derives."""

    id: str
    student_id: str
    course_id: str
    status: str
    completed_lessons: list[dict[str, Any]]
    completed_quizzes: list[dict[str, Any]]
    completed_assignments: list[dict[str, Any]]
    progress_percentage: int
    current_module_id: str | None
    current_lesson_id: str | None
    completed_at: datetime | None
    certificate_issued: bool
    certificate_requested_at: datetime | None
    updated_at: datetime
    final_result: str | None = None
    final_result_at: datetime | None = None

    def work(self) -> CourseWork:
        """The student's work, from the stored entries, and the final result if recorded."""
        return CourseWork(
            lessons=ParsedOnRead(self.completed_lessons, "lesson_id", entries.lesson_from_json),
            quizzes={raw["quiz_id"]: entries.quiz_from_json(raw) for raw in self.completed_quizzes},
            assignments={
                raw["assignment_id"]: entries.assignment_from_json(raw)
                for raw in self.completed_assignments
            },
            final_result=None if self.final_result is None else FinalResult(self.final_result),
        )

    def assignment(self, assignment_id: str) -> AssignmentEntry | None:
        """One assignment's entry (only that one parsed), or None."""
        for raw in self.completed_assignments:
            if raw["assignment_id"] == assignment_id:
                return entries.assignment_from_json(raw)
        return None

    def final_result_record(self) -> FinalResultRecord | None:
        if self.final_result is None or self.final_result_at is None:
            return None
        return FinalResultRecord(FinalResult(self.final_result), self.final_result_at)

    def replace_lesson(self, entry: LessonCompletion) -> None:
        self.completed_lessons = _replaced(
            self.completed_lessons, "lesson_id", entry.lesson_id, entries.lesson_to_json(entry)
        )

    def replace_quiz(self, quiz_id: str, result: QuizResult | None) -> bool:
        """Put the quiz's entry in place (or remove it); whether the entries changed."""
        kept = [raw for raw in self.completed_quizzes if raw["quiz_id"] != quiz_id]
        if result is not None:
            kept.append(entries.quiz_to_json(result))
        kept.sort(key=lambda raw: raw["quiz_id"])
        if kept == self.completed_quizzes:
            return False
        self.completed_quizzes = kept
        return True

    def replace_assignment(self, entry: AssignmentEntry) -> None:
        self.completed_assignments = _replaced(
            self.completed_assignments,
            "assignment_id",
            entry.assignment_id,
            entries.assignment_to_json(entry),
        )


def _replaced(
    stored: Iterable[Mapping[str, Any]], key: str, value: str, new: dict[str, Any]
) -> list[dict[str, Any]]:
    """The list with the entry whose ``key`` is ``value`` replaced (or added), in id order."""
    kept = [dict(raw) for raw in stored if raw[key] != value]
    return sorted([*kept, new], key=lambda raw: raw[key])


class ParsedOnRead(Mapping[str, Entry]):
    """Stored entries by their item id, each parsed from its JSON when it is read."""

    def __init__(
        self,
        stored: Iterable[Mapping[str, Any]],
        key: str,
        parse: Callable[[Mapping[str, Any]], Entry],
    ) -> None:
        self._stored = {raw[key]: raw for raw in stored}
        self._parse = parse

    def __getitem__(self, item_id: str) -> Entry:
        return self._parse(self._stored[item_id])

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._stored

    def __iter__(self) -> Iterator[str]:
        return iter(self._stored)

    def __len__(self) -> int:
        return len(self._stored)


PROGRESS_COLUMNS = tuple(field.name for field in fields(EnrollmentProgress))
#: what recorded work may change of an enrollment loaded by ``progress_by_keys``
#: (quiz and assignment entries, the final result; status, position and certificate
#: follow them)
WRITTEN_PROGRESS_COLUMNS: tuple[tuple[str, sa.types.TypeEngine[Any]], ...] = (
    ("status", sa.Text()),
    ("completed_quizzes", sa.JSON()),
    ("completed_assignments", sa.JSON()),
    ("final_result", sa.Text()),
    ("final_result_at", sa.DateTime(timezone=True)),
    ("progress_percentage", sa.Integer()),
    ("current_module_id", sa.Text()),
    ("current_lesson_id", sa.Text()),
    ("completed_at", sa.DateTime(timezone=True)),
    ("certificate_requested_at", sa.DateTime(timezone=True)),
    ("updated_at", sa.DateTime(timezone=True)),
)


def progress_of(enrollment: Enrollment) -> EnrollmentProgress:
    """The state of an enrollment loaded through the ORM."""
    return EnrollmentProgress(*(getattr(enrollment, name) for name in PROGRESS_COLUMNS))


def keep_progress(enrollment: Enrollment, progress: EnrollmentProgress) -> None:
    """Put the state back on its ORM enrollment (flushed with the session)."""
    for name in PROGRESS_COLUMNS:
        value = getattr(progress, name)
        if getattr(enrollment, name) is not value:
            setattr(enrollment, name, value)


def progress_by_keys(session: Session, keys: Iterable[tuple[str, str]]) -> list[EnrollmentProgress]:
    """The states of the enrollments of these (student, course) keys, locked in id order.

    Changes of enrollments still pending in the session are flushed first, so the rows
    read are the ones the transaction sees.
    """
    wanted = set(keys)
    if not wanted:
        return []
    session.flush()
    table = _enrollments_table()
    query = (
        sa.select(*(table.c[name] for name in PROGRESS_COLUMNS))
        .where(keys_in(session, [table.c.student_id, table.c.course_id], wanted))
        .order_by(table.c.id)
        .with_for_update()
    )
    return [EnrollmentProgress(*row) for row in session.execute(query)]


def write_progress(session: Session, states: Sequence[EnrollmentProgress]) -> None:
    """Store the ``WRITTEN_PROGRESS_COLUMNS`` of these states in one ``UPDATE``.

    Enrollments of these ids already loaded into the session are expired, so a later
    read through the ORM sees what was written here.
    """
    if not states:
        return
    ordered = sorted(states, key=lambda state: state.id)
    table = _enrollments_table()
    if is_postgresql(session):
        values = json_rows(
            [("id", sa.Text()), *WRITTEN_PROGRESS_COLUMNS],
            [[state.id, *_written(state).values()] for state in ordered],
        )
        assignments = {name: values.c[name] for name, _type in WRITTEN_PROGRESS_COLUMNS}
        session.execute(sa.update(table).where(table.c.id == values.c.id).values(assignments))
    else:
        session.execute(
            sa.update(table).where(table.c.id == sa.bindparam("row_id")),
            [{"row_id": state.id, **_written(state)} for state in ordered],
        )
    written = {state.id for state in states}
    for loaded in list(session.identity_map.values()):
        if isinstance(loaded, Enrollment) and loaded.id in written:
            session.expire(loaded)


def _written(state: EnrollmentProgress) -> dict[str, Any]:
    """The written columns' values, in ``WRITTEN_PROGRESS_COLUMNS`` order."""
    return {name: getattr(state, name) for name, _type in WRITTEN_PROGRESS_COLUMNS}


def _enrollments_table() -> sa.Table:
    return cast(sa.Table, Enrollment.__table__)
