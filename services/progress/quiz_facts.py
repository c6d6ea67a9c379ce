"""Quiz attempt facts from the attempts service, applied a batch at a time.

A batch costs a handful of statements whatever its size: the advisory locks of its
(student, course) keys in one statement, the stored facts of its attempts and quizzes
in one query, the enrollments' progress columns in one ``SELECT ... FOR UPDATE``
(plain rows, ``store.ProgressRow``), the course outlines in one query, the merged
facts in one upsert, the changed enrollments in one ``UPDATE`` and the outgoing
events in one insert; on PostgreSQL the keys and rows of a batch are one JSON
parameter (``store.json_rows``). The merging itself runs event by event, in the
batch's order, with the domain's order-independent functions, so a batch leaves the
enrollments (and the outbox) as applying its events one at a time would.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.progress import entries
from services.progress.derived import Occasion, ProgressFields, refresh
from services.progress.domain import (
    AttemptState,
    QuizAttemptFact,
    QuizResult,
    quiz_result_of,
    record_attempt_fact,
)
from services.progress.facts import attempt_state_of
from services.progress.models import QuizAttemptFact as QuizAttemptFactRow
from services.progress.store import (
    ProgressRow,
    is_postgresql,
    json_rows,
    keys_in,
    lock_students_courses,
    outlines_of,
    progress_rows_by_keys,
    write_progress_rows,
)
from shared.errors import Conflict, InvalidInput
from shared.events import Envelope
from shared.events.outbox import record_events

StudentCourse = tuple[str, str]
AttemptKey = tuple[str, str, str]  # student, course, attempt
QuizKey = tuple[str, str, str]  # student, course, quiz


@dataclass(frozen=True)
class AttemptReport:
    """One submitted or graded attempt, as an event reported it."""

    student_id: str
    course_id: str
    quiz_id: str
    fact: QuizAttemptFact
    occasion: Occasion

    @property
    def student_course(self) -> StudentCourse:
        return (self.student_id, self.course_id)

    @property
    def attempt_key(self) -> AttemptKey:
        return (self.student_id, self.course_id, self.fact.attempt_id)

    @property
    def quiz_key(self) -> QuizKey:
        return (self.student_id, self.course_id, self.quiz_id)


def apply_attempt_reports(session: Session, reports: Sequence[AttemptReport]) -> None:
    """Merge the reports' facts; recompute the quiz entries of the enrolled students.

    Raises ``InvalidInput`` (an attempt reported under another quiz) or ``Conflict``
    (an enrolled course without outline) before anything is written.
    """
    if not reports:
        return
    keys = sorted({report.student_course for report in reports})
    lock_students_courses(session, keys)
    # Reads and writes are explicit statements; progress_rows_by_keys flushes what other
    # handlers of the transaction left pending, and nothing else needs flushing.
    with session.no_autoflush:
        facts = _StoredFacts.load(session, reports)
        rows = progress_rows_by_keys(session, keys)
        enrolled = {(row.student_id, row.course_id): row for row in rows}
        outlines = outlines_of(session, {course_id for _student, course_id in enrolled})
        outbox: list[Envelope] = []
        changed: dict[str, ProgressRow] = {}
        for report in reports:
            facts.merge(report)
            row = enrolled.get(report.student_course)
            if row is None:
                continue
            result = quiz_result_of(report.quiz_id, facts.states_of(report.quiz_key))
            if not _replace_quiz(row, report.quiz_id, result):
                continue
            outline = outlines.get(report.course_id)
            if outline is None:
                raise Conflict(f"course {report.course_id!r} has no outline yet: publish it first")
            refresh(session, row, outline, report.occasion, after_student_work=True, outbox=outbox)
            changed[row.id] = row
        facts.write_changed(session)
        write_progress_rows(session, list(changed.values()))
        record_events(session, outbox)


def _replace_quiz(enrollment: ProgressFields, quiz_id: str, result: QuizResult | None) -> bool:
    """Put the quiz's entry in place (or remove it); whether the entries changed.

    The entries stay in quiz id order, as ``entries.replace_quiz`` keeps them.
    """
    current = enrollment.completed_quizzes
    kept = [raw for raw in current if raw["quiz_id"] != quiz_id]
    if result is not None:
        kept.append(entries.quiz_to_json(result))
    kept.sort(key=lambda raw: raw["quiz_id"])
    if kept == current:
        return False
    enrollment.completed_quizzes = kept
    return True


class _StoredFacts:
    """The stored facts a batch reads and changes, by attempt and by quiz."""

    def __init__(self, stored: Sequence[tuple[AttemptKey, str, AttemptState]]) -> None:
        self.stored = {key: state for key, _quiz_id, state in stored}
        self.quiz_of = {key: quiz_id for key, quiz_id, _state in stored}
        self.by_quiz: dict[QuizKey, dict[str, AttemptState]] = defaultdict(dict)
        self.changed: set[AttemptKey] = set()
        for (student_id, course_id, attempt_id), quiz_id, state in stored:
            self.by_quiz[(student_id, course_id, quiz_id)][attempt_id] = state

    @classmethod
    def load(cls, session: Session, reports: Sequence[AttemptReport]) -> _StoredFacts:
        """The facts of the reports' attempts, and of every attempt at the reports' quizzes.

        Two queries joined by ``UNION ALL`` (each on its own index; an ``OR`` of the two
        key sets is a sequential scan on PostgreSQL): an attempt found by both comes
        twice, with the same state.
        """
        fact = QuizAttemptFactRow
        columns = (
            fact.student_id,
            fact.course_id,
            fact.attempt_id,
            fact.quiz_id,
            fact.submission,
            fact.grading,
        )
        by_attempt = keys_in(
            session,
            [fact.student_id, fact.course_id, fact.attempt_id],
            {r.attempt_key for r in reports},
        )
        by_quiz = keys_in(
            session, [fact.student_id, fact.course_id, fact.quiz_id], {r.quiz_key for r in reports}
        )
        query = sa.union_all(
            sa.select(*columns).where(by_attempt), sa.select(*columns).where(by_quiz)
        )
        return cls(
            [
                (
                    (row.student_id, row.course_id, row.attempt_id),
                    row.quiz_id,
                    attempt_state_of(row.attempt_id, row.submission, row.grading),
                )
                for row in session.execute(query)
            ]
        )

    def merge(self, report: AttemptReport) -> None:
        key = report.attempt_key
        quiz_id = self.quiz_of.setdefault(key, report.quiz_id)
        if quiz_id != report.quiz_id:
            raise InvalidInput.for_field(
                "quiz_id", f"attempt {report.fact.attempt_id!r} belongs to quiz {quiz_id!r}"
            )
        state = record_attempt_fact(self.by_quiz[report.quiz_key].get(key[2]), report.fact)
        self.by_quiz[report.quiz_key][key[2]] = state
        if state != self.stored.get(key):
            self.changed.add(key)

    def states_of(self, quiz: QuizKey) -> list[AttemptState]:
        return list(self.by_quiz[quiz].values())

    def write_changed(self, session: Session) -> None:
        """Insert or update the changed facts in one statement (under the advisory locks)."""
        if not self.changed:
            return
        rows = []
        for student_id, course_id, attempt_id in sorted(self.changed):
            quiz_id = self.quiz_of[(student_id, course_id, attempt_id)]
            state = self.by_quiz[(student_id, course_id, quiz_id)][attempt_id]
            rows.append(
                {
                    "student_id": student_id,
                    "course_id": course_id,
                    "attempt_id": attempt_id,
                    "quiz_id": quiz_id,
                    "submission": None
                    if state.submission is None
                    else entries.submission_to_json(state.submission),
                    "grading": None
                    if state.grading is None
                    else entries.grading_to_json(state.grading),
                }
            )
        table = cast(sa.Table, QuizAttemptFactRow.__table__)
        if is_postgresql(session):
            statement = postgresql.insert(table).from_select(FACT_COLUMNS, _facts_from_json(rows))
            session.execute(_upsert(statement, table))
        else:
            session.execute(_upsert(sqlite.insert(table), table), rows)


FACT_COLUMNS = ("student_id", "course_id", "attempt_id", "quiz_id", "submission", "grading")


def _facts_from_json(rows: Sequence[dict[str, Any]]) -> sa.Select[Any]:
    """The facts as one JSON parameter (``store.json_rows``)."""
    types = {"submission": sa.JSON(), "grading": sa.JSON()}
    values = json_rows(
        [(name, types.get(name, sa.Text())) for name in FACT_COLUMNS],
        [[row[name] for name in FACT_COLUMNS] for row in rows],
    )
    return sa.select(*(values.c[name] for name in FACT_COLUMNS))


Insert = TypeVar("Insert", postgresql.Insert, sqlite.Insert)


def _upsert(statement: Insert, table: sa.Table) -> Insert:
    """The insert, updating the submission and grading of an attempt already stored."""
    return statement.on_conflict_do_update(
        index_elements=[table.c.student_id, table.c.course_id, table.c.attempt_id],
        set_={
            "submission": statement.excluded.submission,
            "grading": statement.excluded.grading,
        },
    )
