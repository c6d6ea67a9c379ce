from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest

from services.progress.domain import (
    ActivityRecord,
    Engagement,
    activities_not_yet_counted,
    record_activities,
)
from shared.errors import InvalidInput

pytestmark = pytest.mark.unit


def activity(activity_id: str, moment: str, seconds: float | None = 60) -> ActivityRecord:
    return ActivityRecord(activity_id, datetime.fromisoformat(moment).replace(tzinfo=UTC), seconds)


BATCH = [
    activity("ACT-1", "2024-09-02T08:00", 600),
    activity("ACT-2", "2024-09-03T08:00", 90.5),
    activity("ACT-3", "2024-09-04T23:30", None),  # 2024-09-05 in Tokyo
    activity("ACT-4", "2024-09-01T12:00", 0.1),
]


def test_engagement_sums_durations_and_keeps_the_latest_access() -> None:
    engagement = record_activities(Engagement(), BATCH, "UTC")

    assert engagement.last_accessed == datetime(2024, 9, 4, 23, 30, tzinfo=UTC)
    assert engagement.total_seconds == 690.6
    assert engagement.total_time_spent == 11.51
    assert (engagement.login_streak, engagement.last_streak_date) == (4, date(2024, 9, 4))


def test_streak_dates_follow_the_student_time_zone() -> None:
    engagement = record_activities(Engagement(), BATCH, "Asia/Tokyo")

    assert engagement.active_dates == {date(2024, 9, n) for n in (1, 2, 3, 5)}
    assert (engagement.login_streak, engagement.last_streak_date) == (1, date(2024, 9, 5))


def test_engagement_is_the_same_whatever_the_batching_and_order() -> None:
    expected = record_activities(Engagement(), BATCH, "UTC")

    for order in itertools.permutations(BATCH):
        one_by_one = Engagement()
        for record in order:
            one_by_one = record_activities(one_by_one, [record], "UTC")
        assert one_by_one == expected


def test_repeated_id_within_a_batch_counts_once() -> None:
    twice = [BATCH[0], activity("ACT-1", "2024-09-02T08:00", 600)]

    assert record_activities(Engagement(), twice, "UTC").total_seconds == 600


def test_redelivered_activities_change_nothing_once_filtered_by_counted_ids() -> None:
    counted = {"ACT-1", "ACT-2", "ACT-3", "ACT-4"}
    engagement = record_activities(Engagement(), BATCH, "UTC")

    redelivered = activities_not_yet_counted([*BATCH, BATCH[1]], counted)

    assert redelivered == []
    assert record_activities(engagement, redelivered, "UTC") == engagement


def test_only_unseen_ids_are_counted_first_occurrence_wins() -> None:
    new = activity("ACT-9", "2024-09-06T08:00", 5)

    fresh = activities_not_yet_counted(
        [BATCH[0], new, activity("ACT-9", "2024-09-07T08:00")], {"ACT-1"}
    )

    assert fresh == [new]


def test_nothing_new_leaves_engagement_untouched() -> None:
    assert record_activities(Engagement(), [], "UTC") == Engagement()


def test_unknown_time_zone_is_refused_before_anything_counts() -> None:
    with pytest.raises(InvalidInput) as raised:
        record_activities(Engagement(), BATCH, "Europe/Atlantis")

    assert list(raised.value.fields) == ["time_zone"]


@pytest.mark.parametrize(
    ("moment", "seconds", "field"),
    [
        (datetime(2024, 9, 2, 8, 0), 1, "occurred_at"),
        (datetime(2024, 9, 2, 8, 0, tzinfo=UTC), -5, "duration_seconds"),
    ],
)
def test_invalid_activity_names_the_field(moment: datetime, seconds: float, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        ActivityRecord("ACT-1", moment, seconds)

    assert list(raised.value.fields) == [field]
