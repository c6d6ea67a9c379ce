"""The reports service's application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from services.reports import documents
from services.reports.api import DESCRIPTION, blp
from services.reports.tasks import BEAT_SCHEDULE
from shared.tasks import celery_init_app
from shared.web import create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = create_service_app(
        "reports",
        migrations_dir=MIGRATIONS,
        blueprints=[blp],
        config=config,
        description=DESCRIPTION,
        readiness_checks={"pdf": lambda: documents.pdf_support()},
    )
    celery_init_app(app, "reports", BEAT_SCHEDULE)
    # Load WeasyPrint (or learn why it cannot load) now, not in the first readiness probe.
    documents.pdf_support()
    return app
