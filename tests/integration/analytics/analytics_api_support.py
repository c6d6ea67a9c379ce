"""Test support for the analytics API: an app on SQLite or PostgreSQL, callers by role,
facts fed through the service's own handlers, and readers of the audit log.

Imported as ``tests.integration.analytics.analytics_api_support`` by the integration
and security tests of the analytics service.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from flask import Flask

from services.analytics.app import create_app
from shared.events import Envelope
from tests.support.service_app import (
    Caller,
    app_on_each_backend,
    audit_rows,
    caller,
    make_service_app,
)
from tests.unit.analytics.streams import apply

__all__ = ["Caller", "audit_rows", "caller"]


make_app = partial(make_service_app, create_app)
app = app_on_each_backend("analytics", create_app)


def feed(app: Flask, events: Iterable[Envelope]) -> None:
    """Apply events with the service's handlers, committed as the consumer would."""
    with app.extensions["stride"].database.unit_of_work() as session:
        apply(session, events)
        session.commit()
