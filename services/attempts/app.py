"""The attempts service's application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, g
from sqlalchemy.orm import Session

from services.attempts.api import DESCRIPTION, blp
from shared.web import create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = create_service_app(
        "attempts",
        migrations_dir=MIGRATIONS,
        blueprints=[blp],
        config=config,
        description=DESCRIPTION,
    )

    # Registered after the shared hooks, so it runs before them (Flask runs after_request
    # hooks in reverse). On SQLite every transaction begins IMMEDIATE and holds the write
    # lock; the request's transaction (reads, or a refused request) must end before the
    # audit entries are written in their own transaction.
    @app.after_request
    def end_request_transaction(response: Response) -> Response:
        session: Session | None = g.get("db_session")
        if session is not None:
            session.rollback()
        return response

    return app
