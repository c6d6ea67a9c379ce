from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from services.progress.domain import (
    LessonCompletion,
    LessonCompletionReport,
    lesson_completion_from_reports,
    record_lesson_completion,
)
from shared.errors import InvalidInput
from tests.unit.progress.progress_factories import at

pytestmark = pytest.mark.unit


def report(
    completion_id: str, minute: float, time_spent: float = 10, score: float | None = None
) -> LessonCompletionReport:
    return LessonCompletionReport(completion_id, at(minute), time_spent, score)


def test_first_completion_creates_the_entry() -> None:
    entry = record_lesson_completion(None, "LSN-1", report("C1", 0, 48, 95))

    assert entry == LessonCompletion(
        lesson_id="LSN-1",
        completed_at=at(0),
        time_spent=48,
        score=95,
        completion_ids=frozenset({"C1"}),
    )
    assert entry.attempts == 1


def test_each_distinct_completion_counts_as_one_attempt_and_adds_its_time() -> None:
    entry = record_lesson_completion(None, "LSN-1", report("C1", 0, 30, 70))
    entry = record_lesson_completion(entry, "LSN-1", report("C2", 60, 32, 88))

    assert entry.attempts == 2
    assert entry.time_spent == 62
    assert entry.score == 88


def test_redelivered_completion_changes_nothing() -> None:
    entry = record_lesson_completion(None, "LSN-1", report("C1", 0, 30, 70))

    again = record_lesson_completion(entry, "LSN-1", report("C1", 0, 30, 70))

    assert again == entry


def test_best_score_is_kept_when_a_later_completion_scores_lower() -> None:
    entry = record_lesson_completion(None, "LSN-1", report("C1", 0, score=90))
    entry = record_lesson_completion(entry, "LSN-1", report("C2", 10, score=40))
    entry = record_lesson_completion(entry, "LSN-1", report("C3", 20, score=None))

    assert entry.score == 90


def test_completed_at_is_the_first_completion_even_when_it_arrives_late() -> None:
    entry = record_lesson_completion(None, "LSN-1", report("C2", 90))
    entry = record_lesson_completion(entry, "LSN-1", report("C1", 5))

    assert entry.completed_at == at(5)


def test_completions_merge_to_the_same_entry_in_any_order_with_duplicates() -> None:
    reports = [report("C1", 0, 10, 60), report("C2", 30, 5, None), report("C3", 20, 7.5, 81)]
    expected = LessonCompletion("LSN-1", at(0), 22.5, 81, frozenset({"C1", "C2", "C3"}))

    for order in itertools.permutations([*reports, reports[1]]):
        assert lesson_completion_from_reports("LSN-1", order) == expected


def test_fractional_minutes_sum_to_the_same_total_in_any_order() -> None:
    reports = [report("C1", 0, 0.1), report("C2", 1, 0.2), report("C3", 2, 0.3)]

    entries = [lesson_completion_from_reports("LSN-1", o) for o in itertools.permutations(reports)]

    totals = {entry.time_spent for entry in entries if entry is not None}

    assert totals == {0.6}


def test_no_reports_means_no_entry() -> None:
    assert lesson_completion_from_reports("LSN-1", []) is None


def test_entry_of_another_lesson_is_refused() -> None:
    entry = record_lesson_completion(None, "LSN-1", report("C1", 0))

    with pytest.raises(InvalidInput, match="lesson_id"):
        record_lesson_completion(entry, "LSN-2", report("C2", 5))


@pytest.mark.parametrize(
    ("completion_id", "completed_at", "time_spent", "score", "field"),
    [
        ("", at(0), 10, None, "completion_id"),
        ("C1", datetime(2024, 9, 2, 8, 0), 10, None, "completed_at"),
        ("C1", at(0), -1, None, "time_spent"),
        ("C1", at(0), float("inf"), None, "time_spent"),
        ("C1", at(0), 10, 100.5, "score"),
        ("C1", at(0), 10, -3, "score"),
    ],
)
def test_invalid_completion_report_names_the_field(
    completion_id: str, completed_at: datetime, time_spent: float, score: float | None, field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        LessonCompletionReport(completion_id, completed_at, time_spent, score)

    assert list(raised.value.fields) == [field]
