"""Event handlers of the analytics service, registered by event type.

The registry is also the service's subscription: its queue ``stride.analytics`` is bound
to exactly the event types registered here.

Idempotency: the inbox makes a redelivered event a no-op, and beneath it every fact is
stored once under its natural key (``store.insert_new``), so the same fact arriving
in another event, or events in any order, leave the same projections. A payload that
breaks its contract raises ``ContractError``: parked at once with its reason, nothing
of it written. The facts of a batch also mark the (student, course) pairs they touch,
once per batch; the worker's ``refresh_pending`` re-assesses each pair once
(``tasks.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from services.analytics import events, usecases
from shared.events import Envelope, HandlerRegistry
from shared.time import utcnow

registry = HandlerRegistry("analytics")


@registry.handles_batch(*events.FACT_TYPES)
def record_facts(batch: Sequence[Envelope], session: Session) -> None:
    """Activity, attempts, lessons, assignments and enrollment states: one call for all of
    a consumer batch's, so the pairs they touch are marked once."""
    usecases.record_facts(session, events.batch_facts(batch), utcnow())


@registry.handles_batch("progress.outline.published")
def record_outlines(batch: Sequence[Envelope], session: Session) -> None:
    usecases.record_outlines(session, [events.course_outline(event) for event in batch], utcnow())
