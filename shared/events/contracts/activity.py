"""Contracts of the activity service's events (docs/events.md, ``activity.logs.recorded``)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from shared.events.contracts.base import Payload, UtcDatetime, contract
from shared.events.contracts.fields import Id

MAX_RECORDS_PER_EVENT = 10_000


class ActivityRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One ActivityLog record as consumers see it: no device, IP or location details."""

    id: Id
    student_id: Id
    timestamp: UtcDatetime
    activity_type: Id
    activity_category: Id | None = None
    course_id: Id | None = None
    lesson_id: Id | None = None
    quiz_id: Id | None = None
    assignment_id: Id | None = None
    resource_id: Id | None = None
    session_id: Id | None = None
    details: dict[str, Any] = {}
    success: bool | None = None

    @property
    def duration_seconds(self) -> float:
        """``details.duration`` in seconds, 0 where the record has none."""
        duration = self.details.get("duration")
        if isinstance(duration, bool) or not isinstance(duration, int | float) or duration < 0:
            return 0.0
        return float(duration)


@contract("activity.logs.recorded", version=1)
class ActivityLogsRecorded(Payload, frozen=True, kw_only=True):
    """A batch of one student's records (the envelope's ``subject``)."""

    records: Annotated[
        tuple[ActivityRecord, ...], msgspec.Meta(min_length=1, max_length=MAX_RECORDS_PER_EVENT)
    ]
    time_zone: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
