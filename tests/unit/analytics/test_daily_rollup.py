"""The daily roll-up of activity records (``activity_days``): reads that use it give the
same documents, risk levels and achievements as reads of every record, late events
included (property-based, hypothesis); a day is rolled up once closed, again once stale,
and the same way twice."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from services.analytics import store, usecases
from services.analytics.domain.periods import PeriodType, period_of
from services.analytics.models import activity_days, aggregated_days
from services.analytics.usecases import rollup
from services.analytics.usecases.rollup import last_closed_day, rolled_before
from shared.events import Envelope
from tests.unit.analytics.streams import (
    COURSE,
    OTHER_COURSE,
    OTHER_STUDENT,
    STUDENT,
    activity,
    analytics_session,
    apply,
    assignment,
    at,
    course_completed,
    enrolled,
    lesson_completed,
    record,
    started,
    submitted,
)

pytestmark = pytest.mark.unit

GRACE = timedelta(days=1)
NOW = at(45)
ZONES = ["UTC", "America/New_York", "Asia/Tokyo", "Pacific/Kiritimati"]
TYPES = ["lesson_start", "video_play", "quiz_start", "login", "resource_download", "idle"]


@st.composite
def batches(
    draw: st.DrawFn, student: str, prefix: str, days: tuple[int, int], least: int = 1
) -> list[Envelope]:
    """``least`` to 3 batches of records of ``student`` on days ``days``, each batch in
    one zone."""
    events = []
    for n in range(draw(st.integers(least, 3))):
        zone = draw(st.sampled_from(ZONES))
        records = []
        for k in range(draw(st.integers(1, 6))):
            day = draw(st.integers(*days))
            minute = draw(st.integers(0, 24 * 60 - 1))
            kind = draw(st.integers(0, len(TYPES) - 1))
            items: dict[str, Any] = {}
            if TYPES[kind] == "lesson_start":
                items["lesson_id"] = f"LSN-{draw(st.integers(1, 3))}"
            if TYPES[kind] == "quiz_start":
                items["quiz_id"] = f"QZ-{draw(st.integers(0, 1))}"
            records.append(
                record(
                    f"LOG-{prefix}-{n}-{k}",
                    TYPES[kind],
                    at(day, minutes=minute) - timedelta(hours=8),
                    student=student,
                    course=draw(st.sampled_from([COURSE, COURSE, OTHER_COURSE, None])),
                    duration=60 * draw(st.integers(0, 40)),
                    session=draw(st.sampled_from([None, None, "S-1", "S-2"])),
                    **items,
                )
            )
        events.append(activity(records, student=student, time_zone=zone))
    return events


@st.composite
def streams(draw: st.DrawFn) -> tuple[list[Envelope], list[Envelope]]:
    """(events stored before the first roll-up, late events stored after it: records of
    days already rolled up among them)."""
    early: list[Envelope] = []
    late: list[Envelope] = []
    for student in (STUDENT, OTHER_STUDENT):
        early.append(enrolled(at(0), student=student))
        # some students' records all fall in a few days long before the detailed window
        span = draw(st.sampled_from([2, 8, 30]))
        early += draw(batches(student, f"{student}-early", (0, span)))
        late += draw(batches(student, f"{student}-late", (0, draw(st.sampled_from([span, 44]))), 0))
        for n in draw(st.lists(st.integers(1, 40), max_size=3, unique=True)):
            attempt = f"AT-{student}-{n}"
            early.append(started(attempt, f"QZ-{n % 2}", at(n), number=1, student=student))
            score = float(draw(st.integers(0, 100)))
            early.append(submitted(attempt, f"QZ-{n % 2}", at(n, hours=1), score, student=student))
        for n in draw(st.lists(st.integers(1, 40), max_size=3, unique=True)):
            early.append(lesson_completed(f"LSN-{n % 3 + 1}", at(n), student=student))
        if draw(st.booleans()):
            early.append(assignment("ASG-1", "submit", at(20), occurred=at(20), student=student))
        if draw(st.booleans()):
            late.append(course_completed(at(43), student=student))
    return early, late


def aggregate(session: Session, now: datetime) -> int:
    days = store.days_to_aggregate(session, last_closed_day(now, GRACE))
    for day in days:
        store.aggregate_day(session, day, now)
    return len(days)


PERIODS = [
    period_of(PeriodType.WEEKLY, None, None, NOW),
    period_of(PeriodType.DAILY, at(44), None, NOW),
    period_of(PeriodType.MONTHLY, None, None, NOW),
    # an old period: its records are read as they are, whatever is rolled up
    period_of(PeriodType.WEEKLY, at(3), None, NOW),
]


def outputs(session: Session) -> dict[str, Any]:
    """The documents, achievements, leaderboard, class view and recomputed risk levels
    and earned achievements, as of ``NOW``."""
    found: dict[str, Any] = {}
    for student in (STUDENT, OTHER_STUDENT):
        for course in (COURSE, OTHER_COURSE, None):
            for period in PERIODS:
                analytics = usecases.student_analytics(session, student, course, period, NOW)
                found[f"{student}/{course}/{period}"] = analytics and analytics.document
        found[f"achievements/{student}"] = usecases.student_achievements(
            session, student, COURSE, NOW
        )
        usecases.set_leaderboard_membership(session, COURSE, student, True, NOW)
    found["leaderboard"] = usecases.leaderboard(session, COURSE, None, NOW)
    found["class"] = usecases.course_analytics(session, COURSE, NOW)
    usecases.refresh_students(session, store.course_pairs(session, None), NOW)
    for table in ("risk_levels", "earned_achievements"):
        rows = session.execute(sa.text(f"SELECT * FROM {table}")).all()
        found[table] = sorted(tuple(row) for row in rows)
    return found


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(stream=streams(), second_run=st.booleans())
def test_reads_with_the_roll_up_give_what_every_record_gives(
    stream: tuple[list[Envelope], list[Envelope]], second_run: bool, monkeypatch
) -> None:
    # cached courses keep 20 days of records: the weekly and the daily documents read
    # the cached course with its history rolled up, the monthly one and the old one
    # load it again with more of its records
    monkeypatch.setattr(rollup, "CACHED_DETAIL_DAYS", 20)
    early, late = stream
    with analytics_session() as session:
        apply(session, early)
        assert aggregate(session, at(38)) > 0
        apply(session, late)
        if second_run:
            aggregate(session, NOW)
        rolled = outputs(session)
    with analytics_session() as session:
        apply(session, early + late)
        every_record = outputs(session)
    assert rolled == every_record


def test_reads_take_rolled_up_days_from_the_roll_up() -> None:
    with analytics_session() as session:
        apply(session, [activity([record(f"LOG-{n}", "login", at(n)) for n in range(20)])])
        aggregate(session, NOW)
        before = rolled_before(NOW)
        facts = store.student_facts(session, STUDENT, COURSE, before)
    rolled_up = [f for f in facts.activities if f.activity_type == "rolled_up"]
    assert [f.record_id for f in rolled_up] == [f"LOG-{n}" for n in range(20) if at(n) < at(17)]
    assert all(f.occurred_at >= at(17) for f in facts.activities if f not in rolled_up)


def rows(session: Session) -> list[tuple[Any, ...]]:
    return sorted(tuple(row) for row in session.execute(sa.select(activity_days)).all())


def test_a_day_is_rolled_up_once_closed_and_the_same_way_twice() -> None:
    with analytics_session() as session:
        apply(session, [activity([record(f"LOG-{n}", "login", at(n)) for n in range(3)])])
        # at(1, hours=20) is 04:00 on day 2: with a day of grace, day 0 is the latest closed
        closed = last_closed_day(at(1, hours=20), GRACE)
        assert store.days_to_aggregate(session, closed) == [at(0).date()]
        aggregate(session, at(1, hours=20))
        rolled = sa.select(aggregated_days.c.day).where(
            aggregated_days.c.aggregated_at.is_not(None)
        )
        assert session.execute(rolled).scalars().all() == [at(0).date()]
        first = rows(session)
        store.aggregate_day(session, at(0).date(), at(3))
        assert rows(session) == first
        assert [(r[0], r[5]) for r in first] == [(at(0).date(), 1)]


def test_a_late_record_marks_its_day_stale_and_the_next_run_counts_it_once() -> None:
    with analytics_session() as session:
        apply(
            session, [activity([record("LOG-1", "login", at(0)), record("LOG-2", "login", at(5))])]
        )
        aggregate(session, at(3))
        stale = sa.select(aggregated_days.c.day).where(aggregated_days.c.stale.is_(True))
        assert session.execute(stale).scalars().all() == []
        late = activity([record("LOG-3", "login", at(0, hours=2))])
        apply(session, [late, late])
        assert session.execute(stale).scalars().all() == [at(0).date()]
        # until rolled up again, the stale day is read from its records
        assert store.rolled_spans(session, date(2027, 1, 1)) == [(at(1).date(), at(2).date())]
        assert aggregate(session, at(3)) == 1
        assert session.execute(stale).scalars().all() == []
        (day0,) = [r for r in rows(session) if r[0] == at(0).date()]
        assert day0[5] == 2  # LOG-1 and LOG-3, once each
