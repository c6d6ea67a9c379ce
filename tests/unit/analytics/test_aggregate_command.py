"""``stride analytics aggregate`` on a small analytics database (SQLite, migrated)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

import services.analytics
from services.analytics.models import activity_days, aggregated_days
from shared.cli import main
from shared.db import Database
from shared.migrations import upgrade
from tests.unit.analytics.streams import activity, apply, at, record

pytestmark = pytest.mark.unit

MIGRATIONS = Path(services.analytics.__file__).parent / "migrations"


@pytest.fixture
def database(tmp_path, monkeypatch) -> Database:
    """Records on days 0 to 4 (2026-11-02 to 2026-11-06), two on day 1."""
    url = f"sqlite:///{tmp_path / 'analytics.db'}"
    upgrade("analytics", url, MIGRATIONS)
    database = Database(url)
    records = [record(f"LOG-{n}", "login", at(n)) for n in range(5)]
    records.append(record("LOG-9", "lesson_start", at(1, hours=3), lesson_id="LSN-1"))
    with database.unit_of_work() as session:
        apply(session, [activity(records)])
        session.commit()
    monkeypatch.setenv("STRIDE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("STRIDE_ANALYTICS_DATABASE_URL", url)
    monkeypatch.setenv("STRIDE_ANALYTICS_ROLLUP_GRACE_HOURS", "24")
    yield database
    database.dispose()


def rolled_days(database: Database) -> list[str]:
    with database.unit_of_work() as session:
        query = sa.select(aggregated_days.c.day).where(aggregated_days.c.aggregated_at.is_not(None))
        return [day.isoformat() for day in session.execute(query.order_by("day")).scalars()]


def test_aggregate_rolls_up_the_days_closed_by_then_and_says_how_many(database, capsys):
    # 2026-11-05 06:00 less a day of grace: the days up to 2026-11-03 are closed
    assert main(["analytics", "aggregate", "--now", "2026-11-05T06:00:00+00:00"]) == 0
    output = capsys.readouterr().out
    assert "analytics: 2 day(s) rolled up, 3 record(s) into 2 row(s)" in output
    assert rolled_days(database) == ["2026-11-02", "2026-11-03"]
    # run again: nothing new is closed
    assert main(["analytics", "aggregate", "--now", "2026-11-05T06:00:00+00:00"]) == 0
    assert "0 day(s) rolled up" in capsys.readouterr().out
    with database.unit_of_work() as session:
        day1 = session.execute(
            sa.select(activity_days).where(activity_days.c.day == at(1).date())
        ).one()
    assert (day1.records, day1.first_record_id, day1.last_record_id) == (2, "LOG-1", "LOG-9")
    assert day1.items == [["LSN-1", None, None]]


def test_aggregate_one_day_again(database, capsys):
    assert main(["analytics", "aggregate", "--now", "2026-11-08", "--day", "2026-11-03"]) == 0
    assert "1 day(s) rolled up, 2 record(s) into 1 row(s)" in capsys.readouterr().out
    assert rolled_days(database) == ["2026-11-03"]


def test_a_day_not_closed_yet_is_refused_naming_the_field(database, capsys):
    status = main(["analytics", "aggregate", "--now", "2026-11-05", "--day", "2026-11-04"])
    assert status == 2
    assert "day: is not closed yet: the latest closed day is 2026-11-03" in capsys.readouterr().err
    assert rolled_days(database) == []


def test_a_malformed_day_is_refused_by_the_parser(database, capsys):
    with pytest.raises(SystemExit) as refused:
        main(["analytics", "aggregate", "--day", "2026-13-01"])
    assert refused.value.code == 2
    assert "not a day (YYYY-MM-DD): '2026-13-01'" in capsys.readouterr().err
