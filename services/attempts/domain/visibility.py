"""Who may see what of an attempt: the answer-key redaction rule and field visibility.

Rules:

* Teachers and admins see everything, correct answers included, in every state.
* Students and parents see correct answers, and the per-question correctness that
  implies them (``is_correct``, ``partial_credit``, ``points_earned``, ``pending``),
  only once the attempt is closed and the quiz allows review. They always see the
  answers given and the totals (score, pass/fail) once scored.
* In an adaptive quiz the difficulty path (``metadata.difficulty_adjustments``: +1 after
  a correct answer, -1 after a wrong one) is the correctness of every answer: it is shown
  exactly to those who may see ``is_correct``.
* Parents never see device, location or integrity detail (``device_info``,
  ``location_info``, ``integrity_flags``, ``interruptions``, ``session_id``).
* Services (other Stride services with a service token) see everything except
  ``location_info`` and correct answers: they need results, not answer keys.
* Any other role is refused (:class:`UnknownViewerRole`).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from .errors import UnknownViewerRole
from .states import CLOSED_STATUSES, AttemptStatus


class ViewerRole(StrEnum):
    STUDENT = "student"
    PARENT = "parent"
    TEACHER = "teacher"
    ADMIN = "admin"
    SERVICE = "service"


ATTEMPT_FIELDS = frozenset(
    {
        "id", "student_id", "quiz_id", "course_id", "lesson_id", "status",
        "started_at", "completed_at", "time_spent", "time_limit_exceeded",
        "score", "points_earned", "points_possible", "passed", "passing_score",
        "answers", "feedback", "feedback_provided_at", "feedback_provided_by",
        "auto_feedback", "attempt_number", "is_practice", "environment",
        "device_info", "location_info", "integrity_flags", "session_id",
        "interruptions", "metadata",
    }
)  # fmt: skip
ANSWER_FIELDS = frozenset(
    {
        "question_id", "question_type", "answer", "correct_answer", "is_correct",
        "partial_credit", "points_earned", "points_possible", "pending", "time_spent",
        "attempts_before_answer", "confidence_level",
    }
)  # fmt: skip
#: Answer fields that reveal the answer key, shown to students and parents only on review.
REVIEW_ANSWER_FIELDS = frozenset(
    {"correct_answer", "is_correct", "partial_credit", "points_earned", "pending"}
)
_HIDDEN_FROM_PARENTS = frozenset(
    {"device_info", "location_info", "integrity_flags", "interruptions", "session_id"}
)
_HIDDEN_FROM_SERVICES = frozenset({"location_info"})
#: Metadata that reveals correctness, shown only with the per-question correctness.
CORRECTNESS_METADATA = frozenset({"difficulty_adjustments"})


def viewer_role(role: str) -> ViewerRole:
    """The role named ``role``, or :class:`UnknownViewerRole`."""
    try:
        return ViewerRole(role)
    except ValueError:
        raise UnknownViewerRole(f"role {role!r} may not view attempts") from None


def may_see_correct_answers(role: str, *, status: AttemptStatus, allow_review: bool) -> bool:
    """Whether ``role`` may see the correct answers of an attempt in ``status``."""
    viewer = viewer_role(role)
    if viewer in (ViewerRole.TEACHER, ViewerRole.ADMIN):
        return True
    if viewer is ViewerRole.SERVICE:
        return False
    return allow_review and status in CLOSED_STATUSES


def visible_attempt_fields(role: str) -> frozenset[str]:
    """The top-level attempt fields ``role`` may see."""
    viewer = viewer_role(role)
    if viewer is ViewerRole.PARENT:
        return ATTEMPT_FIELDS - _HIDDEN_FROM_PARENTS
    if viewer is ViewerRole.SERVICE:
        return ATTEMPT_FIELDS - _HIDDEN_FROM_SERVICES
    return ATTEMPT_FIELDS


def visible_answer_fields(
    role: str, *, status: AttemptStatus, allow_review: bool
) -> frozenset[str]:
    """The fields of each entry of ``answers`` that ``role`` may see."""
    if may_see_correct_answers(role, status=status, allow_review=allow_review):
        return ANSWER_FIELDS
    if viewer_role(role) is ViewerRole.SERVICE:
        return ANSWER_FIELDS - {"correct_answer"}
    return ANSWER_FIELDS - REVIEW_ANSWER_FIELDS


def redact_attempt(
    document: Mapping[str, object], role: str, *, status: AttemptStatus, allow_review: bool
) -> dict[str, object]:
    """A copy of an attempt document holding only what ``role`` may see.

    Unknown top-level fields are dropped too: only listed fields ever leave.
    """
    top_level = visible_attempt_fields(role)
    answer_fields = visible_answer_fields(role, status=status, allow_review=allow_review)
    redacted: dict[str, object] = {
        key: value for key, value in document.items() if key in top_level
    }
    answers = redacted.get("answers")
    if isinstance(answers, list):
        redacted["answers"] = [
            {k: v for k, v in answer.items() if k in answer_fields}
            for answer in answers
            if isinstance(answer, Mapping)
        ]
    metadata = redacted.get("metadata")
    if isinstance(metadata, Mapping) and "is_correct" not in answer_fields:
        redacted["metadata"] = {
            key: value for key, value in metadata.items() if key not in CORRECTNESS_METADATA
        }
    return redacted
