"""Errors of the event backbone that say what kind of failure they are.

A ``PermanentEventError`` means the event itself is wrong (not an envelope, a payload
that breaks its contract, a fact the consumer can never apply): retrying cannot help,
so the consumer parks it in its dead-letter queue, with the reason, on its first
failure. Any other exception raised by a handler is retried a bounded number of times.
"""

from __future__ import annotations


class PermanentEventError(ValueError):
    """The event can never be applied as it is: park it at once, with this reason."""
