"""Student notes on lessons: content rules, tag normalization, text search, HTML escaping.

Content is markdown and is stored exactly as written. The API returns it as a JSON
string and never renders it to HTML; a client that does render it must sanitize, and
any server-side page that embeds a note (a report, an e-mail) passes it through
``escape_note_for_html`` so it shows as text and never runs as markup.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from shared.errors import InvalidInput

from .values import FieldProblems, require_aware, require_identifier

MAX_NOTE_LENGTH = 20_000
MAX_TAGS = 20
MAX_TAG_LENGTH = 32
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Note:
    note_id: str
    lesson_id: str
    content: str
    created_at: datetime
    updated_at: datetime
    tags: tuple[str, ...] = ()


def require_note_content(content: object, field: str = "content") -> str:
    """Markdown up to 20,000 characters, not blank, without NUL; returned unchanged."""
    if not isinstance(content, str):
        raise InvalidInput.for_field(field, "must be a string")
    if not content.strip():
        raise InvalidInput.for_field(field, "must not be empty")
    if len(content) > MAX_NOTE_LENGTH:
        raise InvalidInput.for_field(
            field, f"must be at most {MAX_NOTE_LENGTH:,} characters, got {len(content):,}"
        )
    if "\x00" in content:
        raise InvalidInput.for_field(field, "must not contain NUL characters")
    return content


def normalize_tags(tags: object) -> tuple[str, ...]:
    """Tags as stored: trimmed, case-folded, spaces as hyphens, a leading ``#`` dropped.

    ``["  Exam Prep", "#exam-prep", "Algebra"]`` becomes ``("exam-prep", "algebra")``:
    duplicates after normalization collapse to the first. Each tag holds letters,
    digits, ``-`` and ``_`` only, up to 32 characters; at most 20 tags.
    """
    if not isinstance(tags, list | tuple):
        raise InvalidInput.for_field("tags", "must be a list of strings")
    problems = FieldProblems("tags")
    normalized: dict[str, None] = {}
    for index, raw in enumerate(tags):
        path = f"tags[{index}]"
        if not isinstance(raw, str):
            problems.add(path, "must be a string")
            continue
        tag = _SPACES.sub("-", unicodedata.normalize("NFKC", raw).strip().casefold()).lstrip("#")
        if not tag:
            problems.add(path, "must not be empty")
        elif len(tag) > MAX_TAG_LENGTH:
            problems.add(path, f"must be at most {MAX_TAG_LENGTH} characters")
        elif not all(char.isalnum() or char in "-_" for char in tag):
            problems.add(path, "may hold only letters, digits, '-' and '_'")
        else:
            normalized[tag] = None
    if len(normalized) > MAX_TAGS:
        problems.add("tags", f"must hold at most {MAX_TAGS} distinct tags")
    problems.raise_if_any()
    return tuple(normalized)


def write_note(note_id: str, lesson_id: str, content: object, tags: object, now: datetime) -> Note:
    """A new note. The caller checks that ``lesson_id`` names a lesson of the course."""
    require_identifier(note_id, "id")
    require_identifier(lesson_id, "lesson_id")
    require_aware(now, "now")
    return Note(note_id, lesson_id, require_note_content(content), now, now, normalize_tags(tags))


def edit_note(note: Note, *, now: datetime, content: object = None, tags: object = None) -> Note:
    """The note with new content and/or tags; ``updated_at`` moves, ``created_at`` stays.

    A field left as None is not changed. ``updated_at`` never goes before
    ``created_at``, even if the caller's clock is behind the one that created the note.
    """
    require_aware(now, "now")
    return replace(
        note,
        content=note.content if content is None else require_note_content(content),
        tags=note.tags if tags is None else normalize_tags(tags),
        updated_at=max(now, note.created_at),
    )


def note_matches(note: Note, query: str) -> bool:
    """Case-insensitive search: every word of ``query`` appears in the content or a tag.

    A blank query matches every note.
    """
    haystack = _folded(" ".join([note.content, *note.tags]))
    return all(word in haystack for word in _folded(query).split())


def notes_matching(notes: Iterable[Note], query: str) -> list[Note]:
    return [note for note in notes if note_matches(note, query)]


def escape_note_for_html(content: str) -> str:
    """The note's text made safe to place inside HTML: every markup character escaped."""
    return html.escape(content, quote=True)


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()
