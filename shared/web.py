"""The Flask application every service is built from.

``create_service_app`` wires what all five services share: configuration, the
database, migrations, the OpenAPI documentation, request ids, JSON logs, metrics,
authentication, the audit trail, health checks and problem+json errors. A service's
own ``create_app`` adds its blueprints and nothing else.

Every service also inherits its edge from here: JSON bodies nested deeper than
``MAX_JSON_DEPTH`` are refused (400) before any parser sees them, oversized headers get
431, every 401 is audited, every response carries ``SECURITY_HEADERS`` and
``Cache-Control: no-store`` (the docs page a CSP allowing only its own script), and the
OpenAPI documents every error as ``application/problem+json``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from itertools import accumulate
from pathlib import Path
from typing import Any, cast

import msgspec
import structlog
from apispec import BasePlugin
from flask import (
    Blueprint,
    Flask,
    Request,
    Response,
    current_app,
    g,
    jsonify,
    request,
    send_from_directory,
)
from flask_smorest import Api
from marshmallow import Schema, fields, validate
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.orm import Session
from swagger_ui_bundle import swagger_ui_path
from werkzeug.middleware.proxy_fix import ProxyFix

from shared.audit import audit_unauthenticated, flush_request_audit
from shared.auth import AuthenticationError, Principal, TokenVerifier, claimed_subject
from shared.config import Settings, load_settings
from shared.db import Database
from shared.http import PROBLEM_JSON, problem, register_error_handlers
from shared.migrations import upgrade
from shared.observability import HttpMetrics, configure_logging
from shared.readiness import BrokerProbe
from shared.serialization import CompiledDumper

log = structlog.get_logger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: A request id is kept from the gateway (nginx or the local one), which sets its own,
#: unique one; a client's own id travels as X-Client-Request-ID, for correlation only.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
PUBLIC_ENDPOINTS = frozenset(
    {"health.healthz", "health.readyz", "health.metrics", "health.docs_assets"}
)
#: JSON bodies nested deeper than this are refused (400) before any parser sees them.
MAX_JSON_DEPTH = 32
#: One request header longer than this, or all of them together, is refused with 431.
MAX_HEADER_BYTES = 16 * 1024
MAX_HEADERS_TOTAL_BYTES = 32 * 1024
#: every byte but a quote and the four brackets
_NOT_STRUCTURE = bytes(byte for byte in range(256) if byte not in b'"[]{}')
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
#: Headers every response carries. API responses hold personal data: never stored by a
#: browser or a shared cache (a view that sets its own Cache-Control keeps it).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
}
#: The docs page (Swagger UI) loads its own script and styles from /docs-assets and runs
#: one inline script, allowed by its hash; nothing else.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' {script_hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


class ProblemSchema(Schema):
    """An error, as every service answers it (RFC 9457, shared/http.py)."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    request_id = fields.String(required=True, allow_none=True)
    errors = fields.Dict()


class ProblemResponsesPlugin(BasePlugin):
    """Documents what every operation may answer besides its own responses: 401 (every
    operation needs a token), 404 when its path names a record, 400 (a malformed body),
    413, 429, all as ``application/problem+json``."""

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        for operation in (operations or {}).values():
            responses = operation.setdefault("responses", {})
            common = ["401", "429"]
            if path and "{" in path:
                common.append("404")
            if "requestBody" in operation:
                common += ["400", "413", "422"]
            for status in common:
                # A component's name: apispec turns it into a reference to the (lazy)
                # problem+json response StrideApi registers.
                responses.setdefault(status, HTTPStatus(int(status)).name)


class SchemaKeywordsPlugin(BasePlugin):
    """OpenAPI keywords a marshmallow schema states about itself, for rules that span its
    fields: ``OPENAPI = {"minProperties": 1}`` on a PATCH schema that needs one field,
    ``{"anyOf": [...]}`` for "this one or that one". Merged into the schema's component."""

    def schema_helper(
        self, name: str, definition: dict[str, Any], **kwargs: Any
    ) -> dict[str, Any] | None:
        schema = kwargs.get("schema")
        schema_class = schema if isinstance(schema, type) else type(schema)
        keywords: dict[str, Any] | None = getattr(schema_class, "OPENAPI", None)
        return dict(keywords) if keywords else None


