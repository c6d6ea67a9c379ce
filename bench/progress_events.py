"""Event side of the progress benchmark: attempt events through the real consumer.

``attempts.attempt.submitted`` envelopes, with the payload the attempts service
publishes (``services/attempts/documents.result_payload``, docs/events.md), for
enrolled students and quizzes of their course's outline, new attempt ids each time.
They are published with Stride's own confirming publisher onto the ``stride.events``
exchange, from which RabbitMQ routes them to the progress queue; the consumers are
``stride consume progress`` processes (``EventConsumer`` with the progress handlers).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from progress_http import CpuMeter
from sqlalchemy.engine import Engine

from services.progress.handlers import registry
from shared.config import Settings
from shared.db import Database
from shared.events import Envelope
from shared.events.broker import kombu_connection
from shared.events.consumer import EventConsumer
from shared.events.envelope import to_iso
from shared.events.publishers import OutgoingMessage, open_publisher

REPO_ROOT = Path(__file__).resolve().parents[1]
EVENT_TYPE = "attempts.attempt.submitted"
PUBLISH_BATCH = 500


@dataclass(frozen=True)
class Target:
    """An enrolled student and the quizzes of the course's outline."""

    student_id: str
    course_id: str
    quizzes: tuple[tuple[str, str | None], ...]  # quiz id, the lesson before it


def attempt_events(targets: Sequence[Target], count: int, seed: int) -> list[Envelope]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    events = []
    for _ in range(count):
        target = rng.choice(targets)
        quiz_id, lesson_id = rng.choice(target.quizzes)
        started = now - timedelta(minutes=rng.randint(5, 600))
        minutes = round(rng.uniform(3, 45), 1)
        completed = started + timedelta(minutes=minutes)
        possible = rng.choice([10, 20, 25, 40])
        earned = rng.randint(0, possible)
        score = round(100 * earned / possible, 2)
        passing = 40
        payload = {
            "attempt_id": f"QZAT-{uuid.uuid4().hex[:20]}",
            "quiz_id": quiz_id,
            "lesson_id": lesson_id,
            "attempt_number": rng.randint(1, 3),
            "is_practice": rng.random() < 0.05,
            "started_at": to_iso(started),
            "completed_at": to_iso(completed),
            "time_spent": minutes,
            "score": score,
            "points_earned": earned,
            "points_possible": possible,
            "passed": score >= passing,
            "passing_score": passing,
            "pending_grading": False,
            "graded_at": to_iso(completed),
        }
        events.append(
            Envelope(
                type=EVENT_TYPE,
                producer="attempts",
                subject=target.student_id,
                course_id=target.course_id,
                correlation_id=uuid.uuid4().hex,
                payload=payload,
            )
        )
    return events


def reset_queue(settings: Settings, database: Database) -> EventConsumer:
    """The progress queue and its dead-letter queue, deleted and declared afresh."""
    topology = EventConsumer(registry, database, settings)
    with kombu_connection(settings) as connection:
        for queue in (topology.queue, topology.dead_letters):
            queue(connection.default_channel).delete()
        topology.declare(connection)
    return topology


def queue_depth(settings: Settings, name: str) -> tuple[int, int]:
    """(messages, consumers) of a queue."""
    with kombu_connection(settings) as connection:
        declared = connection.default_channel.queue_declare(name, passive=True)
    return declared.message_count, declared.consumer_count


def publish(settings: Settings, events: Sequence[Envelope]) -> float:
    """Publish with confirms, in windows of PUBLISH_BATCH; the seconds it took."""
    publisher = open_publisher(settings)
    began = time.monotonic()
    try:
        for start in range(0, len(events), PUBLISH_BATCH):
            chunk = events[start : start + PUBLISH_BATCH]
            result = publisher.publish_batch(
                [OutgoingMessage(e.id, e.type, e.to_json().encode()) for e in chunk]
            )
            if result.failed or len(result.confirmed) != len(chunk):
                raise RuntimeError(f"publishing failed: {dict(list(result.failed.items())[:3])}")
    finally:
        publisher.close()
    return time.monotonic() - began


