"""The audit log cannot be erased: not by UPDATE, DELETE or TRUNCATE, not by replacing a
row on SQLite, and the services' runtime role, set up as deploy/postgres/init-stride.sql
and `stride migrate` set it up in production, may only read and append."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

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


def test_the_runtime_role_may_only_read_and_append(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    postgres_server: str,
) -> None:
    """As deployed: the init script's roles, `stride migrate` as the owner naming the
    runtime role, then the service's processes log in as that role."""
    psql = shutil.which("psql")
    assert psql, "psql (the client the postgres image runs init-stride.sql with) is not installed"
    name = f"stride_test_progress_{uuid.uuid4().hex[:10]}"
    runtime = f"{name}_app"
    host = postgres_server.split("@", 1)[1]
    passwords = {
        "STRIDE_PROGRESS_DB_PASSWORD": uuid.uuid4().hex,
        "STRIDE_PROGRESS_APP_DB_PASSWORD": uuid.uuid4().hex,
    }
    sql = service_init_sql("progress", name)
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
            "STRIDE_PROGRESS_DATABASE_URL",
            f"postgresql+psycopg://{name}:{passwords['STRIDE_PROGRESS_DB_PASSWORD']}@{host}/{name}",
        )
        monkeypatch.setenv("STRIDE_PROGRESS_RUNTIME_ROLE", runtime)
        assert main(["migrate", "progress"]) == 0
        assert "progress: database at head" in capsys.readouterr().out

        app_password = passwords["STRIDE_PROGRESS_APP_DB_PASSWORD"]
        with psycopg.connect(
            f"postgresql://{runtime}:{app_password}@{host}/{name}", autocommit=True
        ) as app:
            # What a service does: append to the audit log, read and write its tables.
            app.execute(
                "INSERT INTO audit_log (occurred_at, actor, role, action, resource, outcome)"
                " VALUES (now(), 'A', 'admin', 'read', 'x', 'allowed')"
            )
            app.execute("INSERT INTO inbox VALUES ('c', 'e', 't', now())")
            app.execute("UPDATE inbox SET consumer = 'd'")
            assert app.execute("SELECT consumer FROM inbox").fetchall() == [("d",)]
            app.execute("DELETE FROM inbox")
            assert app.execute("SELECT count(*) FROM enrollments").fetchone() == (0,)
            # What it may not: change or erase the audit log, or the guards around it.
            for statement in (
                "UPDATE audit_log SET actor = 'B'",
                "DELETE FROM audit_log",
                "TRUNCATE audit_log",
                "DROP TABLE audit_log",
                "DROP TRIGGER audit_log_no_truncate ON audit_log",
                "ALTER TABLE audit_log DISABLE TRIGGER ALL",
                "UPDATE alembic_version SET version_num = 'x'",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    app.execute(statement)
            assert app.execute("SELECT actor FROM audit_log").fetchall() == [("A",)]
            owned = app.execute(
                "SELECT count(*) FROM pg_class WHERE relowner = "
                "(SELECT oid FROM pg_roles WHERE rolname = current_user)"
            ).fetchone()
            assert owned == (0,), "the runtime role owns tables"
    finally:
        with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{runtime}"')
            admin.execute(f'DROP ROLE IF EXISTS "{name}"')
