"""The progress service's application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, g
from sqlalchemy.orm import Session

from services.progress.api import DESCRIPTION, blp
from services.progress.notes_api import notes_blp
from shared.web import create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = create_service_app(
        "progress",
        migrations_dir=MIGRATIONS,
        blueprints=[blp, notes_blp],
        config=config,
        description=DESCRIPTION,
    )

    # Registered after the shared hooks, so it runs before them (Flask runs after_request
    # hooks in reverse). Ending the request's transaction before the audit is written
    # matters on SQLite: every transaction there begins IMMEDIATE and holds the write
    # lock, so an uncommitted request session (a refused request, or reads after a
    # commit) would block the audit's own transaction until the busy timeout.
    @app.after_request
    def end_request_transaction(response: Response) -> Response:
        session: Session | None = g.get("db_session")
        if session is not None:
            session.rollback()
        return response

    return app
