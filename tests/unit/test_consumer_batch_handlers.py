"""A batch handler serving several event types gets one call per batch, in arrival order."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy.orm import Session

from shared.config import load_settings
from shared.db import Database, platform_metadata
from shared.events import Envelope, HandlerRegistry
from shared.events.consumer import EventConsumer

pytestmark = pytest.mark.unit


def consumer_with(registry: HandlerRegistry, tmp_path) -> EventConsumer:
    database = Database(f"sqlite:///{tmp_path}/consumer.db")
    platform_metadata.create_all(database.engine)
    return EventConsumer(registry, database, load_settings({"STRIDE_VAR_DIR": str(tmp_path)}))


def test_one_handler_of_several_types_is_called_once_with_them_in_arrival_order(tmp_path):
    registry = HandlerRegistry("probe")
    calls: list[list[str]] = []
    singles: list[str] = []

    @registry.handles_batch("probe.a", "probe.b")
    def both(batch: Sequence[Envelope], session: Session) -> None:
        calls.append([event.payload["name"] for event in batch])

    @registry.handles_batch("probe.c")
    def other(batch: Sequence[Envelope], session: Session) -> None:
        calls.append([event.payload["name"] for event in batch])

    @registry.handles("probe.d")
    def one(event: Envelope, session: Session) -> None:
        singles.append(event.payload["name"])

    names = [("probe.a", "a1"), ("probe.c", "c1"), ("probe.b", "b1"), ("probe.d", "d1")]
    names += [("probe.a", "a2"), ("probe.b", "b2"), ("probe.c", "c2")]
    events = [Envelope(type=kind, producer="probe", payload={"name": n}) for kind, n in names]

    failures = consumer_with(registry, tmp_path)._apply(events)

    assert failures == [None] * len(events)
    assert calls == [["a1", "b1", "a2", "b2"], ["c1", "c2"]]
    assert singles == ["d1"]


def test_a_redelivered_event_of_a_shared_handler_is_not_handed_over_again(tmp_path):
    registry = HandlerRegistry("probe")
    seen: list[str] = []

    @registry.handles_batch("probe.a", "probe.b")
    def both(batch: Sequence[Envelope], session: Session) -> None:
        seen.extend(event.payload["name"] for event in batch)

    first = Envelope(type="probe.a", producer="probe", payload={"name": "a1"})
    second = Envelope(type="probe.b", producer="probe", payload={"name": "b1"})
    consumer = consumer_with(registry, tmp_path)

    consumer._apply([first])
    consumer._apply([first, second, second])

    assert seen == ["a1", "b1"]
    assert consumer.stats.duplicates == 2
