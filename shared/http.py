"""Errors as ``application/problem+json`` (RFC 9457), in one shape for every service."""

from __future__ import annotations

from typing import Any

import structlog
from flask import Flask, Response, g, json
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from shared.auth import AuthenticationError
from shared.errors import DomainError, InvalidInput, http_status_of

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://stride.dev/problems/"
#: The one detail of every 404: a record the caller may not see answers exactly as one
#: that does not exist, so the body never tells the two apart (nor repeats an id).
NOT_FOUND_DETAIL = "no such resource, or the caller may not see it"
#: The one detail of every 401: the verifier's reason is logged and audited, never sent.
UNAUTHORIZED_DETAIL = "a valid bearer token is required"

log = structlog.get_logger(__name__)


def problem_body(
    status: int,
    title: str,
    detail: str,
    *,
    code: str,
    request_id: str | None,
    errors: dict[str, Any] | None = None,
) -> str:
    """The problem+json document; also written outside Flask (gateway, gunicorn)."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "request_id": request_id,
    }
    if errors:
        body["errors"] = errors
    return json.dumps(body)


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    code: str,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = problem_body(
        status,
        title,
        detail,
        code=code,
        request_id=getattr(g, "request_id", None),
        errors=errors,
    )
    response = Response(body, status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten(messages: Any, prefix: str = "") -> list[str]:
    """``{"json": {"score": ["Not a number."]}}`` -> ``["score: Not a number."]``."""
    if isinstance(messages, dict):
        lines: list[str] = []
        for key, value in messages.items():
            name = str(key) if not prefix else f"{prefix}.{key}"
            lines.extend(_flatten(value, name))
        return lines
    if isinstance(messages, list | tuple):
        if all(isinstance(item, str) for item in messages):
            return [f"{prefix}: {item}" if prefix else item for item in messages]
        return [line for item in messages for line in _flatten(item, prefix)]
    return [f"{prefix}: {messages}" if prefix else str(messages)]


def _strip_location(messages: dict[str, Any]) -> dict[str, Any]:
    """webargs nests messages by location; the field is what a client needs first."""
    fields: dict[str, Any] = {}
    for location, value in messages.items():
        if isinstance(value, dict) and location in {"json", "query", "path", "form", "headers"}:
            fields.update(value)
        else:
            fields[location] = value
    return fields


def not_found() -> Response:
    """The 404 of every service, whatever was not found or refused."""
    return problem(404, "Not Found", NOT_FOUND_DETAIL, code="not_found")


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    if status == 404:
        return not_found()
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    headers = {
        name: value
        for name, value in error.get_headers()
        if name.lower() not in {"content-type", "content-length"}
    }
    headers.update(data.get("headers") or {})
    if messages:
        fields = _strip_location(messages)
        detail = "; ".join(_flatten(fields)) or (error.description or "")
        return problem(
            status, error.name, detail, code="validation_error", errors=fields, headers=headers
        )
    code = error.name.lower().replace(" ", "_").replace("'", "")
    return problem(status, error.name, error.description or error.name, code=code, headers=headers)


def handle_domain_error(error: DomainError) -> Response:
    status = http_status_of(error)
    if status == 404:
        log.info("request.not_found", reason=error.message)
        return not_found()
    errors = error.fields if isinstance(error, InvalidInput) and error.fields else None
    title = {404: "Not Found", 409: "Conflict", 403: "Forbidden", 422: "Unprocessable Entity"}
    return problem(
        status, title.get(status, "Bad Request"), error.message, code=error.code, errors=errors
    )


def handle_authentication_error(error: AuthenticationError) -> Response:
    log.info("request.unauthenticated", reason=str(error))
    g.authentication_failure = str(error)
    return problem(
        401,
        "Unauthorized",
        UNAUTHORIZED_DETAIL,
        code="unauthorized",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def handle_database_unavailable(error: OperationalError) -> Response:
    log.warning("request.database_unavailable", error=str(error).splitlines()[0])
    return problem(
        503,
        "Service Unavailable",
        "the database did not answer; nothing was changed, retry shortly",
        code="database_unavailable",
        headers={"Retry-After": "1"},
    )


def handle_unexpected(error: Exception) -> Response:
    log.exception("request.failed", error=repr(error))
    return problem(
        500,
        "Internal Server Error",
        "the server failed to handle the request; it has been logged with this request id",
        code="internal_error",
    )


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(AuthenticationError, handle_authentication_error)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
