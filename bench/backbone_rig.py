"""What one backbone benchmark run needs: its databases and queues reset, a relay and
consumer processes running, and a way to see when every effect is written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from backbone_processes import build_registry, effects_metadata, effects_table

from shared.config import Settings, load_settings
from shared.db import Database, platform_metadata
from shared.events.broker import kombu_connection
from shared.events.consumer import EventConsumer

PROCESSES_SCRIPT = Path(__file__).resolve().parent / "backbone_processes.py"
REPO_ROOT = PROCESSES_SCRIPT.parents[1]
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


class BenchSetupError(RuntimeError):
    """A server is unreachable or a process would not start: no measurement possible."""


@dataclass
class BackboneRig:
    settings: Settings
    producer_url: str
    consumer_url: str
    producer_db: Database
    consumer_db: Database
    child_env: dict[str, str]
    log_dir: Path
    profile_dir: Path | None = None
    started_processes: int = 0
    running_processes: list[tuple[subprocess.Popen[bytes], Path]] = field(default_factory=list)

    @classmethod
    def from_environment(cls, profile_dir: str | None = None) -> BackboneRig:
        postgres = os.environ.get("STRIDE_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
        amqp = os.environ.get("STRIDE_BENCH_AMQP_URL", DEFAULT_AMQP_URL)
        log_dir = Path(tempfile.mkdtemp(prefix="stride-bench-"))
        child_env = {
            **os.environ,
            "STRIDE_BROKER_URL": amqp,
            "STRIDE_LOG_LEVEL": "WARNING",
            "STRIDE_VAR_DIR": str(log_dir / "var"),
        }
        producer_url = ensure_database(postgres, "stride_bench_producer")
        consumer_url = ensure_database(postgres, "stride_bench_consumer")
        rig = cls(
            settings=load_settings(child_env),
            producer_url=producer_url,
            consumer_url=consumer_url,
            producer_db=Database(producer_url),
            consumer_db=Database(consumer_url),
            child_env=child_env,
            log_dir=log_dir,
            profile_dir=Path(profile_dir).resolve() if profile_dir else None,
        )
        platform_metadata.create_all(rig.producer_db.engine)
        platform_metadata.create_all(rig.consumer_db.engine)
        effects_metadata.create_all(rig.consumer_db.engine)
        return rig

    @property
    def topology(self) -> EventConsumer:
        """The consumer's queues, named and declared exactly as the consumer does."""
        return EventConsumer(build_registry(), self.consumer_db, self.settings)

    def reset(self) -> None:
        with self.producer_db.engine.begin() as connection:
            connection.execute(sa.text("TRUNCATE outbox"))
        with self.consumer_db.engine.begin() as connection:
            connection.execute(sa.text(f"TRUNCATE inbox, {effects_table.name}"))
        topology = self.topology
        try:
            with kombu_connection(self.settings) as connection:
                for queue in (topology.queue, topology.dead_letters):
                    queue(connection.default_channel).delete()
                topology.declare(connection)
        except OSError as exc:
            raise BenchSetupError(f"RabbitMQ unreachable at {self.settings.broker_url}") from exc

    @contextmanager
    def running(self, consumers: int) -> Iterator[None]:
        """A relay and ``consumers`` consumer processes, ready, for the block's duration."""
        self.reset()
        processes = self.running_processes = []
        try:
            processes.append(self._start("relay", self.producer_url))
            for _ in range(consumers):
                processes.append(self._start("consume", self.consumer_url))
            for process, log in processes:
                self._wait_ready(process, log)
            self._wait_for_consumers(consumers)
            yield
        finally:
            for process, _log in processes:
                process.send_signal(signal.SIGTERM)
            for process, log in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    raise BenchSetupError(f"{log.name} ignored SIGTERM") from None

    def _start(self, role: str, database_url: str) -> tuple[subprocess.Popen[bytes], Path]:
        self.started_processes += 1
        log = self.log_dir / f"{role}-{self.started_processes}.log"
        command = [sys.executable, str(PROCESSES_SCRIPT), role, "--db", database_url]
        if self.profile_dir is not None:
            self.profile_dir.mkdir(parents=True, exist_ok=True)
            profile = self.profile_dir / f"{role}-{self.started_processes}.prof"
            command += ["--profile", str(profile)]
        with open(log, "wb") as output:
            process = subprocess.Popen(
                command, cwd=REPO_ROOT, env=self.child_env, stdout=output, stderr=output
            )
        return process, log

    @staticmethod
    def _wait_ready(process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "ready" in log.read_text(errors="replace").splitlines():
                return
            if process.poll() is not None:
                break
            time.sleep(0.05)
        raise BenchSetupError(f"{log} never became ready:\n{log.read_text(errors='replace')}")

    def _wait_for_consumers(self, consumers: int, timeout: float = 30) -> None:
        """Until RabbitMQ has every consumer subscribed: a message published earlier
        would all go to the first one, and the two-consumer run would measure one."""
        name = self.topology.queue.name
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with kombu_connection(self.settings) as connection:
                declared = connection.default_channel.queue_declare(name, passive=True)
            if declared.consumer_count >= consumers:
                return
            time.sleep(0.05)
        raise BenchSetupError(f"{consumers} consumer(s) did not subscribe to {name}")

    def wait_for_effects(self, events: int, timeout: float) -> float:
        """Wait until ``events`` effects exist; the epoch time the last one was written."""
        query = sa.select(sa.func.count(), sa.func.max(effects_table.c.applied_at))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.consumer_db.engine.connect() as connection:
                count, last = connection.execute(query).one()
            if count >= events:
                return float(last)
            self._check_processes()
            time.sleep(0.1)
        raise BenchSetupError(
            f"only {count} of {events} effects after {timeout:.0f}s; logs in {self.log_dir}"
        )

    def _check_processes(self) -> None:
        """A process that died (a crash, or a broker restarted by someone else) ends the run."""
        for process, log in self.running_processes:
            if process.poll() is not None:
                output = log.read_text(errors="replace").splitlines()
                raise BenchSetupError(
                    f"{log.name} exited with {process.returncode} during the run:\n"
                    + "\n".join(output[-15:])
                )


def ensure_database(server_url: str, name: str) -> str:
    admin = sa.create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if exists is None:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        raise BenchSetupError(f"PostgreSQL unreachable at {server_url}: {exc}") from exc
    finally:
        admin.dispose()
    return f"{server_url}/{name}"


def machine_facts() -> dict[str, str]:
    facts = {}
    for command in (["date", "-u"], ["nproc"], ["free", "-g"], ["uname", "-m"]):
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        facts[" ".join(command)] = result.stdout.rstrip("\n")
    return facts


def code_version() -> str:
    """The commit measured, and whether shared/ had uncommitted changes (they count too)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "shared"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"commit {commit}" + (" with uncommitted changes in shared/" if changed else "")


def server_versions(rig: BackboneRig) -> dict[str, str]:
    with rig.producer_db.engine.connect() as connection:
        postgres = connection.execute(sa.text("SHOW server_version")).scalar_one()
    with kombu_connection(rig.settings) as connection:
        connection.ensure_connection(max_retries=1)
        properties = connection.connection.server_properties
    rabbitmq = properties.get("version", "unknown")
    return {"PostgreSQL": str(postgres), "RabbitMQ": str(rabbitmq)}
