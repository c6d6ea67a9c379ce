"""The ActivityLog vocabulary and limits, and the rules a record must satisfy.

These constants are the one source of truth of the record contract: the marshmallow
schema (the documented contract) and the msgspec decoder (the ingestion hot path) are
both built from them, and both call ``record_problems`` for the rules that span fields.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec


class ActivityType(enum.StrEnum):
    LOGIN = "login"
    LOGOUT = "logout"
    LESSON_START = "lesson_start"
    LESSON_COMPLETE = "lesson_complete"
    QUIZ_START = "quiz_start"
    QUIZ_SUBMIT = "quiz_submit"
    VIDEO_PLAY = "video_play"
    VIDEO_COMPLETE = "video_complete"
    ACHIEVEMENT_EARNED = "achievement_earned"
    RESOURCE_DOWNLOAD = "resource_download"
    HELP_REQUESTED = "help_requested"


class ActivityCategory(enum.StrEnum):
    LEARNING = "learning"
    ASSESSMENT = "assessment"
    SOCIAL = "social"
    SYSTEM = "system"


class InputMethod(enum.StrEnum):
    MOUSE = "mouse"
    KEYBOARD = "keyboard"
    TOUCH = "touch"
    VOICE = "voice"


class ConnectionType(enum.StrEnum):
    WIFI = "wifi"
    CELLULAR = "cellular"
    ETHERNET = "ethernet"


ACTIVITY_TYPES = tuple(t.value for t in ActivityType)
CATEGORIES = tuple(c.value for c in ActivityCategory)
INPUT_METHODS = tuple(m.value for m in InputMethod)
CONNECTION_TYPES = tuple(c.value for c in ConnectionType)

#: the category a record gets when the client sends none
DEFAULT_CATEGORY: Mapping[ActivityType, ActivityCategory] = {
    ActivityType.LOGIN: ActivityCategory.SYSTEM,
    ActivityType.LOGOUT: ActivityCategory.SYSTEM,
    ActivityType.LESSON_START: ActivityCategory.LEARNING,
    ActivityType.LESSON_COMPLETE: ActivityCategory.LEARNING,
    ActivityType.QUIZ_START: ActivityCategory.ASSESSMENT,
    ActivityType.QUIZ_SUBMIT: ActivityCategory.ASSESSMENT,
    ActivityType.VIDEO_PLAY: ActivityCategory.LEARNING,
    ActivityType.VIDEO_COMPLETE: ActivityCategory.LEARNING,
    ActivityType.ACHIEVEMENT_EARNED: ActivityCategory.SOCIAL,
    ActivityType.RESOURCE_DOWNLOAD: ActivityCategory.LEARNING,
    ActivityType.HELP_REQUESTED: ActivityCategory.SOCIAL,
}

#: the context references a record of each type must name
REQUIRED_CONTEXT: Mapping[ActivityType, tuple[str, ...]] = {
    ActivityType.LESSON_START: ("course_id", "lesson_id"),
    ActivityType.LESSON_COMPLETE: ("course_id", "lesson_id"),
    ActivityType.QUIZ_START: ("course_id", "quiz_id"),
    ActivityType.QUIZ_SUBMIT: ("course_id", "quiz_id"),
    ActivityType.VIDEO_PLAY: ("resource_id",),
    ActivityType.VIDEO_COMPLETE: ("resource_id",),
    ActivityType.RESOURCE_DOWNLOAD: ("resource_id",),
}

#: records in one POST /logs
MAX_BATCH_RECORDS = 1000


@dataclass(frozen=True)
class Limits:
    """Bounds of every field (inclusive)."""

    id_pattern: str = r"\A[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}\Z"
    id_length: int = 128
    text_length: int = 200
    url_length: int = 2048
    error_message_length: int = 2000
    time_zone_length: int = 64
    duration_seconds: float = 86_400.0
    percent: float = 100.0
    interaction_count: int = 1_000_000
    milliseconds: float = 3_600_000.0
    session_minutes: float = 1_440.0
    custom_data_bytes: int = 4096
    clock_skew: timedelta = timedelta(minutes=5)


LIMITS = Limits()


def record_problems(
    *,
    activity_type: str,
    timestamp: datetime,
    present: Mapping[str, Any],
    custom_data: Mapping[str, Any] | None,
    now: datetime,
    oldest: datetime,
) -> dict[str, str]:
    """The rules that span fields, as ``{field: problem}`` (empty when the record is good).

    ``present`` maps the context fields (``course_id``...) to their values; ``oldest``
    is the earliest moment still within the retention period.
    """
    problems: dict[str, str] = {}
    if timestamp > now + LIMITS.clock_skew:
        problems["timestamp"] = (
            f"is in the future (more than {int(LIMITS.clock_skew.total_seconds())} seconds "
            "ahead of the server clock)"
        )
    elif timestamp < oldest:
        problems["timestamp"] = "is older than the retention period"
    for field in REQUIRED_CONTEXT.get(ActivityType(activity_type), ()):
        if present.get(field) is None:
            problems[field] = f"is required for activity_type {activity_type}"
    if custom_data is not None:
        size = len(msgspec.json.encode(custom_data))
        if size > LIMITS.custom_data_bytes:
            problems["details.custom_data"] = (
                f"is {size} bytes as JSON; at most {LIMITS.custom_data_bytes} are kept"
            )
    return problems


def duplicate_problems(keys: Iterable[tuple[str, str]]) -> dict[int, str]:
    """Records of a batch that repeat an earlier record's (student_id, id), by index."""
    first: dict[tuple[str, str], int] = {}
    problems: dict[int, str] = {}
    for index, key in enumerate(keys):
        if key in first:
            problems[index] = f"repeats the id of record {first[key]} for the same student"
        else:
            first[key] = index
    return problems


def is_time_zone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone this platform knows (progress counts streaks
    in it, so an unknown one must be refused here rather than parked there)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
