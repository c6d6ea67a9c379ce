"""The audit log cannot be erased: not by UPDATE, DELETE or TRUNCATE, not by replacing a
row on SQLite, and the services' runtime role, set up as deploy/postgres/init-stride.sql
and `stride migrate` set it up in production, may only read and append (activity's may
add a month's partition, only through the owner's function)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.activity import store
from services.activity.domain import partition_name
from shared.cli import main, migrations_dir
from shared.db import audit_table
from shared.migrations import upgrade

pytestmark = pytest.mark.integration

INIT_SQL = Path(__file__).resolve().parents[2] / "deploy" / "postgres" / "init-stride.sql"

ROW = {
    "occurred_at": datetime(2026, 12, 1, tzinfo=UTC),
    "actor": "USR-TEA-1",
    "role": "teacher",
    "student_id": "USR-STU-1",
    "action": "read",
    "resource": "enrollment",
    "outcome": "allowed",
}


@pytest.mark.parametrize("service", ["progress", "attempts"])
def test_truncate_is_refused_also_in_databases_created_before(service, make_postgres_database):
    url = make_postgres_database(service)
    upgrade(service, url, migrations_dir(service), f"{service}_0002")
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:  # as the first revision once left it
            connection.execute(sa.text("DROP TRIGGER audit_log_no_truncate ON audit_log"))
            connection.execute(sa.text("ALTER TABLE outbox DROP COLUMN next_attempt_at"))
            connection.execute(sa.text("ALTER TABLE outbox DROP COLUMN dead_at"))
            connection.execute(audit_table.insert().values(ROW))
        upgrade(service, url, migrations_dir(service))
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(sa.text("TRUNCATE audit_log"))
        with engine.connect() as connection:
            assert connection.execute(sa.select(sa.func.count()).select_from(audit_table)).scalar()
            columns = {c["name"] for c in sa.inspect(connection).get_columns("outbox")}
        assert {"next_attempt_at", "dead_at"} <= columns
        upgrade(service, url, migrations_dir(service))  # idempotent at head
    finally:
        engine.dispose()


def test_sqlite_refuses_to_replace_an_audit_row(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/progress.db"
    upgrade("progress", url, migrations_dir("progress"))
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(audit_table.insert().values(id=1, **ROW))
            connection.execute(audit_table.insert().values(ROW))  # a new id: fine
        replace = (
            audit_table.insert().prefix_with("OR REPLACE").values(id=1, **{**ROW, "actor": "X"})
        )
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(replace)
        with engine.connect() as connection:
            actors = connection.execute(sa.select(audit_table.c.actor).order_by("id")).scalars()
            assert list(actors) == ["USR-TEA-1", "USR-TEA-1"]
    finally:
        engine.dispose()


def service_init_sql(service: str, name: str) -> str:
    """The statements of deploy/postgres/init-stride.sql for ``service``, its database and
    roles renamed ``name`` and ``name``_app (unique to the test); the server-wide ones, for
    the maintenance databases, left out."""
    own = re.compile(rf"\bstride_{service}(?=_app\b|\b)")
    lines = []
    for line in INIT_SQL.read_text().splitlines():
        if line.startswith("\\getenv") and line.split()[1].startswith(f"{service}_"):
            lines.append(line)
        elif own.search(line) and not line.startswith("--"):
            lines.append(own.sub(name, line))
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Deployed:
    """A service's database as deployed: its name (also its owner's) and the runtime
    role's login URL."""

    name: str
    runtime: str
    app_url: str


