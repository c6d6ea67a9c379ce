"""Everything derived from the outline and the student's work, recomputed in one call.

Handlers and the API call ``derive_progress`` after recording a lesson, quiz,
assignment or activity (``after_student_work=True``) and after an outline is
replaced (``after_student_work=False``: the percentage and position follow the new
outline, but the status moves only with the student's own work, so publishing an
outline never completes or starts anyone's enrollment).
"""

from __future__ import annotations

from dataclasses import dataclass

from .criteria import certificate_met, completion_met
from .navigation import current_position
from .outline import Outline
from .percentage import progress_percentage
from .status import EnrollmentStatus, status_after_student_work
from .work import CourseWork


@dataclass(frozen=True)
class DerivedProgress:
    """The derived fields, and whether the criteria are met (what is missing, word for
    word, is ``criteria.evaluate_completion`` and ``evaluate_certificate``: written only
    when asked for, not on every change)."""

    progress_percentage: int
    current_module_id: str | None
    current_lesson_id: str | None
    status: EnrollmentStatus
    completion_met: bool
    certificate_earned: bool


def derive_progress(
    outline: Outline,
    work: CourseWork,
    status: EnrollmentStatus,
    *,
    after_student_work: bool,
) -> DerivedProgress:
    """The enrollment's derived fields and criteria evaluations for ``work`` under ``outline``."""
    completed = completion_met(outline, work)
    if after_student_work:
        status = status_after_student_work(status, completion_criteria_met=completed)
    position = current_position(outline, work)
    return DerivedProgress(
        progress_percentage=progress_percentage(outline, work),
        current_module_id=position.module_id,
        current_lesson_id=position.lesson_id,
        status=status,
        completion_met=completed,
        certificate_earned=certificate_met(outline, work, status),
    )
