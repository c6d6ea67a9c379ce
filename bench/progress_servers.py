"""The progress read under gunicorn with several worker settings, in turn.

Seeds ``--enrollments`` enrollments into a fresh database of its own (as
``bench/progress_inprocess.py`` does; dropped at the end). For each setting
``CLASS:WORKERS:THREADS[:PARSER]`` given (``shared.serving.KeepAliveWorker:3:1`` is the
deployed progress API on 2 cores; ``PARSER`` is gunicorn's ``--http-parser``: ``python``,
``fast`` for the C parser ``gunicorn_h1c``, or ``auto``, the default; it applies to
gunicorn's own workers, the keep-alive workers parse with httptools), starts gunicorn
with ``deploy/gunicorn.conf.py`` on it, warms it up, then measures ``--repeat`` times an
open-loop load of ``--rate`` requests/s for ``--seconds`` (``bench/progress_http.py``'s
client): admin ``GET /enrollments/{id}`` of random ids, ``GET /healthz`` with
``--healthz``, or with ``--probe`` a probe app that does next to nothing
(``tests/support/wsgi_probe.py``: the server's own cost). Prints per measure the
server's CPU per request (gunicorn master and workers, user and system), PostgreSQL's,
and the latencies. Settings given in turn (``gthread:3:2 gthread:2:1 gthread:3:2 ...``)
are alternated in time, so that a host whose speed drifts does not favour one.

    .venv/bin/python bench/progress_servers.py --rate 650 --seconds 20 gthread:3:2 gthread:2:1
    .venv/bin/python bench/progress_servers.py --repeat 1 \
        shared.serving.KeepAliveWorker:3:1:python shared.serving.KeepAliveWorker:3:1:fast
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from progress_http import REPO_ROOT, Gunicorn, open_loop, postgres_cpu
from progress_seed import seed
from quiet import TICKS
from wsgi_direct import service_database

from shared.auth import KeyPair, mint_token
from shared.config import load_settings


def user_and_system(pids: list[int]) -> tuple[float, float]:
    user = system = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        user += int(fields[11]) / TICKS
        system += int(fields[12]) / TICKS
    return user, system


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("settings", nargs="+", help="CLASS:WORKERS:THREADS, e.g. gthread:3:2")
    parser.add_argument("--rate", type=float, default=650.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=1, help="measures per setting")
    parser.add_argument("--healthz", action="store_true", help="GET /healthz instead")
    parser.add_argument(
        "--probe",
        action="store_true",
        help="serve tests/support/wsgi_probe.py (an app that does next to nothing) instead",
    )
    parser.add_argument("--port", type=int, default=18471)
    parser.add_argument("--enrollments", type=int, default=100_000)
    args = parser.parse_args(argv)

    var_dir = Path(tempfile.mkdtemp(prefix="stride-bench-servers-"))
    database = service_database("progress", REPO_ROOT / "services/progress/migrations", var_dir)
    url, keys = database.url, database.keys
    engine = sa.create_engine(url)
    seed(engine, args.enrollments)
    engine.dispose()
    try:
        measure(args, url, keys, var_dir / "var")
    finally:
        database.drop()


def measure(args: argparse.Namespace, url: str, keys: KeyPair, var_dir: Path) -> None:
    env = {
        **os.environ,
        "STRIDE_VAR_DIR": str(var_dir),
        "STRIDE_LOG_LEVEL": "WARNING",
        "STRIDE_AUTO_MIGRATE": "false",
        "STRIDE_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672/%2F",
        "STRIDE_PROGRESS_DATABASE_URL": url,
        "GUNICORN_LOG_LEVEL": "warning",
    }
    token = mint_token(
        load_settings(env), sub="USR-ADM-BENCH", role="admin", private_key=keys.private_pem
    )
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        ids = [row.id for row in connection.execute(sa.text("SELECT id FROM enrollments"))]
    engine.dispose()
    rng = random.Random(1)

    def paths(count: int) -> list[str]:
        if args.probe:
            return ["/peer"] * count
        if args.healthz:
            return ["/healthz"] * count
        return [f"/enrollments/{rng.choice(ids)}" for _ in range(count)]

    for setting in args.settings:
        kind, workers, threads, *parser = setting.split(":")
        chosen = {
            **env,
            "GUNICORN_WORKER_CLASS": kind,
            "GUNICORN_WORKERS": workers,
            "GUNICORN_THREADS": threads,
            "GUNICORN_CMD_ARGS": f"--http-parser {parser[0] if parser else 'auto'}",
        }
        server = Gunicorn(args.port, chosen, var_dir / "gunicorn.log")
        if args.probe:
            server.command[-1] = "wsgi_probe:app"
            server.env = {**chosen, "PYTHONPATH": str(REPO_ROOT / "tests" / "support")}
            server.health_path = "/peer"
        with server as gunicorn:
            assert gunicorn.process is not None
            open_loop(args.port, paths(int(args.rate * 2)), token, args.rate)  # warm-up
            for _ in range(args.repeat):
                pids = [gunicorn.process.pid, *gunicorn.worker_pids()]
                user, system = user_and_system(pids)
                database = postgres_cpu()
                run = open_loop(args.port, paths(int(args.rate * args.seconds)), token, args.rate)
                user_after, system_after = user_and_system(pids)
                per = 1000 / run.requests
                print(
                    f"{setting}: server {(user_after - user) * per:.3f} user "
                    f"+ {(system_after - system) * per:.3f} system ms per request, PostgreSQL "
                    f"{(postgres_cpu() - database) * per:.3f} ms; {run}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
