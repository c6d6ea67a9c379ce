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
import random
import sys
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from progress_seed import seed
from wsgi_direct import Planned, add_run_arguments, client_for, measure_rounds, service_database

from shared.auth import mint_token
from shared.config import load_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = REPO_ROOT / "services/progress/migrations"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enrollments", type=int, default=3000)
    add_run_arguments(parser)
    args = parser.parse_args(argv)
    database = service_database("progress", MIGRATIONS, args.var_dir)
    url, keys = database.url, database.keys
    engine = sa.create_engine(url)
    seed(engine, args.enrollments)
    with engine.connect() as connection:
        ids = [row.id for row in connection.execute(sa.text("SELECT id FROM enrollments"))]
    engine.dispose()

    from services.progress.app import create_app

    settings = load_settings()
    token = mint_token(settings, sub="USR-ADM-BENCH", role="admin", private_key=keys.private_pem)
    client = client_for(create_app(), args)
    rng = random.Random(7)

    def plan() -> list[Planned]:
        return [
            ("GET", f"/enrollments/{rng.choice(ids)}", token, None) for _ in range(args.requests)
        ]

    label = f"GET /enrollments/{{id}} in process, admin, {args.enrollments:,} enrollments"
    measure_rounds(client, args, plan, label=label)
    database.drop()


if __name__ == "__main__":
    main()