def exclusive_bounds(_converter: Any, field: fields.Field, **_kwargs: Any) -> dict[str, Any]:
    """``Range(min=0, min_inclusive=False)`` documented as ``exclusiveMinimum`` (OpenAPI
    3.0's boolean form; apispec writes only ``minimum``)."""
    keywords: dict[str, Any] = {}
    for validator in field.validators:
        if isinstance(validator, validate.Range):
            if validator.min is not None and not validator.min_inclusive:
                keywords["exclusiveMinimum"] = True
            if validator.max is not None and not validator.max_inclusive:
                keywords["exclusiveMaximum"] = True
    return keywords


#: every JSON type but null: OpenAPI 3.0 has no "not null" for a schema without a type
ANY_BUT_NULL = [
    {"type": "string"},
    {"type": "number"},
    {"type": "boolean"},
    {"type": "array", "items": {}},
    {"type": "object"},
]


def non_null_raw(_converter: Any, field: fields.Field, **_kwargs: Any) -> dict[str, Any]:
    """A ``Raw`` field that refuses null is documented so (it would read as "anything")."""
    if type(field) is fields.Raw and not field.allow_none:
        return {"anyOf": ANY_BUT_NULL}
    return {}


class StrideApi(Api):
    """flask-smorest's Api, documenting every error as ``application/problem+json``."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        for status in HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["content"] = {PROBLEM_JSON: {"schema": ProblemSchema}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            "DEFAULT_ERROR",
            {
                "description": "Default error response",
                "content": {PROBLEM_JSON: {"schema": ProblemSchema}},
            },
            lazy=True,
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


#: a dumped document as JSON text, as Flask's ``jsonify`` writes it (keys sorted, compact,
#: a final newline) but in C: the same JSON values, in a quarter of the time; the text
#: differs only where JSON allows (UTF-8 rather than ``\u`` escapes, ``1e16`` for
#: ``1e+16``)
_DOCUMENT_JSON = msgspec.json.Encoder(order="sorted")


def dumped_response(dumper: CompiledDumper, obj: Any, status: int = 200) -> Response:
    """``obj`` as JSON through a compiled schema (the view keeps ``@blp.response(Schema)``
    for the documentation; a returned ``Response`` passes flask-smorest unchanged)."""
    body = _DOCUMENT_JSON.encode(dumper.dump(obj)) + b"\n"
    return current_app.response_class(body, status=status, mimetype="application/json")


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

    api = StrideApi(
        app, spec_kwargs={"extra_plugins": [ProblemResponsesPlugin(), SchemaKeywordsPlugin()]}
    )
    api.ma_plugin.converter.add_attribute_function(exclusive_bounds)
    api.ma_plugin.converter.add_attribute_function(non_null_raw)
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
        # The request and g looked up once: each use of Flask's proxies is a lookup.
        current = cast(Request, request._get_current_object())  # type: ignore[attr-defined]
        state = g._get_current_object()
        state.started_at = time.perf_counter()
        environ = current.environ
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        state.request_id = request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
        client_request_id = environ.get("HTTP_X_CLIENT_REQUEST_ID", "")
        context = service_context()
        if REQUEST_ID.match(client_request_id):
            structlog.contextvars.bind_contextvars(
                request_id=request_id, service=context.name, client_request_id=client_request_id
            )
        else:
            structlog.contextvars.bind_contextvars(request_id=request_id, service=context.name)
        oversized = _oversized_headers(environ)
        if oversized is not None:
            return oversized
        if current.routing_exception is not None or _is_public(current.endpoint):
            return None
        header = environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("missing bearer token")
        state.bearer_token = token.strip()
        state.principal = principal = context.verifier.verify(state.bearer_token)
        structlog.contextvars.bind_contextvars(actor=principal.sub, role=principal.role)
        return _refuse_deep_json(current)

    @app.after_request
    def finish_request(response: Response) -> Response:
        context = service_context()
        current = cast(Request, request._get_current_object())  # type: ignore[attr-defined]
        state = g._get_current_object()
        request_id = state.get("request_id")
        status = response.status_code
        # A safe request (GET, HEAD) changes nothing, so its open transaction can carry
        # the audit rows. Any other request's transaction ends first (what the view meant
        # to keep is committed by now) and the audit gets its own; on SQLite an open
        # transaction holds the write lock, which would block that one.
        # A view that only read (``read_session``) has its audit appended the same way.
        if status == 401:
            _audit_refused_token(context)
        session: Session | None = state.get("db_session")
        read_session = None
        if current.method not in SAFE_METHODS or status >= 500:
            _end_request_session()
        elif session is None:
            read_session = state.get("db_read_session")
        elif session.in_transaction() and not (session.new or session.dirty or session.deleted):
            read_session = session
        else:
            _end_request_session()
        try:
            flush_request_audit(context.database, status, request_id, read_session)
        except Exception as exc:
            log.exception("audit.write_failed", error=repr(exc))
            response = problem(
                503,
                "Service Unavailable",
                "the access could not be audited, so the response is withheld",
                code="audit_unavailable",
            )
            status = response.status_code
        if request_id:
            response.headers["X-Request-ID"] = request_id
        _add_security_headers(response, current)
        elapsed = time.perf_counter() - state.get("started_at", time.perf_counter())
        rule = current.url_rule
        endpoint = rule.rule if rule is not None else "unmatched"
        context.metrics.observe(current.method, endpoint, status, elapsed)
        log.info(
            "request.finished",
            method=current.method,
            path=current.path,
            status=status,
            duration_ms=round(elapsed * 1000, 2),
        )
        return response

    @app.teardown_request
    def close_session(_error: BaseException | None) -> None:
        _end_request_session()
        structlog.contextvars.clear_contextvars()


def _oversized_headers(environ: Mapping[str, Any]) -> Response | None:
    """431 for a header (or all of them) longer than any Stride client sends; gunicorn
    and nginx refuse far larger ones before the app (deploy/). The token is left to the
    verifier: a bearer token too long to be real is a bad token, answered 401.

    Read from the WSGI environ (``HTTP_*``, ``CONTENT_TYPE``, ``CONTENT_LENGTH``) as the
    header names and values it holds, each name as long as the header's own."""
    total = 0
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            if key == "HTTP_AUTHORIZATION":
                continue
            size = len(key) - 5 + len(value)
        elif key == "CONTENT_TYPE" or key == "CONTENT_LENGTH":
            size = len(key) + len(value)
        else:
            continue
        total += size
        if size > MAX_HEADER_BYTES or total > MAX_HEADERS_TOTAL_BYTES:
            return problem(
                431,
                "Request Header Fields Too Large",
                f"request headers are limited to {MAX_HEADER_BYTES} bytes each and "
                f"{MAX_HEADERS_TOTAL_BYTES} bytes together",
                code="request_header_fields_too_large",
            )
    return None


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text ``body`` nests arrays and objects deeper than ``limit``.

    A body with no more brackets than ``limit`` cannot (the usual case: one C-speed
    count). Otherwise, with bytes operations only: escapes are dropped, everything but
    quotes and brackets is deleted, the string contents (odd pieces between quotes) are
    dropped, and the depth is the running sum over the brackets left.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    structure = unescaped.translate(None, _NOT_STRUCTURE)
    brackets = b"".join(structure.split(b'"')[::2])
    return any(depth > limit for depth in accumulate(_DEPTH_STEP[byte] for byte in brackets))


