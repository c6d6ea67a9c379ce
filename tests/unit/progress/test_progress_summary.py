from __future__ import annotations

import pytest

from services.progress.domain import EnrollmentStatus, derive_progress
from tests.unit.progress.progress_factories import item, outline, quiz_taken, work

pytestmark = pytest.mark.unit

COURSE = outline([item("L1"), item("Q1", "quiz")], [item("L2")])


def test_first_lesson_starts_the_enrollment_and_moves_the_position() -> None:
    derived = derive_progress(
        COURSE, work(lessons=("L1",)), EnrollmentStatus.NOT_STARTED, after_student_work=True
    )

    assert derived.status is EnrollmentStatus.IN_PROGRESS
    assert (derived.progress_percentage, derived.current_module_id, derived.current_lesson_id) == (
        33,
        "MOD-2",
        "L2",
    )
    assert not derived.completion_met
    assert not derived.certificate_earned


def test_last_required_item_completes_the_enrollment_and_earns_the_certificate() -> None:
    everything = work(lessons=("L1", "L2"), quizzes=(quiz_taken("Q1", 90, passed=True),))

    derived = derive_progress(
        COURSE, everything, EnrollmentStatus.IN_PROGRESS, after_student_work=True
    )

    assert derived.status is EnrollmentStatus.COMPLETED
    assert derived.progress_percentage == 100
    assert (derived.current_module_id, derived.current_lesson_id) == (None, None)
    assert derived.certificate_earned


def test_outline_change_moves_percentage_and_position_but_not_the_status() -> None:
    done = work(lessons=("L1", "L2"))
    smaller = outline([item("L1")], [item("L2")])

    derived = derive_progress(smaller, done, EnrollmentStatus.IN_PROGRESS, after_student_work=False)

    assert derived.completion_met
    assert derived.progress_percentage == 100
    assert derived.status is EnrollmentStatus.IN_PROGRESS
    assert not derived.certificate_earned
