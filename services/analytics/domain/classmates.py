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
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, TypeVar

from services.analytics.domain.projections import StudentFacts

T = TypeVar("T")

#: answers remembered per course before the oldest are forgotten
REMEMBERED = 256


def _moments(value: Any) -> Iterator[datetime]:
    if isinstance(value, datetime):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from _moments(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _moments(getattr(value, field.name))


class Classmates(Mapping[str, StudentFacts]):
    """Every student's facts in a course (a read-only mapping by student id)."""

    def __init__(self, students: Mapping[str, StudentFacts]) -> None:
        self._students = dict(students)
        self._latest: datetime | None = max(
            (m for facts in self._students.values() for m in _moments(facts)), default=None
        )
        self._answers: dict[tuple[str, datetime | None], Any] = {}
        self._lock = threading.Lock()

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


def remembered(
    classmates: Mapping[str, StudentFacts], name: str, at: datetime, compute: Callable[[], T]
) -> T:
    """``compute()``, remembered with the class when it is a ``Classmates``."""
    if isinstance(classmates, Classmates):
        return classmates.remembered(name, at, compute)
    return compute()
