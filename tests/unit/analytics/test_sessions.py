"""Sessions of a student's records and the student's time zone, at their edges."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.analytics.domain.sessions import sessions_of, student_time_zone
from tests.unit.analytics.streams import activity_fact as fact
from tests.unit.analytics.streams import at

pytestmark = pytest.mark.unit


def test_a_gap_of_exactly_thirty_minutes_stays_in_the_session():
    first = fact("R1", at(0), seconds=600)  # ends at 08:10
    records = [first, fact("R2", at(0, 0, 40)), fact("R3", at(0, 1, 10) + timedelta(seconds=1))]
    sessions = sessions_of(records)
    assert [[r.record_id for r in s.records] for s in sessions] == [["R1", "R2"], ["R3"]]


def test_sessions_are_named_by_their_id_or_numbered_by_gaps():
    records = [
        fact("R1", at(0), session="S-1"),
        fact("R2", at(0, 1)),
        fact("R3", at(0, 3)),
    ]
    assert [s.key for s in sessions_of(records)] == ["id:S-1", "gap:0", "gap:1"]


def test_the_zone_is_that_of_the_latest_record_before_the_moment():
    records = [
        fact("R1", at(0), zone="Europe/Paris"),
        fact("R2", at(1), zone="Asia/Tokyo"),  # exactly at the moment: not before it
        fact("R3", at(2), zone="America/New_York"),
    ]
    assert student_time_zone(records, at(1)) == "Europe/Paris"
    # without a record before the moment, the latest of all
    assert student_time_zone(records, at(-1)) == "America/New_York"
    assert student_time_zone([], at(1)) == "UTC"
