from __future__ import annotations

import pytest

from services.progress.store.outlines import ParsedOutlines
from tests.unit.progress.progress_factories import item, raw_outline

pytestmark = pytest.mark.unit


def test_the_same_version_and_document_are_parsed_once() -> None:
    cache = ParsedOutlines()
    first = cache.parsed("CRS-1", 1, raw_outline([item("L1")]))

    assert cache.parsed("CRS-1", 1, raw_outline([item("L1")])) is first


def test_a_new_version_or_another_document_is_parsed_again() -> None:
    cache = ParsedOutlines()
    cache.parsed("CRS-1", 1, raw_outline([item("L1")]))

    newer = cache.parsed("CRS-1", 2, raw_outline([item("L1"), item("L2")]))
    # Same course and version, another database's document (tests, a restore).
    other = cache.parsed("CRS-1", 2, raw_outline([item("L3")]))

    assert [i.item_id for i in newer.items()] == ["L1", "L2"]
    assert [i.item_id for i in other.items()] == ["L3"]


def test_a_document_changed_in_place_after_parsing_is_not_mistaken_for_the_cached_one() -> None:
    cache = ParsedOutlines()
    document = raw_outline([item("L1")])
    cache.parsed("CRS-1", 1, document)
    document["modules"][0]["items"][0]["item_id"] = "L9"

    assert [i.item_id for i in cache.parsed("CRS-1", 1, document).items()] == ["L9"]


def test_the_least_recently_parsed_course_is_dropped_beyond_the_capacity() -> None:
    cache = ParsedOutlines(capacity=2)
    first = cache.parsed("CRS-1", 1, raw_outline([item("L1")]))
    cache.parsed("CRS-2", 1, raw_outline([item("L1")]))
    cache.parsed("CRS-3", 1, raw_outline([item("L1")]))

    assert cache.parsed("CRS-1", 1, raw_outline([item("L1")])) is not first
