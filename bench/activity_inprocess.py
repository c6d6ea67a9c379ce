"""The CPU of the activity API's two busiest requests inside the app, without gunicorn.

``--path post``: single-record ``POST /logs`` with a content player's service token, the
records of ``bench/activity.py``'s single-POST load (each request commits alone here:
one thread, so the group commit has nobody to join). ``--path read``: a student's last
100 records (``GET /logs?student_id=...&limit=100``) with an admin token, on
``--students`` x 100 records COPYed into the current month as ``bench/activity.py``
seeds them. A fresh PostgreSQL database either way; the app's WSGI entry point called
as a gunicorn worker calls it, in one thread (``bench/wsgi_direct.py``). Prints the CPU
time of this process per request for each of ``--rounds`` rounds and their median, with
the calibration loop of ``bench/activity.py``, and with ``--profile FILE`` one more
round under cProfile.

    .venv/bin/python bench/activity_inprocess.py --path post --requests 2000
    .venv/bin/python bench/activity_inprocess.py --path read --students 300
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from activity import sample_record, seed
from wsgi_direct import Planned, add_run_arguments, client_for, measure_rounds, service_database

from shared.auth import mint_token
from shared.config import load_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = REPO_ROOT / "services/activity/migrations"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", choices=("post", "read"), default="post")
    parser.add_argument("--students", type=int, default=300, help="(read) students seeded")
    add_run_arguments(parser)
    args = parser.parse_args(argv)
    database = service_database("activity", MIGRATIONS, args.var_dir)
    if args.path == "read":
        seed(database.url.replace("postgresql+psycopg://", "postgresql://"), args.students * 100,
             args.students)  # fmt: skip

    from services.activity.app import create_app

    settings = load_settings()
    private_key = database.keys.private_pem
    client = client_for(create_app(), args)
    sent = itertools.count()
    if args.path == "post":
        player = mint_token(settings, sub="SVC-PLAYER", role="service", private_key=private_key)

        def plan() -> list[Planned]:
            records = (sample_record(f"USR-STU-1-{k % 1000}", k) for k in sent)
            return [
                ("POST", "/logs", player, json.dumps(record).encode())
                for record in itertools.islice(records, args.requests)
            ]

        label = "single-record POST /logs in process"
        measure_rounds(client, args, plan, label=label, expect=202)
    else:
        admin = mint_token(settings, sub="USR-ADM-1", role="admin", private_key=private_key)

        def plan() -> list[Planned]:
            return [
                ("GET", f"/logs?student_id=USR-STU-S{(k * 7919) % args.students}&limit=100",
                 admin, None)
                for k in itertools.islice(sent, args.requests)
            ]  # fmt: skip

        label = f"a student's last 100 records (GET /logs) in process, {args.students} students"
        measure_rounds(client, args, plan, label=label)
    database.drop()


if __name__ == "__main__":
    main()
