"""Event handlers of the reports service, registered by event type.

The registry is also the service's subscription: its queue ``stride.reports`` is bound
to exactly the event types registered here.
"""

from __future__ import annotations

from shared.events import HandlerRegistry

registry = HandlerRegistry("reports")
