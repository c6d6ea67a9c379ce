"""An assignment's ``completed_assignments`` entry and the moves between its statuses.

::

    (none) --submit--> submitted --grade--> graded --return--> returned
                        |    ^               |  ^                  |
                        +----+ resubmit      +--+ regrade          |
                             ^                                     |
                             +------------- resubmit --------------+

* A student may resubmit while the work is ``submitted`` (not graded yet) or after it
  was ``returned``; a resubmission after return clears the grade and feedback, which
  judged the previous work. Resubmitting ``graded`` work is refused: the teacher
  returns it first.
* A teacher grades ``submitted`` work and may regrade ``graded`` work; the grading
  with the latest ``graded_at`` wins, so a stale regrade cannot overwrite a newer one.
  ``returned`` work is not graded again until resubmitted.
* Every change is idempotent: a submission whose id was counted, a grading equal to
  the current one, or returning ``returned`` work changes nothing.

``time_spent`` sums the minutes of the distinct submissions; ``submitted_at`` is the
latest submission's time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from shared.errors import Conflict, InvalidInput

from .values import add_minutes, require_aware, require_duration, require_identifier, require_score


class AssignmentStatus(StrEnum):
    SUBMITTED = "submitted"
    GRADED = "graded"
    RETURNED = "returned"


@dataclass(frozen=True)
class AssignmentSubmission:
    submission_id: str
    submitted_at: datetime
    time_spent: float

    def __post_init__(self) -> None:
        require_identifier(self.submission_id, "submission_id")
        require_aware(self.submitted_at, "submitted_at")
        require_duration(self.time_spent, "time_spent")


@dataclass(frozen=True)
class AssignmentGrading:
    grade: float
    graded_at: datetime
    feedback_id: str | None = None

    def __post_init__(self) -> None:
        require_score(self.grade, "grade")
        require_aware(self.graded_at, "graded_at")
        if self.feedback_id is not None:
            require_identifier(self.feedback_id, "feedback_id")


@dataclass(frozen=True)
class AssignmentReturn:
    """The teacher hands graded work back to the student."""


AssignmentChange = AssignmentSubmission | AssignmentGrading | AssignmentReturn


@dataclass(frozen=True)
class AssignmentEntry:
    """The spec's ``completed_assignments`` entry, with the submission ids it counted."""

    assignment_id: str
    status: AssignmentStatus
    submitted_at: datetime
    time_spent: float
    submission_ids: frozenset[str]
    grade: float | None = None
    feedback_id: str | None = None
    graded_at: datetime | None = None

    @property
    def grading(self) -> AssignmentGrading | None:
        if self.grade is None or self.graded_at is None:
            return None
        return AssignmentGrading(self.grade, self.graded_at, self.feedback_id)


def record_assignment_change(
    existing: AssignmentEntry | None, assignment_id: str, change: AssignmentChange
) -> AssignmentEntry:
    """The entry after ``change``; Conflict, with the reason, when the status forbids it."""
    if existing is not None and existing.assignment_id != assignment_id:
        raise InvalidInput.for_field(
            "assignment_id", f"entry of {existing.assignment_id!r} cannot record {assignment_id!r}"
        )
    if isinstance(change, AssignmentSubmission):
        return _submit(existing, assignment_id, change)
    if existing is None:
        verb = "grade" if isinstance(change, AssignmentGrading) else "return"
        raise Conflict(f"cannot {verb} assignment {assignment_id!r}: it has not been submitted")
    if isinstance(change, AssignmentGrading):
        return _grade(existing, change)
    return _return(existing)


def _submit(
    existing: AssignmentEntry | None, assignment_id: str, submission: AssignmentSubmission
) -> AssignmentEntry:
    if existing is None:
        return AssignmentEntry(
            assignment_id=assignment_id,
            status=AssignmentStatus.SUBMITTED,
            submitted_at=submission.submitted_at,
            time_spent=add_minutes(0, submission.time_spent),
            submission_ids=frozenset({submission.submission_id}),
        )
    if submission.submission_id in existing.submission_ids:
        return existing
    if existing.status is AssignmentStatus.GRADED:
        raise Conflict(
            f"cannot resubmit assignment {assignment_id!r} while it is graded: "
            "the teacher must return it first"
        )
    return replace(
        existing,
        status=AssignmentStatus.SUBMITTED,
        submitted_at=max(existing.submitted_at, submission.submitted_at),
        time_spent=add_minutes(existing.time_spent, submission.time_spent),
        submission_ids=existing.submission_ids | {submission.submission_id},
        grade=None,
        feedback_id=None,
        graded_at=None,
    )


def _grade(existing: AssignmentEntry, grading: AssignmentGrading) -> AssignmentEntry:
    if grading == existing.grading:
        return existing
    if existing.status is AssignmentStatus.RETURNED:
        raise Conflict(
            f"cannot grade assignment {existing.assignment_id!r}: it was returned to the "
            "student and needs a new submission first"
        )
    if existing.graded_at is not None and grading.graded_at < existing.graded_at:
        return existing
    return replace(
        existing,
        status=AssignmentStatus.GRADED,
        grade=grading.grade,
        feedback_id=grading.feedback_id,
        graded_at=grading.graded_at,
    )


def _return(existing: AssignmentEntry) -> AssignmentEntry:
    if existing.status is AssignmentStatus.SUBMITTED:
        raise Conflict(
            f"cannot return assignment {existing.assignment_id!r}: it has not been graded"
        )
    return replace(existing, status=AssignmentStatus.RETURNED)