@contextmanager
def deployed(
    service: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    postgres_server: str,
) -> Iterator[Deployed]:
    """The init script's roles for ``service``, then `stride migrate` as the owner naming
    the runtime role, as in production; dropped afterwards."""
    psql = shutil.which("psql")
    assert psql, "psql (the client the postgres image runs init-stride.sql with) is not installed"
    name = f"stride_test_{service}_{uuid.uuid4().hex[:10]}"
    runtime = f"{name}_app"
    host = postgres_server.split("@", 1)[1]
    prefix = f"STRIDE_{service.upper()}"
    passwords = {
        f"{prefix}_DB_PASSWORD": uuid.uuid4().hex,
        f"{prefix}_APP_DB_PASSWORD": uuid.uuid4().hex,
    }
    sql = service_init_sql(service, name)
    assert sql.count("CREATE ROLE") == 2 and f"GRANT CONNECT ON DATABASE {name} TO {runtime}" in sql
    try:
        subprocess.run(
            [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", f"{postgres_server}/postgres"],
            input=sql,
            text=True,
            check=True,
            env={**os.environ, **passwords},
        )
        monkeypatch.setenv("STRIDE_VAR_DIR", str(tmp_path))
        monkeypatch.setenv(
            f"{prefix}_DATABASE_URL",
            f"postgresql+psycopg://{name}:{passwords[f'{prefix}_DB_PASSWORD']}@{host}/{name}",
        )
        monkeypatch.setenv(f"{prefix}_RUNTIME_ROLE", runtime)
        assert main(["migrate", service]) == 0
        assert f"{service}: database at head" in capsys.readouterr().out
        app_password = passwords[f"{prefix}_APP_DB_PASSWORD"]
        yield Deployed(name, runtime, f"postgresql://{runtime}:{app_password}@{host}/{name}")
    finally:
        with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{runtime}"')
            admin.execute(f'DROP ROLE IF EXISTS "{name}"')


#: what the runtime role may not do to the audit log and the guards around it
AUDIT_LOG_TAMPERING = (
    "UPDATE audit_log SET actor = 'B'",
    "DELETE FROM audit_log",
    "TRUNCATE audit_log",
    "DROP TABLE audit_log",
    "DROP TRIGGER audit_log_no_truncate ON audit_log",
    "ALTER TABLE audit_log DISABLE TRIGGER ALL",
    "UPDATE alembic_version SET version_num = 'x'",
)


def append_audit_row(app: psycopg.Connection[Any]) -> None:
    app.execute(
        "INSERT INTO audit_log (occurred_at, actor, role, action, resource, outcome)"
        " VALUES (now(), 'A', 'admin', 'read', 'x', 'allowed')"
    )


def assert_audit_log_cannot_be_changed(app: psycopg.Connection[Any]) -> None:
    for statement in AUDIT_LOG_TAMPERING:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute(statement)
    assert app.execute("SELECT actor FROM audit_log").fetchall() == [("A",)]
    owned = app.execute(
        "SELECT count(*) FROM pg_class WHERE relowner = "
        "(SELECT oid FROM pg_roles WHERE rolname = current_user)"
    ).fetchone()
    assert owned == (0,), "the runtime role owns tables"


def test_the_runtime_role_may_only_read_and_append(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    postgres_server: str,
) -> None:
    """As deployed: the init script's roles, `stride migrate` as the owner naming the
    runtime role, then the service's processes log in as that role."""
    with (
        deployed("progress", monkeypatch, capsys, tmp_path, postgres_server) as db,
        psycopg.connect(db.app_url, autocommit=True) as app,
    ):
        # What a service does: append to the audit log, read and write its tables.
        append_audit_row(app)
        app.execute("INSERT INTO inbox VALUES ('c', 'e', 't', now())")
        app.execute("UPDATE inbox SET consumer = 'd'")
        assert app.execute("SELECT consumer FROM inbox").fetchall() == [("d",)]
        app.execute("DELETE FROM inbox")
        assert app.execute("SELECT count(*) FROM enrollments").fetchone() == (0,)
        # What it may not: change or erase the audit log, or the guards around it.
        assert_audit_log_cannot_be_changed(app)


def activity_row(timestamp: datetime) -> dict[str, Any]:
    return {
        "student_id": "USR-STU-1",
        "timestamp": timestamp,
        "id": "log-1",
        "activity_type": "login",
        "activity_category": "system",
        "course_id": None,
        "lesson_id": None,
        "quiz_id": None,
        "assignment_id": None,
        "resource_id": None,
        "details": {},
        "device_info": None,
        "session_id": None,
        "session_duration": None,
        "learning_path_id": None,
        "learning_objective_id": None,
        "success": None,
        "error_message": None,
        "ip_hash": None,
        "recorded_at": timestamp,
    }


def test_the_activity_runtime_role_adds_partitions_only_through_the_owners_function(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    postgres_server: str,
) -> None:
    """activity's API and events log in as its runtime role: ingestion of a month that has
    no partition yet works through stride_activity_ensure_partition, while the role can
    neither create a partition itself nor change the audit log."""
    month = date(2031, 7, 1)  # far ahead of the partitions the migration creates
    with deployed("activity", monkeypatch, capsys, tmp_path, postgres_server) as db:
        engine = sa.create_engine(db.app_url.replace("postgresql://", "postgresql+psycopg://"))
        try:
            with Session(engine) as session:
                assert month not in store.partition_months(session)
            assert store.ensure_partitions(engine, [month]) == [month]
            assert store.ensure_partitions(engine, [month]) == []  # already there
            with Session(engine) as session:
                written = store.insert_records(
                    session, [activity_row(datetime(2031, 7, 15, 12, tzinfo=UTC))]
                )
                session.commit()
                assert written == {("USR-STU-1", "log-1")}
                assert store.count_month(session, month) == 1
                assert month in store.partition_months(session)
        finally:
            engine.dispose()
        with psycopg.connect(db.app_url, autocommit=True) as app:
            owner = app.execute(
                "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = %s",
                (partition_name(month),),
            ).fetchone()
            assert owner == (db.name,), "the partition belongs to the owner (archive drops it)"
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(
                    "CREATE TABLE activity_logs_y2031m09 PARTITION OF activity_logs "
                    "FOR VALUES FROM ('2031-09-01T00:00:00Z') TO ('2031-10-01T00:00:00Z')"
                )
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute("ALTER TABLE activity_logs DETACH PARTITION activity_logs_y2031m07")
            with pytest.raises(psycopg.errors.InvalidParameterValue):
                app.execute("SELECT stride_activity_ensure_partition('2031-09-02')")
            append_audit_row(app)
            assert_audit_log_cannot_be_changed(app)
        with psycopg.connect(f"{postgres_server}/{db.name}", autocommit=True) as admin:
            # Nobody else may call the function: not PUBLIC, only the owner and the runtime role.
            granted = admin.execute(
                "SELECT grantee FROM information_schema.routine_privileges "
                "WHERE routine_name = 'stride_activity_ensure_partition' ORDER BY grantee"
            ).fetchall()
            assert granted == sorted([(db.name,), (db.runtime,)])
