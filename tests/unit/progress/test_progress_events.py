"""The progress service's events: built from their contracts, and parsed with them.

What the progress service sends parses, once on the wire, as the contract of its type;
what it receives is refused with ``ContractError`` when the payload breaks its contract
and with ``InvalidInput`` when it breaks a rule of the progress service.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from services.progress import events
from services.progress.domain import (
    AttemptGraded,
    AttemptSubmitted,
    LessonCompletionReport,
    parse_outline,
)
from services.progress.events import Occasion
from shared.errors import InvalidInput
from shared.events import Envelope
from shared.events.contracts import ContractError, parse
from tests.unit.progress.progress_factories import T0, assignment_in, lesson_done

pytestmark = pytest.mark.unit

PARIS = timezone(timedelta(hours=1))


class Enrolled:
    id, student_id, course_id = "E-1", "USR-STU-1", "CRS-1"


OCCASION = Occasion(T0.astimezone(PARIS), "request-1")


def on_the_wire(envelope: Envelope) -> Envelope:
    return Envelope.from_json(envelope.to_json())


@pytest.mark.parametrize(
    "built",
    [
        events.enrolled(Enrolled(), "not_started", T0.astimezone(PARIS), OCCASION),
        events.lesson_completed(
            Enrolled(),
            lesson_done("L1", 80),
            LessonCompletionReport("c-1", T0.astimezone(PARIS), 12.5, 80.0),
            OCCASION,
        ),
        events.assignment_recorded(Enrolled(), assignment_in("A1", 90), "grade", OCCASION),
        events.status_changed(Enrolled(), "not_started", "in_progress", "student_work", OCCASION),
        events.course_completed(Enrolled(), 100, OCCASION),
        events.certificate_requested(
            Enrolled(), completed_at=None, average_score=None, percentage=80, occasion=OCCASION
        ),
    ],
    ids=lambda envelope: envelope.type,
)
def test_every_event_sent_satisfies_its_contract_on_the_wire(built: Envelope) -> None:
    received = on_the_wire(built)
    payload = parse(received)
    assert payload.to_dict() == built.payload
    assert (received.producer, received.subject, received.course_id) == (
        "progress", "USR-STU-1", "CRS-1",
    )  # fmt: skip
    assert received.correlation_id == "request-1"
    assert all(
        not isinstance(value, str) or "+01:00" not in value for value in built.payload.values()
    ), "moments travel in UTC"


def test_the_enrolled_event_carries_the_enrollment_moment_not_now() -> None:
    backdated = datetime(2013, 9, 20, tzinfo=UTC)

    payload = parse(on_the_wire(events.enrolled(Enrolled(), "not_started", backdated, OCCASION)))

    assert payload.to_dict()["enrolled_at"] == "2013-09-20T00:00:00Z"


def test_the_outline_event_lists_every_item_in_course_order_with_its_due_moment() -> None:
    outline = parse_outline(
        {
            "modules": [
                {
                    "module_id": "M1",
                    "title": "One",
                    "items": [
                        {"item_id": "L1", "kind": "lesson", "title": "Intro"},
                        {
                            "item_id": "Q1",
                            "kind": "quiz",
                            "title": "Quiz",
                            "weight": 2,
                            "due_at": "2013-10-18T13:00:00+01:00",
                        },
                    ],
                },
                {
                    "module_id": "M2",
                    "title": "Two",
                    "items": [
                        {"item_id": "A1", "kind": "assignment", "title": "TMA", "required": False}
                    ],
                },
            ]
        }
    )

    received = on_the_wire(events.outline_published("CRS-1", 3, outline, OCCASION))

    assert (received.type, received.subject, received.course_id) == (
        "progress.outline.published", "CRS-1", "CRS-1",
    )  # fmt: skip
    assert received.correlation_id == "request-1"
    parse(received)
    assert received.payload == {
        "course_id": "CRS-1",
        "outline_version": 3,
        "published_at": "2024-09-02T08:00:00Z",
        "items": [
            {"item_id": "L1", "kind": "lesson", "module_id": "M1", "required": True,
             "weight": 1.0, "due_at": None},
            {"item_id": "Q1", "kind": "quiz", "module_id": "M1", "required": True,
             "weight": 2.0, "due_at": "2013-10-18T12:00:00Z"},
            {"item_id": "A1", "kind": "assignment", "module_id": "M2", "required": False,
             "weight": 1.0, "due_at": None},
        ],
    }  # fmt: skip


def attempt_event(event_type: str, **payload: Any) -> Envelope:
    return Envelope(
        type=event_type,
        producer="attempts",
        subject="USR-STU-1",
        course_id="CRS-1",
        payload={"attempt_id": "AT-1", "quiz_id": "Q-1", "passed": True, **payload},
    )


def test_a_submitted_attempt_becomes_its_fact() -> None:
    report = events.attempt_report(
        attempt_event(
            "attempts.attempt.submitted",
            completed_at="2024-09-02T09:00:00+01:00",
            time_spent=12.5,
            score=None,
        )
    )
    assert (report.student_id, report.course_id, report.quiz_id) == ("USR-STU-1", "CRS-1", "Q-1")
    assert report.fact == AttemptSubmitted(
        "AT-1", datetime(2024, 9, 2, 8, 0, tzinfo=UTC), 12.5, None, True, False
    )


def test_a_graded_attempt_becomes_its_fact() -> None:
    report = events.attempt_report(
        attempt_event("attempts.attempt.graded", graded_at="2024-09-02T08:00:00Z", score=75)
    )
    assert report.fact == AttemptGraded("AT-1", T0, 75.0, True)


@pytest.mark.parametrize(
    ("event", "error", "named"),
    [
        (attempt_event("attempts.attempt.graded", score=75), ContractError, "graded_at"),
        (
            attempt_event("attempts.attempt.submitted", completed_at="2024-09-02T08:00:00Z",
                          time_spent=1, quiz_id="   "),
            ContractError, "quiz_id",
        ),
        (
            Envelope(type="attempts.attempt.submitted", producer="attempts", course_id="C",
                     payload={}),
            InvalidInput, "subject",
        ),
        (
            Envelope(type="activity.logs.recorded", producer="activity", payload={"records": []}),
            ContractError, "records",
        ),
        (
            Envelope(type="activity.logs.recorded", producer="activity", subject="S" * 121,
                     payload={"records": [{"id": "A-1", "student_id": "S" * 121,
                                           "course_id": "C", "activity_type": "view",
                                           "timestamp": "2024-09-02T08:00:00Z"}]}),
            InvalidInput, "records[0].student_id",
        ),
        (
            Envelope(type="activity.logs.recorded", producer="activity", subject="S",
                     payload={"records": [{"id": "A-1", "student_id": "S", "course_id": "C",
                                           "activity_type": "view",
                                           "timestamp": "2024-09-02T08:00:00Z",
                                           "details": {"duration": "long"}}]}),
            InvalidInput, "records[0].details.duration",
        ),
        (
            Envelope(type="activity.logs.recorded", producer="activity",
                     payload={"records": [{"id": "A-1", "student_id": "S", "course_id": "C",
                                           "activity_type": "view",
                                           "timestamp": "2024-09-02T08:00:00Z"}]}),
            InvalidInput, "subject",
        ),
        (
            Envelope(type="activity.logs.recorded", producer="activity", subject="OTHER",
                     payload={"records": [{"id": "A-1", "student_id": "S", "course_id": "C",
                                           "activity_type": "view",
                                           "timestamp": "2024-09-02T08:00:00Z"}]}),
            InvalidInput, "records[0].student_id",
        ),
        (
            Envelope(type="reports.certificate.rendered", producer="reports",
                     payload={"enrollment_id": "E-1", "certificate_url": "https://",
                              "issued_at": "2024-09-02T08:00:00Z"}),
            ContractError, "certificate_url",
        ),
    ],
)  # fmt: skip
def test_a_bad_event_is_refused_naming_the_field(
    event: Envelope, error: type[Exception], named: str
) -> None:
    parsers = {
        "attempts": events.attempt_report,
        "activity": events.activity_report,
        "reports": events.rendered_certificate,
    }
    with pytest.raises(error) as raised:
        parsers[event.producer](event)
    found = raised.value
    assert named in (found.fields if isinstance(found, InvalidInput) else str(found))


def test_records_without_a_course_are_skipped() -> None:
    report = events.activity_report(
        Envelope(
            type="activity.logs.recorded",
            producer="activity",
            subject="S",
            payload={
                "records": [
                    {"id": "A-1", "student_id": "S", "activity_type": "login",
                     "timestamp": "2024-09-02T08:00:00Z"},
                    {"id": "A-2", "student_id": "S", "course_id": "C", "activity_type": "view",
                     "timestamp": "2024-09-02T08:00:00Z", "details": {"duration": 30}},
                ],
                "time_zone": "Europe/Paris",
            },
        )
    )  # fmt: skip
    assert list(report.groups) == [("S", "C")]
    assert [record.activity_id for record in report.groups[("S", "C")]] == ["A-2"]
    assert report.time_zone == "Europe/Paris"
