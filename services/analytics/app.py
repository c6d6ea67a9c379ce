"""The analytics service's application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from services.analytics import store
from services.analytics.api import DESCRIPTION, blp
from services.analytics.tasks import BEAT_SCHEDULE
from shared.tasks import celery_init_app
from shared.web import create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = create_service_app(
        "analytics",
        migrations_dir=MIGRATIONS,
        blueprints=[blp],
        config=config,
        description=DESCRIPTION,
    )
    celery_init_app(app, "analytics", BEAT_SCHEDULE)
    # one cache per process, shared by its apps: the budget of the last app made
    store.course_facts_cache.students = app.extensions["stride"].settings.analytics_cache_students
    return app
