from __future__ import annotations

import pytest

from services.progress.domain import (
    Bookmark,
    BookmarkContentType,
    BookmarkPosition,
    create_bookmark,
    parse_position,
)
from shared.errors import InvalidInput
from tests.unit.progress.progress_factories import at

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "stored", "position"),
    [
        ("05:23", "05:23", BookmarkPosition(seconds=323)),
        ("5:23", "05:23", BookmarkPosition(seconds=323)),
        (" 00:00 ", "00:00", BookmarkPosition(seconds=0)),
        ("59:59", "59:59", BookmarkPosition(seconds=3599)),
        ("1:02:03", "1:02:03", BookmarkPosition(seconds=3723)),
        ("0:05:23", "05:23", BookmarkPosition(seconds=323)),
        ("12:00:00", "12:00:00", BookmarkPosition(seconds=43200)),
        ("p. 12", "p. 12", BookmarkPosition(page=12)),
        ("p.12", "p. 12", BookmarkPosition(page=12)),
        ("P 12", "p. 12", BookmarkPosition(page=12)),
        ("page 12", "p. 12", BookmarkPosition(page=12)),
        ("Page 7", "p. 7", BookmarkPosition(page=7)),
        ("12", "p. 12", BookmarkPosition(page=12)),
    ],
)
def test_position_is_parsed_and_normalized(
    raw: str, stored: str, position: BookmarkPosition
) -> None:
    parsed = parse_position(raw)

    assert parsed == position
    assert parsed.text == stored


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("05:60", "below 60"),
        ("60:00", "below 60"),
        ("1:60:00", "below 60"),
        ("5:3", "must be a time"),
        ("1:2:03", "must be a time"),
        ("05:23:11:02", "must be a time"),
        ("p. 0", "page must be from 1 to 100,000"),
        ("0", "page must be from 1 to 100,000"),
        ("-3", "must be a time"),
        ("pp. 12", "must be a time"),
        ("page", "must be a time"),
        ("١٢", "must be a time"),
        ("", "must be a time"),
        (12, "must be a string"),
    ],
)
def test_unrecognized_position_is_invalid(raw: object, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_position(raw)

    assert list(raised.value.fields) == ["position"]
    assert message in raised.value.fields["position"][0]


def test_bookmark_stores_the_normalized_position() -> None:
    bookmark = create_bookmark("BM-1", "video", "VID-9", "5:23", "key step", at(0))

    assert bookmark == Bookmark(
        "BM-1", BookmarkContentType.VIDEO, "VID-9", "05:23", at(0), "key step"
    )


def test_bookmark_without_position_or_note_points_at_the_start() -> None:
    bookmark = create_bookmark("BM-1", "lesson", "LSN-1", None, None, at(0))

    assert (bookmark.position, bookmark.note) == (None, None)


@pytest.mark.parametrize(("content_type", "position"), [("lesson", "p. 3"), ("quiz", "page 2")])
def test_lessons_and_quizzes_take_pages(content_type: str, position: str) -> None:
    assert create_bookmark("BM-1", content_type, "X-1", position, None, at(0)).position is not None


@pytest.mark.parametrize(
    ("content_type", "position", "note", "field"),
    [
        ("article", None, None, "content_type"),
        (None, None, None, "content_type"),
        ("video", "p. 3", None, "position"),
        ("lesson", "soon", None, "position"),
        ("lesson", None, "n" * 1001, "note"),
        ("lesson", None, 5, "note"),
    ],
)
def test_invalid_bookmark_names_the_field(
    content_type: object, position: object, note: object, field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        create_bookmark("BM-1", content_type, "LSN-1", position, note, at(0))

    assert list(raised.value.fields) == [field]
