"""Security tests of the analytics service run on SQLite: no server needed (``make unit``)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from shared.config import Settings
from tests.integration.analytics.analytics_api_support import caller, make_app  # noqa: F401


@pytest.fixture
def app(settings: Settings, tmp_path: Path) -> Iterator[Flask]:
    flask_app = make_app(settings, f"sqlite:///{tmp_path}/analytics.db")
    yield flask_app
    flask_app.extensions["stride"].database.dispose()
