"""The event envelope every Stride service publishes and consumes.

``type`` reads ``<service>.<entity>.<past-tense verb>`` and is the routing key on the
topic exchange. ``subject`` is the student id where there is one.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from shared.events.errors import PermanentEventError
from shared.time import parse_iso, to_iso, utcnow

TYPE_PATTERN = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*){1,3}$")
MAX_ENVELOPE_BYTES = 4 * 1024 * 1024
_ENCODER = msgspec.json.Encoder(order="sorted", enc_hook=str)


class EnvelopeError(PermanentEventError):
    """A message that is not a valid Stride event: parked, never retried."""


@dataclass(frozen=True)
class Envelope:
    type: str
    producer: str
    payload: Mapping[str, Any]
    subject: str | None = None
    course_id: str | None = None
    correlation_id: str | None = None
    version: int = 1
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    occurred_at: datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        if not TYPE_PATTERN.match(self.type):
            raise EnvelopeError(f"type {self.type!r} must read <service>.<entity>.<verb>")
        if self.occurred_at.tzinfo is None:
            raise EnvelopeError("occurred_at must be timezone-aware")

    @property
    def routing_key(self) -> str:
        return self.type

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "version": self.version,
            "occurred_at": to_iso(self.occurred_at),
            "producer": self.producer,
            "subject": self.subject,
            "course_id": self.course_id,
            "correlation_id": self.correlation_id,
            "payload": dict(self.payload),
        }

    def to_json(self) -> str:
        """Compact JSON, keys sorted, UTF-8 as it is; dates and times in RFC 3339, any
        other value JSON has no type for (a Decimal, a UUID) as its ``str``. msgspec: a
        third of ``json.dumps``' time, once per event on the busiest write paths."""
        return _ENCODER.encode(self.to_dict()).decode()

    @classmethod
    def from_dict(cls, data: Any) -> Envelope:
        if not isinstance(data, Mapping):
            raise EnvelopeError("an event must be a JSON object")
        missing = [key for key in ("id", "type", "occurred_at", "producer") if not data.get(key)]
        if missing:
            raise EnvelopeError(f"missing field(s): {', '.join(missing)}")
        try:
            event_id = str(uuid.UUID(str(data["id"])))
        except ValueError as exc:
            raise EnvelopeError(f"id {data['id']!r} is not a UUID") from exc
        payload = data.get("payload", {})
        if not isinstance(payload, Mapping):
            raise EnvelopeError("payload must be a JSON object")
        version = data.get("version", 1)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise EnvelopeError("version must be a positive integer")
        try:
            occurred_at = parse_iso(str(data["occurred_at"]))
        except ValueError as exc:
            raise EnvelopeError(f"occurred_at: {exc}") from exc
        for key in ("subject", "course_id", "correlation_id"):
            if data.get(key) is not None and not isinstance(data[key], str):
                raise EnvelopeError(f"{key} must be a string")
        return cls(
            id=event_id,
            type=str(data["type"]),
            version=version,
            occurred_at=occurred_at,
            producer=str(data["producer"]),
            subject=data.get("subject"),
            course_id=data.get("course_id"),
            correlation_id=data.get("correlation_id"),
            payload=payload,
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> Envelope:
        if len(raw) > MAX_ENVELOPE_BYTES:
            raise EnvelopeError(f"event larger than {MAX_ENVELOPE_BYTES} bytes")
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise EnvelopeError(f"not JSON: {exc}") from exc
        return cls.from_dict(data)
