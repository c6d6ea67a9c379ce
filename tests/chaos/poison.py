"""Poison messages of every kind the consumer once died of, and the reasons they must be
parked with, sent straight to a consumer's queue among the good events of a chaos run."""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass

from kombu import Producer

from shared.config import Settings
from shared.events import Envelope
from shared.events.broker import kombu_connection
from shared.events.consumer import ATTEMPT_HEADER


@dataclass(frozen=True)
class Poison:
    body: bytes
    reason: str  # a fragment of the x-stride-error it must be parked with
    headers: dict[str, object]
    message_id: str


def poison_messages(event_type: str) -> list[Poison]:
    """One of each: unreadable bytes, an envelope out of range, nesting deeper than the
    JSON parser recurses, a header that is not a number, a payload the handler fails on
    (retried, then parked) and one it refuses for good (parked at once)."""

    def envelope(**payload: object) -> Envelope:
        return Envelope(type=event_type, producer="chaos", payload=payload)

    overflow = envelope(n=0).to_dict()
    overflow["occurred_at"] = "0001-01-01T00:00:00+05:00"
    broken_header = envelope(n=0)
    buggy = envelope(oops=True)
    refused = envelope(refuse="no such course")
    nested = b'{"id": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    return [
        Poison(b"\xff{not json", "not JSON", {}, str(uuid.uuid4())),
        Poison(json.dumps(overflow).encode(), "out of range", {}, overflow["id"]),
        Poison(nested, "RecursionError", {}, str(uuid.uuid4())),
        Poison(
            broken_header.to_json().encode(),
            ATTEMPT_HEADER,
            {ATTEMPT_HEADER: "twice"},
            broken_header.id,
        ),
        Poison(buggy.to_json().encode(), "KeyError", {}, buggy.id),
        Poison(refused.to_json().encode(), "PermanentEventError: refused", {}, refused.id),
    ]


class PoisonSender(threading.Thread):
    """Sends ``rounds`` rounds of every poison message to ``queue``, one message every
    ``interval`` seconds, while the good events flow."""

    def __init__(
        self, settings: Settings, queue: str, poison: list[Poison], rounds: int, interval: float
    ) -> None:
        super().__init__(daemon=True)
        self.settings, self.queue, self.poison = settings, queue, poison
        self.rounds, self.interval = rounds, interval
        self.sent = 0
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with kombu_connection(self.settings) as connection:
                producer = Producer(connection.channel())
                for _round in range(self.rounds):
                    for poison in self.poison:
                        if self.stopping.wait(self.interval):
                            return
                        producer.publish(
                            poison.body,
                            exchange="",
                            routing_key=self.queue,
                            content_type="application/json",
                            content_encoding="utf-8",
                            delivery_mode=2,
                            message_id=poison.message_id if _round == 0 else str(uuid.uuid4()),
                            headers=dict(poison.headers),
                            retry=True,
                            retry_policy={"max_retries": 20, "interval_start": 0.5},
                        )
                        self.sent += 1
        except BaseException as exc:  # reported by the test
            self.error = exc
