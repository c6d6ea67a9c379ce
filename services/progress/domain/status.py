"""The enrollment's status: ``not_started``, ``in_progress``, ``completed``, ``paused``.

Requested moves (``PATCH /enrollments/{id}``)::

    not_started --> in_progress --> paused --> in_progress
         |                                \\--> not_started (only if nothing was done yet)
         +--> paused
    completed --> in_progress   (an administrator reopening it; nobody else)

* Asking for the current status changes nothing (a retried PATCH is harmless).
* Nobody sets ``completed`` by hand: it is reached by meeting the completion criteria.
* ``completed`` is final for students and teachers; an administrator may reopen it to
  ``in_progress`` (for example after the outline gained required items).
* There is no stored "paused from": resuming goes to ``in_progress`` when the student
  has done anything, else back to ``not_started`` (``status_on_resume``).

Automatic moves (``status_after_student_work``, after any recorded lesson, quiz,
assignment or activity): ``not_started`` -> ``in_progress``; meeting the completion
criteria -> ``completed``, also from ``paused``. Work never unpauses by itself: events
arrive late and out of order, and an old event must not undo a pause made after it.
"""

from __future__ import annotations

from enum import StrEnum

from shared.errors import Conflict, Forbidden


class EnrollmentStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    PAUSED = "paused"


_ALLOWED_REQUESTS: dict[EnrollmentStatus, set[EnrollmentStatus]] = {
    EnrollmentStatus.NOT_STARTED: {EnrollmentStatus.IN_PROGRESS, EnrollmentStatus.PAUSED},
    EnrollmentStatus.IN_PROGRESS: {EnrollmentStatus.PAUSED},
    EnrollmentStatus.PAUSED: {EnrollmentStatus.IN_PROGRESS, EnrollmentStatus.NOT_STARTED},
    EnrollmentStatus.COMPLETED: {EnrollmentStatus.IN_PROGRESS},
}


def status_on_request(
    current: EnrollmentStatus,
    requested: EnrollmentStatus,
    *,
    has_started: bool,
    by_admin: bool = False,
) -> EnrollmentStatus:
    """The status after someone asks for ``requested``; Conflict or Forbidden saying why not.

    ``has_started`` is whether the student has done anything in the course (any
    entry or activity); ``by_admin`` whether the caller is an administrator.
    """
    if requested is current:
        return current
    move = f"cannot move from {current.value} to {requested.value}"
    if requested is EnrollmentStatus.COMPLETED:
        raise Conflict(f"{move}: a course is completed by meeting its completion criteria")
    if requested not in _ALLOWED_REQUESTS[current]:
        raise Conflict(f"{move}: {_why_not(current)}")
    if current is EnrollmentStatus.COMPLETED and not by_admin:
        raise Forbidden(f"{move}: only an administrator can reopen a completed enrollment")
    if requested is EnrollmentStatus.NOT_STARTED and has_started:
        raise Conflict(f"{move}: the student has already started the course")
    return requested


def status_on_resume(current: EnrollmentStatus, *, has_started: bool) -> EnrollmentStatus:
    """Where a paused enrollment goes back to: ``in_progress``, or ``not_started`` if untouched."""
    if current is not EnrollmentStatus.PAUSED:
        raise Conflict(f"cannot resume from {current.value}: only a paused enrollment resumes")
    return EnrollmentStatus.IN_PROGRESS if has_started else EnrollmentStatus.NOT_STARTED


def status_after_student_work(
    current: EnrollmentStatus, *, completion_criteria_met: bool
) -> EnrollmentStatus:
    """The status after work or activity was recorded, given the completion criteria now."""
    if current is EnrollmentStatus.COMPLETED:
        return current
    if completion_criteria_met:
        return EnrollmentStatus.COMPLETED
    if current is EnrollmentStatus.PAUSED:
        return current
    return EnrollmentStatus.IN_PROGRESS


def _why_not(current: EnrollmentStatus) -> str:
    if current is EnrollmentStatus.COMPLETED:
        return "completed is final (an administrator may reopen it to in_progress)"
    if current is EnrollmentStatus.IN_PROGRESS:
        return "the student has already started the course"
    return "that move is not allowed"
