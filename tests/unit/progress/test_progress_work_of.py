"""The work derived from stored entries, as refresh reads it, equals the entries parsed."""

from __future__ import annotations

import pytest

from services.progress.domain import CourseWork, EnrollmentStatus, derive_progress
from services.progress.store import entries
from services.progress.store.enrollment_progress import EnrollmentProgress
from tests.unit.progress.progress_factories import (
    T0,
    assignment_in,
    item,
    lesson_done,
    outline,
    quiz_taken,
)

pytestmark = pytest.mark.unit

COURSE = outline(
    [item("L1"), item("L2"), item("Q1", "quiz")],
    [item("L3"), item("A1", "assignment")],
)


def stored_row() -> EnrollmentProgress:
    return EnrollmentProgress(
        id="E-1",
        student_id="S-1",
        course_id="C-1",
        status="in_progress",
        completed_lessons=[entries.lesson_to_json(lesson_done(i, 80)) for i in ("L3", "L1")],
        completed_quizzes=[entries.quiz_to_json(quiz_taken("Q1", 75, passed=True))],
        completed_assignments=[entries.assignment_to_json(assignment_in("A1", 90))],
        progress_percentage=0,
        current_module_id=None,
        current_lesson_id=None,
        completed_at=None,
        certificate_issued=False,
        certificate_requested_at=None,
        updated_at=T0,
    )


def test_lessons_are_parsed_when_read_and_equal_the_stored_entries() -> None:
    row = stored_row()
    work = row.work()

    assert "L1" in work.lessons and "L2" not in work.lessons
    assert sorted(work.lessons) == ["L1", "L3"] and len(work.lessons) == 2
    assert work.lessons["L1"] == entries.lesson_from_json(row.completed_lessons[1])
    assert work.lessons.get("L2") is None
    assert dict(work.lessons) == {
        raw["lesson_id"]: entries.lesson_from_json(raw) for raw in row.completed_lessons
    }


def test_derivation_from_stored_entries_equals_the_one_from_parsed_entries() -> None:
    row = stored_row()
    parsed = CourseWork.of(
        lessons=[entries.lesson_from_json(raw) for raw in row.completed_lessons],
        quizzes=[entries.quiz_from_json(raw) for raw in row.completed_quizzes],
        assignments=[entries.assignment_from_json(raw) for raw in row.completed_assignments],
    )

    for status in EnrollmentStatus:
        assert derive_progress(
            COURSE, row.work(), status, after_student_work=True
        ) == derive_progress(COURSE, parsed, status, after_student_work=True)
