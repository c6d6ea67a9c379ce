"""Integrity flags raised by the quiz player, and interruptions counted from them.

Rules:

* Flag types: tab_switch, copy_paste, window_blur, fullscreen_exit, devtools_open,
  multiple_faces, other. ``details`` is optional text (at most 1,000 characters).
* Folding: a flag of the same type as a kept flag and at most one second away from it
  is folded into that flag (dropped), so a burst yields at most about one flag per
  second. Because the comparison is with kept flags, adding a flag twice changes
  nothing: a redelivered or retried flag is harmless. Flags are kept in time order.
* Interruptions: tab_switch, window_blur and fullscreen_exit flags mark the student
  leaving the quiz; such flags at most one second apart from the previous one are one
  interruption (a tab switch usually also blurs the window). Session reconnects count
  one interruption each.
* A flag on a closed attempt is accepted only if it occurred before the attempt ended
  (late delivery of an in-attempt event).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from shared.errors import InvalidInput

from .errors import AttemptStateConflict
from .field_checks import Problems, reject_unknown_keys
from .states import AttemptAction, AttemptStatus, ensure_action_allowed
from .timing import require_aware

FOLD_WINDOW = timedelta(seconds=1)
MAX_DETAILS_LENGTH = 1_000


class IntegrityFlagType(StrEnum):
    TAB_SWITCH = "tab_switch"
    COPY_PASTE = "copy_paste"
    WINDOW_BLUR = "window_blur"
    FULLSCREEN_EXIT = "fullscreen_exit"
    DEVTOOLS_OPEN = "devtools_open"
    MULTIPLE_FACES = "multiple_faces"
    OTHER = "other"


INTERRUPTION_TYPES = frozenset(
    {IntegrityFlagType.TAB_SWITCH, IntegrityFlagType.WINDOW_BLUR, IntegrityFlagType.FULLSCREEN_EXIT}
)


@dataclass(frozen=True)
class IntegrityFlag:
    type: IntegrityFlagType
    timestamp: datetime
    details: str = ""


def parse_integrity_flag(raw: object) -> IntegrityFlag:
    """Validate a raw flag ``{"type", "timestamp", "details"?}``.

    ``timestamp`` is an aware datetime or an ISO 8601 string with an offset
    (``2026-03-01T10:00:00Z``). Every problem is raised at once as InvalidInput.
    """
    if not isinstance(raw, Mapping):
        raise InvalidInput.for_field("integrity_flag", "must be a JSON object")
    problems = Problems()
    reject_unknown_keys(problems, raw, frozenset({"type", "timestamp", "details"}), "")
    raw_type = raw.get("type")
    flag_type = IntegrityFlagType.OTHER
    if isinstance(raw_type, str) and raw_type in {t.value for t in IntegrityFlagType}:
        flag_type = IntegrityFlagType(raw_type)
    else:
        problems.add("type", f"must be one of: {', '.join(t.value for t in IntegrityFlagType)}")
    timestamp = _parse_timestamp(problems, raw.get("timestamp"))
    details = raw.get("details")
    if details is None:
        details = ""
    elif not isinstance(details, str) or len(details) > MAX_DETAILS_LENGTH:
        problems.add("details", f"must be text of at most {MAX_DETAILS_LENGTH} characters")
        details = ""
    problems.raise_if_any("integrity flag")
    return IntegrityFlag(flag_type, timestamp, details)


def add_integrity_flag(
    existing: Sequence[IntegrityFlag], new: IntegrityFlag
) -> tuple[IntegrityFlag, ...]:
    """The attempt's flags after ``new`` arrives, folded and in time order (see module)."""
    for flag in existing:
        if flag.type is new.type and abs(flag.timestamp - new.timestamp) <= FOLD_WINDOW:
            return tuple(sorted(existing, key=lambda kept: kept.timestamp))
    return tuple(sorted([*existing, new], key=lambda kept: kept.timestamp))


def count_interruptions(flags: Sequence[IntegrityFlag], *, reconnects: int = 0) -> int:
    """Interruptions of the attempt: leave-the-quiz flags grouped by time, plus reconnects."""
    if isinstance(reconnects, bool) or not isinstance(reconnects, int) or reconnects < 0:
        raise InvalidInput.for_field("reconnects", "must be a whole number, 0 or more")
    moments = sorted(flag.timestamp for flag in flags if flag.type in INTERRUPTION_TYPES)
    interruptions = 0
    previous: datetime | None = None
    for moment in moments:
        if previous is None or moment - previous > FOLD_WINDOW:
            interruptions += 1
        previous = moment
    return interruptions + reconnects


def count_flags_by_type(flags: Sequence[IntegrityFlag]) -> dict[str, int]:
    """How many flags of each type, for teachers' summaries and the flagged event."""
    counts = Counter(flag.type.value for flag in flags)
    return {
        flag_type.value: counts[flag_type.value]
        for flag_type in IntegrityFlagType
        if counts[flag_type.value]
    }


def ensure_integrity_flag_accepted(
    status: AttemptStatus, flag: IntegrityFlag, *, completed_at: datetime | None
) -> None:
    """Raise :class:`AttemptStateConflict` unless ``flag`` may be added to an attempt in ``status``.

    An in-progress attempt accepts any flag; a closed one only flags that occurred
    before ``completed_at``.
    """
    ensure_action_allowed(status, AttemptAction.RECORD_INTEGRITY_FLAG)
    if status is AttemptStatus.IN_PROGRESS:
        return
    if completed_at is None or flag.timestamp > completed_at:
        raise AttemptStateConflict(
            "cannot record an integrity flag raised after the attempt was submitted"
        )


def _parse_timestamp(problems: Problems, value: object) -> datetime:
    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
    try:
        return require_aware("timestamp", moment)
    except InvalidInput:
        problems.add("timestamp", "must be an ISO 8601 date and time with a UTC offset")
        return datetime.min.replace(tzinfo=UTC)
