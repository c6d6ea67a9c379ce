"""Event handlers of the activity service, registered by event type.

The registry is also the service's subscription: its queue ``stride.activity`` is bound
to exactly the event types registered here.
"""

from __future__ import annotations

from shared.events import HandlerRegistry

registry = HandlerRegistry("activity")
