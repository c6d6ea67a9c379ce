"""Attempts service benchmark on the real PostgreSQL, the app under gunicorn.

Measures over HTTP (keep-alive connections, bearer tokens, audit and outbox included):

* saving an answer (``PUT /attempts/{id}/answers/{question_id}``) at a fixed arrival
  rate (default 300 requests/s, open loop: each request's latency runs from the moment
  it was due, so a server that falls behind is charged for the queueing too);
* scoring a 50-question quiz: ``POST /attempts/{id}/submission`` of attempts with all
  50 questions answered, one after another; and, for reference, the pure domain
  ``score_attempt`` plus ``auto_feedback`` in-process.

    .venv/bin/python bench/attempts.py [--rate 300] [--seconds 20] [--submissions 100] [--runs 3]

Each run also reports the CPU one answer save costs: in the gunicorn processes, in the
PostgreSQL backends of the benchmark's database and in this load generator. On a shared
machine that is steadier than latency, which is why the medians of the runs are quoted.

Server: ``STRIDE_BENCH_POSTGRES_URL`` (default postgresql+psycopg://postgres@127.0.0.1:5432);
the database ``stride_bench_attempts`` is dropped and created for each run. Gunicorn runs
with ``deploy/gunicorn.conf.py`` (its workers and threads, or ``GUNICORN_WORKERS`` /
``GUNICORN_THREADS``; the output names those it ran with). Before each run the script
waits (up to 15 min) while another benchmark (``bench/backbone``, ``bench/progress``)
runs and uses CPU (one that sits idle is waiting for this one), and notes a run that
another one overlapped.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from activity import calibration  # noqa: E402
from quiet import (  # noqa: E402
    child_pids,
    gunicorn_as_deployed,
    other_benchmarks,
    process_cpu,
    wait_until_quiet,
)

from services.attempts.app import MIGRATIONS  # noqa: E402
from services.attempts.domain import (  # noqa: E402
    AnswerRecord,
    auto_feedback,
    parse_quiz_definition,
    score_attempt,
)
from shared.auth import development_keys, mint_token  # noqa: E402
from shared.config import load_settings  # noqa: E402
from shared.migrations import upgrade  # noqa: E402

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432"
DATABASE = "stride_bench_attempts"
COURSE = "CRS-BENCH-1"
ANSWER_P95_TARGET_MS = 15.0
SCORING_P95_TARGET_MS = 50.0
QUESTION_COUNT = 50
OTHER_BENCHMARKS = "bench/(backbone|progress)"
KINDS = ["multiple_choice", "multiple_response", "true_false", "numeric", "short_text",
         "matching", "ordering"]  # fmt: skip


def quiz_definition(quiz_id: str) -> dict[str, Any]:
    """50 auto-scored questions, every type but essay, tagged with 5 skills."""
    samples: dict[str, dict[str, Any]] = {
        "multiple_choice": {"options": ["a", "b", "c", "d"], "answer_key": "a"},
        "multiple_response": {"options": ["a", "b", "c", "d"], "answer_key": ["a", "c"]},
        "true_false": {"answer_key": True},
        "numeric": {"answer_key": 3.14, "tolerance": 0.01},
        "short_text": {"answer_key": ["Paris", "Paname"]},
        "matching": {"answer_key": {"x": "1", "y": "2", "z": "3"}},
        "ordering": {"answer_key": ["w", "x", "y", "z"]},
    }
    questions = []
    for index in range(QUESTION_COUNT):
        kind = KINDS[index % len(KINDS)]
        questions.append(
            {
                "question_id": f"q{index:02d}",
                "type": kind,
                "prompt": f"Question {index} ({kind})",
                "points": 2,
                "tags": [f"skill-{index % 5}"],
                **samples[kind],
            }
        )
    return {
        "course_id": COURSE,
        "lesson_id": "LSN-1",
        "title": f"Benchmark quiz {quiz_id}",
        "passing_score": 60,
        "questions": questions,
    }


def sample_answer(kind: str, rng: random.Random) -> Any:
    choices: dict[str, Callable[[], Any]] = {
        "multiple_choice": lambda: rng.choice(["a", "b", "c", "d"]),
        "multiple_response": lambda: rng.sample(["a", "b", "c", "d"], rng.randint(1, 3)),
        "true_false": lambda: rng.random() < 0.5,
        "numeric": lambda: rng.choice([3.14, 3.0, "3.141"]),
        "short_text": lambda: rng.choice(["paris", "London", " Paris! "]),
        "matching": lambda: {"x": "1", "y": rng.choice(["2", "3"]), "z": "3"},
        "ordering": lambda: rng.sample(["w", "x", "y", "z"], 4),
    }
    return choices[kind]()


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(name: str, latencies_ms: Sequence[float]) -> str:
    return (
        f"{name}: n={len(latencies_ms)} p50={percentile(latencies_ms, 0.5):.2f} ms "
        f"p95={percentile(latencies_ms, 0.95):.2f} ms p99={percentile(latencies_ms, 0.99):.2f} ms "
        f"max={max(latencies_ms):.2f} ms"
    )


def others_running() -> bool:
    return bool(other_benchmarks(OTHER_BENCHMARKS))


def backend_cpu(database: str) -> float:
    """CPU seconds of the live PostgreSQL backends connected to ``database`` (their title
    names it), so other databases' load on the shared server is not counted."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres: ") and f" {database} " in title:
            total += process_cpu(int(entry.name))
    return total


