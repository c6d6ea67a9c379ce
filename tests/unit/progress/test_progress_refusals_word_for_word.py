# ruff: noqa: E501 (tables of refusals keep one case a line)
"""What the progress rules refuse, field by field and word for word: the API shows these
messages to clients (problem+json ``errors``), so the path, the message and the bounds
are part of the contract, not decoration."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any

import pytest

from services.progress.domain.bookmarks import (
    MAX_PAGE,
    BookmarkPosition,
    create_bookmark,
    parse_position,
)
from services.progress.domain.custom_fields import MAX_SAFE_INTEGER, validate_custom_fields
from services.progress.domain.notes import (
    edit_note,
    escape_note_for_html,
    normalize_tags,
    note_matches,
    notes_matching,
    write_note,
)
from services.progress.domain.preferences import (
    NotificationPreferences,
    notification_preferences_after,
)
from services.progress.domain.values import (
    FieldProblems,
    add_minutes,
    add_seconds,
    require_aware,
    require_duration,
    require_identifier,
    require_optional_score,
    require_score,
)
from shared.errors import InvalidInput

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class _NoOffset(tzinfo):
    def utcoffset(self, dt: datetime | None) -> None:
        return None


def refusal(call: Callable[[], Any]) -> tuple[str, dict[str, list[str]]]:
    with pytest.raises(InvalidInput) as error:
        call()
    return str(error.value), error.value.fields


# -- plain values ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("90", "must be a number from 0 to 100"),
        (True, "must be a number from 0 to 100"),
        (float("nan"), "must be a number from 0 to 100"),
        (float("inf"), "must be a number from 0 to 100"),
        (-0.5, "must be from 0 to 100, got -0.5"),
        (100.01, "must be from 0 to 100, got 100.01"),
    ],
)
def test_scores_are_refused_by_name(value: object, message: str):
    assert refusal(lambda: require_score(value, "grade")) == (
        f"grade: {message}",
        {"grade": [message]},
    )


@pytest.mark.parametrize("value", [0, 0.0, 100, 55.5])
def test_scores_from_0_to_100_are_accepted_as_floats(value: float):
    accepted = require_score(value, "grade")
    assert accepted == value and isinstance(accepted, float)
    assert require_optional_score(value, "grade") == value
    assert require_optional_score(None, "grade") is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("5", "must be a number of at least 0"),
        (None, "must be a number of at least 0"),
        (-1, "must be at least 0, got -1"),
        (-0.01, "must be at least 0, got -0.01"),
    ],
)
def test_durations_are_refused_by_name(value: object, message: str):
    assert refusal(lambda: require_duration(value, "time_spent")) == (
        f"time_spent: {message}",
        {"time_spent": [message]},
    )


def test_a_zero_duration_is_accepted():
    assert require_duration(0, "time_spent") == 0.0
    assert isinstance(require_duration(3, "time_spent"), float)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-03-02T09:00:00Z", "must be a date and time"),
        (datetime(2026, 3, 2, 9, 0), "must include a time zone offset (UTC)"),
        # a zone object that knows no offset is no zone (``datetime``'s own definition)
        (datetime(2026, 3, 2, 9, 0, tzinfo=_NoOffset()), "must include a time zone offset (UTC)"),
    ],
)
def test_moments_are_refused_by_name(value: object, message: str):
    assert refusal(lambda: require_aware(value, "completed_at")) == (
        f"completed_at: {message}",
        {"completed_at": [message]},
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "must be a non-empty string"),
        (7, "must be a non-empty string"),
        (" LSN-1", "must not start or end with whitespace"),
        ("LSN-1\n", "must not start or end with whitespace"),
        ("x" * 129, "must be at most 128 characters"),
    ],
)
def test_identifiers_are_refused_by_name(value: object, message: str):
    assert refusal(lambda: require_identifier(value, "lesson_id")) == (
        f"lesson_id: {message}",
        {"lesson_id": [message]},
    )


def test_identifier_length_is_bounded_inclusively():
    assert require_identifier("x" * 128, "lesson_id") == "x" * 128
    assert require_identifier("abc", "id", max_length=3) == "abc"
    assert refusal(lambda: require_identifier("abcd", "id", max_length=3))[1] == {
        "id": ["must be at most 3 characters"]
    }


def test_field_problems_name_the_first_and_count_the_others():
    problems = FieldProblems("outline")
    problems.raise_if_any()  # nothing to raise
    problems.add("modules[0].title", "must be a non-empty string")
    problems.add("modules[0].title", "must be short")
    with pytest.raises(InvalidInput) as one:
        problems.raise_if_any()
    assert str(one.value) == "outline is invalid: modules[0].title: must be a non-empty string"
    problems.add("modules[1].items", "must be a list")
    with pytest.raises(InvalidInput) as two:
        problems.raise_if_any()
    assert str(two.value) == (
        "outline is invalid: modules[0].title: must be a non-empty string (and 1 more field)"
    )
    problems.add("modules[2].items", "must be a list")
    with pytest.raises(InvalidInput) as three:
        problems.raise_if_any()
    assert str(three.value).endswith("(and 2 more fields)")
    assert three.value.fields == {
        "modules[0].title": ["must be a non-empty string", "must be short"],
        "modules[1].items": ["must be a list"],
        "modules[2].items": ["must be a list"],
    }


def test_sums_of_time_are_kept_to_their_unit():
    assert add_minutes(0.1, 0.2) == 0.3
    assert add_minutes(1.004, 0.006) == 1.01  # each addend to hundredths, then the sum
    assert add_seconds(0.1, 0.2) == 0.3
    assert add_seconds(1.0004, 0.0006) == 1.001
    assert add_seconds(10, 0.0004) == 10.0


# -- custom fields ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "fields"),
    [
        ([], {"custom_fields": ["must be a JSON object"]}),
        (
            {"a": {"b": {"c": {"d": 1}}}},
            {"custom_fields.a.b.c": ["nests too deep: at most 3 levels"]},
        ),
        ({"a": {"b": [[1]]}}, {"custom_fields.a.b[0]": ["nests too deep: at most 3 levels"]}),
        (
            {"bad key": 1},
            {"custom_fields.bad key": ["key must be 1-64 ASCII letters, digits, '_' or '-'"]},
        ),
        (
            {"k" * 65: 1},
            {
                f"custom_fields.{'k' * 20}...": [
                    "key must be 1-64 ASCII letters, digits, '_' or '-'"
                ]
            },
        ),
        (
            {"big": MAX_SAFE_INTEGER + 1},
            {"custom_fields.big": ["integer is too large to be read exactly by every client"]},
        ),
        (
            {"small": -(MAX_SAFE_INTEGER + 1)},
            {"custom_fields.small": ["integer is too large to be read exactly by every client"]},
        ),
        ({"x": [1, float("nan")]}, {"custom_fields.x[1]": ["must be a finite number"]}),
        ({"when": NOW}, {"custom_fields.when": ["must be a JSON value, not datetime"]}),
        (
            {f"k{n}": n for n in range(51)},
            {"custom_fields": ["must hold at most 50 keys in all, got 51"]},
        ),
        (
            {"text": "x" * 8190},
            {"custom_fields": ["must be at most 8,192 bytes as JSON, got 8,201"]},
        ),
    ],
)
def test_custom_fields_refusals_name_the_path(raw: object, fields: dict[str, list[str]]):
    assert refusal(lambda: validate_custom_fields(raw))[1] == fields


def test_custom_fields_at_their_limits_are_accepted():
    deepest = {"a": {"b": {"c": 1}, "l": [1, "x", None, True, 2.5]}}
    assert validate_custom_fields(deepest) == deepest
    keys = {f"k{n}": n for n in range(50)}
    assert validate_custom_fields(keys) == keys
    assert validate_custom_fields({"n": MAX_SAFE_INTEGER, "m": -MAX_SAFE_INTEGER}) == {
        "n": MAX_SAFE_INTEGER,
        "m": -MAX_SAFE_INTEGER,
    }
    assert validate_custom_fields({"k" * 64: 1}) == {"k" * 64: 1}
    largest = {"text": "x" * 8181}  # {"text":"..."} is 8,192 bytes
    assert validate_custom_fields(largest) == largest


def test_nested_keys_count_toward_the_limit():
    raw = {"a": {f"k{n}": n for n in range(49)}, "b": 1}  # 1 + 49 + 1 = 51 keys
    assert refusal(lambda: validate_custom_fields(raw))[1] == {
        "custom_fields": ["must hold at most 50 keys in all, got 51"]
    }


def test_every_offending_path_is_named_at_once():
    raw = {"bad key": 1, "x": float("inf"), "ok": {"deep": {"er": {"est": 1}}}}
    assert refusal(lambda: validate_custom_fields(raw))[1] == {
        "custom_fields.bad key": ["key must be 1-64 ASCII letters, digits, '_' or '-'"],
        "custom_fields.x": ["must be a finite number"],
        "custom_fields.ok.deep.er": ["nests too deep: at most 3 levels"],
    }


def test_custom_fields_are_a_detached_copy():
    inner = {"b": [1, 2]}
    raw = {"a": inner}
    plain = validate_custom_fields(raw)
    inner["b"].append(3)
    assert plain == {"a": {"b": [1, 2]}}


# -- bookmarks --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "position"),
    [
        ("05:23", BookmarkPosition(seconds=323)),
        (" 5:23 ", BookmarkPosition(seconds=323)),
        ("0:05:23", BookmarkPosition(seconds=323)),
        ("59:59", BookmarkPosition(seconds=3599)),
        ("1:02:03", BookmarkPosition(seconds=3723)),
        ("99:59:59", BookmarkPosition(seconds=99 * 3600 + 3599)),
        ("p. 12", BookmarkPosition(page=12)),
        ("P.12", BookmarkPosition(page=12)),
        ("page 1", BookmarkPosition(page=1)),
        ("12", BookmarkPosition(page=12)),
        (f"{MAX_PAGE}", BookmarkPosition(page=MAX_PAGE)),
    ],
)
def test_positions_are_parsed(raw: str, position: BookmarkPosition):
    assert parse_position(raw) == position


@pytest.mark.parametrize(
    ("position", "text"),
    [
        (BookmarkPosition(seconds=323), "05:23"),
        (BookmarkPosition(seconds=3599), "59:59"),
        (BookmarkPosition(seconds=3600), "1:00:00"),
        (BookmarkPosition(seconds=3723), "1:02:03"),
        (BookmarkPosition(page=12), "p. 12"),
    ],
)
def test_positions_are_stored_in_one_form(position: BookmarkPosition, text: str):
    assert position.text == text


TIME_OR_PAGE = "must be a time (mm:ss or h:mm:ss) or a page ('p. 12', 'page 12' or '12')"
CONTENT_TYPES = "must be one of lesson, video, quiz"
VIDEO_TIME = "a video position must be a time, not a page"
BELOW_60 = "minutes and seconds must be below 60 (write 75 minutes as 1:15:00)"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (12, "must be a string such as '05:23' or 'p. 12'"),
        ("0", f"page must be from 1 to {MAX_PAGE:,}"),
        ("p. 0", f"page must be from 1 to {MAX_PAGE:,}"),
        (f"{MAX_PAGE + 1}", f"page must be from 1 to {MAX_PAGE:,}"),
        ("60:00", BELOW_60),
        ("05:60", BELOW_60),
        ("1:60:00", BELOW_60),
        ("1:00:60", BELOW_60),
        ("5 minutes", TIME_OR_PAGE),
        ("1:2:3", TIME_OR_PAGE),
    ],
)
def test_bad_positions_are_refused_saying_what_is_accepted(raw: object, message: str):
    assert refusal(lambda: parse_position(raw, "position")) == (
        f"position: {message}",
        {"position": [message]},
    )


def test_a_bookmark_is_created_with_its_position_normalized():
    bookmark = create_bookmark("BM-1", "lesson", "LSN-1", "p.3", "see the graph", NOW)
    assert (bookmark.bookmark_id, bookmark.content_type, bookmark.content_id) == (
        "BM-1",
        "lesson",
        "LSN-1",
    )
    assert (bookmark.position, bookmark.note, bookmark.created_at) == ("p. 3", "see the graph", NOW)
    bare = create_bookmark("BM-2", "video", "VID-1", None, None, NOW)
    assert (bare.position, bare.note) == (None, None)


@pytest.mark.parametrize(
    ("arguments", "field", "message"),
    [
        (("", "lesson", "LSN-1", None, None, NOW), "id", "must be a non-empty string"),
        (("BM", "book", "LSN-1", None, None, NOW), "content_type", CONTENT_TYPES),
        (("BM", 3, "LSN-1", None, None, NOW), "content_type", CONTENT_TYPES),
        (("BM", "lesson", "", None, None, NOW), "content_id", "must be a non-empty string"),
        (("BM", "lesson", "L", None, None, "now"), "now", "must be a date and time"),
        (("BM", "video", "V", "p. 3", None, NOW), "position", VIDEO_TIME),
        (("BM", "lesson", "L", None, 5, NOW), "note", "must be a string"),
        (("BM", "lesson", "L", None, "x" * 1001, NOW), "note", "must be at most 1,000 characters"),
        (("BM", "lesson", "L", None, "a\x00b", NOW), "note", "must not contain NUL characters"),
    ],
)  # fmt: skip
def test_bookmark_refusals_name_the_field(arguments: tuple[Any, ...], field: str, message: str):
    assert refusal(lambda: create_bookmark(*arguments)) == (
        f"{field}: {message}",
        {field: [message]},
    )


def test_a_bookmark_note_of_1000_characters_is_accepted():
    assert create_bookmark("BM", "quiz", "QZ", "3", "x" * 1000, NOW).note == "x" * 1000


# -- notification preferences ---------------------------------------------------------------


def test_preferences_change_only_the_switches_sent():
    assert notification_preferences_after(None, {}) == NotificationPreferences()
    changed = notification_preferences_after(None, {"reminders": False})
    assert changed.as_dict() == {"reminders": False, "achievements": True, "deadlines": True}
    again = notification_preferences_after(changed, {"deadlines": False})
    assert again.as_dict() == {"reminders": False, "achievements": True, "deadlines": False}


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        (["reminders"], {"notification_preferences": ["must be an object of true/false switches"]}),
        (
            {"sms": True},
            {
                "notification_preferences.sms": [
                    "unknown field; expected reminders, achievements or deadlines"
                ]
            },
        ),
        ({"reminders": "no"}, {"notification_preferences.reminders": ["must be true or false"]}),
        (
            {"reminders": 0, "deadlines": None},
            {
                "notification_preferences.reminders": ["must be true or false"],
                "notification_preferences.deadlines": ["must be true or false"],
            },
        ),
    ],
)
def test_preference_refusals_name_the_switch(changes: object, fields: dict[str, list[str]]):
    assert refusal(lambda: notification_preferences_after(None, changes))[1] == fields


# -- notes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (5, "must be a string"),
        ("  \n", "must not be empty"),
        ("x" * 20_001, "must be at most 20,000 characters, got 20,001"),
        ("a\x00b", "must not contain NUL characters"),
    ],
)
def test_note_content_refusals_name_the_field(content: object, message: str):
    assert refusal(lambda: write_note("N-1", "LSN-1", content, [], NOW)) == (
        f"content: {message}",
        {"content": [message]},
    )


def test_note_content_of_20000_characters_is_kept_as_written():
    content = " *x* " + "y" * 19_995
    assert write_note("N-1", "LSN-1", content, [], NOW).content == content


@pytest.mark.parametrize(
    ("arguments", "field", "message"),
    [
        (("", "LSN-1", "x", [], NOW), "id", "must be a non-empty string"),
        (("N-1", " LSN-1", "x", [], NOW), "lesson_id", "must not start or end with whitespace"),
        (("N-1", "LSN-1", "x", [], datetime(2026, 1, 1)), "now", "must include a time zone offset (UTC)"),
        (("N-1", "LSN-1", "x", "exam", NOW), "tags", "must be a list of strings"),
    ],
)  # fmt: skip
def test_note_refusals_name_the_field(arguments: tuple[Any, ...], field: str, message: str):
    assert refusal(lambda: write_note(*arguments)) == (
        f"{field}: {message}",
        {field: [message]},
    )


def test_a_note_is_written_with_its_tags_normalized():
    note = write_note("N-1", "LSN-1", "*limits*", ["  Exam  Prep", "#exam-prep", "Algebra"], NOW)
    assert (note.note_id, note.lesson_id, note.content) == ("N-1", "LSN-1", "*limits*")
    assert (note.created_at, note.updated_at) == (NOW, NOW)
    assert note.tags == ("exam-prep", "algebra")


@pytest.mark.parametrize(
    ("tags", "normalized"),
    [
        ((), ()),
        (("\uff21\uff22\uff23",), ("abc",)),  # NFKC folds full-width letters
        (["Straße"], ("strasse",)),  # casefold, not lower
        (["a_b-c"], ("a_b-c",)),
        (["t" * 32], ("t" * 32,)),
        ([f"t{n}" for n in range(20)], tuple(f"t{n}" for n in range(20))),
        ([f"t{n % 20}" for n in range(40)], tuple(f"t{n}" for n in range(20))),
    ],
)
def test_tags_are_normalized(tags: object, normalized: tuple[str, ...]):
    assert normalize_tags(tags) == normalized


@pytest.mark.parametrize(
    ("tags", "fields"),
    [
        ([3], {"tags[0]": ["must be a string"]}),
        (["ok", "  "], {"tags[1]": ["must not be empty"]}),
        (["#"], {"tags[0]": ["must not be empty"]}),
        (["t" * 33], {"tags[0]": ["must be at most 32 characters"]}),
        (["a.b"], {"tags[0]": ["may hold only letters, digits, '-' and '_'"]}),
        ([f"t{n}" for n in range(21)], {"tags": ["must hold at most 20 distinct tags"]}),
        (
            [None, "a/b", "x" * 40],
            {
                "tags[0]": ["must be a string"],
                "tags[1]": ["may hold only letters, digits, '-' and '_'"],
                "tags[2]": ["must be at most 32 characters"],
            },
        ),
    ],
)
def test_tag_refusals_name_the_tag(tags: object, fields: dict[str, list[str]]):
    message, found = refusal(lambda: normalize_tags(tags))
    assert found == fields
    assert message.startswith("tags is invalid: ")


def test_editing_a_note_changes_only_what_is_given():
    note = write_note("N-1", "LSN-1", "first", ["a"], NOW)
    later = datetime(2026, 3, 3, tzinfo=UTC)
    edited = edit_note(note, now=later, content="second")
    assert (edited.content, edited.tags, edited.created_at, edited.updated_at) == (
        "second",
        ("a",),
        NOW,
        later,
    )
    retagged = edit_note(note, now=later, tags=["B"])
    assert (retagged.content, retagged.tags) == ("first", ("b",))
    earlier = datetime(2026, 3, 1, tzinfo=UTC)
    assert edit_note(note, now=earlier, content="x").updated_at == NOW
    assert refusal(lambda: edit_note(note, now=later, content=""))[1] == {
        "content": ["must not be empty"]
    }
    assert refusal(lambda: edit_note(note, now="now"))[1] == {"now": ["must be a date and time"]}


@pytest.mark.parametrize(
    ("query", "matches"),
    [
        ("", True),
        ("   ", True),
        ("LIMITS", True),
        ("limits exam", True),  # one word in the content, one in a tag
        ("limits physics", False),
        ("\uff4c\uff49\uff4d\uff49\uff54\uff53", True),  # NFKC on the query
        ("exam-prep", True),
        ("s e", True),
    ],
)
def test_notes_match_every_word_of_the_query(query: str, matches: bool):
    note = write_note("N-1", "LSN-1", "On **Limits**", ["exam prep"], NOW)
    assert note_matches(note, query) is matches
    assert notes_matching([note], query) == ([note] if matches else [])


def test_notes_are_escaped_for_html_with_quotes():
    assert escape_note_for_html("<b>\"x\" & 'y'</b>") == (
        "&lt;b&gt;&quot;x&quot; &amp; &#x27;y&#x27;&lt;/b&gt;"
    )
