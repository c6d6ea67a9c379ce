"""The base of typed event contracts: one frozen, versioned payload type per event type.

Producer and consumers share these types; a consumer never imports the producing
service. Each payload is a ``msgspec.Struct`` registered under its event type and
version with ``@contract``::

    @contract("progress.lesson.completed", version=1)
    class LessonCompleted(Payload):
        enrollment_id: str
        lesson_id: str
        completed_at: UtcDatetime

    envelope = LessonCompleted(...).to_envelope(producer="progress", subject=student_id)
    payload = parse_as(envelope, LessonCompleted)      # in the consumer

Parsing is a tolerant reader: fields it does not know are ignored, so a producer may
add an optional field without a new version. Removing or changing a field is a new
version, registered beside the old one until no producer sends the old one.
A payload that breaks its contract, or a version nobody registered, raises
``ContractError``, a permanent error: the consumer parks it with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, ClassVar, TypeVar

import msgspec

from shared.events.envelope import Envelope
from shared.events.errors import PermanentEventError

UtcDatetime = Annotated[datetime, msgspec.Meta(tz=True)]
"""A timezone-aware moment (ISO 8601 with a zone on the wire)."""


class ContractError(PermanentEventError):
    """An event whose payload does not satisfy its contract, or of an unknown version."""


class Payload(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every event payload. ``event_type`` and ``version`` are set by ``@contract``."""

    event_type: ClassVar[str]
    version: ClassVar[int]

    def to_dict(self) -> dict[str, Any]:
        built: dict[str, Any] = msgspec.to_builtins(self)
        return built

    def to_envelope(
        self,
        *,
        producer: str,
        subject: str | None = None,
        course_id: str | None = None,
        correlation_id: str | None = None,
        occurred_at: datetime | None = None,
        event_id: str | None = None,
    ) -> Envelope:
        optional: dict[str, Any] = {}
        if occurred_at is not None:
            optional["occurred_at"] = occurred_at
        if event_id is not None:
            optional["id"] = event_id
        return Envelope(
            type=self.event_type,
            version=self.version,
            producer=producer,
            subject=subject,
            course_id=course_id,
            correlation_id=correlation_id,
            payload=self.to_dict(),
            **optional,
        )


P = TypeVar("P", bound=Payload)

_CONTRACTS: dict[tuple[str, int], type[Payload]] = {}


def contract(event_type: str, *, version: int = 1) -> Callable[[type[P]], type[P]]:
    """Register a payload type as the contract of ``event_type`` at ``version``."""

    def register(cls: type[P]) -> type[P]:
        key = (event_type, version)
        if key in _CONTRACTS and _CONTRACTS[key] is not cls:
            raise ValueError(f"{event_type} v{version} already has a contract")
        cls.event_type = event_type
        cls.version = version
        _CONTRACTS[key] = cls
        return cls

    return register


def contracts() -> dict[tuple[str, int], type[Payload]]:
    """Every registered contract by (event type, version), for docs and checks."""
    return dict(_CONTRACTS)


def contract_for(event_type: str, version: int) -> type[Payload]:
    try:
        return _CONTRACTS[(event_type, version)]
    except KeyError:
        known = sorted(v for (t, v) in _CONTRACTS if t == event_type)
        if not known:
            raise ContractError(f"no contract for event type {event_type!r}") from None
        raise ContractError(
            f"{event_type} version {version} is unknown (known: {', '.join(map(str, known))})"
        ) from None


def parse(event: Envelope) -> Payload:
    """The event's payload as the contract registered for its type and version."""
    return _convert(event, contract_for(event.type, event.version))


def parse_as(event: Envelope, expected: type[P]) -> P:
    """The event's payload as ``expected``; any other type or version is refused."""
    if (event.type, event.version) != (expected.event_type, expected.version):
        contract_for(event.type, event.version)  # names an unknown version precisely
        raise ContractError(
            f"{event.type} v{event.version} is not {expected.event_type} v{expected.version}"
        )
    return _convert(event, expected)


def _convert(event: Envelope, cls: type[P]) -> P:
    try:
        return msgspec.convert(event.payload, cls)
    except msgspec.ValidationError as exc:
        raise ContractError(f"{event.type} v{event.version}: {exc}") from exc
    except (OverflowError, RecursionError) as exc:
        raise ContractError(f"{event.type} v{event.version}: {exc!r}") from exc
