"""The OULAD import through the gateway, and the consumers catching up after it.

Starts ``stride up`` on PostgreSQL and RabbitMQ (a fresh database per service and a vhost
of its own for each run), runs ``stride import oulad`` over the data folder, then looks
at the backlog (``shared.oulad.catchup.backlog``: progress' unsent outbox rows,
analytics' ready messages, progress' events not yet in analytics' inbox) every
``--every`` seconds until three looks in a row find none. Prints the backlog over time,
the CPU seconds each process of the platform used while catching up, and per run: the
import's duration, when progress' outbox was empty and when analytics had caught up,
counted from the import's last answer.

    .venv/bin/python bench/oulad_catchup.py --runs 3
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from activity import calibration
from backbone_rig import code_version, machine_facts
from quiet import process_cpu, tree_cpu

from shared.config import load_settings
from shared.oulad.catchup import QUIET_LOOKS, backlog
from shared.time import utcnow

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("progress", "attempts", "activity", "analytics", "reports")
VHOST = "stride-bench-oulad"
PREFIX = "bench_oulad_"


def postgres_url() -> str:
    return os.environ.get("STRIDE_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")


def plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def fresh_databases(server: str) -> dict[str, str]:
    urls = {}
    with psycopg.connect(f"{plain(server)}/postgres", autocommit=True) as connection:
        for service in SERVICES:
            name = f"{PREFIX}{service}"
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
            urls[service] = f"{server}/{name}"
    return urls


def drop_databases(server: str) -> None:
    with psycopg.connect(f"{plain(server)}/postgres", autocommit=True) as connection:
        for service in SERVICES:
            connection.execute(f'DROP DATABASE IF EXISTS "{PREFIX}{service}" WITH (FORCE)')


def fresh_vhost() -> str:
    def ctl(*args: str, check: bool = True) -> None:
        subprocess.run(["rabbitmqctl", *args], capture_output=True, check=check, timeout=60)

    ctl("delete_vhost", VHOST, check=False)
    ctl("add_vhost", VHOST)
    ctl("set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*")
    host = os.environ.get("STRIDE_BENCH_AMQP_HOST", "127.0.0.1:5672")
    return f"amqp://guest:guest@{host}/{VHOST}"


def platform_env(urls: dict[str, str], broker: str, var_dir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "STRIDE_BROKER_URL": broker,
        "STRIDE_VAR_DIR": str(var_dir),
        "STRIDE_LOG_LEVEL": "WARNING",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    for service, url in urls.items():
        env[f"STRIDE_{service.upper()}_DATABASE_URL"] = url
    return env


def stride(*args: str) -> list[str]:
    return [str(REPO_ROOT / ".venv" / "bin" / "stride"), *args]


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def wait_for_gateway(env: dict[str, str], process: subprocess.Popen[bytes]) -> None:
    """Until every service answers its ``/readyz`` through the gateway."""
    port = env.get("STRIDE_GATEWAY_PORT", "8080")
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("stride up exited before the gateway answered")
        if all(ready(f"http://127.0.0.1:{port}/api/{name}/readyz") for name in SERVICES):
            return
        time.sleep(1)
    raise RuntimeError("the services did not answer /readyz through the gateway within 180 s")


def processes(root: int) -> dict[int, str]:
    """Every process under ``root``, by pid, with its command line."""
    found: dict[int, str] = {}
    stack = [root]
    while stack:
        pid = stack.pop()
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        found[pid] = command.strip()
        stack.extend(int(child) for child in children)
    return found


def label(command: str) -> str:
    """A short name for one of the platform's processes."""
    if command.startswith("[celeryd"):
        return "celery worker (pool)"
    words = command.split()
    for verb in ("events", "worker", "beat", "relay"):
        if verb in words:
            at = words.index(verb)
            if at + 1 < len(words):
                return f"{verb} {words[at + 1]}"
    if "gunicorn" in command:
        for service in (*SERVICES, "gateway"):
            if f"services.{service}." in command or (
                service == "gateway" and "create_gateway" in command
            ):
                return f"api {service}"
        return "gunicorn"
    return words[0].rsplit("/", 1)[-1] if words else "?"


def platform_processes(root: int) -> dict[int, str]:
    """The platform's working processes by pid, with their labels (not the wrappers that
    restart them)."""
    return {
        pid: label(command)
        for pid, command in processes(root).items()
        if "stride keep" not in command and not command.startswith(("sh ", "/bin/sh"))
    }


def cpu_by_label(root: int) -> dict[str, float]:
    totals: dict[str, float] = {}
    for pid, name in platform_processes(root).items():
        totals[name] = totals.get(name, 0.0) + process_cpu(pid)
    totals["rabbitmq"] = sum(process_cpu(pid) for pid in pids_of("beam.smp"))
    return totals


