"""How much room on the enrollments' pages buys the event consumers' batch writes.

Migrates a fresh PostgreSQL database (``stride_bench_progress_hot``, dropped at the end),
stores ``--enrollments`` enrollments (1-12 lesson entries each, as a term's middle
looks), then for each fillfactor given, in turn: sets it, repacks the table (``VACUUM
FULL``), resets the statistics, and writes ``--batches`` batches of 500 random
enrollments the way the consumer of attempt events does (``progress_by_keys`` then
``write_progress``: a quiz entry added, the percentage and ``updated_at`` moved).
Prints per fillfactor the time the batches' ``UPDATE`` and commit took, the share of
heap-only (HOT) updates among those PostgreSQL's statistics counted (a pooled
connection's last counts may not be flushed yet), and the table's size.

    .venv/bin/python bench/progress_hot_updates.py --fillfactors 100,80,100,80
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wsgi_direct import drop_database, fresh_database

from services.progress.app import MIGRATIONS
from services.progress.store.enrollment_progress import progress_by_keys, write_progress
from shared.migrations import upgrade

NAME = "stride_bench_progress_hot"
ENROLLMENTS = """
INSERT INTO enrollments (id, student_id, course_id, enrolled_at, last_accessed, status,
    completed_lessons, completed_quizzes, completed_assignments, current_lesson_id,
    current_module_id, progress_percentage, certificate_issued, total_time_spent_seconds,
    login_streak, active_dates, time_zone, notification_preferences, custom_fields, updated_at)
SELECT 'ENR-' || n, 'USR-' || n, 'CRS-' || (n % 9), now() - interval '30 days', now(),
    'in_progress',
    (SELECT json_agg(json_build_object('lesson_id', 'LSN-' || k, 'completed_at', now(),
        'time_spent', 300, 'score', null)) FROM generate_series(1, 1 + n % 12) AS k),
    '[]', '[]', 'LSN-1', 'MOD-1', 10, false, 1000, 1,
    (SELECT json_agg(to_char(now() - k * interval '1 day', 'YYYY-MM-DD'))
        FROM generate_series(1, 1 + n % 20) AS k),
    'UTC', '{}', '{}', now()
FROM generate_series(1, :count) AS n
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enrollments", type=int, default=60_000)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--fillfactors", default="100,80,100,80")
    args = parser.parse_args(argv)
    server = os.environ.get(
        "STRIDE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432"
    )
    url = fresh_database(server, NAME)
    upgrade("progress", url, MIGRATIONS)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(ENROLLMENTS), {"count": args.enrollments})
    rng = random.Random(1)
    try:
        for fillfactor in (int(text) for text in args.fillfactors.split(",")):
            measure(engine, fillfactor, args.enrollments, args.batches, rng)
    finally:
        engine.dispose()
        drop_database(server, NAME)


def measure(
    engine: sa.Engine, fillfactor: int, count: int, batches: int, rng: random.Random
) -> None:
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.execute(sa.text(f"ALTER TABLE enrollments SET (fillfactor = {fillfactor})"))
        connection.execute(sa.text("VACUUM FULL enrollments"))
        connection.execute(sa.text("ANALYZE enrollments"))
        connection.execute(sa.text("SELECT pg_stat_reset()"))
    spent = 0.0
    for batch in range(batches):
        chosen = rng.sample(range(1, count + 1), 500)
        keys = {(f"USR-{n}", f"CRS-{n % 9}") for n in chosen}
        with Session(engine) as session:
            states = progress_by_keys(session, keys)
            for state in states:
                entry = {"quiz_id": f"QZ-{batch}", "best_score": 80.0, "attempts": 1,
                         "passed": True, "last_attempt_at": "2026-12-05T00:00Z"}  # fmt: skip
                state.completed_quizzes = [*state.completed_quizzes, entry]
                state.progress_percentage = min(100, state.progress_percentage + 1)
                state.updated_at = datetime.now(UTC)
            began = time.perf_counter()
            write_progress(session, states)
            session.commit()
            spent += time.perf_counter() - began
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT pg_stat_force_next_flush()"))
        time.sleep(1.0)  # the statistics collector's view catches up
        updated, hot = connection.execute(
            sa.text(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
                "WHERE relname = 'enrollments'"
            )
        ).one()
        size = connection.execute(sa.text("SELECT pg_relation_size('enrollments')")).scalar_one()
    print(
        f"fillfactor {fillfactor}: {batches} batches of 500 written in {spent:.2f} s "
        f"({spent / batches * 1000:.1f} ms per batch); {updated:,} updates, {hot:,} HOT "
        f"({hot / max(updated, 1):.0%}); heap {size / 1e6:.1f} MB",
        flush=True,
    )


if __name__ == "__main__":
    main()
