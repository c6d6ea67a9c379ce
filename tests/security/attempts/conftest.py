"""The attempts API on SQLite for the access and redaction tests (the rules do not
depend on the database; the integration tests run the lifecycle on both)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from services.attempts.app import create_app
from shared.config import Settings
from tests.integration.attempts.attempts_api_support import (  # noqa: F401
    admin,
    caller,
    parent,
    student,
    teacher,
)


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    config: dict[str, Any] = {"STRIDE_SETTINGS": settings, "TESTING": True}
    application = create_app(config)
    yield application
    application.extensions["stride"].database.dispose()
