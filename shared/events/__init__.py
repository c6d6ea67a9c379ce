"""The event backbone: envelope, outbox, relay, consumer and inbox."""

from shared.events.envelope import Envelope, EnvelopeError
from shared.events.handlers import HandlerRegistry
from shared.events.outbox import record_event, record_events

__all__ = ["Envelope", "EnvelopeError", "HandlerRegistry", "record_event", "record_events"]
