"""The Flask application every service is built from.

``create_service_app`` wires what all five services share: configuration, the
database, migrations, the OpenAPI documentation, request ids, JSON logs, metrics,
authentication, the audit trail, health checks and problem+json errors. A service's
own ``create_app`` adds its blueprints and nothing else.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import structlog
from flask import Blueprint, Flask, Response, current_app, g, jsonify, request, send_from_directory
from flask_smorest import Api
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.orm import Session
from swagger_ui_bundle import swagger_ui_path
from werkzeug.middleware.proxy_fix import ProxyFix

from shared.audit import flush_request_audit
from shared.auth import AuthenticationError, Principal, TokenVerifier
from shared.config import Settings, load_settings
from shared.db import Database
from shared.http import problem, register_error_handlers
from shared.migrations import upgrade
from shared.observability import HttpMetrics, configure_logging
from shared.readiness import BrokerProbe
from shared.serialization import CompiledDumper

log = structlog.get_logger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
PUBLIC_ENDPOINTS = frozenset(
    {"health.healthz", "health.readyz", "health.metrics", "health.docs_assets"}
)


@dataclass
class ServiceContext:
    name: str
    settings: Settings
    database: Database
    metrics: HttpMetrics
    verifier: TokenVerifier
    broker_probe: BrokerProbe
    #: the service's own readiness checks beyond database and broker: name -> "ok" or why not
    readiness_checks: Mapping[str, Callable[[], str]] = field(default_factory=dict)


def service_context() -> ServiceContext:
    return cast(ServiceContext, current_app.extensions["stride"])


def current_principal() -> Principal:
    principal = g.get("principal")
    if principal is None:
        raise AuthenticationError("no authenticated caller")
    return cast(Principal, principal)


def request_session() -> Session:
    """The request's session: one transaction per request, rolled back unless committed."""
    if "db_session" not in g:
        g.db_session = service_context().database.session_factory()
    return cast(Session, g.db_session)


def read_session() -> Session:
    """The request's session for a view that only reads (see ``Database.read_session_factory``).

    On PostgreSQL every statement commits on its own, so what must agree is read in one
    statement, and nothing is ever written through it but the request's audit rows.
    """
    if "db_read_session" not in g:
        g.db_read_session = service_context().database.read_session_factory()
    return cast(Session, g.db_read_session)


def dumped_response(dumper: CompiledDumper, obj: Any, status: int = 200) -> Response:
    """``obj`` as JSON through a compiled schema (the view keeps ``@blp.response(Schema)``
    for the documentation; a returned ``Response`` passes flask-smorest unchanged)."""
    response = jsonify(dumper.dump(obj))
    response.status_code = status
    return response


