"""The embedded gateway: the five service apps in one process behind one origin.

Production runs nginx (``deploy/nginx``) in front of separate containers; locally,
werkzeug's ``DispatcherMiddleware`` mounts each app at the same prefix nginx routes,
``/api/<service>``. The apps are found by name, so ``shared`` imports no service.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any

from flask import Flask, Response, json
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from shared.config import SERVICES


def create_service_app_by_name(service: str, config: dict[str, Any] | None = None) -> Flask:
    module = importlib.import_module(f"services.{service}.app")
    app: Flask = module.create_app(config)
    return app


def create_gateway(services: Iterable[str] = SERVICES) -> DispatcherMiddleware:
    front = Flask("stride.gateway")

    @front.get("/healthz")
    def healthz() -> Response:
        return Response(
            json.dumps({"status": "ok", "service": "gateway"}), mimetype="application/json"
        )

    @front.errorhandler(404)
    def not_found(_error: Exception) -> Response:
        body = {
            "type": "https://stride.dev/problems/not_found",
            "title": "Not Found",
            "status": 404,
            "detail": "no service is routed at this path; services live under /api/<service>/",
        }
        return Response(json.dumps(body), status=404, mimetype="application/problem+json")

    mounts = {f"/api/{name}": create_service_app_by_name(name) for name in services}
    return DispatcherMiddleware(front, mounts)  # type: ignore[arg-type]
