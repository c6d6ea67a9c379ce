"""The service's pure helpers around the domain: event payloads, the hashed IP, and the
questions a student is shown."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from services.attempts import events
from services.attempts.documents import presented_questions
from services.attempts.events import submitted
from services.attempts.models import Attempt
from services.attempts.usecases import hash_ip
from shared.events import Envelope
from shared.events.contracts import attempts as contracts
from shared.events.contracts import parse_as

pytestmark = pytest.mark.unit

STARTED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
COMPLETED = datetime(2026, 3, 2, 9, 12, 30, tzinfo=UTC)


def closed_attempt(status: str, **fields: object) -> Attempt:
    values: dict[str, object] = {
        "id": "QZAT-1", "quiz_id": "QZ-1", "lesson_id": "LSN-1", "attempt_number": 2,
        "is_practice": False, "started_at": STARTED, "completed_at": COMPLETED,
        "time_spent": 12.5, "score": 85.0, "points_earned": 17.0, "points_possible": 20.0,
        "passed": True, "passing_score": 70.0, "graded_at": COMPLETED, "status": status,
    }  # fmt: skip
    return Attempt(**{**values, **fields})


def test_a_final_result_payload_has_the_documented_fields_and_values():
    assert submitted(closed_attempt("graded")).to_dict() == {
        "attempt_id": "QZAT-1", "quiz_id": "QZ-1", "lesson_id": "LSN-1", "attempt_number": 2,
        "is_practice": False, "started_at": "2026-03-02T09:00:00Z",
        "completed_at": "2026-03-02T09:12:30Z", "time_spent": 12.5, "score": 85.0,
        "points_earned": 17.0, "points_possible": 20.0, "passed": True, "passing_score": 70.0,
        "pending_grading": False, "graded_at": "2026-03-02T09:12:30Z",
    }  # fmt: skip


def test_a_pending_result_has_no_score_and_is_not_passed_yet():
    payload = submitted(
        closed_attempt("pending_grading", score=40.0, passed=None, graded_at=None)
    ).to_dict()
    assert (payload["score"], payload["passed"], payload["pending_grading"]) == (None, False, True)
    assert payload["graded_at"] is None


@pytest.mark.parametrize("status", ["graded", "pending_grading"])
def test_the_events_of_an_attempt_satisfy_their_contracts_on_the_wire(status):
    attempt = closed_attempt(status, student_id="USR-STU-1", course_id="CRS-1", interruptions=1)
    built = [
        (events.started(attempt), contracts.AttemptStarted),
        (events.submitted(attempt), contracts.AttemptSubmitted),
    ]
    if status == "graded":
        built.append((events.graded(attempt), contracts.AttemptGraded))
    for payload, contract in built:
        sent = events.envelope(attempt, payload, "request-1")
        received = Envelope.from_json(sent.to_json())
        assert (received.subject, received.course_id) == ("USR-STU-1", "CRS-1")
        assert parse_as(received, contract) == payload


def test_the_ip_hash_is_the_keyed_hmac_and_depends_on_the_key():
    expected = hmac.new(b"key-1", b"198.51.100.7", hashlib.sha256).hexdigest()
    assert hash_ip("198.51.100.7", "key-1") == expected
    assert hash_ip("198.51.100.7", "key-2") != expected
    assert "198.51.100.7" not in expected


def test_presented_questions_carry_no_answer_key(every_type_quiz):
    shown = presented_questions(every_type_quiz, "QZAT-1")
    text = json.dumps(shown)
    assert "answer_key" not in text and "Paris" not in text and "Equivalent" not in text
    assert [q["question_id"] for q in shown] == list(every_type_quiz.question_ids)


@pytest.mark.parametrize("seed", [f"QZAT-{n}" for n in range(40)])
def test_ordering_items_are_never_shown_in_the_answer_order(every_type_quiz, seed):
    [ordering] = presented_questions(every_type_quiz, seed, ["q-ordering"])
    shown = [option["id"] for option in ordering["options"]]
    assert sorted(shown) == sorted(["1/8", "1/4", "1/2", "1"])
    assert shown != ["1/8", "1/4", "1/2", "1"]


def test_matching_shows_left_items_and_every_choice(every_type_quiz):
    [matching] = presented_questions(every_type_quiz, "QZAT-1", ["q-matching"])
    assert matching["left_items"] == ["1/2", "1/4", "3/4"]
    assert sorted(option["id"] for option in matching["options"]) == ["0.2", "0.25", "0.5", "0.75"]


def test_the_questions_follow_the_order_given(every_type_quiz):
    order = ["q-essay", "q-true_false"]
    assert [q["question_id"] for q in presented_questions(every_type_quiz, "s", order)] == order
