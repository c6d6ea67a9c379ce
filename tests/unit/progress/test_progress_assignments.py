from __future__ import annotations

import pytest

from services.progress.domain import (
    AssignmentChange,
    AssignmentEntry,
    AssignmentGrading,
    AssignmentReturn,
    AssignmentStatus,
    AssignmentSubmission,
    record_assignment_change,
)
from shared.errors import Conflict, InvalidInput
from tests.unit.progress.progress_factories import at

pytestmark = pytest.mark.unit

SUBMIT = AssignmentSubmission("SUB-1", at(0), 45)
GRADE = AssignmentGrading(82, at(60), "FB-1")
RETURN = AssignmentReturn()


def entry_after(*changes: AssignmentChange) -> AssignmentEntry:
    entry: AssignmentEntry | None = None
    for change in changes:
        entry = record_assignment_change(entry, "ASG-1", change)
    assert entry is not None
    return entry


def test_submission_creates_a_submitted_entry() -> None:
    assert entry_after(SUBMIT) == AssignmentEntry(
        assignment_id="ASG-1",
        status=AssignmentStatus.SUBMITTED,
        submitted_at=at(0),
        time_spent=45,
        submission_ids=frozenset({"SUB-1"}),
    )


def test_grading_records_grade_and_feedback() -> None:
    entry = entry_after(SUBMIT, GRADE)

    assert (entry.status, entry.grade, entry.feedback_id) == (AssignmentStatus.GRADED, 82, "FB-1")


def test_returning_graded_work_keeps_its_grade() -> None:
    entry = entry_after(SUBMIT, GRADE, RETURN)

    assert (entry.status, entry.grade) == (AssignmentStatus.RETURNED, 82)


def test_resubmission_before_grading_adds_time_and_moves_submitted_at() -> None:
    entry = entry_after(SUBMIT, AssignmentSubmission("SUB-2", at(30), 15.5))

    assert (entry.status, entry.time_spent, entry.submitted_at) == (
        AssignmentStatus.SUBMITTED,
        60.5,
        at(30),
    )


def test_resubmission_after_return_clears_the_previous_grade() -> None:
    entry = entry_after(SUBMIT, GRADE, RETURN, AssignmentSubmission("SUB-2", at(90), 20))

    assert entry.status is AssignmentStatus.SUBMITTED
    assert (entry.grade, entry.feedback_id, entry.graded_at) == (None, None, None)
    assert entry.time_spent == 65
    assert entry.submission_ids == {"SUB-1", "SUB-2"}


def test_regrade_replaces_the_grade() -> None:
    entry = entry_after(SUBMIT, GRADE, AssignmentGrading(91, at(120), "FB-2"))

    assert (entry.grade, entry.feedback_id) == (91, "FB-2")


def test_stale_regrade_does_not_overwrite_a_newer_grade() -> None:
    entry = entry_after(SUBMIT, GRADE, AssignmentGrading(10, at(30), "FB-0"))

    assert (entry.grade, entry.feedback_id) == (82, "FB-1")


@pytest.mark.parametrize(
    "changes",
    [
        [SUBMIT, SUBMIT],
        [SUBMIT, GRADE, GRADE],
        [SUBMIT, GRADE, RETURN, RETURN],
        [SUBMIT, GRADE, RETURN, GRADE],
        [SUBMIT, GRADE, RETURN, SUBMIT],
    ],
    ids=["submission", "grading", "return", "grading-after-return", "first-submission-late"],
)
def test_repeated_change_changes_nothing(changes: list[AssignmentChange]) -> None:
    assert entry_after(*changes) == entry_after(*changes[:-1])


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ([GRADE], "cannot grade assignment 'ASG-1': it has not been submitted"),
        ([RETURN], "cannot return assignment 'ASG-1': it has not been submitted"),
        ([SUBMIT, RETURN], "cannot return assignment 'ASG-1': it has not been graded"),
        (
            [SUBMIT, GRADE, AssignmentSubmission("SUB-2", at(90), 5)],
            "cannot resubmit assignment 'ASG-1' while it is graded: "
            "the teacher must return it first",
        ),
        (
            [SUBMIT, GRADE, RETURN, AssignmentGrading(95, at(200))],
            "cannot grade assignment 'ASG-1': it was returned to the student "
            "and needs a new submission first",
        ),
    ],
)
def test_invalid_move_is_a_conflict_that_says_why(
    changes: list[AssignmentChange], reason: str
) -> None:
    with pytest.raises(Conflict) as raised:
        entry_after(*changes)

    assert raised.value.message == reason


def test_entry_of_another_assignment_is_refused() -> None:
    with pytest.raises(InvalidInput, match="assignment_id"):
        record_assignment_change(entry_after(SUBMIT), "ASG-2", GRADE)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: AssignmentSubmission("", at(0), 1), "submission_id"),
        (lambda: AssignmentSubmission("S", at(0), -1), "time_spent"),
        (lambda: AssignmentGrading(100.01, at(0)), "grade"),
        (lambda: AssignmentGrading(50, at(0), ""), "feedback_id"),
    ],
)
def test_invalid_change_names_the_field(build: object, field: str) -> None:
    assert callable(build)
    with pytest.raises(InvalidInput) as raised:
        build()

    assert list(raised.value.fields) == [field]
