"""Consumed events become facts; a payload that breaks its contract is refused whole."""

from __future__ import annotations

import pytest

from services.analytics import events, store
from services.analytics.domain.projections import Kind, ReportKind
from shared.events.contracts import ContractError
from tests.unit.analytics.streams import (
    COURSE,
    STUDENT,
    activity,
    analytics_session,
    apply,
    at,
    graded,
    record,
    submitted,
)

pytestmark = pytest.mark.unit


def test_activity_records_keep_kind_content_type_and_time_zone():
    event = activity(
        [
            record("L1", "video_play", at(), duration=120, lesson_id="LSN-1"),
            record("L2", "page_view", at(), quiz_id="QZ-1", details={"page_url": "/q"}),
            record("L3", "login", at(), course=None, details={"interaction_count": 7}),
        ],
        time_zone="Europe/London",
    )
    video, page, login = events.activity_facts(event)
    assert (video.kind, video.content_type, video.minutes) == (Kind.RESOURCE, "video", 2.0)
    assert (page.kind, page.page_viewed) == (Kind.QUIZ, True)
    assert (login.kind, login.course_id, login.interaction_count) == (Kind.OTHER, None, 7)
    assert {fact.time_zone for fact in (video, page, login)} == {"Europe/London"}


def test_a_declared_content_type_counts_only_when_it_is_a_known_one():
    event = activity(
        [
            record("L1", "podcast_play", at(), details={"content_type": "audio"}),
            record("L2", "video_play", at(), details={"content_type": "hologram"}),
            record("L3", "page_view", at(), details={"content_type": "hologram"}),
            record("L4", "video_play", at(), details={"content_type": 3}),
        ]
    )
    assert [fact.content_type for fact in events.activity_facts(event)] == [
        "audio",
        "video",  # an unknown declared type gives way to the activity type's
        None,
        "video",
    ]


def test_a_pending_essay_has_no_score_until_graded():
    report = events.attempt_report(submitted("AT-1", "QZ-1", at(), None))
    assert (report.kind, report.score, report.passed) == (ReportKind.SUBMITTED, None, False)


@pytest.mark.parametrize(
    "event",
    [
        activity([record("L1", "login", at())], time_zone="Mars/Olympus"),
        activity([]),
        submitted("AT-1", "QZ-1", at(), 120.0),
        graded("AT-1", "QZ-1", at(), 50.0, student=""),
    ],
    ids=["unknown time zone", "no records", "score above 100", "no subject"],
)
def test_a_malformed_event_is_refused_and_nothing_of_it_is_written(event):
    with analytics_session() as session:
        with pytest.raises(ContractError):
            apply(session, [event])
        assert store.facts_of(session, None, None) == {}


def test_a_batch_with_one_bad_record_writes_none_of_its_records():
    event = activity([record("L1", "login", at()), {"id": "L2", "student_id": STUDENT}])
    with analytics_session() as session:
        with pytest.raises(ContractError):
            apply(session, [event])
        assert store.student_facts(session, STUDENT, COURSE).activities == ()
