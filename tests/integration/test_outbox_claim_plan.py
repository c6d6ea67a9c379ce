"""The relay's claim takes the oldest unsent rows from the partial index of unsent rows,
in its order, even when the table's statistics predate a burst (taken when it was
empty): no sort of every unsent row."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
import sqlalchemy as sa

from shared.db import Database, platform_metadata
from shared.events import outbox

pytestmark = pytest.mark.integration


def test_the_claim_reads_the_unsent_index_whatever_the_statistics_say(
    make_postgres_database: Callable[[str], str],
):
    database = Database(make_postgres_database("claims"))
    platform_metadata.create_all(database.engine)
    plain = database.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    start = datetime(2026, 12, 1, tzinfo=UTC)
    with psycopg.connect(plain) as connection:
        connection.execute("ANALYZE outbox")  # statistics of an empty table
        copy = "COPY outbox (id, event_type, body, created_at, sent_at) FROM STDIN"
        with connection.cursor().copy(copy) as rows:
            for n in range(20_000):  # a burst: most of it not sent yet
                sent = start if n < 5_000 else None
                moment = start + timedelta(milliseconds=n)
                rows.write_row((str(uuid.uuid4()), "demo.happened", "{}", moment, sent))
    try:
        with database.unit_of_work() as session:
            claimed = outbox.claim_unsent(session, 100)
            plan = "\n".join(
                session.execute(
                    sa.text(
                        "EXPLAIN "
                        + str(
                            outbox.claim_query(100).compile(
                                dialect=session.get_bind().dialect,
                                compile_kwargs={"literal_binds": True},
                            )
                        )
                    )
                ).scalars()
            )
        assert "ix_outbox_unsent" in plan and "Sort" not in plan, plan
        assert len(claimed) == 100  # the oldest unsent, in order
        with database.engine.connect() as connection:
            first_unsent = connection.execute(
                sa.text("SELECT id FROM outbox WHERE sent_at IS NULL ORDER BY created_at LIMIT 100")
            ).scalars()
            assert [event.id for event in claimed] == list(first_unsent)
    finally:
        database.dispose()
