"""Security tests of the progress service run on SQLite: no server needed (``make unit``)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from shared.config import Settings
from tests.integration.progress.progress_api_support import (  # noqa: F401
    admin,
    caller,
    make_app,
    student,
    teacher,
)


@pytest.fixture
def app(settings: Settings, tmp_path: Path) -> Iterator[Flask]:
    flask_app = make_app(settings, f"sqlite:///{tmp_path}/progress.db")
    yield flask_app
    flask_app.extensions["stride"].database.dispose()
