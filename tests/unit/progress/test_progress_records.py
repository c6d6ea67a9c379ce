"""An institution's past submissions as the facts the live paths record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.progress.domain import (
    AssignmentGrading,
    AssignmentSubmission,
    AttemptGraded,
    AttemptSubmitted,
    SubmissionRecord,
    assignment_changes_of,
    quiz_facts_of,
    quiz_result_from_facts,
    recorded_submission_id,
)
from services.progress.domain.values import CLOCK_SKEW, require_past
from shared.errors import InvalidInput

pytestmark = pytest.mark.unit

SUBMITTED = datetime(2013, 10, 18, 12, tzinfo=UTC)
GRADED = datetime(2013, 10, 20, 12, tzinfo=UTC)


def test_a_recorded_submission_id_is_the_same_for_the_same_item_and_moment() -> None:
    same_moment = SUBMITTED.astimezone(timezone(timedelta(hours=1)))

    first = recorded_submission_id("OU-1752", SUBMITTED)

    assert first == recorded_submission_id("OU-1752", same_moment)
    assert first.startswith("record-") and len(first) == len("record-") + 36
    assert first != recorded_submission_id("OU-1753", SUBMITTED)
    assert first != recorded_submission_id("OU-1752", SUBMITTED + timedelta(seconds=1))


def test_a_scored_assignment_record_is_submitted_then_graded_at_its_moments() -> None:
    record = SubmissionRecord("OU-1752", SUBMITTED, 78.0, GRADED)

    submission, grading = assignment_changes_of(record)

    assert submission == AssignmentSubmission(record.id, SUBMITTED, 0)
    assert grading == AssignmentGrading(78.0, GRADED)


def test_a_grading_without_its_moment_is_at_the_submission() -> None:
    _submission, grading = assignment_changes_of(SubmissionRecord("OU-1752", SUBMITTED, 50))

    assert grading is not None and grading.graded_at == SUBMITTED


def test_an_unscored_record_is_only_submitted() -> None:
    record = SubmissionRecord("OU-1752", SUBMITTED)

    assert assignment_changes_of(record)[1] is None
    submitted, graded = quiz_facts_of(record)
    assert graded is None
    assert submitted == AttemptSubmitted(record.id, SUBMITTED, 0, None, False)


@pytest.mark.parametrize(
    ("score", "passed", "expected"),
    [(39.99, None, False), (40, None, True), (100, False, False), (0, True, True)],
)
def test_a_quiz_record_passes_from_40_unless_it_says(
    score: float, passed: bool | None, expected: bool
) -> None:
    record = SubmissionRecord("OU-1753", SUBMITTED, score, GRADED, passed)

    submitted, graded = quiz_facts_of(record)

    assert graded == AttemptGraded(record.id, GRADED, score, expected)
    result = quiz_result_from_facts("OU-1753", [submitted, graded])
    assert result is not None
    assert (result.attempts, result.best_score, result.passed) == (1, score, expected)
    assert (result.completed_at, result.time_spent) == (SUBMITTED, 0)


def test_a_record_without_offset_or_with_a_score_out_of_range_is_refused() -> None:
    with pytest.raises(InvalidInput) as naive:
        SubmissionRecord("OU-1752", datetime(2013, 10, 18))
    assert naive.value.fields == {"submitted_at": ["must include a time zone offset (UTC)"]}
    with pytest.raises(InvalidInput) as over:
        SubmissionRecord("OU-1752", SUBMITTED, 100.5)
    assert list(over.value.fields) == ["score"]
    with pytest.raises(InvalidInput) as naive_grading:
        SubmissionRecord("OU-1752", SUBMITTED, 80, graded_at=datetime(2013, 10, 20))
    assert naive_grading.value.fields == {"graded_at": ["must include a time zone offset (UTC)"]}


def test_a_past_moment_is_taken_up_to_the_clock_skew_and_refused_beyond_it() -> None:
    now = datetime(2026, 12, 4, 12, tzinfo=UTC)
    in_paris = (now + CLOCK_SKEW).astimezone(timezone(timedelta(hours=1)))

    assert require_past(SUBMITTED, "submitted_at", now=now) == SUBMITTED
    assert require_past(in_paris, "submitted_at", now=now) == now + CLOCK_SKEW
    with pytest.raises(InvalidInput) as ahead:
        require_past(now + CLOCK_SKEW + timedelta(microseconds=1), "graded_at", now=now)
    assert ahead.value.fields == {
        "graded_at": ["must not be in the future (more than 300 seconds ahead of now)"]
    }
    with pytest.raises(InvalidInput) as naive:
        require_past(datetime(2013, 10, 18), "enrolled_at", now=now)
    assert naive.value.fields == {"enrolled_at": ["must include a time zone offset (UTC)"]}
