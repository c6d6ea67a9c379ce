"""The enrollment's write model: the work it reads equals the stored entries parsed, its
entries change in one place, and it goes to and from the ORM enrollment unchanged."""

from __future__ import annotations

import pytest

from services.progress.domain import CourseWork, EnrollmentStatus, derive_progress
from services.progress.models import Enrollment
from services.progress.store import entries
from services.progress.store.enrollment_progress import (
    PROGRESS_COLUMNS,
    EnrollmentProgress,
    keep_progress,
    progress_of,
)
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


def test_replacing_a_quiz_entry_says_whether_the_entries_changed() -> None:
    row = stored_row()
    same = entries.quiz_from_json(row.completed_quizzes[0])
    assert row.replace_quiz("Q1", same) is False
    assert row.replace_quiz("Q0", quiz_taken("Q0", 50, passed=False)) is True
    assert [raw["quiz_id"] for raw in row.completed_quizzes] == ["Q0", "Q1"]
    assert row.replace_quiz("Q0", None) is True
    assert [raw["quiz_id"] for raw in row.completed_quizzes] == ["Q1"]


def test_lessons_and_assignments_are_replaced_in_id_order() -> None:
    row = stored_row()
    row.replace_lesson(lesson_done("L2", 90))
    row.replace_assignment(assignment_in("A0", 70))
    assert [raw["lesson_id"] for raw in row.completed_lessons] == ["L1", "L2", "L3"]
    assert [raw["assignment_id"] for raw in row.completed_assignments] == ["A0", "A1"]


def test_the_state_goes_to_and_from_the_orm_enrollment() -> None:
    state = stored_row()
    enrollment = Enrollment(**{name: getattr(state, name) for name in PROGRESS_COLUMNS})
    taken = progress_of(enrollment)
    taken.replace_lesson(lesson_done("L2"))
    taken.status = "completed"
    keep_progress(enrollment, taken)
    assert enrollment.status == "completed"
    assert enrollment.completed_lessons == taken.completed_lessons
    assert [getattr(enrollment, name) for name in PROGRESS_COLUMNS] == [
        getattr(taken, name) for name in PROGRESS_COLUMNS
    ]
