"""Contracts of the analytics service's events (docs/events.md, "Analytics service events").

Every envelope has ``subject`` = the student id and ``course_id`` = the course the
analytics are about.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from shared.events.contracts.base import Payload, UtcDatetime, contract
from shared.events.contracts.fields import Id

RiskLevel = Literal["low", "medium", "high"]
Probability = Annotated[float, msgspec.Meta(ge=0, le=100)]


@contract("analytics.snapshot.updated", version=1)
class SnapshotUpdated(Payload, frozen=True, kw_only=True):
    """A student's analytics in a course changed (new facts arrived)."""

    student_id: Id
    course_id: Id
    as_of: UtcDatetime


@contract("analytics.risk.changed", version=1)
class RiskChanged(Payload, frozen=True, kw_only=True):
    """The risk level of a student in a course changed; ``reasons`` are in words."""

    student_id: Id
    course_id: Id
    from_level: RiskLevel | None = None
    to_level: RiskLevel
    success_probability: Probability
    reasons: tuple[str, ...] = ()
    assessed_at: UtcDatetime


@contract("analytics.achievement.earned", version=1)
class AchievementEarned(Payload, frozen=True, kw_only=True):
    """A student earned an achievement; ``earned_at`` is the moment of the deciding fact."""

    student_id: Id
    course_id: Id | None = None
    achievement_id: Id
    title: str
    xp: Annotated[int, msgspec.Meta(ge=0)]
    earned_at: UtcDatetime
