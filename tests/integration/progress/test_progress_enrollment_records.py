"""An institution's historical records through ``POST /enrollment-records``, on SQLite and
PostgreSQL: past moments, idempotence, all or nothing, final results."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shared.time import to_iso, utcnow
from tests.integration.progress.progress_api_support import (
    OTHER_COURSE,
    OTHER_STUDENT,
    STUDENT,
    audit_rows,
    enroll,
    outbox_events,
    row_counts,
)

pytestmark = pytest.mark.integration

OU_COURSE = "OU-AAA-2013J"


def ou_outline(**completion: Any) -> dict[str, Any]:
    """Two assignments and a quiz; decided by its final result unless told otherwise."""
    return {
        "modules": [
            {
                "module_id": "OU-AAA",
                "title": "AAA 2013J",
                "items": [
                    {"item_id": "OU-1752", "kind": "assignment", "title": "TMA 1",
                     "due_at": "2013-10-19T00:00:00Z"},
                    {"item_id": "OU-1753", "kind": "quiz", "title": "CMA 1"},
                    {"item_id": "OU-1754", "kind": "assignment", "title": "TMA 2"},
                ],
            }
        ],
        "completion_criteria": {"requires_final_result": True, **completion},
    }  # fmt: skip


def publish(admin, course: str = OU_COURSE, **completion: Any) -> None:
    response = admin.put(f"/courses/{course}/outline", json=ou_outline(**completion))
    assert response.status_code == 200, response.json


def record(student: str = STUDENT, course: str = OU_COURSE, **fields: Any) -> dict[str, Any]:
    return {
        "student_id": student,
        "course_id": course,
        "enrolled_at": "2013-09-20T00:00:00Z",
        "time_zone": "Europe/London",
        **fields,
    }


TMA_1 = {
    "item_id": "OU-1752",
    "submitted_at": "2013-10-18T12:00:00Z",
    "score": 78.0,
    "graded_at": "2013-10-20T12:00:00Z",
}
CMA_1 = {"item_id": "OU-1753", "submitted_at": "2013-11-02T09:00:00Z", "score": 55.0}
TMA_2 = {"item_id": "OU-1754", "submitted_at": "2014-01-10T12:00:00Z", "score": 64.0}
PASSED = {"result": "pass", "at": "2014-05-20T00:00:00Z"}


def send(caller, *records: dict[str, Any]) -> Any:
    return caller.post("/enrollment-records", json={"records": list(records)})


def events_of(app) -> list[tuple[str, dict[str, Any]]]:
    return [(event["type"], event["payload"]) for event in outbox_events(app)]


def test_a_record_creates_the_enrollment_with_its_work_at_the_records_moments(admin, service):
    publish(admin)
    app = admin.client.application

    response = send(service, record(submissions=[TMA_1, CMA_1], final_result=PASSED))

    assert response.status_code == 200, response.json
    [result] = response.json["results"]
    assert result == {
        "index": 0,
        "enrollment_id": result["enrollment_id"],
        "created": True,
        "submissions_recorded": 2,
        "final_result_recorded": True,
    }
    document = admin.get(f"/enrollments/{result['enrollment_id']}").json
    assert (document["student_id"], document["course_id"]) == (STUDENT, OU_COURSE)
    assert document["enrolled_at"] == "2013-09-20T00:00:00+00:00"
    assert document["time_zone"] == "Europe/London"
    assert document["status"] == "completed"
    assert (document["final_result"], document["final_result_at"]) == (
        "pass", "2014-05-20T00:00:00+00:00",
    )  # fmt: skip
    [assignment] = document["completed_assignments"]
    assert (assignment["assignment_id"], assignment["status"], assignment["grade"]) == (
        "OU-1752", "graded", 78.0,
    )  # fmt: skip
    assert assignment["submitted_at"] == "2013-10-18T12:00:00+00:00"
    [quiz] = document["completed_quizzes"]
    assert (quiz["quiz_id"], quiz["best_score"], quiz["passed"], quiz["attempts"]) == (
        "OU-1753", 55.0, True, 1,
    )  # fmt: skip
    assert quiz["completed_at"] == "2013-11-02T09:00:00+00:00"
    assert document["certificate_pending"] is False

    emitted = events_of(app)
    enrolled = [payload for kind, payload in emitted if kind == "progress.enrolled"]
    assert [payload["enrolled_at"] for payload in enrolled] == ["2013-09-20T00:00:00Z"]
    recorded = sorted(
        (p["action"], p["submitted_at"], p["grade"])
        for kind, p in emitted
        if kind == "progress.assignment.recorded"
    )
    assert recorded == [
        ("grade", "2013-10-18T12:00:00Z", 78.0),
        ("submit", "2013-10-18T12:00:00Z", None),
    ]
    changes = sorted(
        (p["from_status"], p["to_status"], p["reason"], p["changed_at"])
        for kind, p in emitted
        if kind == "progress.status.changed"
    )
    assert changes == [
        ("in_progress", "completed", "final_result", "2014-05-20T00:00:00Z"),
        ("not_started", "in_progress", "student_work", "2013-10-18T12:00:00Z"),
    ]
    [completed] = [p for kind, p in emitted if kind == "progress.course.completed"]
    assert completed["completed_at"] == "2014-05-20T00:00:00Z"
    assert not [kind for kind, _ in emitted if kind == "progress.certificate.requested"]


def test_sending_the_same_records_again_writes_and_emits_nothing(admin, service):
    publish(admin)
    app = admin.client.application
    records = [
        record(submissions=[TMA_1, CMA_1], final_result=PASSED),
        record(OTHER_STUDENT, submissions=[TMA_1]),
    ]
    first = send(service, *records).json["results"]
    before, emitted = row_counts(app), outbox_events(app)

    again = send(service, *records)

    assert again.status_code == 200
    assert again.json["results"] == [
        {"index": index, "enrollment_id": result["enrollment_id"], "created": False,
         "submissions_recorded": 0, "final_result_recorded": False}
        for index, result in enumerate(first)
    ]  # fmt: skip
    assert row_counts(app) == before
    assert outbox_events(app) == emitted


def test_a_record_sent_again_with_more_submissions_adds_only_those(admin, service):
    publish(admin)
    app = admin.client.application
    first = send(service, record(submissions=[TMA_1])).json["results"][0]
    recorded_before = {e["id"] for e in outbox_events(app, "progress.assignment.recorded")}

    later = send(service, record(submissions=[TMA_1, CMA_1, TMA_2]))

    assert later.json["results"][0] == {
        "index": 0, "enrollment_id": first["enrollment_id"], "created": False,
        "submissions_recorded": 2, "final_result_recorded": False,
    }  # fmt: skip
    recorded = [
        (e["payload"]["assignment_id"], e["payload"]["action"])
        for e in outbox_events(app, "progress.assignment.recorded")
        if e["id"] not in recorded_before
    ]
    assert sorted(recorded) == [("OU-1754", "grade"), ("OU-1754", "submit")]
    document = admin.get(f"/enrollments/{first['enrollment_id']}").json
    assert [a["assignment_id"] for a in document["completed_assignments"]] == [
        "OU-1752",
        "OU-1754",
    ]
    assert document["status"] == "in_progress"


def test_items_alone_do_not_complete_a_course_decided_by_its_final_result(admin, service):
    publish(admin)

    result = send(service, record(submissions=[TMA_1, CMA_1, TMA_2])).json["results"][0]

    document = admin.get(f"/enrollments/{result['enrollment_id']}").json
    assert (document["progress_percentage"], document["status"]) == (100, "in_progress")
    assert outbox_events(admin.client.application, "progress.course.completed") == []


def test_without_the_criterion_the_items_complete_the_course_at_the_last_ones_moment(
    admin, service
):
    publish(admin, requires_final_result=False)

    result = send(service, record(submissions=[TMA_1, CMA_1, TMA_2])).json["results"][0]

    document = admin.get(f"/enrollments/{result['enrollment_id']}").json
    assert document["status"] == "completed"
    [completed] = outbox_events(admin.client.application, "progress.course.completed")
    assert completed["payload"]["completed_at"] == "2014-01-10T12:00:00Z"


@pytest.mark.parametrize("result", ["fail", "withdrawn"])
def test_a_failing_final_result_pauses_the_enrollment_at_its_moment(admin, service, result):
    publish(admin)
    final = {"result": result, "at": "2014-02-01T00:00:00Z"}

    created = send(service, record(submissions=[TMA_1], final_result=final)).json["results"][0]

    document = admin.get(f"/enrollments/{created['enrollment_id']}").json
    assert (document["status"], document["final_result"]) == ("paused", result)
    assert document["final_result_at"] == "2014-02-01T00:00:00+00:00"
    changes = outbox_events(admin.client.application, "progress.status.changed")
    [paused] = [e["payload"] for e in changes if e["payload"]["to_status"] == "paused"]
    assert (paused["from_status"], paused["reason"], paused["changed_at"]) == (
        "in_progress", "final_result", "2014-02-01T00:00:00Z",
    )  # fmt: skip


def test_a_withdrawal_before_any_work_pauses_a_new_enrollment(admin, service):
    publish(admin)
    final = {"result": "withdrawn", "at": "2013-10-01T00:00:00Z"}

    created = send(service, record(final_result=final)).json["results"][0]

    assert admin.get(f"/enrollments/{created['enrollment_id']}").json["status"] == "paused"


def test_a_different_final_result_refuses_the_whole_batch_naming_its_index(admin, service):
    publish(admin)
    app = admin.client.application
    send(service, record(final_result=PASSED))
    before, emitted = row_counts(app), outbox_events(app)

    response = send(
        service,
        record(OTHER_STUDENT, submissions=[TMA_1]),
        record(final_result={"result": "fail", "at": "2014-05-20T00:00:00Z"}),
    )

    assert response.status_code == 409
    assert response.json["detail"] == (
        "records.1.final_result: the enrollment's final result is already pass "
        "(at 2014-05-20T00:00:00Z); it is not changed to fail (at 2014-05-20T00:00:00Z)"
    )
    assert row_counts(app) == before
    assert outbox_events(app) == emitted


def test_a_record_of_a_course_without_outline_is_a_conflict_naming_it(admin, service):
    publish(admin)
    before = row_counts(admin.client.application)

    response = send(service, record(), record(OTHER_STUDENT, course_id="OU-NONE"))

    assert response.status_code == 409
    assert response.json["detail"] == (
        "records.1.course_id: course 'OU-NONE' has no outline yet: publish it first"
    )
    assert row_counts(admin.client.application) == before


def test_a_record_reuses_an_enrollment_made_through_the_api(admin, service):
    publish(admin)
    made = enroll(admin, course=OU_COURSE)

    result = send(service, record(submissions=[TMA_1])).json["results"][0]

    assert (result["enrollment_id"], result["created"]) == (made["id"], False)
    assert result["submissions_recorded"] == 1


def test_two_records_of_one_enrollment_in_a_batch_make_one_enrollment(admin, service):
    publish(admin)

    results = send(
        service, record(submissions=[TMA_1]), record(submissions=[CMA_1], final_result=PASSED)
    ).json["results"]

    assert results[0]["enrollment_id"] == results[1]["enrollment_id"]
    assert [(r["created"], r["submissions_recorded"]) for r in results] == [(True, 1), (False, 1)]
    assert row_counts(admin.client.application)["enrollments"] == 1


@pytest.mark.parametrize(
    ("submission", "passed"),
    [
        ({"score": 39.9}, False),
        ({"score": 40}, True),
        ({"score": 90, "passed": False}, False),
        ({"score": 10, "passed": True}, True),
    ],
)
def test_a_quiz_score_passes_from_40_unless_the_record_says(admin, service, submission, passed):
    publish(admin)
    quiz = {"item_id": "OU-1753", "submitted_at": "2013-11-02T09:00:00Z", **submission}

    result = send(service, record(submissions=[quiz])).json["results"][0]

    [entry] = admin.get(f"/enrollments/{result['enrollment_id']}").json["completed_quizzes"]
    assert entry["passed"] is passed


def test_a_submission_without_score_is_submitted_and_not_graded(admin, service):
    publish(admin)
    unscored = [
        {"item_id": "OU-1752", "submitted_at": "2013-10-18T12:00:00Z", "score": None},
        {"item_id": "OU-1753", "submitted_at": "2013-11-02T09:00:00Z"},
    ]

    result = send(service, record(submissions=unscored)).json["results"][0]

    document = admin.get(f"/enrollments/{result['enrollment_id']}").json
    [assignment] = document["completed_assignments"]
    assert (assignment["status"], assignment["grade"]) == ("submitted", None)
    [quiz] = document["completed_quizzes"]
    assert (quiz["attempts"], quiz["best_score"], quiz["passed"]) == (1, None, False)


def test_a_resubmission_of_graded_work_refuses_the_batch_naming_the_submission(admin, service):
    publish(admin)
    app = admin.client.application
    before = row_counts(app)
    again = {**TMA_1, "submitted_at": "2013-10-25T12:00:00Z", "graded_at": None}

    response = send(service, record(submissions=[TMA_1, again]))

    assert response.status_code == 409
    assert response.json["detail"].startswith("records.0.submissions.1: cannot resubmit")
    assert row_counts(app) == before


def test_every_record_is_audited_with_its_student(admin, service):
    publish(admin)
    send(service, record(submissions=[TMA_1]), record(OTHER_STUDENT))

    audited = [
        (row.actor, row.student_id, row.course_id, row.outcome, row.status_code)
        for row in audit_rows(admin.client.application)
        if row.action == "record_history"
    ]
    assert audited == [
        ("USR-SVC-LMS", STUDENT, OU_COURSE, "allowed", 200),
        ("USR-SVC-LMS", OTHER_STUDENT, OU_COURSE, "allowed", 200),
    ]


FUTURE = to_iso(utcnow() + timedelta(days=1))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"submissions": [{**TMA_1, "item_id": "OU-9"}]}, "records.1.submissions.0.item_id",
         "no quiz or assignment 'OU-9' in this course"),
        ({"submissions": [{**TMA_1, "item_id": "LSN-1"}], "course_id": OTHER_COURSE},
         "records.1.submissions.0.item_id",
         "'LSN-1' is a lesson; records submit quizzes and assignments"),
        ({"enrolled_at": FUTURE}, "records.1.enrolled_at",
         "must not be in the future (more than 300 seconds ahead of now)"),
        ({"submissions": [{**TMA_1, "submitted_at": FUTURE, "graded_at": None}]},
         "records.1.submissions.0.submitted_at",
         "must not be in the future (more than 300 seconds ahead of now)"),
        ({"final_result": {"result": "pass", "at": FUTURE}}, "records.1.final_result.at",
         "must not be in the future (more than 300 seconds ahead of now)"),
        ({"time_zone": "Mars/Olympus"}, "records.1.time_zone", None),
    ],
)  # fmt: skip
def test_a_record_breaking_a_rule_refuses_the_batch_naming_index_and_field(
    admin, service, changes, field, message
):
    publish(admin)
    other = admin.put(
        f"/courses/{OTHER_COURSE}/outline",
        json={"modules": [{"module_id": "M", "title": "M", "items": [
            {"item_id": "LSN-1", "kind": "lesson", "title": "Intro"}]}]},
    )  # fmt: skip
    assert other.status_code == 200
    app = admin.client.application
    before = row_counts(app)

    response = send(service, record(submissions=[TMA_1]), record(OTHER_STUDENT, **changes))

    assert response.status_code == 422, response.json
    assert list(response.json["errors"]) == [field]
    if message is not None:
        assert response.json["errors"][field] == [message]
    assert response.json["detail"].startswith(f"{field}: ")
    assert row_counts(app) == before


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"submissions": [{**TMA_1, "score": 101}]}, "records.1.submissions.0.score"),
        ({"submissions": [{**TMA_1, "score": None}]}, "records.1.submissions.0.graded_at"),
        ({"submissions": [{**TMA_1, "graded_at": "2013-10-01T00:00:00Z"}]},
         "records.1.submissions.0.graded_at"),
        ({"submissions": [{**TMA_1, "submitted_at": "2013-10-18T12:00:00"}]},
         "records.1.submissions.0.submitted_at"),
        ({"final_result": {"result": "maybe", "at": "2014-05-20T00:00:00Z"}},
         "records.1.final_result.result"),
        ({"enrolled_at": None}, "records.1.enrolled_at"),
        ({"student_id": ""}, "records.1.student_id"),
        ({"colour": "red"}, "records.1.colour"),
    ],
)  # fmt: skip
def test_a_malformed_record_is_refused_naming_index_and_field(admin, service, changes, path):
    publish(admin)
    before = row_counts(admin.client.application)

    response = send(service, record(), record(OTHER_STUDENT, **changes))

    assert response.status_code == 422
    assert f"{path}: " in response.json["detail"]
    assert row_counts(admin.client.application) == before


def test_at_most_500_records_are_taken_at_once(admin, service):
    publish(admin)

    response = send(service, *[record(f"OU-STU-{n}") for n in range(501)])

    assert response.status_code == 422
    assert response.json["detail"].startswith("records: ")
    assert send(service).status_code == 422
