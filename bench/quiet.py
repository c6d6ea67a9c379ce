"""Processes' CPU time, waiting until no other benchmark measures on this machine, and
gunicorn's settings as deployed.

Shared by the benchmark scripts: each waits before a measurement while another one
runs and uses CPU. One that runs but sits idle is waiting for this one, so waiting
for it would only leave both waiting until the timeout.
"""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int, *, children: bool = False) -> float:
    """CPU seconds of a process (with ``children``: also those it reaped, e.g. recycled
    gunicorn workers)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    used = int(fields[11]) + int(fields[12])  # utime, stime
    if children:
        used += int(fields[13]) + int(fields[14])  # cutime, cstime
    return used / TICKS


def child_pids(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its descendants (live or reaped)."""
    return process_cpu(pid, children=True) + sum(tree_cpu(child) for child in child_pids(pid))


def other_benchmarks(pattern: str) -> list[int]:
    """Processes whose command line matches ``pattern`` (``pgrep -f``)."""
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split() if int(pid) != os.getpid()]


def others_busy(pattern: str, interval: float = 10.0) -> bool:
    """Whether the other benchmarks used CPU over ``interval`` seconds."""
    before = {pid: tree_cpu(pid) for pid in other_benchmarks(pattern)}
    time.sleep(interval)
    used = sum(tree_cpu(pid) - cpu for pid, cpu in before.items() if Path(f"/proc/{pid}").exists())
    return used > 0.05 * interval


def wait_until_quiet(pattern: str, limit: float = 900) -> str | None:
    """Wait (up to ``limit`` seconds) while another benchmark measures; what happened."""
    began = time.monotonic()
    while other_benchmarks(pattern) and others_busy(pattern):
        if time.monotonic() - began > limit:
            return f"other benchmarks still running after {limit:.0f} s; measured anyway"
    waited = time.monotonic() - began
    if other_benchmarks(pattern):
        return f"waited {waited:.0f} s; another benchmark runs but is idle (waiting for this one)"
    return f"waited {waited:.0f} s for other benchmarks to finish" if waited >= 1 else None


#: docker compose's interpolation: ``${NAME}``, ``${NAME:-default}`` or ``${NAME-default}``
INTERPOLATION = re.compile(r"\$\{(\w+)(?:(:?-)([^}]*))?\}")


def interpolated(value: str) -> str:
    """``value`` of docker-compose.yml as compose fills it in from this environment."""

    def fill(match: re.Match[str]) -> str:
        name, form, default = match.groups()
        found = os.environ.get(name)
        if found is None or (form == ":-" and not found):
            return default or ""
        return found

    return INTERPOLATION.sub(fill, value)


def gunicorn_conf() -> dict[str, Any]:
    """The settings ``deploy/gunicorn.conf.py`` gives in this environment."""
    return runpy.run_path(str(REPO_ROOT / "deploy" / "gunicorn.conf.py"))


def wait_until_serving(master: int, limit: float = 60) -> None:
    """Wait until every worker of the gunicorn ``master`` (as ``gunicorn_conf`` sets
    them) has loaded the app and runs its loops: a server answering its first request
    may still be loading the app in the others, and a warm-up sent then would warm only
    the first (the loops spread connections over the workers that serve)."""
    conf = gunicorn_conf()
    threaded = str(conf["worker_class"]).endswith("ThreadedKeepAliveWorker")
    loops = int(conf["threads"]) if threaded else 1
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        workers = child_pids(master)
        if len(workers) == conf["workers"] and all(tasks(pid) >= loops for pid in workers):
            return
        time.sleep(0.05)  # polling interval while the workers load the app
    raise RuntimeError(f"gunicorn's {conf['workers']} workers were not serving within {limit} s")


def tasks(pid: int) -> int:
    """The threads of a process (0 once it is gone)."""
    try:
        return len(list(Path(f"/proc/{pid}/task").iterdir()))
    except OSError:
        return 0


def gunicorn_as_deployed(service: str) -> str:
    """Run ``service``'s API under gunicorn as docker-compose.yml deploys it: sets each
    ``GUNICORN_*`` variable of its API container (the worker class, threads, recycling),
    filled in as compose would, unless the environment already sets it, and returns what
    ``deploy/gunicorn.conf.py`` then runs, in words."""
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    environment = compose["services"][f"{service}-api"].get("environment") or {}
    for name, value in environment.items():
        if name.startswith("GUNICORN_"):
            os.environ.setdefault(name, interpolated(str(value)))
    conf = gunicorn_conf()
    recycled = f"recycled after {conf['max_requests']:,} requests"
    if conf["worker_class"] == "gthread":
        return f"{conf['workers']} gthread workers x {conf['threads']} threads, {recycled}"
    if conf["worker_class"].endswith("ThreadedKeepAliveWorker"):
        loops = f"{conf['threads']} loops"
        return f"{conf['workers']} workers of class {conf['worker_class']} x {loops}, {recycled}"
    return f"{conf['workers']} workers of class {conf['worker_class']}, {recycled}"
