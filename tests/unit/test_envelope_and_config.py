"""The event envelope and the configuration: pure parsing, no I/O."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from shared.config import load_settings
from shared.events.envelope import Envelope, EnvelopeError

pytestmark = pytest.mark.unit


def test_envelope_round_trips_through_json():
    original = Envelope(
        type="attempts.attempt.submitted",
        producer="attempts",
        subject="USR-STU-1",
        course_id="CRS-1",
        correlation_id="req-1",
        payload={"score": 85.5, "passed": True},
    )
    restored = Envelope.from_json(original.to_json())
    assert restored == original
    assert json.loads(original.to_json())["occurred_at"].endswith("Z")


def test_envelope_json_is_compact_sorted_utf8_and_writes_other_types_as_their_str():
    envelope = Envelope(
        type="activity.logs.recorded",
        producer="activity",
        id="3f1c6d0e-8a4b-4c2d-9e5f-0a1b2c3d4e5f",
        occurred_at=datetime(2026, 12, 5, 10, 11, 12, tzinfo=UTC),
        payload={"zeta": 1, "alpha": {"b": 2.5, "a": None}, "name": "Zoë", "day": date(2026, 12, 5),
                 "amount": Decimal("1.50")},
    )  # fmt: skip
    assert envelope.to_json() == (
        '{"correlation_id":null,"course_id":null,"id":"3f1c6d0e-8a4b-4c2d-9e5f-0a1b2c3d4e5f",'
        '"occurred_at":"2026-12-05T10:11:12Z","payload":{"alpha":{"a":null,"b":2.5},'
        '"amount":"1.50","day":"2026-12-05","name":"Zoë","zeta":1},"producer":"activity",'
        '"subject":null,"type":"activity.logs.recorded","version":1}'
    )
    assert Envelope.from_json(envelope.to_json().encode()).payload["name"] == "Zoë"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"type": "a.b.c", "producer": "x"}', "missing field"),
        (
            b'{"id": "nope", "type": "a.b.c", "producer": "x",'
            b' "occurred_at": "2026-01-01T00:00:00Z"}',
            "not a UUID",
        ),
        (
            b'{"id": "6b3f1c1e-8c4e-4c43-9a57-5e0f5d8d2a10", "type": "Bad Type", "producer": "x",'
            b' "occurred_at": "2026-01-01T00:00:00Z"}',
            "must read",
        ),
        (
            b'{"id": "6b3f1c1e-8c4e-4c43-9a57-5e0f5d8d2a10", "type": "a.b.c", "producer": "x",'
            b' "occurred_at": "2026-01-01T00:00:00"}',
            "time zone",
        ),
        (
            b'{"id": "6b3f1c1e-8c4e-4c43-9a57-5e0f5d8d2a10", "type": "a.b.c", "producer": "x",'
            b' "occurred_at": "2026-01-01T00:00:00Z", "payload": [1]}',
            "payload must be",
        ),
    ],
)
def test_malformed_events_are_refused_with_the_reason(raw: bytes, message: str):
    with pytest.raises(EnvelopeError, match=message):
        Envelope.from_json(raw)


def test_naive_timestamps_are_refused():
    with pytest.raises(EnvelopeError):
        Envelope(type="a.b.c", producer="x", payload={}, occurred_at=datetime(2026, 1, 1))
    assert Envelope(
        type="a.b.c", producer="x", payload={}, occurred_at=datetime(2026, 1, 1, tzinfo=UTC)
    )


def test_embedded_defaults_need_no_environment(tmp_path):
    settings = load_settings({"STRIDE_VAR_DIR": str(tmp_path)})
    assert settings.uses_file_broker
    assert settings.database_url("progress") == f"sqlite:///{tmp_path}/progress.db"
    assert settings.auto_migrate


def test_environment_points_processes_at_real_servers(tmp_path):
    settings = load_settings(
        {
            "STRIDE_VAR_DIR": str(tmp_path),
            "STRIDE_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672/%2F",
            "STRIDE_ATTEMPTS_DATABASE_URL": "postgresql+psycopg://u@h/stride_attempts",
        }
    )
    assert not settings.uses_file_broker
    assert settings.database_url("attempts") == "postgresql+psycopg://u@h/stride_attempts"
    assert settings.database_url("progress").startswith("sqlite")


def test_the_public_url_is_the_gateway_s_origin_unless_set(tmp_path):
    embedded = load_settings({"STRIDE_VAR_DIR": str(tmp_path)})
    assert embedded.public_url == "http://localhost:8080"
    moved = load_settings({"STRIDE_VAR_DIR": str(tmp_path), "STRIDE_GATEWAY_PORT": "9123"})
    assert moved.public_url == "http://localhost:9123"
    assert moved.service_url("progress") == "http://localhost:9123/api/progress"
    public = load_settings(
        {"STRIDE_GATEWAY_PORT": "9123", "STRIDE_PUBLIC_URL": "https://stride.example.org/"}
    )
    assert public.public_url == "https://stride.example.org"


def test_bad_values_name_the_variable():
    with pytest.raises(ValueError, match="STRIDE_MAX_CONTENT_LENGTH"):
        load_settings({"STRIDE_MAX_CONTENT_LENGTH": "lots"})
    with pytest.raises(ValueError, match="STRIDE_AUTO_MIGRATE"):
        load_settings({"STRIDE_AUTO_MIGRATE": "perhaps"})


def test_production_refuses_development_secrets():
    with pytest.raises(ValueError, match="STRIDE_IP_HASH_KEY"):
        load_settings({"STRIDE_ENV": "production"})
    with pytest.raises(ValueError, match="STRIDE_PSEUDONYM_KEY"):
        load_settings({"STRIDE_ENV": "production"})
