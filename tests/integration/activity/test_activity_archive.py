"""Archive, restore and retention on both backends: an old month leaves the database for
a compressed JSON Lines file, comes back whole, and records past retention are deleted."""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from services.activity import store, usecases
from services.activity.domain import month_of, partition_name
from services.activity.tasks import BEAT_SCHEDULE, run_command
from tests.integration.activity.activity_api_support import record, stored

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)
OLD = (NOW.replace(day=1) - timedelta(days=420)).replace(day=10, hour=9)
OLD_MONTH = month_of(OLD)


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "archive"


@pytest.fixture
def seeded(service):
    old = [
        record(timestamp=(OLD + timedelta(hours=n)).isoformat(), details={"duration": n})
        for n in range(25)
    ]
    recent = [record() for _ in range(5)]
    assert service.post("/logs", json={"records": old + recent}).status_code == 202
    return old, recent


def database(app):
    return app.extensions["stride"].database


def test_an_old_month_is_archived_and_restored_whole(app, service, seeded, folder):
    _old, recent = seeded
    before = stored(app)
    [archived] = usecases.archive_old_months(database(app), folder, now=NOW, after_months=12)
    assert (archived.month, archived.records) == (OLD_MONTH, 25)
    assert {row["id"] for row in stored(app)} == {r["id"] for r in recent}
    with database(app).unit_of_work() as session:
        assert OLD_MONTH not in store.stored_months(session)
    with gzip.open(folder / archived.file, "rb") as lines:
        assert sum(1 for _ in lines) == 25

    progress: list[tuple[int, int]] = []
    restored = usecases.restore_month(
        database(app), folder, OLD_MONTH, now=NOW, progress=lambda d, t, _l: progress.append((d, t))
    )
    assert restored == 25
    assert progress[-1] == (25, 25)
    assert stored(app) == before
    # restoring again restores nothing more; a restored month is not archived again at once
    assert usecases.restore_month(database(app), folder, OLD_MONTH, now=NOW) == 0
    assert usecases.archive_old_months(database(app), folder, now=NOW, after_months=12) == []


def test_a_restored_month_is_vacuumed_and_analyzed(app, seeded, folder):
    """So that its first reads find its rows' hint bits set and the planner its statistics,
    rather than dirtying every page they read until autovacuum comes (PostgreSQL)."""
    usecases.archive_old_months(database(app), folder, now=NOW, after_months=12)
    usecases.restore_month(database(app), folder, OLD_MONTH, now=NOW)
    if database(app).dialect != "postgresql":
        return
    with database(app).engine.connect() as connection:
        vacuumed, analyzed, tuples, visible = connection.execute(
            sa.text(
                "SELECT s.last_vacuum, s.last_analyze, c.reltuples, c.relallvisible "
                "FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
                "WHERE s.relname = :name"
            ),
            {"name": partition_name(OLD_MONTH)},
        ).one()
    assert vacuumed is not None and analyzed is not None
    assert (tuples, visible) == (25, 1)


def test_archiving_twice_archives_nothing_more(app, seeded, folder):
    assert len(usecases.archive_old_months(database(app), folder, now=NOW, after_months=12)) == 1
    assert usecases.archive_old_months(database(app), folder, now=NOW, after_months=12) == []
    assert len(list(folder.iterdir())) == 1


def test_a_late_record_for_an_archived_month_still_lands(app, service, seeded, folder):
    usecases.archive_old_months(database(app), folder, now=NOW, after_months=12)
    # as if another process had archived it: this one still believes the partition exists
    store.PARTITIONS.remember(database(app).engine, [OLD_MONTH])
    late = record(timestamp=(OLD + timedelta(days=3)).isoformat())
    response = service.post("/logs", json=late)
    assert response.status_code == 202, response.json
    assert late["id"] in {row["id"] for row in stored(app)}


def test_retention_deletes_old_records_and_their_archives(app, seeded, folder):
    _old, recent = seeded
    usecases.archive_old_months(database(app), folder, now=NOW, after_months=12)
    usecases.restore_month(database(app), folder, OLD_MONTH, now=NOW)
    result = usecases.apply_retention(database(app), folder, now=NOW, retention_days=365)
    assert (result.records, result.files) == (25, 1)
    assert {row["id"] for row in stored(app)} == {r["id"] for r in recent}
    assert list(folder.iterdir()) == []
    again = usecases.apply_retention(database(app), folder, now=NOW, retention_days=365)
    assert (again.records, again.files) == (0, 0)


def test_partitions_are_prepared_ahead(app):
    months = usecases.prepare_partitions(database(app), NOW + timedelta(days=200))
    if database(app).dialect != "postgresql":
        assert months == []
        return
    with database(app).unit_of_work() as session:
        existing = store.partition_months(session)
    assert month_of(NOW + timedelta(days=200)) in existing
    assert all(isinstance(month, date) for month in months)


def test_the_stride_commands_archive_and_restore_with_a_progress_bar(
    app, seeded, settings_for, tmp_path, capsys
):
    settings = settings_for(
        STRIDE_ACTIVITY_DATABASE_URL=database(app).url,
        STRIDE_ACTIVITY_ARCHIVE_DIR=str(tmp_path / "cold"),
        STRIDE_ACTIVITY_ARCHIVE_AFTER_MONTHS="12",
    )
    assert run_command("archive", None, settings, show_progress=True) == 0
    printed = capsys.readouterr()
    assert f"{OLD_MONTH:%Y-%m} archived, 25 records" in printed.out
    assert "100%  25/25" in printed.err
    assert len(stored(app)) == 5
    assert run_command("restore", f"{OLD_MONTH:%Y-%m}", settings, show_progress=False) == 0
    assert len(stored(app)) == 30
    assert run_command("restore", "2001-13", settings, show_progress=False) == 1


def test_the_beat_schedule_runs_the_jobs_as_tasks(app, seeded):
    celery = app.extensions["celery"]
    assert {entry["task"] for entry in BEAT_SCHEDULE.values()} <= set(celery.tasks)
    assert celery.tasks["activity.archive_old_months"]() == {f"{OLD_MONTH:%Y-%m}": 25}
    assert celery.tasks["activity.apply_retention"]() == {"records": 0, "files": 0}
    assert len(stored(app)) == 5