def pids_of(pattern: str) -> list[int]:
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def postgres_cpu() -> float:
    return sum(process_cpu(pid) for pid in pids_of(f"postgres: .*{PREFIX}"))


def profile(root: int, args: argparse.Namespace) -> list[subprocess.Popen[bytes]]:
    """py-spy on each consumer of progress' events for ``--profile-seconds``: collapsed
    stacks in ``--profile``, one file per consumer."""
    args.profile.mkdir(parents=True, exist_ok=True)
    spies = []
    for pid, name in platform_processes(root).items():
        if name not in {"events analytics", "events reports"}:
            continue
        out = args.profile / f"{name.replace(' ', '-')}.txt"
        spies.append(
            subprocess.Popen(
                [
                    str(REPO_ROOT / ".venv/bin/py-spy"),
                    "record",
                    "--pid",
                    str(pid),
                    "--format",
                    "raw",
                    "--rate",
                    "100",
                    "--duration",
                    str(args.profile_seconds),
                    "--output",
                    str(out),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    return spies


@dataclass
class Run:
    import_seconds: float
    outbox_empty_after: float | None
    caught_up_after: float | None
    cpu: dict[str, float]


def run_once(args: argparse.Namespace, server: str) -> Run:
    urls = fresh_databases(server)
    broker = fresh_vhost()
    with tempfile.TemporaryDirectory(prefix="stride-oulad-") as var:
        env = platform_env(urls, broker, Path(var))
        settings = load_settings(env)
        log = Path(var) / "platform.log"
        with log.open("ab") as output:
            platform = subprocess.Popen(
                stride("up"),
                cwd=REPO_ROOT,
                env=env,
                stdout=output,
                stderr=output,
                start_new_session=True,
            )
        try:
            wait_for_gateway(env, platform)
            since: datetime = utcnow()
            began = time.monotonic()
            subprocess.run(
                stride("import", "oulad", str(args.data)),
                cwd=REPO_ROOT,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            imported = time.monotonic()
            spies = profile(platform.pid, args) if args.profile else []
            cpu_before = cpu_by_label(platform.pid)
            pg_before = postgres_cpu()
            outbox_empty: float | None = None
            quiet = 0
            caught_up: float | None = None
            while time.monotonic() - imported < args.timeout:
                seen = backlog(settings, since)
                after = time.monotonic() - imported
                print(
                    f"  +{after:6.1f} s  unsent {seen.unsent:7,}  queued {seen.queued:7,}"
                    f"  unapplied {seen.unapplied:7,}",
                    flush=True,
                )
                if seen.unsent == 0 and outbox_empty is None:
                    outbox_empty = after
                quiet = quiet + 1 if seen.empty else 0
                if quiet == 1:
                    caught_up = after
                if quiet >= QUIET_LOOKS:
                    break
                if quiet == 0:
                    caught_up = None
                time.sleep(args.every)
            for spy in spies:
                spy.wait()
            cpu_after = cpu_by_label(platform.pid)
            cpu = {
                name: cpu_after.get(name, 0.0) - cpu_before.get(name, 0.0)
                for name in sorted(set(cpu_after) | set(cpu_before))
            }
            cpu["postgres (these databases)"] = postgres_cpu() - pg_before
            cpu["stride up (all, since it started)"] = tree_cpu(platform.pid)
            return Run(imported - began, outbox_empty, caught_up if quiet else None, cpu)
        finally:
            os.killpg(platform.pid, signal.SIGTERM)
            try:
                platform.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(platform.pid, signal.SIGKILL)
                platform.wait()
            drop_databases(server)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared/data/oulad-2013")
    parser.add_argument("--every", type=float, default=2.0, help="seconds between looks")
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after (s)")
    parser.add_argument("--profile", type=Path, help="py-spy the consumers into this folder")
    parser.add_argument("--profile-seconds", type=int, default=30)
    args = parser.parse_args(argv)
    server = postgres_url()
    print(f"# {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {code_version()}")
    print(f"# {machine_facts()}")
    print(f"# {calibration()}", flush=True)
    runs = []
    for number in range(1, args.runs + 1):
        print(f"run {number}", flush=True)
        run = run_once(args, server)
        runs.append(run)
        print(
            f"run {number}: import {run.import_seconds:.1f} s; progress' outbox empty "
            f"+{run.outbox_empty_after} s; analytics caught up +{run.caught_up_after} s"
        )
        busy = sorted(run.cpu.items(), key=lambda item: -item[1])
        print("  CPU seconds while catching up: " + ", ".join(f"{n} {s:.1f}" for n, s in busy))
        print(f"# {calibration()}", flush=True)
    caught = [run.caught_up_after for run in runs if run.caught_up_after is not None]
    print(
        f"median of {len(runs)}: import {statistics.median(r.import_seconds for r in runs):.1f} s"
        + (f"; caught up +{statistics.median(caught):.1f} s" if caught else "; never caught up")
    )
    return 0 if len(caught) == len(runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
