"""A short term driven through the gateway of `stride up`: a teacher publishes the outline
and the quiz, the student is enrolled, completes a lesson and takes the quiz; the
attempt's result reaches progress through the platform's own relay and consumer, the
student sees it, and another student and another course's teacher are refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.local_platform import Platform, running_platform, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.embedded]

COURSE = "CRS-TERM-1"
QUIZ = "QZ-TERM-1"
STUDENT = "USR-STU-TERM-1"
OTHER_STUDENT = "USR-STU-TERM-2"

OUTLINE = {
    "modules": [
        {
            "module_id": "MOD-1",
            "title": "Fractions",
            "items": [
                {"item_id": "LSN-1", "kind": "lesson", "title": "Halves", "weight": 1},
                {"item_id": QUIZ, "kind": "quiz", "title": "Check", "weight": 1},
            ],
        }
    ],
    "completion_criteria": {"min_progress_percentage": 100},
}

QUIZ_DEFINITION = {
    "course_id": COURSE,
    "lesson_id": "LSN-1",
    "title": "Check",
    "passing_score": 50,
    "questions": [
        {
            "question_id": "q1",
            "type": "multiple_choice",
            "prompt": "1/2 of 4?",
            "points": 1,
            "options": ["2", "3"],
            "answer_key": "2",
        },
        {
            "question_id": "q2",
            "type": "ordering",
            "prompt": "Smallest first",
            "points": 3,
            "answer_key": ["1/8", "1/4", "1/2", "1"],
        },
    ],
}


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with running_platform(tmp_path_factory.mktemp("term")) as running:
        yield running


def test_a_short_term_through_the_gateway(platform: Platform):
    teacher = platform.caller(platform.token("teacher", "USR-TEA-TERM", courses=[COURSE]))
    admin = platform.caller(platform.token("admin", "USR-ADM-TERM"))
    student = platform.caller(platform.token("student", STUDENT))
    other_student = platform.caller(platform.token("student", OTHER_STUDENT))
    other_teacher = platform.caller(
        platform.token("teacher", "USR-TEA-ELSE", courses=["CRS-ELSEWHERE"])
    )

    status, body = teacher("PUT", f"/api/progress/courses/{COURSE}/outline", OUTLINE)
    assert status == 200, (body, platform.log())
    status, body = teacher("PUT", f"/api/attempts/quizzes/{QUIZ}", QUIZ_DEFINITION)
    assert status == 200, body
    status, enrollment = admin(
        "POST", "/api/progress/enrollments", {"student_id": STUDENT, "course_id": COURSE}
    )
    assert status == 201, enrollment
    enrollment_path = f"/api/progress/enrollments/{enrollment['id']}"

    status, body = student(
        "POST",
        f"{enrollment_path}/lessons/LSN-1/completion",
        {"completion_id": "term-lsn-1", "time_spent": 12},
    )
    assert status == 201, body

    status, attempt = student("POST", f"/api/attempts/quizzes/{QUIZ}/attempts", {})
    assert status == 201, attempt
    attempt_path = f"/api/attempts/attempts/{attempt['id']}"
    assert student("PUT", f"{attempt_path}/answers/q1", {"answer": "2"})[0] == 200
    # 1/8, 1/2, 1 in order: two of the three steps, 2 of 3 points
    order = ["1/8", "1/2", "1/4", "1"]
    assert student("PUT", f"{attempt_path}/answers/q2", {"answer": order})[0] == 200
    status, result = student("POST", f"{attempt_path}/submission", {})
    assert status == 200, result
    assert (result["points_earned"], result["score"], result["passed"]) == (3.0, 75.0, True)

    seen: dict[str, Any] = {}

    def progress_shows_the_quiz() -> bool:
        status, document = student("GET", enrollment_path)
        seen.update(status=status, document=document)
        return status == 200 and any(q["quiz_id"] == QUIZ for q in document["completed_quizzes"])

    assert wait_until(progress_shows_the_quiz, timeout=90), (seen, platform.log())
    document = seen["document"]
    [quiz] = document["completed_quizzes"]
    assert (quiz["attempts"], quiz["best_score"], quiz["passed"]) == (1, 75.0, True)
    assert document["progress_percentage"] == 100
    assert document["status"] == "completed"

    # refused as if the enrollment and the attempt did not exist
    assert other_student("GET", enrollment_path)[0] == 404
    assert other_student("GET", attempt_path)[0] == 404
    assert other_teacher("GET", enrollment_path)[0] == 404
    status, listed = other_student("GET", f"/api/progress/enrollments?course_id={COURSE}")
    assert (status, listed["items"]) == (200, [])
    # and no token at all
    assert platform.caller(None)("GET", enrollment_path)[0] == 401
