"""The progress service's application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from services.progress.api import BLUEPRINTS, DESCRIPTION
from shared.web import create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = create_service_app(
        "progress",
        migrations_dir=MIGRATIONS,
        blueprints=BLUEPRINTS,
        config=config,
        description=DESCRIPTION,
    )

    return app
