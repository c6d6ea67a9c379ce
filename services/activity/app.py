"""The activity service's application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from services.activity.api import DESCRIPTION, blp
from services.activity.schemas import ActivityLogBatchInSchema, ActivityLogInSchema
from shared.web import create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"
#: a batch of 1,000 records with details fits; the platform default (1 MiB) may not
MAX_BODY_BYTES = 4 * 1024 * 1024


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = create_service_app(
        "activity",
        migrations_dir=MIGRATIONS,
        blueprints=[blp],
        config=config,
        description=DESCRIPTION,
    )
    app.config["MAX_CONTENT_LENGTH"] = max(app.config["MAX_CONTENT_LENGTH"] or 0, MAX_BODY_BYTES)
    spec = app.extensions["stride_api"].spec
    # The request body of POST /logs is one of these (documented by reference in api.py).
    spec.components.schema("ActivityLogIn", schema=ActivityLogInSchema)
    spec.components.schema("ActivityLogBatchIn", schema=ActivityLogBatchInSchema)
    return app
