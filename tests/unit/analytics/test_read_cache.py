"""The read cache: a course's facts are loaded once per version; new facts of the course
bump its version, so the next read sees them, reloading only the students whose facts
changed (the whole course when its outline did)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from services.analytics import store
from services.analytics.models import metadata
from shared.db import platform_metadata
from shared.events import Envelope
from tests.unit.analytics.streams import (
    COURSE,
    OTHER_COURSE,
    OTHER_STUDENT,
    STUDENT,
    activity,
    analytics_document,
    analytics_session,
    apply,
    at,
    outline_published,
    record,
    submitted,
)
from tests.unit.analytics.test_projections_any_order import streams

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


def test_threads_that_find_a_new_version_at_once_share_one_load(tmp_path: Path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'analytics.db'}")
    platform_metadata.create_all(engine)
    metadata.create_all(engine)
    cache = store.CourseFactsCache()
    with Session(engine) as session:
        apply(session, [submitted("AT-1", "QZ-1", at(1), 50.0)])
        session.commit()
        first = cache.get(session, COURSE)
        apply(session, [submitted("AT-2", "QZ-1", at(2), 70.0, student=OTHER_STUDENT)])
        session.commit()
    start = threading.Barrier(8)
    found: list[store.CourseFacts] = []

    def read() -> None:
        with Session(engine) as session:
            start.wait()
            found.append(cache.get(session, COURSE))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive()
    engine.dispose()
    assert len(found) == 8 and found[0].version == first.version + 1
    # one thread brought the course forward; the others waited for it and got its facts
    assert all(facts is found[0] for facts in found)


def test_a_reader_stops_waiting_for_a_load_that_does_not_end_and_loads_alone():
    cache = store.CourseFactsCache()
    cache.WAIT_SECONDS = 0.05
    with analytics_session() as session:
        apply(session, [submitted("AT-1", "QZ-1", at(1), 50.0)])
        stuck = threading.Event()  # another thread's load of the course, never ending
        cache._loading[session.get_bind().engine] = {COURSE: stuck}
        facts = cache.get(session, COURSE)
        assert len(facts.students[STUDENT].attempts) == 1
        assert cache._loading[session.get_bind().engine] == {COURSE: stuck}


def test_courses_are_forgotten_oldest_first_beyond_the_students_budget():
    cache = store.CourseFactsCache(students=3)
    with analytics_session() as session:
        for course in ("CRS-A", "CRS-B", "CRS-C"):
            apply(
                session,
                [
                    submitted(f"AT-{course}-{n}", "QZ-1", at(1), 50.0, student=s, course=course)
                    for n, s in enumerate((STUDENT, OTHER_STUDENT))
                ],
            )
        a = cache.get(session, "CRS-A")
        assert cache.get(session, "CRS-A") is a
        b = cache.get(session, "CRS-B")  # 4 students: CRS-A, the oldest, is forgotten
        assert cache.get(session, "CRS-B") is b
        assert cache.get(session, "CRS-A") is not a  # loaded again; now CRS-B is forgotten
        assert cache.get(session, "CRS-B") is not b
        big = store.CourseFactsCache(students=1)  # a course over the budget alone is kept
        c = big.get(session, "CRS-C")
        assert big.get(session, "CRS-C") is c


def test_a_redelivered_batch_still_leaves_the_same_document():
    events = [submitted("AT-1", "QZ-1", at(1), 50.0)]
    assert analytics_document(events + events) == analytics_document(events)


def two_students_cached(session: Session, cache: store.CourseFactsCache) -> store.CourseFacts:
    """A quiz submitted by each of two students of COURSE, the course read into ``cache``."""
    apply(
        session,
        [
            submitted("AT-1", "QZ-1", at(1), 50.0),
            submitted("AT-2", "QZ-1", at(1), 60.0, student=OTHER_STUDENT),
        ],
    )
    return cache.get(session, COURSE)


def test_new_facts_of_one_student_reload_that_student_only():
    cache = store.CourseFactsCache()
    with analytics_session() as session:
        first = two_students_cached(session, cache)
        apply(session, [submitted("AT-3", "QZ-2", at(2), 90.0)])
        second = cache.get(session, COURSE)
        assert second.version > first.version
        # the other student's facts are the ones already loaded, the changed student's new
        assert second.students[OTHER_STUDENT] is first.students[OTHER_STUDENT]
        assert len(second.students[STUDENT].attempts) == 2
        assert ("CRS-MATH-1001", "quiz", "QZ-2") in second.catalog
        assert second == store.CourseFactsCache().get(session, COURSE)


def test_new_records_of_a_student_are_added_to_the_records_cached():
    cache = store.CourseFactsCache()
    with analytics_session() as session:
        apply(session, [activity([record(f"R-{d}", "lesson_start", at(d)) for d in (1, 2)])])
        first = cache.get(session, COURSE)
        apply(
            session, [activity([record("R-0", "video_play", at(0)), record("R-3", "login", at(3))])]
        )
        second = cache.get(session, COURSE)
        cached, now = first.students[STUDENT].activities, second.students[STUDENT].activities
        assert [r.record_id for r in now] == ["R-0", "R-1", "R-2", "R-3"]
        assert now[1] is cached[0] and now[2] is cached[1]  # kept, not read again
        apply(session, [activity([record("R-3", "login", at(3))])])  # the same record again
        third = cache.get(session, COURSE)
        assert [r.record_id for r in third.students[STUDENT].activities] == [
            "R-0",
            "R-1",
            "R-2",
            "R-3",
        ]
        assert third == store.CourseFactsCache().get(session, COURSE)


def test_a_late_record_of_a_rolled_up_day_reads_that_student_again_whole():
    cache = store.CourseFactsCache()
    with analytics_session() as session:
        apply(
            session,
            [
                activity([record(f"R-{d}", "lesson_start", at(d, hours=9)) for d in (0, 1)]),
                activity(
                    [record("R-9", "lesson_start", at(0, hours=10), student=OTHER_STUDENT)],
                    student=OTHER_STUDENT,
                ),
            ],
        )
        store.aggregate_day(session, at(0).date(), at(3))
        first = cache.get(session, COURSE, rolled_before=at(1).date())
        assert first.rolled_before == at(1).date()
        late = record("R-late", "video_play", at(0, hours=11))
        apply(session, [activity([late])])  # day 0 was rolled up: now it is stale
        second = cache.get(session, COURSE, rolled_before=at(1).date())
        assert "R-late" in {r.record_id for r in second.students[STUDENT].activities}
        assert second.students[OTHER_STUDENT] is first.students[OTHER_STUDENT]
        fresh = store.facts_of(session, [STUDENT], COURSE, at(1).date())[STUDENT]
        assert second.students[STUDENT] == fresh


def test_a_new_outline_reloads_the_whole_course():
    cache = store.CourseFactsCache()
    with analytics_session() as session:
        first = two_students_cached(session, cache)
        apply(session, [outline_published(1, [{"item_id": "QZ-9", "kind": "quiz"}])])
        second = cache.get(session, COURSE)
        assert second.students[OTHER_STUDENT] is not first.students[OTHER_STUDENT]
        assert second.catalog == {(COURSE, "quiz", "QZ-9")}
        assert second == store.CourseFactsCache().get(session, COURSE)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), stream=streams())
def test_read_between_any_batches_the_cache_holds_what_a_fresh_load_finds(
    data: st.DataObject, stream: list[Envelope]
) -> None:
    """Facts arriving in batches, with reads between them: the cached course (its facts
    reloaded student by student) equals the course loaded afresh, after every batch."""
    if data.draw(st.booleans()):
        outline = outline_published(1, [{"item_id": "QZ-0", "kind": "quiz"}])
        stream.insert(data.draw(st.integers(0, len(stream))), outline)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=4)))
    cache = store.CourseFactsCache()
    with analytics_session() as session:
        for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
            apply(session, stream[start:end])
            if store.course_version(session, COURSE):
                assert cache.get(session, COURSE) == store.CourseFactsCache().get(session, COURSE)
