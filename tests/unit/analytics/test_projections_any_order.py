"""Any permutation of an event stream, with any redeliveries, gives the same projections
and the same analytics (property-based, hypothesis)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from services.analytics import store, usecases
from services.analytics.domain.periods import PeriodType, period_of
from shared.events import Envelope
from tests.unit.analytics.streams import (
    COURSE,
    OTHER_STUDENT,
    STUDENT,
    activity,
    analytics_session,
    apply,
    apply_batch,
    assignment,
    at,
    course_completed,
    enrolled,
    graded,
    lesson_completed,
    record,
    started,
    status_changed,
    submitted,
)

pytestmark = pytest.mark.unit

TYPES = ["lesson_start", "video_play", "quiz_start", "login", "resource_download", "idle"]


@st.composite
def streams(draw: st.DrawFn) -> list[Envelope]:
    """A stream of events about two students, each fact determined by its key."""
    events: list[Envelope] = []
    for student in (STUDENT, OTHER_STUDENT):
        day = draw(st.integers(0, 3))
        events.append(enrolled(at(day), student=student))
        if draw(st.booleans()):
            events.append(
                status_changed(at(day + 1), "not_started", "in_progress", student=student)
            )
        if draw(st.booleans()):
            events.append(status_changed(at(day + 2), "in_progress", "paused", student=student))
        if draw(st.booleans()):
            events.append(status_changed(at(day + 5), "in_progress", "completed", student=student))
            events.append(course_completed(at(day + 5), student=student))
        ids = draw(st.lists(st.integers(0, 30), min_size=1, max_size=12, unique=True))
        records = [
            record(
                f"LOG-{n}",
                TYPES[n % len(TYPES)],
                at(n % 7, hours=n),
                student=student,
                duration=60 * (n % 5),
                session=f"S-{n % 3}",
            )
            for n in ids
        ]
        # The records arrive in batches that may overlap (a record in two batches).
        cut = draw(st.integers(0, len(records)))
        overlap = draw(st.integers(0, 2))
        for batch in (records[: cut + overlap], records[cut:]):
            if batch:
                events.append(activity(batch, student=student))
        for n in draw(st.lists(st.integers(1, 4), max_size=4, unique=True)):
            attempt_id = f"AT-{student}-{n}"
            quiz = f"QZ-{n % 2}"
            events.append(started(attempt_id, quiz, at(n, hours=1), number=n, student=student))
            score = draw(st.none() | st.integers(0, 100).map(float))
            events.append(
                submitted(attempt_id, quiz, at(n, hours=2), score, number=n, student=student)
            )
            for g in draw(st.lists(st.integers(0, 100), max_size=2)):
                events.append(
                    graded(attempt_id, quiz, at(n, hours=3 + g / 50), float(g), student=student)
                )
        for n in draw(st.lists(st.integers(1, 3), max_size=3, unique=True)):
            events.append(lesson_completed(f"LSN-{n}", at(n), student=student, score=float(n * 30)))
        if draw(st.booleans()):
            events.append(assignment("ASG-1", "submit", at(2), occurred=at(2), student=student))
            if draw(st.booleans()):
                events.append(
                    assignment("ASG-1", "grade", at(2), occurred=at(3), grade=77.0, student=student)
                )
    return events


PERIOD = period_of(PeriodType.WEEKLY, at(0), None, at(30))


def projections(events: list[Envelope]) -> Any:
    """The facts, and the analytics of both students, computed from ``events``."""
    with analytics_session() as session:
        apply(session, events)
        documents = [
            analytics.document
            for student in (STUDENT, OTHER_STUDENT)
            if (analytics := usecases.student_analytics(session, student, COURSE, PERIOD, at(30)))
        ]
        return store.facts_of(session, None, None), documents


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), stream=streams())
def test_any_order_and_any_redelivery_give_the_same_projections_and_analytics(
    data: st.DataObject, stream: list[Envelope]
) -> None:
    redelivered = data.draw(st.lists(st.sampled_from(stream), max_size=len(stream)))
    shuffled = data.draw(st.permutations(stream + redelivered))
    assert projections(shuffled) == projections(stream)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), stream=streams())
def test_batches_of_mixed_events_give_what_one_at_a_time_gives(
    data: st.DataObject, stream: list[Envelope]
) -> None:
    """The consumer hands a batch's events of every fact type to one call: the facts, the
    analytics and the pairs marked for refresh are those of the events one at a time."""
    shuffled = data.draw(st.permutations(stream))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(shuffled)), max_size=4)))
    with analytics_session() as session:
        for start, end in zip([0, *cuts], [*cuts, len(shuffled)], strict=True):
            apply_batch(session, shuffled[start:end])
        batched = store.facts_of(session, None, None)
        batched_pending = pending_pairs(session)
    with analytics_session() as session:
        apply(session, stream)
        assert store.facts_of(session, None, None) == batched
        assert pending_pairs(session) == batched_pending


def pending_pairs(session: Session) -> set[tuple[str, str]]:
    return {(student, course) for student, course, _ in store.claim_pending(session, 1000)}


def test_a_batch_of_several_fact_types_bumps_its_course_version_once():
    batch = [
        enrolled(at(0)),
        activity([record("LOG-1", "video_play", at(1), duration=60)]),
        submitted("AT-1", "QZ-1", at(1, hours=2), 80.0),
        assignment("ASG-1", "submit", at(2), occurred=at(2)),
        lesson_completed("LSN-1", at(2), score=90.0),
    ]
    with analytics_session() as session:
        apply_batch(session, batch)
        assert store.course_version(session, COURSE) == 1
    with analytics_session() as session:
        apply(session, batch)
        assert store.course_version(session, COURSE) == len(batch)
