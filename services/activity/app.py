"""The activity service's application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from services.activity.api import DESCRIPTION, INGEST_WRITER, blp
from services.activity.schemas import ActivityLogBatchInSchema, ActivityLogInSchema
from services.activity.tasks import BEAT_SCHEDULE
from services.activity.usecases import IngestWriter
from shared.tasks import celery_init_app
from shared.web import create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = create_service_app(
        "activity",
        migrations_dir=MIGRATIONS,
        blueprints=[blp],
        config=config,
        description=DESCRIPTION,
    )
    app.extensions[INGEST_WRITER] = IngestWriter(app.extensions["stride"].database)
    celery_init_app(app, "activity", BEAT_SCHEDULE)
    spec = app.extensions["stride_api"].spec
    # The request body of POST /logs is one of these (documented by reference in api.py).
    spec.components.schema("ActivityLogIn", schema=ActivityLogInSchema)
    spec.components.schema("ActivityLogBatchIn", schema=ActivityLogBatchInSchema)
    return app
