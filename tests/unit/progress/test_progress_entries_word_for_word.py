# ruff: noqa: E501 (the table of conflicts keeps one case a line)
"""Entries of one item refuse another item's record, a regrade at the same moment wins,
conflicts say why, and the activity window is the one asked for."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.progress.domain import (
    AssignmentGrading,
    AssignmentSubmission,
    LessonCompletionReport,
    record_assignment_change,
    record_lesson_completion,
)
from services.progress.domain.assignments import AssignmentReturn, AssignmentStatus
from services.progress.domain.engagement import ActivityRecord, Engagement, record_activities
from shared.errors import Conflict, InvalidInput
from tests.unit.progress.progress_factories import T0, assignment_in, at, lesson_done

pytestmark = pytest.mark.unit


def test_a_lesson_entry_refuses_another_lesson():
    with pytest.raises(InvalidInput) as error:
        record_lesson_completion(
            lesson_done("L1"), "L2", LessonCompletionReport("C-9", T0, 5, None)
        )
    assert error.value.fields == {"lesson_id": ["entry of 'L1' cannot record 'L2'"]}


def test_an_assignment_entry_refuses_another_assignment():
    with pytest.raises(InvalidInput) as error:
        record_assignment_change(assignment_in("A1"), "A2", AssignmentSubmission("S-9", T0, 5))
    assert error.value.fields == {"assignment_id": ["entry of 'A1' cannot record 'A2'"]}


def test_a_second_grading_at_the_same_moment_replaces_the_first():
    graded = assignment_in("A1", 70)  # graded at at(60)
    regraded = record_assignment_change(graded, "A1", AssignmentGrading(85, at(60), "FB-2"))
    assert (regraded.grade, regraded.feedback_id, regraded.graded_at) == (85, "FB-2", at(60))
    older = record_assignment_change(graded, "A1", AssignmentGrading(95, at(59)))
    assert older == graded


@pytest.mark.parametrize(
    ("entry", "change", "message"),
    [
        (None, AssignmentGrading(80, T0), "cannot grade assignment 'A1': it has not been submitted"),
        (None, AssignmentReturn(), "cannot return assignment 'A1': it has not been submitted"),
        (assignment_in("A1"), AssignmentReturn(), "cannot return assignment 'A1': it has not been graded"),
        (
            assignment_in("A1", 80),
            AssignmentSubmission("S-2", at(90), 5),
            "cannot resubmit assignment 'A1' while it is graded: the teacher must return it first",
        ),
        (
            record_assignment_change(assignment_in("A1", 80), "A1", AssignmentReturn()),
            AssignmentGrading(90, at(120)),
            "cannot grade assignment 'A1': it was returned to the student and needs a new "
            "submission first",
        ),
    ],
)  # fmt: skip
def test_conflicts_say_why(entry, change, message: str):
    with pytest.raises(Conflict) as error:
        record_assignment_change(entry, "A1", change)
    assert str(error.value) == message


def test_a_resubmission_after_return_clears_the_grade():
    returned = record_assignment_change(assignment_in("A1", 80), "A1", AssignmentReturn())
    assert returned.status is AssignmentStatus.RETURNED
    again = record_assignment_change(returned, "A1", AssignmentSubmission("S-2", at(200), 5))
    assert (again.status, again.grade, again.feedback_id, again.graded_at) == (
        AssignmentStatus.SUBMITTED,
        None,
        None,
        None,
    )
    assert again.submitted_at == at(200)
    assert again.time_spent == 35
    assert again.submission_ids == {"S-A1", "S-2"}


def test_activities_keep_the_window_of_days_asked_for():
    start = Engagement(None, 0.0, frozenset({date(2024, 9, 1), date(2024, 8, 20)}))
    activity = ActivityRecord("LOG-1", T0 + timedelta(days=1), 30)  # 2024-09-03 in UTC
    kept = record_activities(start, [activity], "UTC", window_days=5)
    assert kept.active_dates == frozenset({date(2024, 9, 1), date(2024, 9, 3)})
    assert record_activities(start, [activity], "UTC").active_dates == frozenset(
        {date(2024, 8, 20), date(2024, 9, 1), date(2024, 9, 3)}
    )
