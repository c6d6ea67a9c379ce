"""The activity API on SQLite for the access and audit tests (the rules do not depend on
the database; the integration tests run ingestion and queries on both)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from services.activity.app import create_app
from shared.config import Settings
from tests.integration.activity.activity_api_support import (  # noqa: F401
    admin,
    caller,
    parent,
    service,
    student,
    teacher,
)


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    application = create_app({"STRIDE_SETTINGS": settings, "TESTING": True})
    yield application
    application.extensions["stride"].database.dispose()
