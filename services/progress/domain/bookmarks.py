"""Bookmarks into lessons, videos and quizzes, with a normalized position.

Accepted positions (surrounding spaces ignored):

* a time ``mm:ss`` (``05:23``, ``5:23``) with minutes and seconds below 60, or
  ``h:mm:ss`` (``1:02:03``) with hours up to 99; stored as ``MM:SS`` under an hour
  and ``H:MM:SS`` from an hour on (``0:05:23`` is stored ``05:23``);
* a page: ``p. 12``, ``p.12``, ``p 12``, ``page 12`` (any case) or a plain positive
  integer ``12``; stored as ``p. 12``.

A video position must be a time; lessons and quizzes take either. No position means
the start of the content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.errors import InvalidInput

from .values import require_aware, require_identifier

MAX_BOOKMARK_NOTE_LENGTH = 1_000
MAX_PAGE = 100_000
_MINUTES_SECONDS = re.compile(r"(\d{1,2}):(\d{2})", re.ASCII)
_HOURS_MINUTES_SECONDS = re.compile(r"(\d{1,2}):(\d{2}):(\d{2})", re.ASCII)
_PAGE = re.compile(r"(?:p\.?|page)?\s*(\d{1,6})", re.ASCII | re.IGNORECASE)


class BookmarkContentType(StrEnum):
    LESSON = "lesson"
    VIDEO = "video"
    QUIZ = "quiz"


@dataclass(frozen=True)
class BookmarkPosition:
    """A parsed position: a time in seconds or a page number, and its stored text."""

    seconds: int | None = None
    page: int | None = None

    @property
    def text(self) -> str:
        if self.page is not None:
            return f"p. {self.page}"
        assert self.seconds is not None
        hours, rest = divmod(self.seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


@dataclass(frozen=True)
class Bookmark:
    bookmark_id: str
    content_type: BookmarkContentType
    content_id: str
    position: str | None
    created_at: datetime
    note: str | None = None


def parse_position(raw: object, field: str = "position") -> BookmarkPosition:
    """The position ``raw`` names, or InvalidInput on ``field`` saying which forms are accepted."""
    if not isinstance(raw, str):
        raise InvalidInput.for_field(field, "must be a string such as '05:23' or 'p. 12'")
    text = raw.strip()
    if match := _HOURS_MINUTES_SECONDS.fullmatch(text):
        hours, minutes, seconds = (int(part) for part in match.groups())
        _require_below_60(minutes, seconds, field)
        return BookmarkPosition(seconds=hours * 3600 + minutes * 60 + seconds)
    if match := _MINUTES_SECONDS.fullmatch(text):
        minutes, seconds = (int(part) for part in match.groups())
        _require_below_60(minutes, seconds, field)
        return BookmarkPosition(seconds=minutes * 60 + seconds)
    if match := _PAGE.fullmatch(text):
        page = int(match.group(1))
        if not 1 <= page <= MAX_PAGE:
            raise InvalidInput.for_field(field, f"page must be from 1 to {MAX_PAGE:,}")
        return BookmarkPosition(page=page)
    raise InvalidInput.for_field(
        field, "must be a time (mm:ss or h:mm:ss) or a page ('p. 12', 'page 12' or '12')"
    )


def create_bookmark(
    bookmark_id: str,
    content_type: object,
    content_id: str,
    position: object,
    note: object,
    now: datetime,
) -> Bookmark:
    """A new bookmark with its position normalized; ``position`` and ``note`` may be None."""
    require_identifier(bookmark_id, "id")
    if not isinstance(content_type, str) or content_type not in _CONTENT_TYPES:
        raise InvalidInput.for_field("content_type", "must be one of lesson, video, quiz")
    kind = BookmarkContentType(content_type)
    require_identifier(content_id, "content_id")
    require_aware(now, "now")
    parsed = None if position is None else parse_position(position)
    if kind is BookmarkContentType.VIDEO and parsed is not None and parsed.page is not None:
        raise InvalidInput.for_field("position", "a video position must be a time, not a page")
    return Bookmark(
        bookmark_id=bookmark_id,
        content_type=kind,
        content_id=content_id,
        position=parsed.text if parsed else None,
        created_at=now,
        note=None if note is None else _bookmark_note(note),
    )


_CONTENT_TYPES = {kind.value for kind in BookmarkContentType}


def _bookmark_note(note: object) -> str:
    if not isinstance(note, str):
        raise InvalidInput.for_field("note", "must be a string")
    if len(note) > MAX_BOOKMARK_NOTE_LENGTH:
        raise InvalidInput.for_field(
            "note", f"must be at most {MAX_BOOKMARK_NOTE_LENGTH:,} characters"
        )
    if "\x00" in note:
        raise InvalidInput.for_field("note", "must not contain NUL characters")
    return note


def _require_below_60(minutes: int, seconds: int, field: str) -> None:
    if minutes >= 60 or seconds >= 60:
        raise InvalidInput.for_field(
            field, "minutes and seconds must be below 60 (write 75 minutes as 1:15:00)"
        )
