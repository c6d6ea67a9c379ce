"""The daily roll-up of activity records: which days it holds, and how far back reads
may use it.

A closed UTC day (ended at least the grace window ago, for late events) is rolled up
once into ``activity_days``; a record of an earlier day stored later marks its day
stale, and the next run rolls it up again. Reads take the records themselves from the
first moment any of their computations cuts at (a period, the one before it, the
prediction's windows) and the rolled-up days before that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from services.analytics import store
from services.analytics.domain.features import MINUTES_DAYS, RECENT_DAYS
from services.analytics.domain.periods import Period
from shared.db import Database
from shared.errors import InvalidInput
from shared.progress import quiet

#: how far back a cached course keeps the records themselves (a month and the one before)
CACHED_DETAIL_DAYS = 70


def rolled_before(as_of: datetime, period: Period | None = None) -> date:
    """The day before which a computation as of ``as_of`` (on ``period``) reads the
    records only as rolled-up days: the predictions look ``RECENT_DAYS`` back, a
    document also at its period and the one before."""
    cut = as_of - timedelta(days=max(RECENT_DAYS, MINUTES_DAYS))
    if period is not None:
        cut = min(cut, period.previous().start, period.start)
    return store.utc_day(cut)


def cached_rolled_before(now: datetime) -> date:
    return store.utc_day(now) - timedelta(days=CACHED_DETAIL_DAYS)


def last_closed_day(now: datetime, grace: timedelta) -> date:
    """The latest UTC day that ended at least ``grace`` before ``now``."""
    return store.utc_day(now - grace) - timedelta(days=1)


@dataclass(frozen=True)
class Aggregated:
    days: int
    records: int
    rows: int


def aggregate_days(
    database: Database,
    now: datetime,
    grace: timedelta,
    day: date | None = None,
    progress: Callable[[int, int, str], None] = quiet,
) -> Aggregated:
    """Roll up every closed day not rolled up yet and every stale one (or only ``day``),
    a day per transaction. Idempotent: a day rolled up again gets the same rows."""
    last_closed = last_closed_day(now, grace)
    if day is not None and day > last_closed:
        raise InvalidInput.for_field(
            "day", f"is not closed yet: the latest closed day is {last_closed.isoformat()}"
        )
    with database.unit_of_work() as session:
        days = [day] if day is not None else store.days_to_aggregate(session, last_closed)
    records = rows = 0
    progress(0, len(days), "aggregate")
    for done, each in enumerate(days, start=1):
        with database.unit_of_work() as session:
            read, written = store.aggregate_day(session, each, now)
            session.commit()
        records, rows = records + read, rows + written
        progress(done, len(days), "aggregate")
    return Aggregated(len(days), records, rows)
