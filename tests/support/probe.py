"""A minimal service built on shared/, to test the platform plumbing on its own.

It has one student-scoped resource and uses the same factory, auth, audit and error
handling as the real services.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from shared.audit import authorize
from shared.config import Settings
from shared.web import create_service_app, current_principal, request_session

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "progress" / "migrations"

blp = Blueprint("probe", __name__, description="probe resource")


class RecordIn(Schema):
    course_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    score = fields.Integer(required=True, validate=validate.Range(min=0, max=100))


class RecordQuery(Schema):
    course_id = fields.String(load_default=None)


@blp.route("/students/<student_id>/records")
class Records(MethodView):
    @blp.arguments(RecordQuery, location="query")
    @blp.response(200)
    def get(self, query: dict[str, Any], student_id: str) -> dict[str, Any]:
        # A read opens the request's transaction before the access decision, as real
        # views do; the audit must still be written without waiting on it.
        request_session().execute(sa.text("SELECT 1"))
        authorize(
            current_principal(),
            action="read",
            resource=f"records/{student_id}",
            student_id=student_id,
            course_id=query["course_id"],
        )
        return {"student_id": student_id}

    @blp.arguments(RecordIn)
    @blp.response(201)
    def post(self, body: dict[str, Any], student_id: str) -> dict[str, Any]:
        authorize(
            current_principal(),
            action="record",
            resource=f"records/{student_id}",
            student_id=student_id,
            course_id=body["course_id"],
            change=True,
        )
        return {"student_id": student_id, **body}


@blp.route("/boom")
class Boom(MethodView):
    def get(self) -> None:
        raise RuntimeError("internal detail that must not leak")


def create_probe_app(settings: Settings, database_url: str | None = None) -> Flask:
    config: dict[str, Any] = {"STRIDE_SETTINGS": settings, "TESTING": True}
    if database_url:
        config["DATABASE_URL"] = database_url
    return create_service_app(
        "progress", migrations_dir=MIGRATIONS, blueprints=[blp], config=config
    )
