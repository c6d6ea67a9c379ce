"""HTTP side of the progress benchmark: gunicorn, an open-loop client, and wrk.

The open-loop client schedules request ``k`` at ``begin + k / rate`` whatever happened
to the earlier ones, and measures each latency from that scheduled time: a server
that falls behind is charged for the queueing (no coordinated omission). Requests go
out on keep-alive ``http.client`` connections, one per client thread; there are many
more threads than requests in flight at the target rate, so a slow response delays
no other request's departure.
"""

from __future__ import annotations

import http.client
import itertools
import os
import re
import resource
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from quiet import process_cpu

REPO_ROOT = Path(__file__).resolve().parents[1]


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass(frozen=True)
class LoadRun:
    requests: int
    errors: int  # any answer but 200, or no answer
    offered_rate: float  # requests/s the client actually sent
    completed_rate: float  # responses/s, first due time -> last response
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    send_lag_p99_ms: float  # how late the client sent, against the schedule
    client_cpu: float  # share of one core the client process used
    statuses: dict[int, int]

    def __str__(self) -> str:
        return (
            f"p50 {self.p50_ms:.2f} ms, p95 {self.p95_ms:.2f} ms, p99 {self.p99_ms:.2f} ms, "
            f"max {self.max_ms:.1f} ms; {self.requests:,} requests sent at "
            f"{self.offered_rate:.0f}/s, answered at {self.completed_rate:.0f}/s, "
            f"errors {self.errors}; client send lag p99 {self.send_lag_p99_ms:.2f} ms, "
            f"client CPU {self.client_cpu:.0%} of a core"
        )


class Gunicorn:
    """The progress app under gunicorn with deploy/gunicorn.conf.py, as deployed."""

    def __init__(self, port: int, env: dict[str, str], log: Path) -> None:
        self.port = port
        self.command = [
            str(REPO_ROOT / ".venv" / "bin" / "gunicorn"),
            "-c",
            "deploy/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "services.progress.app:create_app()",
        ]
        self.env = env
        self.log = log
        self.health_path = "/healthz"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Gunicorn:
        with open(self.log, "ab") as output:
            self.process = subprocess.Popen(
                self.command, cwd=REPO_ROOT, env=self.env, stdout=output, stderr=output
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", self.health_path)
                if connection.getresponse().status == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer {self.health_path} within 90 s")

    def __exit__(self, *_exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]


def postgres_cpu() -> float:
    """CPU seconds of the PostgreSQL server: every live process, plus the backends that
    exited (connections closed, e.g. by recycled gunicorn workers), which the postmaster
    reaped and counts as its children's time."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
            postmaster = Path(f"/proc/{parent}/comm").read_text().strip() != "postgres"
        except OSError:
            continue
        total += process_cpu(int(entry.name), children=postmaster)
    return total


class CpuMeter:
    """Cores used by the server processes, PostgreSQL and this client during a run."""

    def __init__(self, server_pids: Callable[[], list[int]], master: int | None) -> None:
        self.server_pids = server_pids
        self.master = master
        self.readings: dict[str, float] = {}

    def _sample(self) -> dict[str, float]:
        server = sum(process_cpu(pid) for pid in self.server_pids())
        if self.master is not None:
            server += process_cpu(self.master, children=True)
        return {
            "server": server,
            "postgres": postgres_cpu(),
            "client": process_cpu(os.getpid()),
            "clock": time.monotonic(),
        }

    def __enter__(self) -> CpuMeter:
        self._start = self._sample()
        return self

    def __exit__(self, *_exc: object) -> None:
        end = self._sample()
        elapsed = end["clock"] - self._start["clock"]
        self.readings = {
            name: (end[name] - self._start[name]) / elapsed
            for name in ("server", "postgres", "client")
        }

    def __str__(self) -> str:
        return ", ".join(f"{name} {cores:.2f}" for name, cores in self.readings.items())


def get(connection: http.client.HTTPConnection, path: str, token: str) -> int:
    connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    response.read()
    return response.status


def closed_loop(port: int, paths: Sequence[str], token: str, clients: int = 8) -> dict[int, int]:
    """Every path once, as fast as ``clients`` connections go (warm-up, checks)."""
    counter = itertools.count()
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def work() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while (k := next(counter)) < len(paths):
            status = get(connection, paths[k], token)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=work) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def open_loop(
    port: int, paths: Sequence[str], token: str, rate: float, threads: int = 64
) -> LoadRun:
    """Send ``paths[k]`` at ``begin + k / rate``; latency from that due time to the answer."""
    total = len(paths)
    latencies = [0.0] * total
    lags = [0.0] * total
    statuses = [0] * total
    finished = [0.0] * total
    counter = itertools.count()
    lock = threading.Lock()
    begin = time.perf_counter() + 0.5

    def work() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                k = next(counter)
            if k >= total:
                return
            due = begin + k / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            lags[k] = time.perf_counter() - due
            try:
                statuses[k] = get(connection, paths[k], token)
            except (OSError, http.client.HTTPException):
                statuses[k] = -1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            finished[k] = time.perf_counter()
            latencies[k] = (finished[k] - due) * 1000

    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    last_send = begin + max(lag + k / rate for k, lag in enumerate(lags))
    elapsed = max(finished) - begin
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    counts: dict[int, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return LoadRun(
        requests=total,
        errors=sum(1 for status in statuses if status != 200),
        offered_rate=total / (last_send - begin),
        completed_rate=total / elapsed,
        p50_ms=percentile(latencies, 0.50),
        p95_ms=percentile(latencies, 0.95),
        p99_ms=percentile(latencies, 0.99),
        max_ms=max(latencies),
        send_lag_p99_ms=percentile(lags, 0.99) * 1000,
        client_cpu=cpu / elapsed,
        statuses=counts,
    )


@dataclass(frozen=True)
class WrkRun:
    requests_per_second: float
    latency: str  # wrk's own distribution line (closed loop)
    non_2xx: int
    socket_errors: str

    def __str__(self) -> str:
        return (
            f"{self.requests_per_second:,.0f} requests/s (closed loop), {self.latency}, "
            f"non-2xx {self.non_2xx}, socket errors {self.socket_errors or 'none'}"
        )


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    port: int, ids: Sequence[str], token: str, seconds: int, connections: int, threads: int = 2
) -> WrkRun:
    """wrk, closed loop: ``connections`` keep-alive connections, random ids."""
    listing = ",".join(f'"{enrollment_id}"' for enrollment_id in ids)
    script = (
        f"local ids = {{{listing}}}\n"
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        "request = function()\n"
        '  return wrk.format("GET", "/enrollments/" .. ids[math.random(#ids)])\n'
        "end\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        result = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                handle.name,
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(handle.name)
    out = result.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    marks = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:(.*)", out)
    return WrkRun(
        requests_per_second=rate,
        latency=f"p50 {marks.get('50')}, p90 {marks.get('90')}, p99 {marks.get('99')}",
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=errors.group(1).strip() if errors else "",
    )
