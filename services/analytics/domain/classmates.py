"""The students of one course, with what a read asks of all of them remembered.

A document compares the student with the class (course scores, the order classmates did
the items in). Computed from every classmate's facts, that is most of a read's work; the
facts of a course are cached between reads (``store.CourseFactsCache``) until new ones
arrive, and so is what was computed from them here. An answer depends on the moment it
is asked for only through the facts before it: any moment after the latest fact of the
course gives the same answer, so "now", which moves with every read, is remembered once.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, TypeVar

from services.analytics.domain.projections import StudentFacts

T = TypeVar("T")

#: answers remembered per course before the oldest are forgotten
REMEMBERED = 256
#: answers remembered per student (``Classmates.each``) before they are forgotten
REMEMBERED_EACH = 32


def _may_hold_moments(hint: Any) -> bool:
    """Whether a field of this type can hold a moment, itself or inside a tuple or a
    dataclass (which is what ``latest_moment`` looks through)."""
    if hint is datetime or hint is Any or hint is object:
        return True
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return True
    if typing.get_origin(hint) in (tuple, typing.Union, types.UnionType):
        return any(_may_hold_moments(arg) for arg in typing.get_args(hint) if arg is not Ellipsis)
    return False


@functools.cache
def _moment_fields(cls: type) -> tuple[str, ...]:
    """The fields of a dataclass that can hold moments (none for any other type)."""
    if not dataclasses.is_dataclass(cls):
        return ()
    hints = typing.get_type_hints(cls)
    return tuple(f.name for f in dataclasses.fields(cls) if _may_hold_moments(hints[f.name]))


def latest_moment(value: Any) -> datetime | None:
    """The latest moment in ``value``: itself, or anywhere in its tuples and dataclasses."""
    latest: datetime | None = None
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, datetime):
            if latest is None or item > latest:
                latest = item
        elif isinstance(item, tuple):
            pending.extend(item)
        else:
            kind: type = type(item)
            pending.extend(getattr(item, name) for name in _moment_fields(kind))
    return latest


class Classmates(Mapping[str, StudentFacts]):
    """Every student's facts in a course (a read-only mapping by student id)."""

    def __init__(
        self,
        students: Mapping[str, StudentFacts],
        latest_of: Mapping[str, datetime | None] | None = None,
        each_of: Mapping[str, dict[tuple[str, datetime | None], Any]] | None = None,
    ) -> None:
        """``latest_of``: the latest moment of some students' facts, already known;
        ``each_of``: their answers of ``each``, already computed."""
        self._students = dict(students)
        known = latest_of or {}
        self._latest_of = {
            student: known[student] if student in known else latest_moment(facts)
            for student, facts in self._students.items()
        }
        self._latest: datetime | None = max(
            (m for m in self._latest_of.values() if m is not None), default=None
        )
        self._answers: dict[tuple[str, datetime | None], Any] = {}
        self._each: dict[str, dict[tuple[str, datetime | None], Any]] = {
            student: dict(answers)
            for student, answers in (each_of or {}).items()
            if student in self._students
        }
        self._lock = threading.Lock()

    def updated(self, changed: Mapping[str, StudentFacts]) -> Classmates:
        """The class with these students' facts replaced (or added). What was remembered
        of the whole class is forgotten; the answers of ``each`` of the other students
        are kept."""
        unchanged = {s: m for s, m in self._latest_of.items() if s not in changed}
        with self._lock:
            kept = {s: dict(a) for s, a in self._each.items() if s not in changed}
        return Classmates({**self._students, **changed}, unchanged, kept)

    def __getitem__(self, student_id: str) -> StudentFacts:
        return self._students[student_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._students)

    def __len__(self) -> int:
        return len(self._students)

    def _moment(self, at: datetime) -> datetime | None:
        """``at``, or None for every moment after the latest fact (the same answers)."""
        return None if self._latest is None or at > self._latest else at

    def remembered(self, name: str, at: datetime, compute: Callable[[], T]) -> T:
        key = (name, self._moment(at))
        with self._lock:
            if key in self._answers:
                found: T = self._answers[key]
                return found
        answer = compute()
        with self._lock:
            if len(self._answers) >= REMEMBERED:
                self._answers.clear()
            self._answers[key] = answer
        return answer

    def each(self, name: str, at: datetime, compute: Callable[[StudentFacts], T]) -> dict[str, T]:
        """``compute(facts)`` of every student as of ``at``. The answer of one student
        depends on ``at`` only through that student's facts before it, so it is
        remembered per student, and kept by ``updated`` for the students whose facts
        did not change: after new facts of a few students, only theirs are computed."""
        return self.remembered(f"each:{name}", at, lambda: self._each_afresh(name, at, compute))

    def _each_afresh(
        self, name: str, at: datetime, compute: Callable[[StudentFacts], T]
    ) -> dict[str, T]:
        answers: dict[str, T] = {}
        missing: list[tuple[str, tuple[str, datetime | None]]] = []
        with self._lock:
            for student, latest in self._latest_of.items():
                key = (name, None if latest is None or at > latest else at)
                known = self._each.get(student)
                if known is not None and key in known:
                    answers[student] = known[key]
                else:
                    missing.append((student, key))
        computed = [(student, key, compute(self._students[student])) for student, key in missing]
        with self._lock:
            for student, key, answer in computed:
                known = self._each.setdefault(student, {})
                if len(known) >= REMEMBERED_EACH:
                    known.clear()
                known[key] = answer
                answers[student] = answer
        return answers


def remembered(
    classmates: Mapping[str, StudentFacts], name: str, at: datetime, compute: Callable[[], T]
) -> T:
    """``compute()``, remembered with the class when it is a ``Classmates``."""
    if isinstance(classmates, Classmates):
        return classmates.remembered(name, at, compute)
    return compute()


def remembered_each(
    classmates: Mapping[str, StudentFacts],
    name: str,
    at: datetime,
    compute: Callable[[StudentFacts], T],
) -> dict[str, T]:
    """``compute(facts)`` of every student, remembered per student with the class when
    it is a ``Classmates`` (see ``Classmates.each``)."""
    if isinstance(classmates, Classmates):
        return classmates.each(name, at, compute)
    return {student: compute(facts) for student, facts in classmates.items()}
