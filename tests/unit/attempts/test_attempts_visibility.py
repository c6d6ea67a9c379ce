from __future__ import annotations

import pytest

from services.attempts.domain import (
    AttemptStatus,
    UnknownViewerRole,
    may_see_correct_answers,
    redact_attempt,
    visible_answer_fields,
    visible_attempt_fields,
)
from shared.errors import http_status_of

pytestmark = pytest.mark.unit

IN_PROGRESS = AttemptStatus.IN_PROGRESS
PENDING = AttemptStatus.PENDING_GRADING
GRADED = AttemptStatus.GRADED

CORRECT_ANSWER_RULE = [
    ("student", IN_PROGRESS, True, False),
    ("student", PENDING, True, True),
    ("student", GRADED, True, True),
    ("student", GRADED, False, False),
    ("parent", IN_PROGRESS, True, False),
    ("parent", GRADED, True, True),
    ("parent", GRADED, False, False),
    ("teacher", IN_PROGRESS, False, True),
    ("teacher", GRADED, False, True),
    ("admin", IN_PROGRESS, False, True),
    ("service", GRADED, True, False),
]


@pytest.mark.parametrize(("role", "status", "allow_review", "visible"), CORRECT_ANSWER_RULE)
def test_correct_answers_follow_role_state_and_allow_review(
    role: str, status: AttemptStatus, allow_review: bool, visible: bool
) -> None:
    assert may_see_correct_answers(role, status=status, allow_review=allow_review) is visible


def test_parents_never_see_device_location_or_integrity_detail() -> None:
    hidden = {"device_info", "location_info", "integrity_flags", "interruptions", "session_id"}

    fields = visible_attempt_fields("parent")

    assert not hidden & fields
    assert {"score", "passed", "answers", "feedback", "auto_feedback"} <= fields


def test_teachers_admins_and_students_see_every_attempt_field() -> None:
    everything = visible_attempt_fields("admin")

    assert visible_attempt_fields("teacher") == everything
    assert visible_attempt_fields("student") == everything
    assert "integrity_flags" in everything


def test_services_see_results_but_not_location_or_answer_keys() -> None:
    assert "location_info" not in visible_attempt_fields("service")
    assert "integrity_flags" in visible_attempt_fields("service")
    fields = visible_answer_fields("service", status=GRADED, allow_review=True)
    assert "correct_answer" not in fields
    assert "points_earned" in fields


def test_students_see_no_per_question_correctness_without_review() -> None:
    fields = visible_answer_fields("student", status=GRADED, allow_review=False)

    assert fields == {
        "question_id",
        "question_type",
        "answer",
        "points_possible",
        "time_spent",
        "attempts_before_answer",
        "confidence_level",
    }


@pytest.mark.parametrize("role", ["guest", "", "Teacher"])
def test_unknown_roles_are_refused(role: str) -> None:
    with pytest.raises(UnknownViewerRole) as caught:
        visible_attempt_fields(role)

    assert http_status_of(caught.value) == 403


ATTEMPT = {
    "id": "ATT-1",
    "student_id": "USR-STU-1",
    "score": 75.0,
    "device_info": {"type": "tablet"},
    "location_info": {"ip_address": "hashed", "country": "FR"},
    "integrity_flags": [{"type": "tab_switch"}],
    "internal_note": "never leaves",
    "answers": [
        {
            "question_id": "q1",
            "answer": "a",
            "correct_answer": "b",
            "is_correct": False,
            "points_earned": 0,
            "points_possible": 2,
        }
    ],
}


def test_redacting_for_a_parent_before_review_keeps_scores_and_answers_only() -> None:
    redacted = redact_attempt(ATTEMPT, "parent", status=GRADED, allow_review=False)

    assert redacted == {
        "id": "ATT-1",
        "student_id": "USR-STU-1",
        "score": 75.0,
        "answers": [{"question_id": "q1", "answer": "a", "points_possible": 2}],
    }


def test_redacting_for_a_teacher_keeps_everything_listed() -> None:
    redacted = redact_attempt(ATTEMPT, "teacher", status=IN_PROGRESS, allow_review=False)

    assert redacted == {key: value for key, value in ATTEMPT.items() if key != "internal_note"}


def test_redacting_does_not_change_the_original_document() -> None:
    before = repr(ATTEMPT)

    redact_attempt(ATTEMPT, "student", status=IN_PROGRESS, allow_review=False)

    assert repr(ATTEMPT) == before


def _adaptive_attempt() -> dict[str, object]:
    return {
        "id": "AT-1",
        "answers": [{"question_id": "Q1", "answer": "a", "is_correct": True}],
        "metadata": {"difficulty_adjustments": [1, -1], "ui_version": "3"},
    }


@pytest.mark.parametrize("role", ["student", "parent"])
def test_the_difficulty_path_is_hidden_from_those_who_may_not_see_correctness(
    role: str,
) -> None:
    shown = redact_attempt(_adaptive_attempt(), role, status=IN_PROGRESS, allow_review=True)

    assert shown["metadata"] == {"ui_version": "3"}
    assert shown["answers"] == [{"question_id": "Q1", "answer": "a"}]


@pytest.mark.parametrize(
    ("role", "status"), [("student", GRADED), ("teacher", IN_PROGRESS), ("service", IN_PROGRESS)]
)
def test_the_difficulty_path_is_shown_with_the_correctness(
    role: str, status: AttemptStatus
) -> None:
    shown = redact_attempt(_adaptive_attempt(), role, status=status, allow_review=True)

    assert shown["metadata"] == {"difficulty_adjustments": [1, -1], "ui_version": "3"}
