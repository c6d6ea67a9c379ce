"""An assignment and an enrollment merged from their reports: an assignment as its latest
report says (by the event's moment, the submission's, the action, the grade), an
enrollment's status as its latest change (by the change's moment, then the status)."""

from __future__ import annotations

from datetime import datetime

import pytest

from services.analytics.domain.projections import (
    Assignment,
    AssignmentReport,
    Enrollment,
    EnrollmentReport,
    EnrollmentReportKind,
    merge_assignments,
    merge_enrollments,
)
from tests.unit.analytics.streams import COURSE, STUDENT, at

pytestmark = pytest.mark.unit

STATUS = {"submit": "submitted", "grade": "graded", "return": "returned"}


def report(
    event_id: str,
    action: str,
    occurred: datetime,
    *,
    submitted: datetime | None = None,
    grade: float | None = None,
    time_spent: float | None = None,
    assignment_id: str = "AS-1",
) -> AssignmentReport:
    return AssignmentReport(
        event_id=event_id,
        student_id=STUDENT,
        course_id=COURSE,
        assignment_id=assignment_id,
        action=action,
        status=STATUS[action],
        submitted_at=submitted or at(1),
        grade=grade,
        time_spent=time_spent,
        occurred_at=occurred,
    )


def test_the_latest_report_gives_the_status_grade_and_time_spent():
    merged = merge_assignments(
        [
            report("E3", "grade", at(3), submitted=at(2), grade=75.0, time_spent=50.0),
            report("E1", "submit", at(1), submitted=at(1), time_spent=30.0),
            report("E2", "submit", at(2), submitted=at(2), time_spent=45.0),
        ]
    )
    assert merged == [
        Assignment(
            student_id=STUDENT,
            course_id=COURSE,
            assignment_id="AS-1",
            status="graded",
            submitted_at=at(2),
            first_submitted_at=at(1),
            grade=75.0,
            time_spent=50.0,
        )
    ]


def test_of_one_moment_a_return_follows_a_grading_which_follows_a_submission():
    # the events of one moment, given the event ids that would favour the other order
    graded_then_returned = [
        report("E2", "grade", at(3), grade=80.0),
        report("E1", "return", at(3)),
    ]
    assert [(a.status, a.grade) for a in merge_assignments(graded_then_returned)] == [
        ("returned", None)
    ]
    submitted_then_graded = [
        report("E2", "submit", at(3), grade=90.0),
        report("E1", "grade", at(3), grade=70.0),
    ]
    assert [(a.status, a.grade) for a in merge_assignments(submitted_then_graded)] == [
        ("graded", 70.0)
    ]


def test_of_one_moment_and_action_the_higher_grade_and_a_grade_over_none():
    regraded = [report("E1", "grade", at(3), grade=90.0), report("E2", "grade", at(3), grade=70.0)]
    assert [a.grade for a in merge_assignments(regraded)] == [90.0]
    below_one = [report("E1", "submit", at(3), grade=0.5), report("E2", "submit", at(3))]
    assert [a.grade for a in merge_assignments(below_one)] == [0.5]
    ungraded_first = [report("E2", "submit", at(3)), report("E1", "submit", at(3), grade=40.0)]
    assert [a.grade for a in merge_assignments(ungraded_first)] == [40.0]


def change(event_id: str, when: datetime, status: str) -> EnrollmentReport:
    kind = (
        EnrollmentReportKind.COMPLETED
        if status == "completed"
        else EnrollmentReportKind.STATUS_CHANGED
    )
    return EnrollmentReport(
        event_id=event_id,
        enrollment_id="ENR-1",
        student_id=STUDENT,
        course_id=COURSE,
        kind=kind,
        at=when,
        status=status,
    )


ENROLLED = EnrollmentReport(
    event_id="E0",
    enrollment_id="ENR-1",
    student_id=STUDENT,
    course_id=COURSE,
    kind=EnrollmentReportKind.ENROLLED,
    at=at(0),
    status="not_started",
)


def test_changes_of_one_moment_rank_by_status_and_the_last_change_is_the_status():
    # event ids that would put the lower status last
    (enrollment,) = merge_enrollments(
        [ENROLLED, change("E9", at(5), "paused"), change("E8", at(5), "in_progress")]
    )
    assert enrollment.status == "in_progress"
    assert enrollment.status_changes == ((at(5), "paused"), (at(5), "in_progress"))
    assert enrollment.status_at(at(6)) == enrollment.status
    (done,) = merge_enrollments(
        [ENROLLED, change("E9", at(5), "in_progress"), change("E1", at(5), "completed")]
    )
    assert (done.status, done.completed_at, done.status_at(at(6))) == (
        "completed",
        at(5),
        "completed",
    )


def test_an_enrollment_reopened_after_its_completion_is_no_longer_completed():
    completed_then_reopened = [
        change("E3", at(7), "in_progress"),
        change("E2", at(5), "completed"),
        ENROLLED,
    ]
    assert merge_enrollments(completed_then_reopened) == [
        Enrollment(
            enrollment_id="ENR-1",
            student_id=STUDENT,
            course_id=COURSE,
            enrolled_at=at(0),
            status="in_progress",
            completed_at=None,
            status_changes=((at(5), "completed"), (at(7), "in_progress")),
        )
    ]
    (completed_again,) = merge_enrollments(
        [*completed_then_reopened, change("E4", at(9), "completed")]
    )
    assert (completed_again.status, completed_again.completed_at) == ("completed", at(9))


def test_before_its_enrolled_event_arrives_an_enrollment_has_no_enrollment_moment():
    (enrollment,) = merge_enrollments([change("E1", at(3), "paused")])
    assert (enrollment.enrolled_at, enrollment.status) == (None, "paused")