class CpuMeter:
    """CPU seconds used during a measurement by gunicorn (master and workers), the
    PostgreSQL backends of the benchmark's database, and this process."""

    def __init__(self, server: subprocess.Popen[bytes]) -> None:
        self.server = server.pid
        self.used: dict[str, float] = {}

    def _sample(self) -> dict[str, float]:
        workers = sum(process_cpu(pid) for pid in child_pids(self.server))
        return {
            "server": process_cpu(self.server, children=True) + workers,
            "postgres": backend_cpu(DATABASE),
            "client": process_cpu(os.getpid()),
        }

    def __enter__(self) -> CpuMeter:
        self._start = self._sample()
        return self

    def __exit__(self, *_exc: object) -> None:
        end = self._sample()
        self.used = {name: end[name] - self._start[name] for name in end}

    def per_request_ms(self, requests: int) -> dict[str, float]:
        return {name: used * 1000 / requests for name, used in self.used.items()}


class Http:
    """One keep-alive connection to the app."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        payload = None if body is None else json.dumps(body)
        self.connection.request(method, path, body=payload, headers=headers)
        response = self.connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None


def fresh_database(postgres_url: str) -> str:
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(f"{plain}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')
    return f"{postgres_url}/{DATABASE}"


def start_gunicorn(url: str, var_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "STRIDE_ATTEMPTS_DATABASE_URL": url,
        "STRIDE_VAR_DIR": str(var_dir),
        "STRIDE_LOG_LEVEL": "WARNING",
        "STRIDE_BIND": f"127.0.0.1:{port}",
        "GUNICORN_LOG_LEVEL": "warning",
        "STRIDE_AUTO_MIGRATE": "false",
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            "deploy/gunicorn.conf.py",
            "services.attempts.app:create_app()",
        ],
        cwd=REPO_ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


def run_parallel(jobs: Sequence[Callable[[Http], None]], port: int, workers: int) -> None:
    counter = itertools.count()
    lock = threading.Lock()

    def work() -> None:
        client = Http(port)
        while True:
            with lock:
                index = next(counter)
            if index >= len(jobs):
                return
            jobs[index](client)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


class Bench:
    def __init__(self, port: int, token: Callable[..., str]) -> None:
        self.port = port
        self.token = token
        self.kinds = {f"q{i:02d}": KINDS[i % len(KINDS)] for i in range(QUESTION_COUNT)}

    def publish(self, quiz_id: str) -> None:
        status, body = Http(self.port).call(
            "PUT", f"/quizzes/{quiz_id}", self.token("teacher", "USR-TEA-1", courses=[COURSE]),
            quiz_definition(quiz_id),
        )  # fmt: skip
        assert status == 200, body

    def start_attempts(self, quiz_id: str, count: int, prefix: str) -> list[tuple[str, str]]:
        started: list[tuple[str, str]] = []
        lock = threading.Lock()

        def start(index: int) -> Callable[[Http], None]:
            def job(client: Http) -> None:
                student = f"USR-STU-{prefix}-{index}"
                token = self.token("student", student)
                status, body = client.call("POST", f"/quizzes/{quiz_id}/attempts", token, {})
                assert status == 201, body
                with lock:
                    started.append((body["id"], token))

            return job

        run_parallel([start(i) for i in range(count)], self.port, workers=8)
        return started

    def answer_load(
        self, attempts: list[tuple[str, str]], rate: float, seconds: float, clients: int
    ) -> tuple[list[float], int, float]:
        total = int(rate * seconds)
        rng = random.Random(7)
        plan = []
        for k in range(total):
            attempt_id, token = attempts[k % len(attempts)]
            question_id = f"q{(k // len(attempts)) % QUESTION_COUNT:02d}"
            body = {
                "answer": sample_answer(self.kinds[question_id], rng),
                "time_spent": rng.randint(5, 60),
                "confidence_level": rng.randint(1, 5),
            }
            plan.append((attempt_id, token, question_id, body))
        latencies: list[float] = []
        errors = [0]
        counter = itertools.count()
        lock = threading.Lock()
        begin = time.perf_counter() + 0.5

        def work() -> None:
            client = Http(self.port)
            while True:
                with lock:
                    k = next(counter)
                if k >= total:
                    return
                due = begin + k / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                attempt_id, token, question_id, body = plan[k]
                status, _ = client.call(
                    "PUT", f"/attempts/{attempt_id}/answers/{question_id}", token, body
                )
                elapsed = (time.perf_counter() - due) * 1000
                with lock:
                    latencies.append(elapsed)
                    if status != 200:
                        errors[0] += 1

        threads = [threading.Thread(target=work) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        achieved = total / (time.perf_counter() - begin)
        return latencies, errors[0], achieved

    def answer_everything(self, attempts: list[tuple[str, str]]) -> None:
        rng = random.Random(11)

        def fill(attempt_id: str, token: str) -> Callable[[Http], None]:
            def job(client: Http) -> None:
                for question_id, kind in self.kinds.items():
                    body = {"answer": sample_answer(kind, rng), "time_spent": 10}
                    status, response = client.call(
                        "PUT", f"/attempts/{attempt_id}/answers/{question_id}", token, body
                    )
                    assert status == 200, response

            return job

        run_parallel([fill(a, t) for a, t in attempts], self.port, workers=8)

    def submissions(self, attempts: list[tuple[str, str]]) -> list[float]:
        client = Http(self.port)
        latencies = []
        for attempt_id, token in attempts:
            began = time.perf_counter()
            status, body = client.call("POST", f"/attempts/{attempt_id}/submission", token)
            latencies.append((time.perf_counter() - began) * 1000)
            assert status == 200 and body["status"] == "graded", body
            assert len(body["answers"]) == QUESTION_COUNT
        return latencies


def domain_scoring(runs: int) -> list[float]:
    quiz = parse_quiz_definition({**quiz_definition("QZ-DOMAIN"), "quiz_id": "QZ-DOMAIN"})
    rng = random.Random(3)
    started = datetime(2026, 1, 1, 9, tzinfo=UTC)
    answers = [
        AnswerRecord(
            q.question_id, sample_answer(q.type.value, rng), started + timedelta(minutes=1)
        )
        for q in quiz.questions
    ]
    answers = [AnswerRecord(r.question_id, _normalized(quiz, r), r.answered_at) for r in answers]
    latencies = []
    for _ in range(runs):
        began = time.perf_counter()
        score = score_attempt(
            quiz, answers, started_at=started, submitted_at=started + timedelta(minutes=20)
        )
        auto_feedback(quiz, score)
        latencies.append((time.perf_counter() - began) * 1000)
    return latencies


def _normalized(quiz: Any, record: AnswerRecord) -> Any:
    from services.attempts.domain import validate_answer

    return validate_answer(quiz.question(record.question_id), record.answer)


@dataclass
class RunResult:
    answers: list[float]
    errors: int
    achieved: float
    cpu_ms: dict[str, float]
    scoring: list[float]
    notes: list[str]


def run_once(args: argparse.Namespace) -> RunResult:
    """One run on a fresh database and a fresh gunicorn."""
    notes = [note for note in [wait_until_quiet(OTHER_BENCHMARKS)] if note]
    postgres = os.environ.get("STRIDE_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    url = fresh_database(postgres)
    var_dir = Path(tempfile.mkdtemp(prefix="stride-bench-attempts-"))
    upgrade("attempts", url, MIGRATIONS)
    keys = development_keys(var_dir)
    settings = load_settings({"STRIDE_VAR_DIR": str(var_dir)})

    def token(role: str, sub: str, courses: Sequence[str] = ()) -> str:
        return mint_token(
            settings, sub=sub, role=role, courses=courses, private_key=keys.private_pem
        )

    server = start_gunicorn(url, var_dir, args.port)
    try:
        bench = Bench(args.port, token)
        bench.publish("QZ-LOAD")
        bench.publish("QZ-SCORE")
        under_load = bench.start_attempts("QZ-LOAD", args.attempts, "load")
        to_score = bench.start_attempts("QZ-SCORE", args.submissions, "score")
        bench.answer_everything(to_score)
        spies = profile_workers(server, args) if args.profile else []
        with CpuMeter(server) as meter:
            latencies, errors, achieved = bench.answer_load(
                under_load, args.rate, args.seconds, args.clients
            )
        for spy in spies:
            spy.wait()
        if others_running():
            notes.append("another benchmark was running when the answer load ended")
        scoring = bench.submissions(to_score)
    finally:
        server.terminate()
        server.wait(timeout=30)
    cpu = meter.per_request_ms(len(latencies))
    return RunResult(latencies, errors, achieved, cpu, scoring, notes)


def profile_workers(server: subprocess.Popen[bytes], args: argparse.Namespace) -> list[Any]:
    """py-spy on each gunicorn worker for the answer load: the samples of threads holding
    the GIL (Python's own CPU, not the waits on PostgreSQL), as collapsed stacks
    (``bench/profile_layers.py`` turns them into each layer's share)."""
    folder = Path(args.profile)
    folder.mkdir(parents=True, exist_ok=True)
    binary = os.environ.get("PY_SPY", str(Path(sys.executable).parent / "py-spy"))
    return [
        subprocess.Popen(
            [
                binary,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(int(args.seconds)),
                "--format",
                "raw",
                "--gil",
                "--rate",
                "200",
                "--output",
                str(folder / f"gunicorn-worker-{pid}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in child_pids(server.pid)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=300.0, help="answers per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of the load")
    parser.add_argument("--attempts", type=int, default=600, help="open attempts under load")
    parser.add_argument("--submissions", type=int, default=100, help="50-question submissions")
    parser.add_argument("--clients", type=int, default=32, help="keep-alive connections")
    parser.add_argument("--runs", type=int, default=3, help="runs; medians are reported")
    parser.add_argument("--port", type=int, default=18431)
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="py-spy (PY_SPY, default next to this Python) on the gunicorn workers during "
        "each run's answer load (it costs CPU: the run's figures are then not the ones to "
        "quote): collapsed stacks of the GIL holder into DIR",
    )
    args = parser.parse_args(argv)

    cores = len(os.sched_getaffinity(0))
    print(f"# Attempts benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {cores} cores)")
    print(
        f"gunicorn (deploy/gunicorn.conf.py, {gunicorn_as_deployed('attempts')}) + "
        f"PostgreSQL; {args.clients} keep-alive client connections from the same machine",
        flush=True,
    )
    print(calibration(), flush=True)
    results = []
    for run in range(1, args.runs + 1):
        result = run_once(args)
        results.append(result)
        cpu = ", ".join(f"{name} {ms:.2f}" for name, ms in result.cpu_ms.items())
        print(
            f"run {run}: save answer at {args.rate:.0f}/s for {args.seconds:.0f} s over "
            f"{args.attempts} open attempts: achieved {result.achieved:.0f}/s, "
            f"errors {result.errors}; CPU ms per answer: {cpu}"
        )
        print(summary("  PUT answer latency (from due time)", result.answers))
        print(summary(f"  POST submission, {QUESTION_COUNT} questions answered", result.scoring))
        for note in result.notes:
            print(f"  note: {note}")
        sys.stdout.flush()
    domain = domain_scoring(500)
    print(summary("domain score_attempt + auto_feedback (in-process)", domain))

    answer_p95 = statistics.median(percentile(r.answers, 0.95) for r in results)
    scoring_p95 = statistics.median(percentile(r.scoring, 0.95) for r in results)
    achieved = statistics.median(r.achieved for r in results)
    cpu_median = {
        name: statistics.median(r.cpu_ms[name] for r in results) for name in results[0].cpu_ms
    }
    print(
        f"median of {len(results)} runs: answer p95 {answer_p95:.2f} ms at {achieved:.0f}/s "
        f"achieved; CPU ms per answer: "
        + ", ".join(f"{name} {ms:.2f}" for name, ms in cpu_median.items())
        + f"; submission p95 {scoring_p95:.2f} ms"
    )
    print(calibration(), flush=True)
    print(
        f"targets: answer p95 < {ANSWER_P95_TARGET_MS} ms: "
        f"{'met' if answer_p95 < ANSWER_P95_TARGET_MS else 'NOT met'}; "
        f"scoring p95 < {SCORING_P95_TARGET_MS} ms: "
        f"{'met' if scoring_p95 < SCORING_P95_TARGET_MS else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
