"""The contract base: payloads build envelopes and parse back, and bad ones are refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.events import Envelope
from shared.events.contracts import (
    ContractError,
    Payload,
    UtcDatetime,
    contract,
    contract_for,
    parse,
    parse_as,
)
from shared.events.errors import PermanentEventError
from shared.time import parse_iso

pytestmark = pytest.mark.unit


@contract("probe.sample.taken", version=1)
class SampleTaken(Payload):
    count: int
    taken_at: UtcDatetime
    tags: tuple[str, ...] = ()


@contract("probe.sample.taken", version=2)
class SampleTakenV2(Payload):
    counts: tuple[int, ...]


MOMENT = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def test_a_payload_travels_through_json_and_back_unchanged():
    sent = SampleTaken(count=3, taken_at=MOMENT, tags=("a",))
    envelope = sent.to_envelope(producer="probe", subject="USR-STU-1", course_id="CRS-1")
    received = Envelope.from_json(envelope.to_json())
    assert (received.type, received.version) == ("probe.sample.taken", 1)
    assert received.subject == "USR-STU-1"
    assert parse_as(received, SampleTaken) == sent
    assert parse(received) == sent


def test_each_version_parses_as_its_own_type():
    envelope = SampleTakenV2(counts=(1, 2)).to_envelope(producer="probe")
    assert parse(envelope) == SampleTakenV2(counts=(1, 2))
    with pytest.raises(ContractError, match=r"is not probe\.sample\.taken v1"):
        parse_as(envelope, SampleTaken)


def test_unknown_fields_are_ignored_by_the_tolerant_reader():
    envelope = Envelope(
        type="probe.sample.taken",
        producer="probe",
        payload={"count": 1, "taken_at": "2026-03-01T12:30:00Z", "added_later": True},
    )
    assert parse_as(envelope, SampleTaken).count == 1


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"count": "3", "taken_at": "2026-03-01T12:30:00Z"}, r"Expected `int`.*\$\.count"),
        ({"taken_at": "2026-03-01T12:30:00Z"}, "missing required field `count`"),
        ({"count": 1, "taken_at": "2026-03-01T12:30:00"}, r"timezone.*\$\.taken_at"),
        ({"count": 1, "taken_at": "yesterday"}, r"\$\.taken_at"),
    ],
)
def test_a_payload_that_breaks_its_contract_is_refused_with_the_field(payload, reason):
    envelope = Envelope(type="probe.sample.taken", producer="probe", payload=payload)
    with pytest.raises(ContractError, match=reason):
        parse_as(envelope, SampleTaken)


def test_an_unknown_version_or_type_is_refused_by_name():
    with pytest.raises(ContractError, match="version 7 is unknown"):
        parse(Envelope(type="probe.sample.taken", producer="probe", version=7, payload={}))
    with pytest.raises(ContractError, match="no contract"):
        contract_for("probe.nothing.happened", 1)


def test_contract_errors_are_permanent():
    assert issubclass(ContractError, PermanentEventError)


def test_a_moment_out_of_range_in_utc_is_a_value_error_not_an_overflow():
    with pytest.raises(ValueError, match="out of range"):
        parse_iso("0001-01-01T00:00:00+05:00")
