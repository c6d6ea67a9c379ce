"""The course outline analytics keeps from ``progress.outline.published``: the highest
``outline_version`` wins, whatever the order of arrival; a redelivery changes nothing."""

from __future__ import annotations

import pytest

from services.analytics import events, store
from services.analytics.domain.projections import OutlineItem
from shared.events.contracts import ContractError
from tests.unit.analytics.streams import (
    COURSE,
    OTHER_COURSE,
    STUDENT,
    analytics_session,
    apply,
    assignment,
    at,
    enrolled,
    outline_published,
    status_changed,
)

pytestmark = pytest.mark.unit

FIRST = [
    {"item_id": "LSN-1", "kind": "lesson"},
    {"item_id": "TMA-1", "kind": "assignment", "weight": 10.0, "due_at": at(19)},
]
SECOND = [
    {"item_id": "TMA-1", "kind": "assignment", "weight": 20.0, "due_at": at(21)},
    {"item_id": "QZ-1", "kind": "quiz", "required": False, "module_id": "M2"},
]


def stored(session, course=COURSE):
    return store.outlines_of(session, [course]).get(course, ())


def test_an_outline_is_kept_with_its_items_in_course_order():
    with analytics_session() as session:
        apply(session, [outline_published(1, FIRST)])
        lesson, tma = stored(session)
    assert lesson == OutlineItem(COURSE, "LSN-1", 0, "lesson", "M1", True, 1.0, None)
    assert (tma.item_id, tma.position, tma.weight, tma.due_at) == ("TMA-1", 1, 10.0, at(19))


def test_a_later_version_replaces_the_outline_whole():
    with analytics_session() as session:
        apply(session, [outline_published(1, FIRST), outline_published(2, SECOND)])
        items = stored(session)
        assert store.outline_version_of(session, COURSE) == 2
    assert [(i.item_id, i.weight, i.due_at, i.required) for i in items] == [
        ("TMA-1", 20.0, at(21), True),
        ("QZ-1", 1.0, None, False),
    ]


def test_an_older_version_arriving_late_changes_nothing():
    with analytics_session() as session:
        apply(session, [outline_published(2, SECOND), outline_published(1, FIRST)])
        assert [i.item_id for i in stored(session)] == ["TMA-1", "QZ-1"]
        assert store.outline_version_of(session, COURSE) == 2


def test_the_same_publication_twice_leaves_one_outline():
    event = outline_published(1, FIRST, event_id="7f0b7a43-1d7e-4c55-9e51-0b8f3f1a9e01")
    with analytics_session() as session:
        apply(session, [event, event])
        assert [i.item_id for i in stored(session)] == ["LSN-1", "TMA-1"]


def test_outlines_of_two_courses_stay_apart():
    with analytics_session() as session:
        apply(
            session,
            [outline_published(1, FIRST), outline_published(3, SECOND, course=OTHER_COURSE)],
        )
        assert [i.item_id for i in stored(session)] == ["LSN-1", "TMA-1"]
        assert [i.item_id for i in stored(session, OTHER_COURSE)] == ["TMA-1", "QZ-1"]


def test_a_new_outline_marks_the_course_students_for_a_refresh_and_invalidates_the_cache():
    with analytics_session() as session:
        apply(session, [enrolled(at(0)), assignment("TMA-1", "submit", at(3), occurred=at(3))])
        store.forget_pending(session, store.claim_pending(session, 100))
        version = store.course_version(session, COURSE)
        apply(session, [outline_published(1, FIRST)])
        assert store.pending_count(session) == 1
        assert store.course_version(session, COURSE) == version + 1
        store.forget_pending(session, store.claim_pending(session, 100))
        apply(session, [outline_published(1, FIRST)])  # nothing new
        assert store.pending_count(session) == 0


def test_the_students_facts_carry_their_course_outline_and_the_catalog_is_the_outline():
    with analytics_session() as session:
        apply(
            session,
            [
                enrolled(at(0)),
                assignment("TMA-OLD", "submit", at(3), occurred=at(3)),
                outline_published(1, FIRST),
                outline_published(1, SECOND, course=OTHER_COURSE),
            ],
        )
        facts = store.student_facts(session, STUDENT, COURSE)
        catalog = store.catalog_of(session, [COURSE])
    assert [i.item_id for i in facts.outline] == ["LSN-1", "TMA-1"]
    assert catalog == {(COURSE, "lesson", "LSN-1"), (COURSE, "assignment", "TMA-1")}


def test_a_status_change_counts_from_the_moment_it_took_effect():
    change = status_changed(at(40), "in_progress", "paused", changed_at=at(10))
    with analytics_session() as session:
        apply(session, [enrolled(at(0)), change])
        [enrollment] = store.student_facts(session, STUDENT, COURSE).enrollments
    assert enrollment.status_changes == ((at(10), "paused"),)
    assert (enrollment.status_at(at(9)), enrollment.status_at(at(11))) == (None, "paused")


@pytest.mark.parametrize(
    "items",
    [
        [{"item_id": "A", "kind": "assignment"}, {"item_id": "A", "kind": "quiz"}],
        [{"item_id": "A", "kind": "video"}],
        [{"item_id": "A", "kind": "quiz", "weight": 0}],
    ],
    ids=["item twice", "unknown kind", "weight 0"],
)
def test_a_malformed_outline_is_refused_and_nothing_of_it_is_written(items):
    with analytics_session() as session:
        with pytest.raises(ContractError):
            apply(session, [outline_published(1, items)])
        assert stored(session) == ()


def test_an_outline_parses_to_course_ordered_items():
    outline = events.course_outline(outline_published(4, SECOND))
    assert (outline.course_id, outline.outline_version) == (COURSE, 4)
    assert [(i.position, i.module_id) for i in outline.items] == [(0, "M1"), (1, "M2")]
