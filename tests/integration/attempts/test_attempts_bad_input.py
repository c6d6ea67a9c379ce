"""Bad input is refused with a 4xx naming the field, and nothing of it is written."""

from __future__ import annotations

import pytest

from tests.integration.attempts.attempts_api_support import (
    QUIZ,
    answer,
    count_rows,
    outbox_events,
    publish,
    question,
    quiz_definition,
    start,
)

pytestmark = pytest.mark.integration


def assert_refused(response, status: int, field: str) -> None:
    assert response.status_code == status, response.json
    assert response.content_type == "application/problem+json"
    assert field in response.json["errors"], response.json


def test_an_invalid_quiz_is_refused_with_every_path_and_nothing_is_stored(app, teacher):
    body = quiz_definition(
        question("multiple_choice", "q1", answer_key="z"),
        question("numeric", "q2", answer_key="pi"),
    )
    response = teacher.put(f"/quizzes/{QUIZ}", json=body)
    assert_refused(response, 422, "questions[0].answer_key")
    assert "questions[1].answer_key" in response.json["errors"]
    assert count_rows(app, "quizzes") == count_rows(app, "quiz_versions") == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"passing_score": "most"}, "passing_score"),
        ({"passing_score": 120}, "passing_score"),
        ({"attempts_allowed": 0}, "attempts_allowed"),
        ({"shuffle": True}, "shuffle"),
        ({"questions": []}, "questions"),
        ({"quiz_id": "QZ-ELSEWHERE"}, "quiz_id"),
    ],
)
def test_quiz_fields_of_the_wrong_type_or_range_are_named(app, teacher, change, field):
    response = teacher.put(f"/quizzes/{QUIZ}", json={**quiz_definition(), **change})
    assert_refused(response, 422, field)
    assert count_rows(app, "quizzes") == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"environment": "moon"}, "environment"),
        ({"is_practice": "sometimes"}, "is_practice"),
        ({"device_info": {"type": "toaster"}}, "device_info"),
        ({"location_info": {"ip_address": "10.0.0.1"}}, "location_info"),
        ({"location_info": {"country": "England"}}, "location_info"),
        ({"is_practice": True}, "is_practice"),
    ],
)
def test_bad_starts_are_refused_and_start_nothing(app, teacher, student, body, field):
    publish(teacher)
    response = student.post(f"/quizzes/{QUIZ}/attempts", json=body)
    assert_refused(response, 422, field)
    assert count_rows(app, "attempts") == 0
    assert outbox_events(app, "attempts.attempt.started") == []


@pytest.mark.parametrize(
    ("value", "extra", "field"),
    [
        ("z", {}, "answer"),
        (["a"], {}, "answer"),
        (None, {}, "answer"),
        ("a", {"confidence_level": 7}, "confidence_level"),
        ("a", {"confidence_level": "high"}, "confidence_level"),
        ("a", {"time_spent": -1}, "time_spent"),
        ("a", {"seconds": 3}, "seconds"),
    ],
)
def test_bad_answers_are_refused_and_save_nothing(app, teacher, student, value, extra, field):
    publish(teacher)
    attempt = start(student)
    response = answer(student, attempt["id"], "q1", value, **extra)
    assert_refused(response, 422, field)
    assert count_rows(app, "attempt_answers") == 0


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"answer": "a", "seconds": 3, "x": 1},
         {"seconds": ["Unknown field."], "x": ["Unknown field."]}),
        ({"answer": "a", "time_spent": True}, {"time_spent": ["Not a valid number."]}),
        ({"answer": "a", "confidence_level": 3.0}, {"confidence_level": ["Not a valid integer."]}),
        ({"answer": "a", "confidence_level": True}, {"confidence_level": ["Not a valid integer."]}),
        ({"answer": "a", "time_spent": None}, {"time_spent": ["Field may not be null."]}),
        ({"answer": "a", "time_spent": "NaN"},
         {"time_spent": ["Special numeric values (nan or infinity) are not permitted."]}),
        ({"time_spent": 5}, {"answer": ["Missing data for required field."]}),
        (["a"], {"_schema": ["Invalid input type."]}),
    ],
)  # fmt: skip
def test_bad_answer_bodies_are_refused_naming_every_field(app, teacher, student, body, errors):
    publish(teacher)
    attempt = start(student)
    response = student.put(f"/attempts/{attempt['id']}/answers/q1", json=body)
    assert response.status_code == 422, response.json
    assert response.content_type == "application/problem+json"
    assert response.json["type"].endswith("/validation_error")
    assert response.json["errors"] == errors
    assert count_rows(app, "attempt_answers") == 0


