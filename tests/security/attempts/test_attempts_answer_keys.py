"""Answer keys never leak: per role, before and after submission, with and without review;
parents never see device, location or integrity detail."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.attempts.attempts_api_support import (
    QUIZ,
    Caller,
    answer,
    publish,
    question,
    quiz_definition,
    start,
)

pytestmark = pytest.mark.security

KEY_FIELDS = {"correct_answer", "is_correct", "partial_credit", "points_earned", "pending"}
PRIVATE_FIELDS = {"device_info", "location_info", "integrity_flags", "interruptions", "session_id"}


def every_type() -> dict[str, Any]:
    kinds = ["multiple_choice", "multiple_response", "true_false", "numeric", "short_text",
             "matching", "ordering", "essay"]  # fmt: skip
    return quiz_definition(*[question(kind, f"q-{kind}") for kind in kinds])


def taken(teacher: Caller, student: Caller, *, submit: bool, **settings: Any) -> str:
    publish(teacher, body={**every_type(), **settings})
    attempt = start(student, device_info={"type": "mobile"}, session_id="SES-1")
    answer(student, attempt["id"], "q-multiple_choice", "b")
    assert (
        student.post(
            f"/attempts/{attempt['id']}/integrity-flags",
            json={"type": "tab_switch", "timestamp": "2026-11-25T10:00:00Z"},
        )
    ).status_code == 200
    if submit:
        assert (student.post(f"/attempts/{attempt['id']}/submission")).status_code == 200
    return str(attempt["id"])


def answer_fields(document: dict[str, Any]) -> set[str]:
    return {key for entry in document["answers"] for key in entry}


def test_students_read_quizzes_without_any_answer_key(app, teacher, student):
    publish(teacher, body=every_type())
    body = student.get(f"/quizzes/{QUIZ}").json
    assert "definition" not in body
    text = json.dumps(body)
    for secret in ("answer_key", "Equivalent fractions", "Paris", "tolerance"):
        assert secret not in text
    ordering = next(q for q in body["questions"] if q["type"] == "ordering")
    assert [o["id"] for o in ordering["options"]] != ["1/8", "1/4", "1/2", "1"]
    matching = next(q for q in body["questions"] if q["type"] == "matching")
    assert matching["left_items"] == ["1/2", "1/4"]


def test_the_course_teacher_reads_the_full_definition(app, teacher):
    publish(teacher, body=every_type())
    body = teacher.get(f"/quizzes/{QUIZ}").json
    assert body["definition"]["questions"][0]["answer_key"] == "a"


def test_an_open_attempt_hides_the_keys_from_its_student(app, teacher, student):
    attempt_id = taken(teacher, student, submit=False)
    document = student.get(f"/attempts/{attempt_id}").json
    assert answer_fields(document).isdisjoint(KEY_FIELDS)
    shown = student.get(f"/attempts/{attempt_id}/questions").json
    assert "answer_key" not in json.dumps(shown)


def test_without_review_students_and_parents_never_get_keys(app, teacher, student, parent):
    attempt_id = taken(teacher, student, submit=True, allow_review=False)
    for who in (student, parent):
        document = who.get(f"/attempts/{attempt_id}").json
        assert answer_fields(document).isdisjoint(KEY_FIELDS)
        assert document["score"] == 0.0  # totals are always shown once scored
        assert "Paris" not in json.dumps(document)


def test_with_review_students_see_the_keys_after_submitting(app, teacher, student):
    attempt_id = taken(teacher, student, submit=True, allow_review=True)
    document = student.get(f"/attempts/{attempt_id}").json
    entry = next(e for e in document["answers"] if e["question_id"] == "q-multiple_choice")
    assert (entry["correct_answer"], entry["is_correct"]) == ("a", False)


def test_teachers_see_keys_and_integrity_in_every_state(app, teacher, student):
    attempt_id = taken(teacher, student, submit=False)
    document = teacher.get(f"/attempts/{attempt_id}").json
    assert answer_fields(document) >= KEY_FIELDS
    assert document["integrity_flags"][0]["type"] == "tab_switch"
    assert document["device_info"] == {"type": "mobile"}


def test_parents_see_scores_and_feedback_never_device_location_or_integrity(
    app, teacher, student, parent
):
    attempt_id = taken(teacher, student, submit=True)
    assert (
        teacher.post(f"/attempts/{attempt_id}/feedback", json={"feedback": "Review fractions."})
    ).status_code == 200
    document = parent.get(f"/attempts/{attempt_id}").json
    assert PRIVATE_FIELDS.isdisjoint(document)
    assert document["feedback"] == "Review fractions."
    assert "score" in document and "auto_feedback" in document
    listed = parent.get("/attempts").json["items"][0]
    assert PRIVATE_FIELDS.isdisjoint(listed)


def test_services_get_results_but_no_keys_or_location(app, teacher, student, caller):
    attempt_id = taken(teacher, student, submit=True)
    document = caller("service", "svc-analytics").get(f"/attempts/{attempt_id}").json
    assert "location_info" not in document
    assert "correct_answer" not in answer_fields(document)
    assert "is_correct" in answer_fields(document)


@pytest.mark.parametrize("practice", [False, True], ids=["graded", "practice"])
def test_an_adaptive_attempt_reveals_no_correctness_before_submission(
    app, teacher, student, parent, practice
):
    """The difficulty path of an adaptive quiz is each answer's correctness: hidden from
    the student and their parents until review, like the answer keys."""
    questions = [question("true_false", f"d{level}", difficulty=level) for level in (1, 2, 3, 4, 5)]
    publish(
        teacher,
        body=quiz_definition(*questions, adaptive=True, allow_review=False, allow_practice=True),
    )
    attempt = start(student, is_practice=practice)
    path = f"/attempts/{attempt['id']}"
    for question_id, value in (("d3", True), ("d4", False)):
        assert answer(student, attempt["id"], question_id, value).status_code == 200
        for who in (student, parent):
            document = who.get(path).json
            assert "difficulty_adjustments" not in document["metadata"]
            shown = who.get(f"{path}/questions").json["questions"]
            assert all("difficulty" not in entry for entry in shown)
        quiz = student.get(f"/quizzes/{QUIZ}").json
        assert all("difficulty" not in entry for entry in quiz["questions"])
    assert teacher.get(path).json["metadata"]["difficulty_adjustments"] == [1, -1]
    student.post(f"{path}/submission")
    assert "difficulty_adjustments" not in student.get(path).json["metadata"]  # no review
