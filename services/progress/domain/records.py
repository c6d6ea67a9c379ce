"""An institution's past records of a submission, as the facts the live paths record.

A recorded submission to an assignment is the assignment submitted and, with a score,
graded (``assignments``); to a quiz, an attempt submitted and, with a score, graded
(``quizzes``): the same rules as the live requests and events, at the record's moments.

Each recorded submission gets an id derived from its item and moment
(``recorded_submission_id``), so the same record sent again is recognised and skipped.
Records take no time: a recorded submission adds 0 minutes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from shared.time import to_iso

from .assignments import AssignmentGrading, AssignmentSubmission
from .quizzes import AttemptGraded, AttemptSubmitted
from .values import require_aware, require_optional_score

#: a recorded quiz score passes from this percentage unless the record says otherwise
#: (the Open University's pass mark, whose records the platform imports first)
DEFAULT_PASS_MARK = 40.0
_NAMESPACE = uuid.UUID("5d0c3f5e-7a53-4c41-9a7e-2f6f1c8e0a11")


@dataclass(frozen=True)
class SubmissionRecord:
    """One past submission: its item, when, and (optionally) its score and grading."""

    item_id: str
    submitted_at: datetime
    score: float | None = None
    graded_at: datetime | None = None
    passed: bool | None = None

    def __post_init__(self) -> None:
        require_aware(self.submitted_at, "submitted_at")
        require_optional_score(self.score, "score")
        if self.graded_at is not None:
            require_aware(self.graded_at, "graded_at")

    @property
    def id(self) -> str:
        return recorded_submission_id(self.item_id, self.submitted_at)

    @property
    def grading_moment(self) -> datetime:
        return self.submitted_at if self.graded_at is None else self.graded_at

    @property
    def is_passed(self) -> bool:
        if self.passed is not None:
            return self.passed
        return self.score is not None and self.score >= DEFAULT_PASS_MARK


def recorded_submission_id(item_id: str, submitted_at: datetime) -> str:
    """``record-<uuid5>`` of the item and the moment: the same for the same submission."""
    return f"record-{uuid.uuid5(_NAMESPACE, f'{item_id}@{to_iso(submitted_at)}')}"


def assignment_changes_of(
    record: SubmissionRecord,
) -> tuple[AssignmentSubmission, AssignmentGrading | None]:
    """The submission, and the grading when the record has a score."""
    submission = AssignmentSubmission(record.id, record.submitted_at, 0)
    if record.score is None:
        return submission, None
    return submission, AssignmentGrading(record.score, record.grading_moment)


def quiz_facts_of(record: SubmissionRecord) -> tuple[AttemptSubmitted, AttemptGraded | None]:
    """An attempt submitted (awaiting grading) and, with a score, graded."""
    submitted = AttemptSubmitted(record.id, record.submitted_at, 0, None, False)
    if record.score is None:
        return submitted, None
    return submitted, AttemptGraded(
        record.id, record.grading_moment, record.score, record.is_passed
    )
