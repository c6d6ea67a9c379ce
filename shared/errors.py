"""Domain exceptions shared by every service, and the one table that maps them to HTTP.

Domain code raises these; ``shared.http`` turns them into ``application/problem+json``
responses, so every service answers errors in one shape.
"""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """Base of every error a service's rules raise on purpose."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The record does not exist, or the caller may not know that it exists."""

    code = "not_found"


class Conflict(DomainError):
    """The request is valid but contradicts the record's current state."""

    code = "conflict"


class Forbidden(DomainError):
    """The caller may see the record but may not do this to it."""

    code = "forbidden"


class InvalidInput(DomainError):
    """A value is well-formed but breaks a rule; names the field(s) at fault."""

    code = "invalid_input"

    def __init__(self, message: str, fields: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.fields: dict[str, list[str]] = dict(fields or {})

    @classmethod
    def for_field(cls, field: str, message: str) -> InvalidInput:
        return cls(f"{field}: {message}", {field: [message]})


#: exception class -> HTTP status. The most specific class wins (checked in MRO order).
HTTP_STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    Conflict: 409,
    Forbidden: 403,
    InvalidInput: 422,
    DomainError: 400,
}


def http_status_of(error: DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 400
