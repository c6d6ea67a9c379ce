"""Sessions, active days and local time of a student's activity records.

A session is the records sharing a ``session_id``; records without one are grouped by
inactivity: a record starting more than ``SESSION_GAP`` after the previous one ended
starts a new session. A session lasts from its first record's start to the latest end
(``timestamp + duration``) of its records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from services.analytics.domain.projections import ActivityFact

SESSION_GAP = timedelta(minutes=30)
IDLE_GAP = timedelta(minutes=5)


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local(moment: datetime, time_zone: str) -> datetime:
    return moment.astimezone(zone(time_zone))


def end_of(fact: ActivityFact) -> datetime:
    return fact.occurred_at + timedelta(seconds=fact.duration_seconds)


@dataclass(frozen=True)
class Session:
    key: str
    records: tuple[ActivityFact, ...]

    @property
    def start(self) -> datetime:
        return self.records[0].occurred_at

    @property
    def end(self) -> datetime:
        return max(end_of(record) for record in self.records)

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60

    @property
    def idle_minutes(self) -> float:
        """Gaps of at least ``IDLE_GAP`` between the end of the records so far and the
        next record's start."""
        idle = 0.0
        reached = end_of(self.records[0])
        for record in self.records[1:]:
            gap = record.occurred_at - reached
            if gap >= IDLE_GAP:
                idle += gap.total_seconds() / 60
            reached = max(reached, end_of(record))
        return idle


def sessions_of(records: Sequence[ActivityFact]) -> list[Session]:
    """The sessions of one student's records, in order of their start."""
    ordered = sorted(records, key=lambda r: (r.occurred_at, r.record_id))
    named: dict[str, list[ActivityFact]] = {}
    unnamed: list[list[ActivityFact]] = []
    reached: datetime | None = None
    for record in ordered:
        if record.session_id is not None:
            named.setdefault(record.session_id, []).append(record)
            continue
        if reached is None or record.occurred_at - reached > SESSION_GAP:
            unnamed.append([])
            reached = end_of(record)
        unnamed[-1].append(record)
        reached = max(reached, end_of(record))
    sessions = [Session(f"id:{key}", tuple(group)) for key, group in named.items()]
    sessions += [Session(f"gap:{n}", tuple(group)) for n, group in enumerate(unnamed)]
    return sorted(sessions, key=lambda s: (s.start, s.key))


def active_dates(records: Sequence[ActivityFact], time_zone: str) -> list[date]:
    """The distinct local dates with at least one record, in order."""
    return sorted({local(record.occurred_at, time_zone).date() for record in records})


def student_time_zone(records: Sequence[ActivityFact], until: datetime) -> str:
    """The zone of the student's latest record before ``until`` (UTC without one)."""
    before = [record for record in records if record.occurred_at < until] or list(records)
    if not before:
        return "UTC"
    return max(before, key=lambda r: (r.occurred_at, r.record_id)).time_zone
