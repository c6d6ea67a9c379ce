"""Progress rules at the edges where they change: the first day of the streak window, an
outline of a single item, a paused enrollment that stays paused, and refusals that name
their document or field."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from services.progress.domain import (
    EnrollmentStatus,
    active_dates_to_keep,
    derive_progress,
    local_date_of,
    parse_outline,
    progress_percentage,
    student_time_zone,
)
from services.progress.domain.custom_fields import validate_custom_fields
from services.progress.domain.notes import note_matches, write_note
from services.progress.domain.preferences import notification_preferences_after
from services.progress.domain.quizzes import AttemptSubmitted, record_attempt_fact
from services.progress.domain.values import add_minutes, add_seconds
from shared.errors import InvalidInput
from tests.unit.progress.progress_factories import T0, item, outline, work

pytestmark = pytest.mark.unit


def test_the_first_day_of_the_window_is_kept():
    latest = date(2024, 9, 30)
    first_of_window = latest - timedelta(days=90)
    before = first_of_window - timedelta(days=2)
    assert active_dates_to_keep({latest, first_of_window, before}) == {latest, first_of_window}
    assert active_dates_to_keep({latest, latest - timedelta(days=3)}, window_days=3) == {
        latest,
        latest - timedelta(days=3),
    }


def test_an_outline_of_one_item_of_weight_one_counts_to_100():
    single = outline([item("L1")])
    assert progress_percentage(single, work(("L1",))) == 100
    assert progress_percentage(single, work()) == 0


def test_a_paused_enrollment_stays_paused_after_work_that_does_not_complete_it():
    course = outline([item("L1"), item("L2")])
    paused = derive_progress(
        course, work(("L1",)), EnrollmentStatus.PAUSED, after_student_work=True
    )
    assert paused.status is EnrollmentStatus.PAUSED
    done = derive_progress(
        course, work(("L1", "L2")), EnrollmentStatus.COMPLETED, after_student_work=True
    )
    assert done.status is EnrollmentStatus.COMPLETED


def test_an_unknown_zone_is_refused_by_name():
    with pytest.raises(InvalidInput) as error:
        student_time_zone("Mars/Olympus_Mons")
    assert error.value.fields == {"time_zone": ["unknown IANA time zone 'Mars/Olympus_Mons'"]}


def test_a_naive_timestamp_is_refused_by_name():
    with pytest.raises(InvalidInput) as error:
        local_date_of(datetime(2026, 3, 8, 12, 0), "UTC")
    assert error.value.fields == {"timestamp": ["must include a time zone offset (UTC)"]}


def test_a_fact_of_another_attempt_is_refused():
    state = record_attempt_fact(None, AttemptSubmitted("AT-1", T0, 5, 80, True))
    with pytest.raises(InvalidInput) as error:
        record_attempt_fact(state, AttemptSubmitted("AT-2", T0, 5, 80, True))
    assert error.value.fields == {"attempt_id": ["fact of 'AT-2' given to attempt 'AT-1'"]}


def test_refusals_of_a_document_name_the_document():
    with pytest.raises(InvalidInput) as fields:
        validate_custom_fields({"a b": 1})
    assert str(fields.value) == (
        "custom_fields is invalid: custom_fields.a b: "
        "key must be 1-64 ASCII letters, digits, '_' or '-'"
    )
    with pytest.raises(InvalidInput) as preferences:
        notification_preferences_after(None, {"sms": True})
    assert str(preferences.value) == (
        "notification_preferences is invalid: notification_preferences.sms: "
        "unknown field; expected reminders, achievements or deadlines"
    )


def test_an_invalid_key_of_exactly_64_characters_is_shown_whole():
    key = "a b" + "c" * 61
    with pytest.raises(InvalidInput) as error:
        validate_custom_fields({key: 1})
    assert list(error.value.fields) == [f"custom_fields.{key}"]


def test_a_search_word_never_matches_across_content_and_tags():
    note = write_note("N-1", "LSN-1", "limits", ["exam"], T0)
    assert note_matches(note, "limits exam")
    assert not note_matches(note, "xx")
    assert not note_matches(note, "limitsexam")


@pytest.mark.parametrize(
    "flag", ["all_required_quizzes_passed", "all_required_assignments_submitted"]
)
def test_every_completion_flag_is_checked_at_its_path(flag: str):
    raw = {
        "modules": [
            {
                "module_id": "M",
                "title": "T",
                "items": [{"item_id": "L", "kind": "lesson", "title": "t"}],
            }
        ],
        "completion_criteria": {flag: "yes"},
    }
    with pytest.raises(InvalidInput) as error:
        parse_outline(raw)
    assert error.value.fields == {f"completion_criteria.{flag}": ["must be true or false"]}


def test_every_module_and_item_after_a_malformed_one_is_still_checked():
    raw = {
        "modules": [
            "not a module",
            {
                "module_id": "M",
                "title": "",
                "items": ["not an item", {"item_id": "", "kind": "lesson", "title": "t"}],
            },
        ]
    }
    with pytest.raises(InvalidInput) as error:
        parse_outline(raw)
    assert error.value.fields == {
        "modules[0]": ["must be an object"],
        "modules[1].title": ["must be a non-empty string"],
        "modules[1].items[0]": ["must be an object"],
        "modules[1].items[1].item_id": ["must be a non-empty string without surrounding spaces"],
    }


@pytest.mark.parametrize("value", ["text", None, True, 2.5, [1, "x"]])
def test_only_object_keys_count_toward_the_limit_of_50(value: object):
    raw = {f"k{n}": value for n in range(50)}
    assert validate_custom_fields(raw) == raw


@pytest.mark.parametrize(
    ("odd_value", "problem_path", "problem"),
    [
        ({"b": {"c": {"d": 1}}}, "custom_fields.k0.b.c", "nests too deep: at most 3 levels"),
        (T0, "custom_fields.k0", "must be a JSON value, not datetime"),
    ],
)
def test_a_refused_value_adds_no_key_to_the_count(
    odd_value: object, problem_path: str, problem: str
):
    """50 keys in all, one of them holding a refused value: one problem, not two."""
    raw: dict[str, object] = {"k0": odd_value}
    counted = 3 if isinstance(odd_value, dict) else 1  # k0, b and c; or k0 alone
    raw.update({f"flat{n}": n for n in range(50 - counted)})
    with pytest.raises(InvalidInput) as error:
        validate_custom_fields(raw)
    assert error.value.fields == {problem_path: [problem]}


def test_each_addend_is_rounded_before_the_sum():
    assert add_minutes(0, 0.0049) == 0.0  # not 0.005 -> 0.01
    assert add_seconds(0, 0.00049) == 0.0  # not 0.0005 -> 0.001