def create_service_app(
    name: str,
    *,
    migrations_dir: Path,
    blueprints: Iterable[Blueprint],
    config: Mapping[str, Any] | None = None,
    description: str = "",
    readiness_checks: Mapping[str, Callable[[], str]] | None = None,
) -> Flask:
    config = dict(config or {})
    settings: Settings = config.pop("STRIDE_SETTINGS", None) or load_settings()
    database_url = config.pop("DATABASE_URL", None) or settings.database_url(name)
    configure_logging(settings.log_level)

    app = Flask(f"stride.{name}")
    app.config.update(
        API_TITLE=f"Stride {name} service",
        API_VERSION="1.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        # Relative, so the page works under any prefix (gateway or embedded), and served
        # from the installed swagger-ui-bundle, so the docs need no internet access.
        OPENAPI_SWAGGER_UI_URL="docs-assets/",
        MAX_CONTENT_LENGTH=settings.max_content_length,
        JSON_SORT_KEYS=False,
        API_SPEC_OPTIONS={
            "info": {"description": description or f"The Stride {name} service."},
            "security": [{"bearerAuth": []}],
        },
    )
    app.config.update(config)
    app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
        app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_prefix=1
    )

    database = Database(database_url)
    if settings.auto_migrate:
        upgrade(name, database_url, migrations_dir)
    app.extensions["stride"] = ServiceContext(
        name=name,
        settings=settings,
        database=database,
        metrics=HttpMetrics(name),
        verifier=TokenVerifier(settings),
        broker_probe=BrokerProbe(settings),
        readiness_checks=dict(readiness_checks or {}),
    )

    api = Api(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    app.register_blueprint(_health_blueprint())
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    register_error_handlers(app)
    _install_request_hooks(app)
    app.extensions["stride_api"] = api
    return app


def _install_request_hooks(app: Flask) -> None:
    @app.before_request
    def start_request() -> Response | None:
        g.started_at = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(
            request_id=g.request_id, service=service_context().name
        )
        if request.routing_exception is not None or _is_public(request.endpoint):
            return None
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("missing bearer token")
        g.principal = service_context().verifier.verify(token.strip())
        structlog.contextvars.bind_contextvars(actor=g.principal.sub, role=g.principal.role)
        return None

    @app.after_request
    def finish_request(response: Response) -> Response:
        context = service_context()
        request_id = g.get("request_id")
        # A safe request (GET, HEAD) changes nothing, so its open transaction can carry
        # the audit rows. Any other request's transaction ends first (what the view meant
        # to keep is committed by now) and the audit gets its own; on SQLite an open
        # transaction holds the write lock, which would block that one.
        # A view that only read (``read_session``) has its audit appended the same way.
        session: Session | None = g.get("db_session")
        read_session = None
        if request.method not in SAFE_METHODS or response.status_code >= 500:
            _end_request_session()
        elif session is None:
            read_session = g.get("db_read_session")
        elif session.in_transaction() and not (session.new or session.dirty or session.deleted):
            read_session = session
        else:
            _end_request_session()
        try:
            flush_request_audit(context.database, response.status_code, request_id, read_session)
        except Exception as exc:
            log.exception("audit.write_failed", error=repr(exc))
            response = problem(
                503,
                "Service Unavailable",
                "the access could not be audited, so the response is withheld",
                code="audit_unavailable",
            )
        if request_id:
            response.headers["X-Request-ID"] = request_id
        elapsed = time.perf_counter() - g.get("started_at", time.perf_counter())
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        context.metrics.observe(request.method, endpoint, response.status_code, elapsed)
        log.info(
            "request.finished",
            method=request.method,
            path=request.path,
            status=response.status_code,
            duration_ms=round(elapsed * 1000, 2),
        )
        return response

    @app.teardown_request
    def close_session(_error: BaseException | None) -> None:
        _end_request_session()
        structlog.contextvars.clear_contextvars()


def _end_request_session() -> None:
    for name in ("db_session", "db_read_session"):
        session: Session | None = g.pop(name, None)
        if session is not None:
            session.rollback()
            session.close()


def _is_public(endpoint: str | None) -> bool:
    return endpoint is None or endpoint in PUBLIC_ENDPOINTS or endpoint.startswith("api-docs.")


def _health_blueprint() -> Blueprint:
    blueprint = Blueprint("health", __name__)

    @blueprint.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok", service=service_context().name)

    @blueprint.get("/readyz")
    def readyz() -> tuple[Response, int]:
        context = service_context()
        checks: dict[str, str] = {}
        try:
            context.database.ping()
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unavailable: {type(exc).__name__}"
        checks["broker"] = context.broker_probe.check()
        for name, check in context.readiness_checks.items():
            checks[name] = check()
        ready = all(value == "ok" for value in checks.values())
        body = jsonify(
            status="ready" if ready else "unavailable", checks=checks, service=context.name
        )
        return body, 200 if ready else 503

    @blueprint.get("/docs-assets/<path:filename>")
    def docs_assets(filename: str) -> Response:
        return send_from_directory(str(swagger_ui_path), filename, max_age=86400)

    @blueprint.get("/metrics")
    def metrics() -> Response:
        registry = service_context().metrics.exposition_registry()
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)

    return blueprint
