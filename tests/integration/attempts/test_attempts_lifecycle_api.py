"""The attempt lifecycle through the API, on SQLite and PostgreSQL: starting, answering,
submitting, expiry, integrity flags, teacher grading, and the events each step emits."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from tests.integration.attempts.attempts_api_support import (
    COURSE,
    QUIZ,
    STUDENT,
    answer,
    count_rows,
    move_start_back,
    outbox_events,
    publish,
    question,
    quiz_definition,
    start,
)

pytestmark = pytest.mark.integration

RESULT_PAYLOAD_FIELDS = {
    "attempt_id", "quiz_id", "lesson_id", "attempt_number", "is_practice", "started_at",
    "completed_at", "time_spent", "score", "points_earned", "points_possible", "passed",
    "passing_score", "pending_grading", "graded_at",
}  # fmt: skip


def test_a_student_takes_a_quiz_and_the_submission_event_carries_the_documented_payload(
    app, teacher, student
):
    publish(teacher)
    attempt = start(student, device_info={"type": "desktop"}, environment="home")
    assert (attempt["status"], attempt["attempt_number"], attempt["is_practice"]) == (
        "in_progress",
        1,
        False,
    )
    assert answer(student, attempt["id"], "q1", "a", time_spent=30).status_code == 200
    assert answer(student, attempt["id"], "q2", False, confidence_level=4).status_code == 200

    body = student.post(f"/attempts/{attempt['id']}/submission").json

    assert (body["status"], body["score"], body["passed"]) == ("graded", 33.33, False)
    assert (body["points_earned"], body["points_possible"], body["passing_score"]) == (2, 6, 60)
    assert body["auto_feedback"].startswith("**Score: 33.33%**")
    started, submitted = outbox_events(app)
    assert started["type"] == "attempts.attempt.started"
    assert submitted["type"] == "attempts.attempt.submitted"
    for event in (started, submitted):
        assert (event["subject"], event["course_id"], event["producer"]) == (
            STUDENT,
            COURSE,
            "attempts",
        )
    payload = submitted["payload"]
    assert set(payload) == RESULT_PAYLOAD_FIELDS
    assert payload["attempt_id"] == attempt["id"] and payload["quiz_id"] == QUIZ
    assert (payload["lesson_id"], payload["attempt_number"], payload["is_practice"]) == (
        "LSN-7",
        1,
        False,
    )
    assert (payload["score"], payload["passed"], payload["pending_grading"]) == (
        33.33,
        False,
        False,
    )
    assert (payload["points_earned"], payload["points_possible"]) == (2, 6)
    assert payload["completed_at"].endswith("Z") and payload["graded_at"].endswith("Z")
    assert isinstance(payload["time_spent"], float)


def test_answers_record_time_changes_and_confidence(app, teacher, student):
    publish(teacher)
    attempt = start(student)
    answer(student, attempt["id"], "q1", "b", time_spent=10, confidence_level=2)
    answer(student, attempt["id"], "q1", "b", time_spent=5)
    saved = answer(student, attempt["id"], "q1", "a", time_spent=5, confidence_level=5).json
    assert (saved["attempts_before_answer"], saved["confidence_level"]) == (1, 5)
    assert 0 <= saved["time_spent"] <= 20
    assert count_rows(app, "attempt_answers") == 1
    [entry] = student.get(f"/attempts/{attempt['id']}").json["answers"]
    assert (entry["question_id"], entry["answer"], entry["attempts_before_answer"]) == (
        "q1",
        "a",
        1,
    )


def test_submitting_twice_returns_the_same_result_and_emits_once(app, teacher, student):
    publish(teacher)
    attempt = start(student)
    answer(student, attempt["id"], "q1", "a")
    first = student.post(f"/attempts/{attempt['id']}/submission")
    second = student.post(f"/attempts/{attempt['id']}/submission")
    assert first.status_code == second.status_code == 200
    assert first.json == second.json
    assert len(outbox_events(app, "attempts.attempt.submitted")) == 1


def test_answering_after_submission_is_a_conflict_and_changes_nothing(app, teacher, student):
    publish(teacher)
    attempt = start(student)
    answer(student, attempt["id"], "q1", "b")
    assert (student.post(f"/attempts/{attempt['id']}/submission")).status_code == 200
    response = answer(student, attempt["id"], "q1", "a")
    assert response.status_code == 409
    assert response.content_type == "application/problem+json"
    assert "already submitted" in response.json["detail"]
    [entry, *_] = student.get(f"/attempts/{attempt['id']}").json["answers"]
    assert entry["answer"] == "b"


def test_attempts_allowed_limits_graded_attempts_but_not_practice(app, teacher, student):
    publish(teacher, attempts_allowed=1, allow_practice=True)
    first = start(student)
    assert student.post(f"/quizzes/{QUIZ}/attempts", json={}).status_code == 409  # still open
    assert (student.post(f"/attempts/{first['id']}/submission")).status_code == 200
    refused = student.post(f"/quizzes/{QUIZ}/attempts", json={})
    assert refused.status_code == 409 and "graded attempt" in refused.json["detail"]
    practice = start(student, is_practice=True)
    assert (practice["attempt_number"], practice["is_practice"]) == (1, True)


def test_numbers_count_up_per_kind(app, teacher, student):
    publish(teacher, allow_practice=True)
    numbers = []
    for is_practice in (False, True, False):
        attempt = start(student, is_practice=is_practice)
        numbers.append((attempt["is_practice"], attempt["attempt_number"]))
        assert (student.post(f"/attempts/{attempt['id']}/submission")).status_code == 200
    assert numbers == [(False, 1), (True, 1), (False, 2)]


def test_start_records_device_environment_session_and_a_hashed_ip(app, teacher, student, settings):
    publish(teacher)
    attempt = start(
        student,
        environment="classroom",
        session_id="SES-42",
        device_info={"type": "tablet", "browser": "Safari 17", "os": "iPadOS"},
        location_info={"country": "GB", "region": "London", "timezone": "Europe/London"},
    )
    expected = hmac.new(settings.ip_hash_key.encode(), b"127.0.0.1", hashlib.sha256).hexdigest()
    assert attempt["location_info"] == {
        "country": "GB",
        "region": "London",
        "timezone": "Europe/London",
        "ip_address": expected,
    }
    assert (attempt["environment"], attempt["session_id"]) == ("classroom", "SES-42")
    assert attempt["device_info"]["browser"] == "Safari 17"


def test_the_client_address_comes_from_the_proxy_header_and_is_never_stored(
    app, teacher, student, settings
):
    publish(teacher)
    response = student.client.post(
        f"/quizzes/{QUIZ}/attempts",
        json={},
        headers={**student.headers, "X-Forwarded-For": "203.0.113.77"},
    )
    digest = hmac.new(settings.ip_hash_key.encode(), b"203.0.113.77", hashlib.sha256).hexdigest()
    assert response.json["location_info"]["ip_address"] == digest
    database = app.extensions["stride"].database
    with database.engine.connect() as connection:
        import sqlalchemy as sa

        stored = connection.execute(sa.text("SELECT location_info FROM attempts")).scalar_one()
    assert "203.0.113.77" not in str(stored)


def test_an_expired_attempt_is_closed_when_touched(app, teacher, student):
    publish(teacher, time_limit_minutes=5)
    attempt = start(student)
    answer(student, attempt["id"], "q1", "a")
    move_start_back(app, attempt["id"], 10)
    response = answer(student, attempt["id"], "q2", True)
    assert response.status_code == 409
    closed = student.get(f"/attempts/{attempt['id']}").json
    assert (closed["status"], closed["time_limit_exceeded"], closed["score"]) == (
        "graded",
        True,
        33.33,
    )
    assert closed["time_spent"] == 5
    [event] = outbox_events(app, "attempts.attempt.submitted")
    assert event["payload"]["attempt_id"] == attempt["id"]


def test_the_sweep_closes_expired_attempts_for_a_service(app, teacher, student, caller):
    publish(teacher, time_limit_minutes=5)
    expired, fresh = start(student), None
    move_start_back(app, expired["id"], 10)
    publish(teacher, quiz_id="QZ-OTHER", time_limit_minutes=5)
    fresh = start(student, quiz_id="QZ-OTHER")
    response = caller("service", "svc-scheduler").post("/attempts/sweep")
    assert response.status_code == 200
    assert response.json == {"closed": 1, "attempt_ids": [expired["id"]]}
    assert student.get(f"/attempts/{fresh['id']}").json["status"] == "in_progress"
    assert caller("service", "svc-scheduler").post("/attempts/sweep").json["closed"] == 0


def test_a_new_attempt_closes_the_expired_open_one_first(app, teacher, student):
    publish(teacher, time_limit_minutes=5)
    old = start(student)
    move_start_back(app, old["id"], 10)
    new = start(student)
    assert new["attempt_number"] == 2
    assert student.get(f"/attempts/{old['id']}").json["time_limit_exceeded"] is True


def test_integrity_flags_fold_repeats_and_count_interruptions(app, teacher, student):
    publish(teacher)
    attempt = start(student)
    path = f"/attempts/{attempt['id']}/integrity-flags"
    for moment in ("10:00:00.000", "10:00:00.500", "10:00:05.000"):
        flag = {"type": "tab_switch", "timestamp": f"2026-11-25T{moment}Z", "details": "left"}
        assert student.post(path, json=flag).status_code == 200
    body = student.post(path, json={"type": "copy_paste", "timestamp": "2026-11-25T10:00:06Z"}).json
    assert [flag["type"] for flag in body["integrity_flags"]] == [
        "tab_switch",
        "tab_switch",
        "copy_paste",
    ]
    assert body["interruptions"] == 2
    events = outbox_events(app, "attempts.attempt.flagged")
    assert len(events) == 3
    assert events[-1]["payload"]["flag_counts"] == {"tab_switch": 2, "copy_paste": 1}
    assert "details" not in events[-1]["payload"]


def test_essays_wait_for_the_teacher_who_grades_and_gives_feedback(app, teacher, student):
    publish(
        teacher,
        body=quiz_definition(question("multiple_choice", "q1"), question("essay", "q2", points=8)),
    )
    attempt = start(student)
    answer(student, attempt["id"], "q1", "a")
    answer(student, attempt["id"], "q2", "Because 2/4 simplifies to 1/2.")
    submitted = student.post(f"/attempts/{attempt['id']}/submission").json
    assert (submitted["status"], submitted["passed"]) == ("pending_grading", None)
    [event] = outbox_events(app, "attempts.attempt.submitted")
    assert (event["payload"]["score"], event["payload"]["pending_grading"]) == (None, True)

    response = teacher.post(
        f"/attempts/{attempt['id']}/feedback",
        json={"feedback": "Good **reasoning**.", "points": {"q2": 6}},
    )

    assert response.status_code == 200, response.json
    graded = response.json
    assert (graded["status"], graded["score"], graded["passed"]) == ("graded", 80.0, True)
    assert (graded["feedback"], graded["feedback_provided_by"]) == (
        "Good **reasoning**.",
        "USR-TEA-1",
    )
    assert graded["feedback_provided_at"] is not None
    [graded_event] = outbox_events(app, "attempts.attempt.graded")
    payload = graded_event["payload"]
    assert set(payload) == RESULT_PAYLOAD_FIELDS
    assert (payload["score"], payload["passed"], payload["pending_grading"]) == (80.0, True, False)
    assert payload["graded_at"] is not None


def test_feedback_on_an_open_attempt_is_a_conflict(app, teacher, student):
    publish(teacher)
    attempt = start(student)
    response = teacher.post(f"/attempts/{attempt['id']}/feedback", json={"feedback": "Hi"})
    assert response.status_code == 409
    assert outbox_events(app, "attempts.attempt.graded") == []


def test_teacher_points_out_of_range_are_refused_naming_the_question(app, teacher, student):
    publish(teacher)
    attempt = start(student)
    assert (student.post(f"/attempts/{attempt['id']}/submission")).status_code == 200
    response = teacher.post(f"/attempts/{attempt['id']}/feedback", json={"points": {"q1": 5}})
    assert response.status_code == 422
    assert "overrides.q1" in response.json["errors"]
    assert teacher.get(f"/attempts/{attempt['id']}").json["feedback_provided_by"] is None


def test_an_attempt_is_scored_against_the_version_it_started_on(app, teacher, student):
    publish(teacher)
    attempt = start(student)
    changed = quiz_definition(question("multiple_choice", "q1", answer_key="b"))
    assert publish(teacher, body=changed)["version"] == 2
    answer(student, attempt["id"], "q1", "a")
    body = student.post(f"/attempts/{attempt['id']}/submission").json
    assert (body["quiz_version"], body["points_earned"], body["points_possible"]) == (1, 2, 6)


def test_randomized_attempts_record_a_seeded_question_order(app, teacher, student):
    questions = [question("true_false", f"q{n}") for n in range(1, 9)]
    publish(teacher, body=quiz_definition(*questions, randomize_questions=True))
    attempt = start(student)
    metadata = attempt["metadata"]
    assert metadata["randomized"] is True and metadata["adaptive"] is False
    assert sorted(metadata["question_order"]) == sorted(f"q{n}" for n in range(1, 9))
    shown = student.get(f"/attempts/{attempt['id']}/questions").json["questions"]
    assert [q["question_id"] for q in shown] == metadata["question_order"]


def test_adaptive_attempts_present_questions_by_difficulty_as_answers_come(app, teacher, student):
    questions = [question("true_false", f"d{level}", difficulty=level) for level in (1, 2, 3, 4, 5)]
    publish(teacher, body=quiz_definition(*questions, adaptive=True))
    attempt = start(student)
    assert attempt["metadata"]["question_order"] == ["d3"]
    saved = answer(student, attempt["id"], "d3", True).json
    assert saved["question_order"] == ["d3", "d4"]
    answer(student, attempt["id"], "d4", False)
    unpresented = answer(student, attempt["id"], "d1", True)
    assert unpresented.status_code == 409
    metadata = teacher.get(f"/attempts/{attempt['id']}").json["metadata"]
    assert metadata["adaptive"] is True
    assert metadata["difficulty_adjustments"] == [1, -1]
    assert metadata["question_order"] == ["d3", "d4", "d2"]


def test_item_analysis_reports_facility_and_discrimination(app, teacher, caller):
    publish(teacher)
    for index in range(8):
        taker = caller("student", f"USR-STU-{index}")
        attempt = start(taker)
        answer(taker, attempt["id"], "q1", "a")
        answer(taker, attempt["id"], "q2", index % 2 == 0)
        answer(taker, attempt["id"], "q3", 3.14 if index < 4 else 1)
        assert (taker.post(f"/attempts/{attempt['id']}/submission")).status_code == 200
    response = teacher.get(f"/quizzes/{QUIZ}/item-analysis")
    assert response.status_code == 200
    body = response.json
    assert (body["attempts_counted"], body["version"]) == (8, 1)
    items = {item["question_id"]: item for item in body["items"]}
    assert (items["q1"]["facility"], items["q1"]["discrimination"]) == (1.0, 0.0)
    assert items["q2"]["facility"] == 0.5
    assert items["q3"]["facility"] == 0.5 and items["q3"]["discrimination"] == 1.0


def test_attempts_list_is_cursor_paginated_and_filtered(app, teacher, student, caller):
    publish(teacher, allow_practice=True)
    publish(teacher, quiz_id="QZ-2")
    ids = []
    for _ in range(3):
        attempt = start(student, is_practice=True)
        ids.append(attempt["id"])
        assert (student.post(f"/attempts/{attempt['id']}/submission")).status_code == 200
    start(student, quiz_id="QZ-2")
    start(caller("student", "USR-STU-9"))
    first = teacher.get(f"/attempts?student_id={STUDENT}&quiz_id={QUIZ}&limit=2").json
    second = teacher.get(
        f"/attempts?student_id={STUDENT}&quiz_id={QUIZ}&limit=2&cursor={first['next_cursor']}"
    ).json
    assert [a["id"] for a in first["items"] + second["items"]] == ids
    assert second["next_cursor"] is None
    own = student.get("/attempts").json["items"]
    assert {a["student_id"] for a in own} == {STUDENT} and len(own) == 4


def test_close_expired_attempts_closes_only_what_is_past_its_deadline(app, teacher, student):
    from datetime import timedelta

    from services.attempts.usecases import close_expired_attempts
    from shared.time import utcnow

    publish(teacher, time_limit_minutes=5)
    publish(teacher, quiz_id="QZ-UNTIMED")
    timed, untimed = start(student), start(student, quiz_id="QZ-UNTIMED")
    database = app.extensions["stride"].database
    with database.unit_of_work() as session:
        assert close_expired_attempts(session, utcnow() + timedelta(minutes=5)) == []
        closed = close_expired_attempts(session, utcnow() + timedelta(minutes=6))
        assert [attempt.id for attempt in closed] == [timed["id"]]
        session.commit()
    assert student.get(f"/attempts/{untimed['id']}").json["status"] == "in_progress"
    [event] = outbox_events(app, "attempts.attempt.submitted")
    assert event["correlation_id"] is None and event["payload"]["attempt_id"] == timed["id"]


def test_publishing_the_same_definition_again_keeps_the_version(app, teacher):
    first = publish(teacher)
    again = publish(teacher)
    assert first["version"] == again["version"] == 1
    assert publish(teacher, passing_score=70)["version"] == 2
    assert teacher.get(f"/quizzes/{QUIZ}?version=1").json["definition"]["passing_score"] == 60
    assert teacher.get(f"/quizzes/{QUIZ}?version=3").status_code == 404
