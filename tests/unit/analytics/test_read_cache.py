"""The read cache: a course's facts are loaded once per version; new facts of the course
bump its version, so the next read sees them."""

from __future__ import annotations

import pytest

from services.analytics import store
from tests.unit.analytics.streams import (
    COURSE,
    OTHER_COURSE,
    analytics_document,
    analytics_session,
    apply,
    at,
    submitted,
)

pytestmark = pytest.mark.unit


def test_a_course_is_loaded_once_per_version():
    cache = store.CourseFactsCache()
    with analytics_session() as session:
        apply(session, [submitted("AT-1", "QZ-1", at(1), 50.0)])
        first = cache.get(session, COURSE)
        assert cache.get(session, COURSE) is first
        apply(session, [submitted("AT-2", "QZ-1", at(2), 70.0, course=OTHER_COURSE)])
        assert cache.get(session, COURSE) is first  # another course's facts
        apply(session, [submitted("AT-3", "QZ-1", at(2), 90.0)])
        second = cache.get(session, COURSE)
        assert second is not first and second.version == first.version + 1
        assert len(second.students["USR-STU-1"].attempts) == 2


def test_a_redelivered_batch_still_leaves_the_same_document():
    events = [submitted("AT-1", "QZ-1", at(1), 50.0)]
    assert analytics_document(events + events) == analytics_document(events)
