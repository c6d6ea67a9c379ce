from __future__ import annotations

import pytest

from services.progress.domain import (
    MAX_NOTE_LENGTH,
    Note,
    edit_note,
    escape_note_for_html,
    normalize_tags,
    note_matches,
    notes_matching,
    write_note,
)
from shared.errors import InvalidInput
from tests.unit.progress.progress_factories import at

pytestmark = pytest.mark.unit


def note(content: str = "Derivative of **x²** is 2x", tags: tuple[str, ...] = ()) -> Note:
    return write_note("NOTE-1", "LSN-1", content, list(tags), at(0))


def test_new_note_keeps_its_markdown_exactly_as_written() -> None:
    content = "  # Limits\n\n* ε-δ <script>alert(1)</script>\n"

    written = write_note("NOTE-1", "LSN-1", content, ["Exam"], at(0))

    assert written == Note("NOTE-1", "LSN-1", content, at(0), at(0), ("exam",))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "must not be empty"),
        (" \n\t", "must not be empty"),
        ("x" * (MAX_NOTE_LENGTH + 1), "must be at most 20,000 characters, got 20,001"),
        ("null\x00byte", "must not contain NUL characters"),
        (42, "must be a string"),
    ],
)
def test_unacceptable_content_is_invalid(content: object, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        write_note("NOTE-1", "LSN-1", content, [], at(0))

    assert raised.value.fields == {"content": [message]}


def test_content_of_exactly_the_maximum_length_is_accepted() -> None:
    assert len(note("x" * MAX_NOTE_LENGTH).content) == MAX_NOTE_LENGTH


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        (["Algebra"], ("algebra",)),
        (["  Exam Prep  ", "#exam-prep", "EXAM   PREP"], ("exam-prep",)),
        (["ÉTÉ", "straße"], ("été", "strasse")),
        (["\uff26\uff55\uff4c\uff4c"], ("full",)),  # fullwidth letters
        (["b", "a", "b"], ("b", "a")),
        ([], ()),
    ],
)
def test_tags_are_normalized_and_deduplicated_in_first_seen_order(
    raw: list[str], normalized: tuple[str, ...]
) -> None:
    assert normalize_tags(raw) == normalized


@pytest.mark.parametrize(
    ("raw", "path", "message"),
    [
        (["ok", "  "], "tags[1]", "must not be empty"),
        (["#"], "tags[0]", "must not be empty"),
        (["x" * 33], "tags[0]", "must be at most 32 characters"),
        (["a/b"], "tags[0]", "may hold only letters, digits, '-' and '_'"),
        ([7], "tags[0]", "must be a string"),
        ([f"t{n}" for n in range(21)], "tags", "must hold at most 20 distinct tags"),
        ("algebra", "tags", "must be a list of strings"),
    ],
)
def test_bad_tag_is_named_by_its_position(raw: object, path: str, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        normalize_tags(raw)

    assert raised.value.fields == {path: [message]}


def test_twenty_one_spellings_of_twenty_tags_are_accepted() -> None:
    assert len(normalize_tags([f"t{n}" for n in range(20)] + ["T0"])) == 20


def test_editing_moves_updated_at_and_keeps_created_at() -> None:
    edited = edit_note(note(tags=("a",)), now=at(30), content="New text")

    assert (edited.content, edited.tags) == ("New text", ("a",))
    assert (edited.created_at, edited.updated_at) == (at(0), at(30))


def test_editing_tags_only_keeps_the_content() -> None:
    original = note()

    edited = edit_note(original, now=at(5), tags=["Calculus"])

    assert (edited.content, edited.tags) == (original.content, ("calculus",))


def test_updated_at_never_goes_before_created_at() -> None:
    assert edit_note(note(), now=at(-10), content="x").updated_at == at(0)


def test_edit_with_invalid_content_is_refused() -> None:
    with pytest.raises(InvalidInput, match="content"):
        edit_note(note(), now=at(1), content="")


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("derivative", True),
        ("DERIVATIVE", True),
        ("x²", True),
        ("  ", True),
        ("2x derivative", True),
        ("integral", False),
        ("derivative integral", False),
        ("calculus", True),
        ("CALC", True),
    ],
)
def test_search_matches_every_word_case_insensitively_in_content_or_tags(
    query: str, found: bool
) -> None:
    assert note_matches(note(tags=("calculus",)), query) is found


def test_search_keeps_only_matching_notes() -> None:
    first, second = note("Chain rule"), note("Product rule")

    assert notes_matching([first, second], "chain") == [first]


def test_note_is_escaped_for_html_so_markup_never_runs() -> None:
    escaped = escape_note_for_html("<img src=x onerror=\"alert(1)\"> & 'quotes'")

    assert escaped == "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &#x27;quotes&#x27;"
