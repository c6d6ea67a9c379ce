"""The judge's scores, and its check that at-risk reasons quote the student's own data,
against analytics' own wording of each reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.analytics.domain.evaluation import auc, calibration_error
from services.analytics.domain.features import NAMES, Features
from services.analytics.domain.predictions import _reason
from services.analytics.domain.risk_model import PRIOR
from shared.oulad.mapping import Calendar, courses_of, outline_of, records_of
from shared.oulad.metrics import (
    Judged,
    OwnData,
    by_group,
    names_own_data,
    own_data,
    reason_names_own_data,
    score,
)
from shared.oulad.reading import read_dataset
from tests.support.oulad_folder import write_oulad_folder

pytestmark = pytest.mark.unit

CALENDAR = Calendar({})
DAY = 86400.0


def judged(student: str, succeeded: bool, probability: float, named: bool = True) -> Judged:
    reasons = ("a reason",) if probability < 0.7 else ()
    level = "low" if probability >= 0.7 else ("medium" if probability >= 0.4 else "high")
    return Judged(student, "OU-AAA-2013J", succeeded, probability, reasons, named, level)


def test_the_score_uses_analytics_auc_and_calibration_and_counts_the_at_risk():
    everyone = [
        judged("1", True, 0.9),
        judged("2", True, 0.6),
        judged("3", False, 0.65, named=False),
        judged("4", False, 0.2),
    ]
    labels, probabilities = [True, True, False, False], [0.9, 0.6, 0.65, 0.2]

    result = score(everyone)

    assert (result.students, result.successes) == (4, 2)
    assert result.auc == auc(labels, probabilities) == 0.75
    assert result.calibration_error == calibration_error(labels, probabilities)
    assert (result.at_risk, result.at_risk_named) == (3, 2)
    assert result.at_risk_rate == 0.75
    assert result.named_share == pytest.approx(2 / 3)


def test_groups_are_scored_apart():
    everyone = [judged("1", True, 0.9), judged("2", False, 0.2), judged("3", True, 0.8)]
    groups = {("1", "OU-AAA-2013J"): "F", ("2", "OU-AAA-2013J"): "F"}

    by = by_group(everyone, groups)

    assert list(by) == ["F", "unknown"]
    assert (by["F"].students, by["F"].auc, by["F"].at_risk) == (2, 1.0, 1)
    assert (by["unknown"].students, by["unknown"].auc) == (1, None)


@pytest.fixture
def student_at_day_50(tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any], datetime]:
    """Student 4 of 2013J (registered day 5, TMA day 21 scored 55, CMA day 46 scored 60)."""
    [course] = courses_of(read_dataset(write_oulad_folder(tmp_path)), ["2013J"])
    [record] = [r for r in records_of(course, CALENDAR, 50) if r["student_id"] == "OU-STU-4"]
    cutoff = CALENDAR.cutoff("2013J", 50)
    assert cutoff is not None
    return record, outline_of(course, CALENDAR), cutoff


def test_own_data_is_what_was_imported_before_the_moment(student_at_day_50):
    own = own_data(*student_at_day_50)

    assert (own.due, own.due_submitted, own.submissions) == (2, 2, 2)
    assert own.results == (55.0, 60.0)
    # weights 40 and 60: (40 x 55 + 60 x 60) / 100
    assert own.weighted_score == pytest.approx(58.0)
    # TMA due day 20, submitted day 21; CMA due day 45, submitted day 46
    assert (own.late, own.mean_lateness) == (2, 1.0)
    assert own.last_submission == datetime(2013, 11, 16, 12, tzinfo=UTC)
    assert (own.quizzes_submitted, own.assignments_submitted) == (0, 2)
    assert own.stopped_on is None


def features_of_own(own: OwnData, stopped: datetime | None) -> Features:
    """The features analytics computes from the same facts (no click stream)."""
    days = (own.as_of - own.start).total_seconds() / DAY
    since = min(60.0, (own.as_of - (own.last_submission or own.start)).total_seconds() / DAY)
    mean = sum(own.results) / len(own.results)
    return Features(
        active_day_share=0.0,
        days_since_activity=since,
        submissions_per_week=own.submissions / own.weeks,
        mean_score=mean,
        recent_minutes=0.0,
        items_per_week=own.assignments_submitted / own.weeks,
        retries_per_quiz=0.0,
        days_enrolled=days,
        missed_share=(own.due - own.due_submitted) / own.due,
        mean_lateness=own.mean_lateness,
        weighted_score=own.weighted_score,
        recent_score=sum(own.results[-2:]) / 2,
        days_since_submission=since,
        score_trend=own.results[-1] - sum(own.results[:-1]) / len(own.results[:-1]),
        paused=1.0 if stopped else 0.0,
        results=len(own.results),
        due=own.due,
        due_submitted=own.due_submitted,
        late=own.late,
        last_submission_at=own.last_submission,
        paused_since=stopped,
    )


def test_every_reason_analytics_words_is_checked_against_the_student(student_at_day_50):
    record, outline, cutoff = student_at_day_50
    stopped = cutoff - timedelta(days=3)
    record = {
        **record,
        "final_result": {"result": "withdrawn", "at": f"{stopped:%Y-%m-%d}T12:00:00Z"},
    }
    own = own_data(record, outline, cutoff)
    features = features_of_own(own, stopped)

    for name in NAMES:
        if name == "days_enrolled":
            continue
        reason = _reason(name, features, PRIOR)
        assert reason_names_own_data(reason, own), (name, reason)


def test_a_reason_with_someone_elses_numbers_is_not_the_students(student_at_day_50):
    own = own_data(*student_at_day_50)

    assert not reason_names_own_data("submitted 1 of the 2 assessments due so far", own)
    assert not reason_names_own_data("average score 38 on 2 graded assessments (typical 70)", own)
    assert not reason_names_own_data("last submission 24 days ago", own)
    assert not reason_names_own_data("stopped the course (paused) on 2013-11-05", own)
    assert not reason_names_own_data("a reason analytics never gives", own)
    assert not names_own_data([], own)  # at risk without a reason names nothing
    assert names_own_data(["submitted 2 of the 2 assessments due so far"], own)
    assert not names_own_data(
        ["submitted 2 of the 2 assessments due so far", "last submission 24 days ago"], own
    )
