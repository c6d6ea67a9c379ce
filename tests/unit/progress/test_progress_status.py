from __future__ import annotations

import pytest

from services.progress.domain import (
    EnrollmentStatus,
    status_after_student_work,
    status_on_request,
    status_on_resume,
)
from shared.errors import Conflict, Forbidden

pytestmark = pytest.mark.unit

NOT_STARTED = EnrollmentStatus.NOT_STARTED
IN_PROGRESS = EnrollmentStatus.IN_PROGRESS
COMPLETED = EnrollmentStatus.COMPLETED
PAUSED = EnrollmentStatus.PAUSED


@pytest.mark.parametrize(
    ("current", "requested", "has_started", "expected"),
    [
        (NOT_STARTED, IN_PROGRESS, False, IN_PROGRESS),
        (NOT_STARTED, PAUSED, False, PAUSED),
        (IN_PROGRESS, PAUSED, True, PAUSED),
        (PAUSED, IN_PROGRESS, True, IN_PROGRESS),
        (PAUSED, IN_PROGRESS, False, IN_PROGRESS),
        (PAUSED, NOT_STARTED, False, NOT_STARTED),
        (PAUSED, PAUSED, True, PAUSED),
        (COMPLETED, COMPLETED, True, COMPLETED),
    ],
)
def test_allowed_requests_move_the_status(
    current: EnrollmentStatus,
    requested: EnrollmentStatus,
    has_started: bool,
    expected: EnrollmentStatus,
) -> None:
    assert status_on_request(current, requested, has_started=has_started) == expected


@pytest.mark.parametrize(
    ("current", "requested", "reason"),
    [
        (
            COMPLETED,
            PAUSED,
            "cannot move from completed to paused: completed is final "
            "(an administrator may reopen it to in_progress)",
        ),
        (
            COMPLETED,
            NOT_STARTED,
            "cannot move from completed to not_started: completed is final "
            "(an administrator may reopen it to in_progress)",
        ),
        (
            IN_PROGRESS,
            NOT_STARTED,
            "cannot move from in_progress to not_started: "
            "the student has already started the course",
        ),
        (
            PAUSED,
            NOT_STARTED,
            "cannot move from paused to not_started: the student has already started the course",
        ),
        (
            IN_PROGRESS,
            COMPLETED,
            "cannot move from in_progress to completed: "
            "a course is completed by meeting its completion criteria",
        ),
        (
            PAUSED,
            COMPLETED,
            "cannot move from paused to completed: "
            "a course is completed by meeting its completion criteria",
        ),
    ],
)
def test_forbidden_moves_are_conflicts_that_say_why(
    current: EnrollmentStatus, requested: EnrollmentStatus, reason: str
) -> None:
    with pytest.raises(Conflict) as raised:
        status_on_request(current, requested, has_started=True, by_admin=True)

    assert raised.value.message == reason


def test_admin_can_reopen_a_completed_enrollment() -> None:
    assert status_on_request(COMPLETED, IN_PROGRESS, has_started=True, by_admin=True) is IN_PROGRESS


def test_nobody_else_can_reopen_a_completed_enrollment() -> None:
    with pytest.raises(Forbidden, match="only an administrator can reopen"):
        status_on_request(COMPLETED, IN_PROGRESS, has_started=True)


@pytest.mark.parametrize(("has_started", "expected"), [(True, IN_PROGRESS), (False, NOT_STARTED)])
def test_resume_returns_to_where_the_student_was(
    has_started: bool, expected: EnrollmentStatus
) -> None:
    assert status_on_resume(PAUSED, has_started=has_started) is expected


@pytest.mark.parametrize("current", [NOT_STARTED, IN_PROGRESS, COMPLETED])
def test_only_a_paused_enrollment_resumes(current: EnrollmentStatus) -> None:
    with pytest.raises(Conflict, match="only a paused enrollment resumes"):
        status_on_resume(current, has_started=True)


@pytest.mark.parametrize(
    ("current", "met", "expected"),
    [
        (NOT_STARTED, False, IN_PROGRESS),
        (NOT_STARTED, True, COMPLETED),
        (IN_PROGRESS, False, IN_PROGRESS),
        (IN_PROGRESS, True, COMPLETED),
        (PAUSED, False, PAUSED),
        (PAUSED, True, COMPLETED),
        (COMPLETED, False, COMPLETED),
        (COMPLETED, True, COMPLETED),
    ],
)
def test_recorded_work_starts_and_completes_the_enrollment(
    current: EnrollmentStatus, met: bool, expected: EnrollmentStatus
) -> None:
    assert status_after_student_work(current, completion_criteria_met=met) is expected
