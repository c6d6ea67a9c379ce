"""Security tests of the reports service run on SQLite: no server needed (``make unit``)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from shared.config import Settings
from tests.integration.reports.reports_support import (  # noqa: F401
    admin,
    caller,
    make_app,
    parent,
    student,
    teacher,
)


@pytest.fixture
def app(settings: Settings, tmp_path: Path) -> Iterator[Flask]:
    flask_app = make_app(settings, f"sqlite:///{tmp_path}/reports.db")
    yield flask_app
    flask_app.extensions["stride"].database.dispose()
