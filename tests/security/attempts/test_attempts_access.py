"""Who may do what to quizzes and attempts: every refusal, and the audit of each access."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shared.http import NOT_FOUND_DETAIL
from tests.integration.attempts.attempts_api_support import (
    COURSE,
    OTHER_COURSE,
    QUIZ,
    STUDENT,
    Caller,
    answer,
    audit_rows,
    count_rows,
    outbox_events,
    publish,
    quiz_definition,
    start,
)

pytestmark = pytest.mark.security

FLAG = {"type": "tab_switch", "timestamp": "2026-11-25T10:00:00Z"}


@pytest.fixture
def attempt(teacher: Caller, student: Caller) -> dict[str, Any]:
    publish(teacher)
    return start(student)


def others(caller: Callable[..., Caller]) -> dict[str, Caller]:
    return {
        "another student": caller("student", "USR-STU-2"),
        "parent of another child": caller("parent", "USR-PAR-2", students=["USR-STU-2"]),
        "teacher of another course": caller("teacher", "USR-TEA-2", courses=[OTHER_COURSE]),
    }


def take_actions(attempt_id: str) -> dict[str, Callable[[Caller], Any]]:
    return {
        "answer": lambda who: answer(who, attempt_id, "q1", "a"),
        "flag": lambda who: who.post(f"/attempts/{attempt_id}/integrity-flags", json=FLAG),
        "submit": lambda who: who.post(f"/attempts/{attempt_id}/submission"),
    }


def test_callers_who_may_not_see_an_attempt_get_404_for_everything(app, attempt, caller):
    actions = {
        **take_actions(attempt["id"]),
        "read": lambda who: who.get(f"/attempts/{attempt['id']}"),
        "questions": lambda who: who.get(f"/attempts/{attempt['id']}/questions"),
        "feedback": lambda who: who.post(
            f"/attempts/{attempt['id']}/feedback", json={"feedback": "x"}
        ),
    }
    for name, who in others(caller).items():
        for action, call in actions.items():
            response = call(who)
            assert response.status_code == 404, (name, action, response.json)
            assert response.json["detail"] == NOT_FOUND_DETAIL
    assert count_rows(app, "attempt_answers") == 0
    assert outbox_events(app, "attempts.attempt.submitted") == []


def test_only_the_student_takes_their_attempt(app, attempt, parent, teacher, admin, caller):
    service = caller("service", "svc-lms")
    for who in (parent, teacher, admin, service):
        for action, call in take_actions(attempt["id"]).items():
            response = call(who)
            assert response.status_code == 403, (who.headers, action)
    assert count_rows(app, "attempt_answers") == 0
    denied = [row for row in audit_rows(app) if row.outcome == "denied"]
    assert len(denied) == 12
    assert {row.student_id for row in denied} == {STUDENT}


def test_only_students_start_attempts(app, teacher, parent, admin, caller):
    publish(teacher)
    for who in (teacher, parent, admin, caller("service", "svc-lms")):
        assert who.post(f"/quizzes/{QUIZ}/attempts", json={}).status_code == 403
    assert count_rows(app, "attempts") == 0


def test_starting_an_unknown_quiz_is_404_and_audited(app, student):
    response = student.post("/quizzes/QZ-NOPE/attempts", json={})
    assert response.status_code == 404
    [row] = audit_rows(app)
    assert (row.outcome, row.resource) == ("not_found", "quiz/QZ-NOPE")


def test_students_and_parents_never_grade(app, attempt, student, parent):
    assert (student.post(f"/attempts/{attempt['id']}/submission")).status_code == 200
    for who in (student, parent):
        response = who.post(f"/attempts/{attempt['id']}/feedback", json={"points": {"q1": 2}})
        assert response.status_code == 403
    assert outbox_events(app, "attempts.attempt.graded") == []


def test_quizzes_are_published_by_their_course_teachers_and_admins(app, caller, admin):
    body = quiz_definition()
    refused = [
        caller("student", STUDENT),
        caller("parent", "USR-PAR-1", students=[STUDENT]),
        caller("teacher", "USR-TEA-2", courses=[OTHER_COURSE]),
        caller("service", "svc-lms"),
    ]
    for who in refused:
        assert who.put(f"/quizzes/{QUIZ}", json=body).status_code == 403
    assert count_rows(app, "quizzes") == 0
    assert admin.put(f"/quizzes/{QUIZ}", json=body).status_code == 200


def test_a_teacher_cannot_take_over_another_course_quiz(app, teacher, caller):
    publish(teacher)
    other = caller("teacher", "USR-TEA-2", courses=[OTHER_COURSE])
    moved = quiz_definition(course_id=OTHER_COURSE)
    assert other.put(f"/quizzes/{QUIZ}", json=moved).status_code == 409  # the id is taken
    assert other.put(f"/quizzes/{QUIZ}", json=quiz_definition()).status_code == 403
    both = caller("teacher", "USR-TEA-3", courses=[COURSE, OTHER_COURSE])
    assert both.put(f"/quizzes/{QUIZ}", json=moved).status_code == 409
    assert teacher.get(f"/quizzes/{QUIZ}").json["version"] == 1


def test_item_analysis_is_for_the_course_teachers(app, attempt, student, parent, caller):
    for who in (student, parent, caller("teacher", "USR-TEA-2", courses=[OTHER_COURSE])):
        assert who.get(f"/quizzes/{QUIZ}/item-analysis").status_code == 403


def test_the_sweep_is_for_services_and_admins(app, student, teacher, parent, admin):
    for who in (student, teacher, parent):
        assert who.post("/attempts/sweep").status_code == 403
    assert admin.post("/attempts/sweep").status_code == 200


def test_lists_hold_only_what_the_caller_may_see(app, teacher, admin, caller):
    publish(teacher)
    publish(admin, quiz_id="QZ-BIO", course_id=OTHER_COURSE)
    start(caller("student", STUDENT))
    start(caller("student", "USR-STU-2"))
    start(caller("student", "USR-STU-3"), quiz_id="QZ-BIO")
    parent = caller("parent", "USR-PAR-1", students=[STUDENT])
    assert {a["student_id"] for a in parent.get("/attempts").json["items"]} == {STUDENT}
    assert parent.get("/attempts?student_id=USR-STU-2").json["items"] == []
    assert {a["course_id"] for a in teacher.get("/attempts").json["items"]} == {COURSE}
    bio = caller("teacher", "USR-TEA-9", courses=[OTHER_COURSE])
    assert [a["student_id"] for a in bio.get("/attempts").json["items"]] == ["USR-STU-3"]


def test_every_read_of_an_attempt_is_audited(app, attempt, student, parent, teacher):
    for who in (student, parent, teacher):
        assert who.get(f"/attempts/{attempt['id']}").status_code == 200
    reads = [row for row in audit_rows(app) if row.action == "read"]
    assert [(row.role, row.student_id, row.outcome, row.status_code) for row in reads] == [
        ("student", STUDENT, "allowed", 200),
        ("parent", STUDENT, "allowed", 200),
        ("teacher", STUDENT, "allowed", 200),
    ]


def test_requests_without_a_token_are_refused(app, attempt):
    client = app.test_client()
    assert client.get(f"/attempts/{attempt['id']}").status_code == 401
    assert client.post(f"/quizzes/{QUIZ}/attempts", json={}).status_code == 401


def test_a_quiz_id_belongs_to_the_course_that_created_it(app, caller):
    """Ids a client chooses are owned once created: another course's teacher gets a 409
    naming the taken id, never the quiz; a teacher creates only within their courses."""
    biology = caller("teacher", "USR-TEA-2", courses=[OTHER_COURSE])
    maths = caller("teacher", "USR-TEA-1", courses=[COURSE])
    taken = biology.put("/quizzes/QZ-SHARED", json=quiz_definition(course_id=OTHER_COURSE))
    assert taken.status_code == 200
    response = maths.put("/quizzes/QZ-SHARED", json=quiz_definition())
    assert response.status_code == 409, response.json
    assert response.content_type == "application/problem+json"
    assert "QZ-SHARED" in response.json["detail"] and OTHER_COURSE not in response.json["detail"]
    assert "definition" not in response.json
    # The owner's course is unchanged and its teacher still publishes new versions.
    assert biology.get("/quizzes/QZ-SHARED").json["course_id"] == OTHER_COURSE
    again = biology.put(
        "/quizzes/QZ-SHARED", json=quiz_definition(course_id=OTHER_COURSE, title="v2")
    )
    assert (again.status_code, again.json["version"]) == (200, 2)
    # A teacher cannot create a quiz in a course they do not teach.
    outside = maths.put("/quizzes/QZ-NEW", json=quiz_definition(course_id=OTHER_COURSE))
    assert outside.status_code == 403
    assert maths.get("/quizzes/QZ-NEW").status_code == 404
