"""Quiz attempt facts from the attempts service, stored per (student, course, attempt).

Facts are kept whether or not the student is enrolled yet, and folded with the
domain's order-independent merges: per attempt ``record_attempt_fact`` (submission
kept, latest grading wins), per quiz ``quiz_result_of``. ``StoredAttemptFacts`` holds
the facts a batch (or a new enrollment) reads, by attempt and by quiz, merges the new
ones in and writes back those that changed in one statement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.progress.domain import (
    AttemptState,
    QuizAttemptFact,
    QuizResult,
    quiz_result_of,
    record_attempt_fact,
)
from services.progress.models import QuizAttemptFact as QuizAttemptFactRow
from services.progress.store import entries
from shared.errors import InvalidInput
from shared.recordsets import is_postgresql, json_rows, keys_in

AttemptKey = tuple[str, str, str]  # student, course, attempt
QuizKey = tuple[str, str, str]  # student, course, quiz

FACT_COLUMNS = ("student_id", "course_id", "attempt_id", "quiz_id", "submission", "grading")
_FACT = QuizAttemptFactRow
_SELECTED = (_FACT.student_id, _FACT.course_id, _FACT.attempt_id, _FACT.quiz_id)


class StoredAttemptFacts:
    """The stored facts of some attempts and quizzes, by attempt and by quiz."""

    def __init__(self, stored: Iterable[sa.Row[Any]]) -> None:
        self.stored: dict[AttemptKey, AttemptState] = {}
        self.quiz_of: dict[AttemptKey, str] = {}
        self.by_quiz: dict[QuizKey, dict[str, AttemptState]] = defaultdict(dict)
        self.changed: set[AttemptKey] = set()
        for row in stored:
            key = (row.student_id, row.course_id, row.attempt_id)
            state = attempt_state_of(row.attempt_id, row.submission, row.grading)
            self.stored[key] = state
            self.quiz_of[key] = row.quiz_id
            self.by_quiz[(row.student_id, row.course_id, row.quiz_id)][row.attempt_id] = state

    @classmethod
    def of_attempts_and_quizzes(
        cls, session: Session, attempts: Collection[AttemptKey], quizzes: Collection[QuizKey]
    ) -> StoredAttemptFacts:
        """The facts of these attempts, and of every attempt at these quizzes.

        Two queries joined by ``UNION ALL`` (each on its own index; an ``OR`` of the two
        key sets is a sequential scan on PostgreSQL): an attempt found by both comes
        twice, with the same state.
        """
        by_attempt = keys_in(
            session, [_FACT.student_id, _FACT.course_id, _FACT.attempt_id], attempts
        )
        by_quiz = keys_in(session, [_FACT.student_id, _FACT.course_id, _FACT.quiz_id], quizzes)
        columns = (*_SELECTED, _FACT.submission, _FACT.grading)
        query = sa.union_all(
            sa.select(*columns).where(by_attempt), sa.select(*columns).where(by_quiz)
        )
        return cls(session.execute(query))

    @classmethod
    def of_student_course(
        cls, session: Session, student_id: str, course_id: str
    ) -> StoredAttemptFacts:
        """Every fact of one student in one course (a new enrollment counts them)."""
        query = sa.select(*_SELECTED, _FACT.submission, _FACT.grading).where(
            _FACT.student_id == student_id, _FACT.course_id == course_id
        )
        return cls(session.execute(query))

    @classmethod
    def of_students_courses(
        cls, session: Session, keys: Collection[tuple[str, str]]
    ) -> StoredAttemptFacts:
        """Every fact of these (student, course) keys, in one query."""
        if not keys:
            return cls(())
        query = sa.select(*_SELECTED, _FACT.submission, _FACT.grading).where(
            keys_in(session, [_FACT.student_id, _FACT.course_id], keys)
        )
        return cls(session.execute(query))

    def knows(self, student_id: str, course_id: str, attempt_id: str) -> bool:
        """Whether a fact of this attempt is stored or was merged."""
        return (student_id, course_id, attempt_id) in self.quiz_of

    def quizzes(self) -> list[QuizKey]:
        return sorted(self.by_quiz)

    def merge(self, quiz: QuizKey, fact: QuizAttemptFact) -> None:
        """Merge a reported fact; ``InvalidInput`` if its attempt belongs to another quiz."""
        student_id, course_id, quiz_id = quiz
        key = (student_id, course_id, fact.attempt_id)
        known_quiz = self.quiz_of.setdefault(key, quiz_id)
        if known_quiz != quiz_id:
            raise InvalidInput.for_field(
                "quiz_id", f"attempt {fact.attempt_id!r} belongs to quiz {known_quiz!r}"
            )
        state = record_attempt_fact(self.by_quiz[quiz].get(fact.attempt_id), fact)
        self.by_quiz[quiz][fact.attempt_id] = state
        if state != self.stored.get(key):
            self.changed.add(key)

    def result_of(self, quiz: QuizKey) -> QuizResult | None:
        """The quiz's ``completed_quizzes`` entry from its attempts' states."""
        return quiz_result_of(quiz[2], self.by_quiz[quiz].values())

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


def attempt_state_of(
    attempt_id: str, submission: dict[str, Any] | None, grading: dict[str, Any] | None
) -> AttemptState:
    """An attempt's state from its stored fact."""
    return AttemptState(
        attempt_id=attempt_id,
        submission=None if submission is None else entries.submission_from_json(submission),
        grading=None if grading is None else entries.grading_from_json(grading),
    )


def _facts_from_json(rows: Sequence[dict[str, Any]]) -> sa.Select[Any]:
    """The facts as one JSON parameter (``shared.recordsets.json_rows``)."""
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