@pytest.mark.parametrize(
    ("data", "content_type", "status", "errors"),
    [
        (b'{"answer": ', "application/json", 400, {"json": ["Invalid JSON body."]}),
        (b"\xef\xbb\xbf{}", "application/json", 400, {"json": ["Invalid JSON body."]}),
        (b'{"answer": "a", "time_spent": NaN}', "application/json", 422,
         {"time_spent": ["Special numeric values (nan or infinity) are not permitted."]}),
        (b"", "application/json", 422, {"answer": ["Missing data for required field."]}),
        (b'{"answer": "a"}', "text/plain", 422, {"answer": ["Missing data for required field."]}),
    ],
)  # fmt: skip
def test_answer_texts_that_are_no_json_object_are_refused(
    app, teacher, student, data, content_type, status, errors
):
    publish(teacher)
    attempt = start(student)
    response = student.put(
        f"/attempts/{attempt['id']}/answers/q1", data=data, content_type=content_type
    )
    assert response.status_code == status, response.json
    assert response.json["errors"] == errors
    assert count_rows(app, "attempt_answers") == 0


def test_an_answer_to_a_question_the_quiz_lacks_is_404(app, teacher, student):
    publish(teacher)
    attempt = start(student)
    assert answer(student, attempt["id"], "q99", "a").status_code == 404
    assert count_rows(app, "attempt_answers") == 0


@pytest.mark.parametrize(
    ("flag", "field"),
    [
        ({"type": "sneezing", "timestamp": "2026-11-25T10:00:00Z"}, "type"),
        ({"type": "tab_switch", "timestamp": "2026-11-25T10:00:00"}, "timestamp"),
        ({"type": "tab_switch"}, "timestamp"),
        ({"type": "other", "timestamp": "2026-11-25T10:00:00Z", "details": "x" * 1001}, "details"),
    ],
)
def test_bad_integrity_flags_are_refused(app, teacher, student, flag, field):
    publish(teacher)
    attempt = start(student)
    response = student.post(f"/attempts/{attempt['id']}/integrity-flags", json=flag)
    assert_refused(response, 422, field)
    assert outbox_events(app, "attempts.attempt.flagged") == []


def test_feedback_needs_feedback_or_points(app, teacher, student):
    publish(teacher)
    attempt = start(student)
    assert (student.post(f"/attempts/{attempt['id']}/submission")).status_code == 200
    response = teacher.post(f"/attempts/{attempt['id']}/feedback", json={})
    assert_refused(response, 422, "feedback")
    unknown = teacher.post(f"/attempts/{attempt['id']}/feedback", json={"points": {"q9": 1}})
    assert_refused(unknown, 422, "overrides.q9")
    assert outbox_events(app, "attempts.attempt.graded") == []


def test_an_oversized_body_is_refused_before_anything_is_written(app, teacher, student):
    publish(teacher)
    attempt = start(student)
    huge = {"answer": "a", "padding": "x" * (2 * 1024 * 1024)}
    response = student.put(f"/attempts/{attempt['id']}/answers/q1", json=huge)
    assert response.status_code == 413
    assert count_rows(app, "attempt_answers") == 0


def test_a_forged_cursor_is_refused_naming_it(app, student):
    assert_refused(student.get("/attempts?cursor=not-a-cursor"), 422, "cursor")