def _refuse_deep_json(current: Request) -> Response | None:
    """Python's JSON parser recurses once per level: a deep enough body would exhaust the
    stack (RecursionError, a 500). Every body is checked before a parser sees it."""
    if current.method in SAFE_METHODS or current.content_length == 0:
        return None
    body = current.get_data(cache=True)
    if body and json_depth_exceeds(body):
        return problem(
            400,
            "Bad Request",
            f"the JSON body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels",
            code="json_too_deep",
        )
    return None


def _audit_refused_token(context: ServiceContext) -> None:
    """A 401 is audited: the subject the token claims (unverified, if any), the client
    (its address as a keyed hash) and the path."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    subject = claimed_subject(token.strip()) if scheme.lower() == "bearer" else None
    address = request.remote_addr or ""
    client = hmac.new(
        context.settings.ip_hash_key.encode(), address.encode(), hashlib.sha256
    ).hexdigest()[:16]
    audit_unauthenticated(
        claimed_subject=subject,
        client=client,
        path=f"{request.method} {request.path}",
        reason=g.get("authentication_failure", "unauthenticated"),
    )


def _add_security_headers(response: Response, current: Request) -> None:
    headers = response.headers
    # One pass over the response's headers (setdefault would scan them three times per
    # header, on every response of every service).
    present = {name.lower() for name, _ in headers.items()}
    for name, value in SECURITY_HEADERS.items():
        if name.lower() not in present:
            headers.add(name, value)
    if current.endpoint == "api-docs.openapi_swagger_ui":
        headers["Content-Security-Policy"] = _docs_csp(response)
    if "cache-control" not in present:
        headers.add("Cache-Control", "no-store")


def _docs_csp(response: Response) -> str:
    page = response.get_data(as_text=True)
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(page)
    )
    return DOCS_CSP.format(script_hashes=hashes)


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
