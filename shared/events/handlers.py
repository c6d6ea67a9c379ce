"""A registry of event handlers: plain functions of ``(event, session)`` by event type.

A high-volume event type may instead register a batch handler, a function of
``(events, session)``: the consumer then hands it every new event of its types in a
batch at once, in arrival order, so one statement can apply many (an upsert, an
aggregate) and a handler of several types does once what they share.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeAlias

from sqlalchemy.orm import Session

from shared.events.envelope import Envelope

Handler: TypeAlias = Callable[[Envelope, Session], None]
BatchHandler: TypeAlias = Callable[[Sequence[Envelope], Session], None]


class HandlerRegistry:
    """The event types one consumer applies, each to its handler.

    The registry is also the consumer's subscription: its queue is bound to exactly
    these event types.
    """

    def __init__(self, consumer: str) -> None:
        self.consumer = consumer
        self._handlers: dict[str, Handler] = {}
        self._batch_handlers: dict[str, BatchHandler] = {}

    def handles(self, *event_types: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for event_type in event_types:
                if event_type in self._handlers:
                    raise ValueError(f"{self.consumer}: {event_type} already has a handler")
                self._handlers[event_type] = handler
            return handler

        return register

    def handles_batch(self, *event_types: str) -> Callable[[BatchHandler], BatchHandler]:
        """Register a handler that applies many events of these types in one call."""

        def register(handler: BatchHandler) -> BatchHandler:
            for event_type in event_types:
                self.handles(event_type)(lambda event, session: handler([event], session))
                self._batch_handlers[event_type] = handler
            return handler

        return register

    def handler_for(self, event_type: str) -> Handler | None:
        return self._handlers.get(event_type)

    def batch_handler_for(self, event_type: str) -> BatchHandler | None:
        return self._batch_handlers.get(event_type)

    @property
    def event_types(self) -> list[str]:
        return sorted(self._handlers)

    def __len__(self) -> int:
        return len(self._handlers)
