"""The verdict of a chaos run: how many times each event of the outbox was applied."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from shared.db import Database, outbox_table
from tests.chaos.harness import effects_table


@dataclass(frozen=True)
class EffectLedger:
    """How many times each event committed to the outbox was applied by the consumer."""

    expected: frozenset[str]
    applications: Counter[str]

    @classmethod
    def read(cls, producer: Database, consumer: Database) -> EffectLedger:
        with producer.engine.connect() as connection:
            expected = frozenset(connection.execute(sa.select(outbox_table.c.id)).scalars())
        with consumer.engine.connect() as connection:
            rows = connection.execute(sa.select(effects_table.c.event_id)).scalars()
            applications = Counter(rows)
        return cls(expected, applications)

    @property
    def total(self) -> int:
        return sum(self.applications.values())

    @property
    def distinct(self) -> int:
        return len(self.applications)

    @property
    def applied_twice(self) -> dict[str, int]:
        return {event_id: n for event_id, n in self.applications.items() if n > 1}

    @property
    def missing(self) -> set[str]:
        return set(self.expected - self.applications.keys())

    @property
    def unexpected(self) -> set[str]:
        return set(self.applications.keys() - self.expected)

    def summary(self) -> str:
        return (
            f"{len(self.expected)} events in the outbox, {self.total} effect rows for "
            f"{self.distinct} distinct events; {len(self.missing)} missing, "
            f"{len(self.applied_twice)} applied more than once, "
            f"{len(self.unexpected)} not from the outbox"
        )


def assert_applied_exactly_once(ledger: EffectLedger) -> None:
    assert not ledger.missing, f"events lost: {sorted(ledger.missing)[:5]}... {ledger.summary()}"
    assert not ledger.applied_twice, (
        f"events applied more than once: {list(ledger.applied_twice.items())[:5]}... "
        f"{ledger.summary()}"
    )
    assert not ledger.unexpected, ledger.summary()
    assert ledger.total == ledger.distinct == len(ledger.expected), ledger.summary()


def unsent_events(producer: Database) -> int:
    with producer.engine.connect() as connection:
        query = sa.select(sa.func.count()).where(outbox_table.c.sent_at.is_(None))
        return int(connection.execute(query).scalar_one())


def distinct_effects(consumer: Database) -> int:
    with consumer.engine.connect() as connection:
        query = sa.select(sa.func.count(sa.distinct(effects_table.c.event_id)))
        return int(connection.execute(query).scalar_one())


def has_double_effects(consumer: Database) -> bool:
    with consumer.engine.connect() as connection:
        query = (
            sa.select(effects_table.c.event_id)
            .group_by(effects_table.c.event_id)
            .having(sa.func.count() > 1)
            .limit(1)
        )
        return connection.execute(query).first() is not None


def outbox_errors(producer: Database, limit: int = 5) -> list[tuple[str, int, str]]:
    with producer.engine.connect() as connection:
        rows = connection.execute(
            sa.select(outbox_table.c.id, outbox_table.c.publish_attempts, outbox_table.c.last_error)
            .where(outbox_table.c.last_error.is_not(None))
            .limit(limit)
        )
        return [(row.id, row.publish_attempts, row.last_error) for row in rows]
