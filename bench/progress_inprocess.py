"""The CPU of one ``GET /enrollments/{id}`` inside the progress app, without gunicorn.

Seeds ``--enrollments`` enrollments (``bench/progress_seed.py``) into a fresh PostgreSQL
database, builds the progress app as gunicorn's workers do, and calls its WSGI entry
point once per request (what gunicorn does for each request it reads), ``--requests``
times with an admin token and random ids, in one thread. Prints the CPU time of this
process per request (``time.process_time``) for each of ``--rounds`` rounds and their
median, and with ``--profile FILE`` the same requests once more under cProfile.

Comparing this figure with the server CPU per request of ``bench/progress.py`` (gunicorn
workers' CPU / requests answered) gives the share of gunicorn and of concurrency; the
rounds here are quiet-machine independent only as far as one core's speed is, so the
calibration loop of ``bench/activity.py`` is printed beside them.

    .venv/bin/python bench/progress_inprocess.py --enrollments 3000 --requests 2000
"""

from __future__ import annotations

import argparse
import cProfile
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from activity import calibration
from progress_seed import seed
from wsgi_direct import WsgiClient

from shared.auth import development_keys, mint_token
from shared.config import load_settings
from shared.migrations import upgrade

REPO_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = REPO_ROOT / "services/progress/migrations"


def fresh_database(server: str, name: str) -> str:
    plain = server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(f"{plain}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{server.replace('postgresql://', 'postgresql+psycopg://')}/{name}"


def drop_database(server: str, name: str) -> None:
    plain = server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(f"{plain}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enrollments", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", type=Path, help="write cProfile stats of one more round")
    parser.add_argument(
        "--no-calibration", action="store_true", help="(bench/instructions.py) skip it"
    )
    parser.add_argument(
        "--var-dir", type=Path, help="keys made there before (bench/instructions.py)"
    )
    args = parser.parse_args(argv)

    server = os.environ.get(
        "STRIDE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432"
    )
    var_dir = args.var_dir or Path(tempfile.mkdtemp(prefix="stride-bench-inprocess-"))
    keys = development_keys(var_dir / "var")
    os.environ.update(
        {
            "STRIDE_VAR_DIR": str(var_dir / "var"),
            "STRIDE_LOG_LEVEL": "WARNING",
            "STRIDE_AUTO_MIGRATE": "false",
            "STRIDE_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672/%2F",
        }
    )
    database = f"stride_bench_progress_inprocess_{os.getpid()}"  # runs side by side: one each
    url = fresh_database(server, database)
    os.environ["STRIDE_PROGRESS_DATABASE_URL"] = url
    upgrade("progress", url, MIGRATIONS)
    engine = sa.create_engine(url)
    seed(engine, args.enrollments)
    with engine.connect() as connection:
        ids = [row.id for row in connection.execute(sa.text("SELECT id FROM enrollments"))]
    engine.dispose()

    from services.progress.app import create_app

    settings = load_settings()
    token = mint_token(settings, sub="USR-ADM-BENCH", role="admin", private_key=keys.private_pem)
    client = WsgiClient(create_app().wsgi_app)
    rng = random.Random(7)

    def one_round() -> float:
        paths = [f"/enrollments/{rng.choice(ids)}" for _ in range(args.requests)]
        statuses: dict[int, int] = {}
        began = time.process_time()
        for path in paths:
            status, _ = client.call("GET", path, token)
            statuses[status] = statuses.get(status, 0) + 1
        spent = (time.process_time() - began) * 1000 / args.requests
        assert set(statuses) == {200}, statuses
        return spent

    one_round()  # warm caches, pools and prepared statements
    rounds = [one_round() for _ in range(args.rounds)]
    if not args.no_calibration:
        print(f"calibration: {calibration()}")
    print(
        f"GET /enrollments/{{id}} in process, admin, {args.enrollments:,} enrollments: "
        + " / ".join(f"{r:.3f}" for r in rounds)
        + f" ms of CPU per request; median {statistics.median(rounds):.3f}"
    )
    if args.profile:
        profiler = cProfile.Profile(time.process_time)  # CPU, not the waits
        profiler.enable()
        one_round()
        profiler.disable()
        profiler.dump_stats(args.profile)
        print(f"profile: {args.profile}")
    drop_database(server, database)


if __name__ == "__main__":
    main()
