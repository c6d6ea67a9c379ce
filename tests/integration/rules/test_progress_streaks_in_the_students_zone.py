"""Streak days are counted in the student's time zone all the way through the service:
the zone given at enrollment, the zone an activity batch carries, and activities that
arrive before the enrollment, on SQLite and PostgreSQL.

Every moment below falls on a different calendar date in UTC than in the student's
zone, and the cases straddle daylight-saving changes, so counting in UTC (or dropping
the zone anywhere on the way) changes the streak the API shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from services.progress.domain import local_date_of
from shared.config import Settings
from shared.events import Envelope
from shared.events.contracts.activity import ActivityLogsRecorded, ActivityRecord
from shared.time import parse_iso
from tests.support.stride_http import (
    COURSE,
    STUDENT,
    Caller,
    caller_of,
    database_of,
    deliver,
    make_app,
)

pytestmark = pytest.mark.integration

OUTLINE = {
    "modules": [
        {
            "module_id": "MOD-1",
            "title": "Limits",
            "items": [{"item_id": "LSN-1", "kind": "lesson", "title": "Intro", "weight": 1}],
        }
    ]
}


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, settings: Settings, tmp_path: Any) -> Iterator[Flask]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/progress.db"
    else:
        url = request.getfixturevalue("make_postgres_database")("progress")
    flask_app = make_app("progress", settings, url)
    yield flask_app
    database_of(flask_app).dispose()


@pytest.fixture
def admin(app: Flask, settings: Settings) -> Caller:
    caller = caller_of(app, settings, "admin")
    response = caller.put(f"/courses/{COURSE}/outline", json=OUTLINE)
    assert response.status_code == 200, response.json
    return caller


def enroll(admin: Caller, time_zone: str | None) -> str:
    body = {"student_id": STUDENT, "course_id": COURSE}
    if time_zone is not None:
        body["time_zone"] = time_zone
    response = admin.post("/enrollments", json=body)
    assert response.status_code == 201, response.json
    return str(response.json["id"])


def activity(moments: list[str], time_zone: str | None = None, batch: int = 0) -> Envelope:
    records = tuple(
        ActivityRecord(
            id=f"ACT-{batch}-{number}",
            student_id=STUDENT,
            course_id=COURSE,
            lesson_id="LSN-1",
            timestamp=parse_iso(moment),
            activity_type="lesson_view",
            details={"duration": 60},
        )
        for number, moment in enumerate(moments)
    )
    payload = ActivityLogsRecorded(records=records, time_zone=time_zone)
    return payload.to_envelope(producer="activity", subject=STUDENT, course_id=COURSE)


def streak(admin: Caller, enrollment_id: str) -> tuple[int, str | None, str]:
    response = admin.get(f"/enrollments/{enrollment_id}")
    assert response.status_code == 200, response.json
    document = response.json
    return document["login_streak"], document["last_streak_date"], document["time_zone"]


# Los Angeles moves its clocks forward on 2026-03-08 at 02:00 (PST, -8, to PDT, -7).
# Each moment is late in the evening there, already the next day in UTC.
LA_EVENINGS_ACROSS_SPRING_FORWARD = [
    "2026-03-07T07:30:00Z",  # 2026-03-06 23:30 PST
    "2026-03-08T06:30:00Z",  # 2026-03-07 22:30 PST
    "2026-03-09T06:30:00Z",  # 2026-03-08 23:30 PDT
    "2026-03-09T08:00:00Z",  # 2026-03-09 01:00 PDT
]


def test_the_moments_fall_on_other_dates_in_utc_than_in_the_zone():
    """The premise of this module: counting in UTC would give other dates."""
    for moment in LA_EVENINGS_ACROSS_SPRING_FORWARD[:3]:
        at = parse_iso(moment)
        assert local_date_of(at, "America/Los_Angeles") != local_date_of(at, "UTC")


def test_the_zone_given_at_enrollment_decides_the_streak_days(admin: Caller, app: Flask):
    enrollment_id = enroll(admin, "America/Los_Angeles")

    deliver(app, "progress", [activity(LA_EVENINGS_ACROSS_SPRING_FORWARD)])

    # Los Angeles dates 03-06, 03-07, 03-08, 03-09: four days in a row (UTC: three).
    assert streak(admin, enrollment_id) == (4, "2026-03-09", "America/Los_Angeles")


def test_the_zone_an_activity_batch_carries_is_used_and_kept(admin: Caller, app: Flask):
    enrollment_id = enroll(admin, None)

    deliver(
        app, "progress", [activity(LA_EVENINGS_ACROSS_SPRING_FORWARD[:3], "America/Los_Angeles")]
    )

    assert streak(admin, enrollment_id) == (3, "2026-03-08", "America/Los_Angeles")
    # a later batch without a zone is counted in the zone kept on the enrollment
    deliver(app, "progress", [activity(["2026-03-10T06:45:00Z"], batch=1)])  # 03-09 23:45 PDT
    assert streak(admin, enrollment_id) == (4, "2026-03-09", "America/Los_Angeles")


def test_exactly_24_hours_across_spring_forward_skips_a_local_day(admin: Caller, app: Flask):
    """23:30 PST on 03-07 plus 24 hours is 00:30 PDT on 03-09: 03-08 was missed."""
    enrollment_id = enroll(admin, "America/Los_Angeles")

    deliver(app, "progress", [activity(["2026-03-08T07:30:00Z", "2026-03-09T07:30:00Z"])])

    # in UTC these are 03-08 and 03-09, a streak of two
    assert streak(admin, enrollment_id) == (1, "2026-03-09", "America/Los_Angeles")


def test_25_hours_across_fall_back_are_consecutive_local_days_east_of_utc(
    admin: Caller, app: Flask
):
    """Berlin moves back on 2026-10-25 (CEST, +2, to CET, +1). 00:30 local on the 24th
    and 00:30 on the 25th are 24h; 00:30 on the 25th and 00:30 on the 26th are 25h apart,
    and each is still the previous day in UTC."""
    enrollment_id = enroll(admin, "Europe/Berlin")
    moments = [
        "2026-10-23T22:30:00Z",  # 2026-10-24 00:30 CEST
        "2026-10-24T22:30:00Z",  # 2026-10-25 00:30 CEST
        "2026-10-25T23:30:00Z",  # 2026-10-26 00:30 CET
    ]

    deliver(app, "progress", [activity(moments)])

    assert streak(admin, enrollment_id) == (3, "2026-10-26", "Europe/Berlin")


def test_activities_before_the_enrollment_are_dated_in_the_zone_they_came_with(
    settings: Settings, app: Flask, admin: Caller
):
    """Logs counted before the student enrolled are folded in with the dates of the
    zone their batch carried, not re-dated in UTC."""
    deliver(
        app, "progress", [activity(LA_EVENINGS_ACROSS_SPRING_FORWARD[:3], "America/Los_Angeles")]
    )

    enrollment_id = enroll(admin, "America/Los_Angeles")

    assert streak(admin, enrollment_id)[:2] == (3, "2026-03-08")


def test_a_zone_west_and_a_zone_east_of_utc_give_different_days_for_the_same_moments(
    settings: Settings, app: Flask, admin: Caller
):
    """Tokyo (+9, no daylight saving): the same instants land a day later than in Los
    Angeles; 15:30Z is already the next day in Tokyo."""
    enrollment_id = enroll(admin, "Asia/Tokyo")
    moments = ["2026-03-06T15:30:00Z", "2026-03-07T15:30:00Z"]  # 03-07 and 03-08 00:30 JST

    deliver(app, "progress", [activity(moments)])

    assert streak(admin, enrollment_id) == (2, "2026-03-08", "Asia/Tokyo")