@contextmanager
def consumers(
    count: int, env: dict[str, str], log_dir: Path, settings: Settings, queue: str
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` ``stride consume progress`` processes, subscribed, for the block."""
    processes = []
    try:
        for n in range(count):
            with open(log_dir / f"consume-{n + 1}.log", "ab") as output:
                processes.append(
                    subprocess.Popen(
                        [str(REPO_ROOT / ".venv" / "bin" / "stride"), "consume", "progress"],
                        cwd=REPO_ROOT,
                        env=env,
                        stdout=output,
                        stderr=output,
                    )
                )
        deadline = time.monotonic() + 60
        while queue_depth(settings, queue)[1] < count:
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                raise RuntimeError(f"consumers did not subscribe; logs in {log_dir}")
            time.sleep(0.05)
        yield processes
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass(frozen=True)
class ConsumeRun:
    events: int
    consumers: int
    seconds: float  # first commit -> last commit, seen in the database
    publish_seconds: float
    parked: int
    facts_added: int
    cores: dict[str, float]  # CPU used during the run: consumers, PostgreSQL, driver

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    def __str__(self) -> str:
        return (
            f"{self.rate:,.0f} events/s ({self.events:,} events applied in {self.seconds:.2f} s "
            f"by {self.consumers} consumer(s); published in {self.publish_seconds:.2f} s; "
            f"facts added {self.facts_added:,}, parked {self.parked}; cores used: "
            + ", ".join(f"{name} {cores:.2f}" for name, cores in self.cores.items())
            + ")"
        )


def applied_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                sa.text("SELECT count(*) FROM inbox WHERE consumer = :c"),
                {"c": registry.consumer},
            ).scalar_one()
        )


def facts_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(sa.text("SELECT count(*) FROM quiz_attempt_facts")).scalar_one()
        )


def measure_consumption(
    *,
    engine: Engine,
    database: Database,
    settings: Settings,
    env: dict[str, str],
    log_dir: Path,
    events: Sequence[Envelope],
    consumer_count: int,
    poll: float = 0.02,
    on_started: Callable[[list[subprocess.Popen[bytes]]], None] | None = None,
) -> ConsumeRun:
    """Consumers subscribed first, then the events published; applied events/s.

    The driver polls the inbox (one row per applied event, committed with its
    effect) every ``poll`` seconds: the first commit is the first time it sees a row,
    the last commit the first time it sees all of them.
    """
    with engine.begin() as connection:
        connection.execute(sa.text("TRUNCATE inbox"))
    topology = reset_queue(settings, database)
    facts_before = facts_count(engine)
    total = len(events)
    with consumers(consumer_count, env, log_dir, settings, topology.queue.name) as processes:
        if on_started is not None:
            on_started(processes)
        published: list[float] = []
        first = last = 0.0
        meter = CpuMeter(lambda: [p.pid for p in processes], None)
        meter.__enter__()
        publisher = threading.Thread(target=lambda: published.append(publish(settings, events)))
        publisher.start()
        deadline = time.monotonic() + total / 100 + 120
        while time.monotonic() < deadline:
            seen = applied_count(engine)
            now = time.monotonic()
            if seen and not first:
                first = now
            if seen >= total:
                last = now
                break
            if any(p.poll() is not None for p in processes):
                raise RuntimeError(f"a consumer exited; logs in {log_dir}")
            time.sleep(poll)
        meter.__exit__()
        publisher.join()
        if not last:
            raise RuntimeError(f"only {seen} of {total} events applied; logs in {log_dir}")
    parked, _ = queue_depth(settings, topology.dead_letters.name)
    return ConsumeRun(
        events=total,
        consumers=consumer_count,
        seconds=last - first,
        publish_seconds=published[0] if published else float("nan"),
        parked=parked,
        facts_added=facts_count(engine) - facts_before,
        cores={
            "consumers": meter.readings["server"],
            "PostgreSQL": meter.readings["postgres"],
            "driver": meter.readings["client"],
        },
    )


def consumer_env(base: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **base}
