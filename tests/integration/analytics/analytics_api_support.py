"""Test support for the analytics API: an app on SQLite or PostgreSQL, callers by role,
facts fed through the service's own handlers, and readers of the audit log.

Imported as ``tests.integration.analytics.analytics_api_support`` by the integration
and security tests of the analytics service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from services.analytics.app import create_app
from shared.config import Settings
from shared.db import audit_table
from shared.events import Envelope
from tests.unit.analytics.streams import apply


def make_app(settings: Settings, database_url: str) -> Flask:
    return create_app({"STRIDE_SETTINGS": settings, "DATABASE_URL": database_url, "TESTING": True})


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, settings: Settings, tmp_path: Any) -> Iterator[Flask]:
    """The analytics app on each backend: SQLite (embedded mode) and the real PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/analytics.db"
    else:
        url = request.getfixturevalue("make_postgres_database")("analytics")
    flask_app = make_app(settings, url)
    yield flask_app
    flask_app.extensions["stride"].database.dispose()


def feed(app: Flask, events: Iterable[Envelope]) -> None:
    """Apply events with the service's handlers, committed as the consumer would."""
    with app.extensions["stride"].database.unit_of_work() as session:
        apply(session, events)
        session.commit()


class Caller:
    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return getattr(self.client, method)(path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self._call("get", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self._call("post", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self._call("put", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self._call("delete", path, **kwargs)


@pytest.fixture
def caller(app: Flask, token_for: Callable[..., str]) -> Callable[..., Caller]:
    def build(role: str, sub: str, **claims: list[str]) -> Caller:
        return Caller(app.test_client(), token_for(role, sub, **claims))

    return build


def audit_rows(app: Flask) -> list[dict[str, Any]]:
    with app.extensions["stride"].database.engine.connect() as connection:
        rows = connection.execute(sa.select(audit_table).order_by(audit_table.c.id))
        return [dict(row._mapping) for row in rows]
