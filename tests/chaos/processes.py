"""The processes a chaos test kills and restarts, and the producer writing the outbox
meanwhile."""

from __future__ import annotations

import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shared.db import Database
from shared.events import Envelope, record_event, record_events

REPO_ROOT = Path(__file__).resolve().parents[2]


class HarnessDied(AssertionError):
    """A harness process exited without being killed: a crash under chaos is a finding."""


@dataclass(frozen=True)
class Announcement:
    at: float
    kind: str
    numbers: tuple[int, ...]


@dataclass
class HarnessProcess:
    """One role of ``tests.chaos.harness`` (relay or consume), restarted after each kill.

    Each incarnation's stderr goes to its own file under ``log_dir`` for diagnostics; a
    thread reads its stdout announcements into ``history`` and a queue of fresh ones.
    """

    command: str
    args: Sequence[str]
    env: Mapping[str, str]
    log_dir: Path
    linger_flag: str
    linger: float = 0.0
    incarnations: int = 0
    crashes: list[str] = field(default_factory=list)
    history: list[Announcement] = field(default_factory=list)
    _process: subprocess.Popen[str] | None = None
    _fresh: queue.Queue[Announcement] = field(default_factory=queue.Queue)

    def start(self, linger: float = 0.0) -> None:
        command = [sys.executable, "-m", "tests.chaos.harness", self.command, *self.args]
        if linger:
            command += [self.linger_flag, str(linger)]
        self.linger = linger
        self.incarnations += 1
        with open(self._log_path(), "w") as log:
            self._process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=dict(self.env),
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        self._fresh = queue.Queue()
        threading.Thread(target=self._read, args=(self._process, self._fresh), daemon=True).start()
        if self._await("ready", timeout=60, since=0.0) is None:
            raise HarnessDied(f"{self.command} never became ready\n{self.log_tail()}")

    def _read(self, process: subprocess.Popen[str], fresh: queue.Queue[Announcement]) -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            words = raw.split()
            try:
                announcement = Announcement(time.monotonic(), words[0], tuple(map(int, words[1:])))
            except (IndexError, ValueError):
                continue  # not an announcement; the harness logs to stderr
            self.history.append(announcement)
            fresh.put(announcement)

    def next_announcement(self, kind: str, timeout: float) -> Announcement | None:
        """The next ``kind`` announced from now on with a non-zero count, or None.

        A process that dies meanwhile is restarted (see ``check_alive``) and None returned.
        """
        try:
            return self._await(kind, timeout)
        except HarnessDied:
            self.check_alive()
            return None

    def _await(self, kind: str, timeout: float, since: float | None = None) -> Announcement | None:
        if since is None:
            since = time.monotonic()
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                announcement = self._fresh.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                if self._process is not None and self._process.poll() is not None:
                    raise HarnessDied(f"{self.command} exited\n{self.log_tail()}") from None
                continue
            fresh = announcement.at >= since and announcement.numbers[:1] != (0,)
            if announcement.kind == kind and fresh:
                return announcement
        return None

    def check_alive(self) -> None:
        """Restart the process if it died on its own, keeping the crash for the verdict."""
        assert self._process is not None
        code = self._process.poll()
        if code is not None:
            self.crashes.append(f"{self.command} exited with {code}:\n{self.log_tail()}")
            self.start()

    def kill(self) -> None:
        self.check_alive()
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        self._process.wait(timeout=30)

    def stop(self, timeout: float = 20.0) -> None:
        """Stop gracefully (SIGTERM); a process that will not stop is killed and reported."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=30)
            self.crashes.append(f"{self.command} ignored SIGTERM for {timeout}s")

    def total(self, kind: str, position: int = 0) -> int:
        return sum(a.numbers[position] for a in self.history if a.kind == kind)

    def _log_path(self) -> Path:
        return self.log_dir / f"{self.command}-{self.incarnations}.log"

    def log_tail(self, lines: int = 25) -> str:
        try:
            text = self._log_path().read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return f"--- {self._log_path()} is gone"
        return f"--- {self._log_path()} (last {lines} lines)\n" + "\n".join(text[-lines:])


class OutboxWriter(threading.Thread):
    """Commits events to the outbox in many small transactions, paced over ``duration``.

    Small, uneven transactions interleave with the relay's batches the way API
    requests do; pacing keeps the events arriving while the processes are killed.
    """

    def __init__(self, database: Database, event_type: str, total: int, duration: float) -> None:
        super().__init__(name="outbox-writer", daemon=True)
        self.database = database
        self.event_type = event_type
        self.total = total
        self.duration = duration
        self.written = 0
        self.transactions = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._write_all()
        except BaseException as exc:  # re-raised in the test's thread by finish()
            self.error = exc

    def _write_all(self) -> None:
        rng = random.Random(self.total)
        started = time.monotonic()
        while self.written < self.total:
            size = min(rng.randint(1, 40), self.total - self.written)
            envelopes = [
                Envelope(
                    type=self.event_type,
                    producer="chaos",
                    subject=f"USR-STU-{(self.written + i) % 97}",
                    payload={"n": self.written + i},
                )
                for i in range(size)
            ]
            with self.database.unit_of_work() as session:
                if size == 1:
                    record_event(session, envelopes[0])
                else:
                    record_events(session, envelopes)
                session.commit()
            self.written += size
            self.transactions += 1
            behind = started + self.duration * self.written / self.total - time.monotonic()
            if behind > 0:
                time.sleep(behind)

    def finish(self, timeout: float) -> None:
        self.join(timeout)
        if self.is_alive():
            raise AssertionError(f"the outbox writer is stuck after {self.written} events")
        if self.error is not None:
            raise self.error
