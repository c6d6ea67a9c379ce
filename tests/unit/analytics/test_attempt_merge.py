"""One attempt merged from its reports, whatever they hold and in whatever order."""

from __future__ import annotations

from datetime import datetime

import pytest

from services.analytics.domain.projections import (
    Attempt,
    AttemptReport,
    ReportKind,
    merge_attempt,
)
from tests.unit.analytics.streams import COURSE, STUDENT, at

pytestmark = pytest.mark.unit


def report(
    kind: ReportKind,
    when: datetime,
    *,
    score: float | None = None,
    number: int = 1,
    time_spent: float | None = None,
    completed: datetime | None = None,
) -> AttemptReport:
    return AttemptReport(
        attempt_id="AT-1",
        student_id=STUDENT,
        course_id=COURSE,
        quiz_id="QZ-1",
        kind=kind,
        at=when,
        attempt_number=number,
        is_practice=False,
        completed_at=completed,
        time_spent=time_spent,
        score=score,
        passed=score is not None and score >= 60,
    )


def test_an_attempt_only_started():
    assert merge_attempt([report(ReportKind.STARTED, at(1), number=2)]) == Attempt(
        attempt_id="AT-1",
        student_id=STUDENT,
        course_id=COURSE,
        quiz_id="QZ-1",
        attempt_number=2,
        is_practice=False,
        started_at=at(1),
        completed_at=None,
        time_spent=None,
        score=None,
        passed=False,
    )


def test_the_longest_time_reported_and_the_highest_attempt_number():
    merged = merge_attempt(
        [
            report(ReportKind.SUBMITTED, at(2), score=70.0, time_spent=None, completed=at(2)),
            report(ReportKind.SUBMITTED, at(3), score=70.0, time_spent=12.0, completed=at(2)),
            report(ReportKind.STARTED, at(1), number=3),
            report(ReportKind.STARTED, at(0, 12)),
        ]
    )
    assert (merged.time_spent, merged.attempt_number, merged.started_at) == (12.0, 3, at(0, 12))


def test_reports_of_one_moment_keep_the_higher_score_and_a_score_over_none():
    graded = [
        report(ReportKind.GRADED, at(2), score=90.0),
        report(ReportKind.GRADED, at(2), score=70.0),
    ]
    assert merge_attempt(graded).score == 90.0
    submitted = [
        report(ReportKind.SUBMITTED, at(2), score=0.5, completed=at(2)),
        report(ReportKind.SUBMITTED, at(2), score=None, completed=at(2)),
    ]
    assert merge_attempt(submitted).score == 0.5


def test_no_attempt_without_a_report():
    with pytest.raises(ValueError, match=r"^an attempt needs at least one report$"):
        merge_attempt([])
