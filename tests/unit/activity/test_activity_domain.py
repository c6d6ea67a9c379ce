"""The activity domain's pure rules: record checks, minimization, months, sessions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.activity.domain import (
    DEFAULT_CATEGORY,
    ActivityType,
    duplicate_problems,
    hash_ip,
    is_time_zone,
    month_of,
    month_range,
    months_ahead,
    months_to_archive,
    parse_month,
    partition_name,
    record_problems,
    session_duration_minutes,
    strip_query,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
OLDEST = NOW - timedelta(days=365)


def problems(**overrides: object) -> dict[str, str]:
    values: dict = {
        "activity_type": "login",
        "timestamp": NOW - timedelta(hours=1),
        "present": {},
        "custom_data": None,
        "now": NOW,
        "oldest": OLDEST,
    }
    values.update(overrides)
    return record_problems(**values)


def test_a_good_record_has_no_problem():
    assert problems() == {}


def test_a_record_a_little_ahead_of_the_clock_is_accepted_far_ahead_refused():
    assert problems(timestamp=NOW + timedelta(minutes=4)) == {}
    assert "future" in problems(timestamp=NOW + timedelta(minutes=6))["timestamp"]


def test_late_records_are_accepted_back_to_the_retention_period():
    assert problems(timestamp=OLDEST + timedelta(seconds=1)) == {}
    assert "retention" in problems(timestamp=OLDEST - timedelta(seconds=1))["timestamp"]


@pytest.mark.parametrize(
    ("activity_type", "needed"),
    [
        ("quiz_submit", {"course_id", "quiz_id"}),
        ("lesson_complete", {"course_id", "lesson_id"}),
        ("video_play", {"resource_id"}),
        ("resource_download", {"resource_id"}),
        ("help_requested", set()),
    ],
)
def test_each_type_names_its_context(activity_type, needed):
    assert set(problems(activity_type=activity_type)) == needed
    present = {name: "X-1" for name in needed}
    assert problems(activity_type=activity_type, present=present) == {}


def test_custom_data_is_bounded():
    assert problems(custom_data={"a": "x" * 4000}) == {}
    assert "bytes" in problems(custom_data={"a": "x" * 4100})["details.custom_data"]


def test_every_type_has_a_default_category():
    assert set(DEFAULT_CATEGORY) == set(ActivityType)


def test_repeated_ids_of_a_student_in_a_batch_are_named():
    keys = [("S1", "A"), ("S2", "A"), ("S1", "B"), ("S1", "A")]
    assert duplicate_problems(keys) == {3: "repeats the id of record 0 for the same student"}


def test_time_zones_are_checked():
    assert is_time_zone("Europe/London") and not is_time_zone("Mars/Olympus")
    assert not is_time_zone("../../etc/passwd")


URLS = st.from_regex(
    r"\A(https?://[a-z.]{1,12}(:[0-9]{2,4})?)?(/[a-zA-Z0-9_.%-]{0,8}){0,4}"
    r"(\?[a-z0-9=&?/%]{0,12})?(#[a-z0-9?#]{0,8})?\Z"
)


@given(URLS)
def test_stripping_a_url_drops_query_and_fragment_as_urlsplit_would(url):
    parts, stripped = urlsplit(url), urlsplit(strip_query(url))
    assert url.startswith(strip_query(url))
    assert (stripped.scheme, stripped.netloc, stripped.path) == (
        parts.scheme,
        parts.netloc,
        parts.path,
    )
    assert stripped.query == stripped.fragment == ""


def test_stripping_keeps_the_page():
    assert strip_query("https://lms.example/l/1?token=abc#x") == "https://lms.example/l/1"
    assert strip_query("/lessons/2") == "/lessons/2"


def test_an_address_is_hashed_with_the_key():
    hashed = hash_ip("203.0.113.7", "key-1")
    assert len(hashed) == 64 and "203" not in hashed
    assert hashed == hash_ip("203.0.113.7", "key-1") != hash_ip("203.0.113.7", "key-2")


def test_months():
    assert month_of(datetime(2026, 3, 31, 23, tzinfo=UTC)) == date(2026, 3, 1)
    assert month_range(date(2026, 12, 1)) == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert months_ahead(NOW, 2) == [date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1)]
    assert partition_name(date(2026, 1, 1)) == "activity_logs_y2026m01"
    assert parse_month("2025-07") == date(2025, 7, 1)
    with pytest.raises(ValueError):
        parse_month("2025-13")


def test_months_older_than_the_age_are_archived_oldest_first():
    months = [date(2025, m, 1) for m in range(1, 13)] + [date(2026, 12, 1)]
    assert months_to_archive(months, NOW, 12) == [date(2025, m, 1) for m in range(1, 12)]
    assert months_to_archive(months, NOW, 24) == []


def test_a_session_lasts_from_its_first_record_to_its_last():
    assert session_duration_minutes(NOW, NOW + timedelta(minutes=45, seconds=30)) == 45.5
    assert session_duration_minutes(NOW, NOW) == 0.0
