"""The CPU of one answer save (``PUT /attempts/{id}/answers/{q}``) inside the attempts
app, without gunicorn.

Publishes ``bench/attempts.py``'s 50-question quiz into a fresh PostgreSQL database,
starts ``--attempts`` attempts, then saves ``--requests`` answers per round (each with
its student's token, the answers of ``bench/attempts.py``'s load) by calling the app's
WSGI entry point as a gunicorn worker does, in one thread. Prints the CPU time of this
process per answer (``time.process_time``; PostgreSQL's is not in it) for each of
``--rounds`` rounds and their median, with the calibration loop of ``bench/activity.py``
beside them, and with ``--profile FILE`` one more round under cProfile.

    .venv/bin/python bench/attempts_inprocess.py --requests 2000 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from attempts import KINDS, QUESTION_COUNT, quiz_definition, sample_answer
from wsgi_direct import Planned, add_run_arguments, client_for, measure_rounds, service_database

from shared.auth import mint_token
from shared.config import load_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = REPO_ROOT / "services/attempts/migrations"
COURSE = "CRS-BENCH-1"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=200)
    add_run_arguments(parser)
    args = parser.parse_args(argv)
    database = service_database("attempts", MIGRATIONS, args.var_dir)
    keys = database.keys

    from services.attempts.app import create_app

    settings = load_settings()

    def token(role: str, sub: str, courses: list[str] | None = None) -> str:
        return mint_token(
            settings, sub=sub, role=role, courses=courses or [], private_key=keys.private_pem
        )

    client = client_for(create_app(), args)
    teacher = token("teacher", "USR-TEA-1", [COURSE])
    status, body = client.json("PUT", "/quizzes/QZ-LOAD", teacher, quiz_definition("QZ-LOAD"))
    assert status == 200, body
    attempts: list[tuple[str, str]] = []
    for index in range(args.attempts):
        student = token("student", f"USR-STU-{index}")
        status, body = client.json("POST", "/quizzes/QZ-LOAD/attempts", student, {})
        assert status == 201, body
        attempts.append((body["id"], student))
    kinds = {f"q{i:02d}": KINDS[i % len(KINDS)] for i in range(QUESTION_COUNT)}
    rng = random.Random(7)
    sent = [0]

    def plan() -> list[Planned]:
        requests: list[Planned] = []
        for _ in range(args.requests):
            k = sent[0]
            sent[0] += 1
            attempt_id, student = attempts[k % len(attempts)]
            question_id = f"q{(k // len(attempts)) % QUESTION_COUNT:02d}"
            answer = {
                "answer": sample_answer(kinds[question_id], rng),
                "time_spent": rng.randint(5, 60),
                "confidence_level": rng.randint(1, 5),
            }
            path = f"/attempts/{attempt_id}/answers/{question_id}"
            requests.append(("PUT", path, student, json.dumps(answer).encode()))
        return requests

    label = f"PUT /attempts/{{id}}/answers/{{q}} in process, {args.attempts} attempts"
    measure_rounds(client, args, plan, label=label)
    database.drop()


if __name__ == "__main__":
    main()
