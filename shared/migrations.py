"""Alembic, one history per service, driven from code.

Each service keeps its revisions in ``services/<name>/migrations``. Its ``env.py``
calls ``run_env`` with the service's metadata; its first revision calls
``create_platform_tables`` so every database carries the outbox, inbox and audit log.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from shared.db import append_only_audit_ddl, create_engine, platform_metadata


def alembic_config(service: str, url: str, migrations_dir: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["service"] = service
    return config


class DatabaseSetupError(RuntimeError):
    """The database cannot be reached or created; the message says which and what to do."""


def ensure_database(url: str, variable: str) -> None:
    """Check that the database answers; create it if it does not exist and the role may.

    Raises ``DatabaseSetupError`` with one line naming ``variable`` and what to do.
    """
    if url.startswith("sqlite"):
        path = url.partition(":///")[2]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return
    engine = create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect():
            return
    except sa.exc.DBAPIError as exc:
        sqlstate = getattr(exc.orig, "sqlstate", None)
        name = sa.engine.make_url(url).database
        # libpq reports a refused connection without a SQLSTATE: read its message.
        missing = sqlstate == "3D000" or f'database "{name}" does not exist' in str(exc.orig)
        if missing:
            _create_database(url, variable)
            return
        where = _where(url)
        if sqlstate in {"28P01", "28000"} or "authentication failed" in str(exc.orig):
            raise DatabaseSetupError(
                f"{variable}: PostgreSQL at {where} refused the login ({_first_line(exc)}); "
                "check the user and password in the URL"
            ) from exc
        raise DatabaseSetupError(
            f"{variable}: cannot reach PostgreSQL at {where} ({_first_line(exc)}); "
            "start it (scripts/ensure-servers) or fix the host and port in the URL"
        ) from exc
    finally:
        engine.dispose()


def _create_database(url: str, variable: str) -> None:
    target = sa.engine.make_url(url)
    name = target.database or ""
    maintenance = target.set(database="postgres").render_as_string(hide_password=False)
    engine = create_engine(maintenance, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    quoted = '"' + name.replace('"', '""') + '"'
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(f"CREATE DATABASE {quoted}"))
    except sa.exc.DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == "42P04":  # created meanwhile
            return
        raise DatabaseSetupError(
            f"{variable}: database {name!r} does not exist at {_where(url)} and role "
            f"{target.username!r} may not create it ({_first_line(exc)}); create it "
            f"(CREATE DATABASE {quoted} OWNER {target.username}) or grant the role CREATEDB"
        ) from exc
    finally:
        engine.dispose()


def _where(url: str) -> str:
    parsed = sa.engine.make_url(url)
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}"


def _first_line(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip()
    return text.splitlines()[0] if text else type(original).__name__


def upgrade(service: str, url: str, migrations_dir: Path, revision: str = "head") -> None:
    """Bring ``service``'s database to ``revision``; safe to run from several processes."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(service, url, migrations_dir), revision)


def schema_differences(
    service: str, url: str, migrations_dir: Path, target_metadata: sa.MetaData
) -> list[Any]:
    """Upgrade to head, then list how the database differs from the models (empty when
    the migrations build exactly the tables the code declares)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    upgrade(service, url, migrations_dir)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            models = [platform_metadata, target_metadata]  # alembic accepts a list, as in env.py
            return list(compare_metadata(context, models))  # type: ignore[arg-type]
    finally:
        engine.dispose()


def run_env(target_metadata: sa.MetaData) -> None:
    """Body of a service's ``migrations/env.py`` (online migrations only)."""
    from alembic import context

    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_engine(url, poolclass=sa.pool.NullPool)
    service = config.attributes.get("service", "stride")
    with engine.connect() as connection:
        is_postgres = connection.dialect.name == "postgresql"
        context.configure(
            connection=connection,
            target_metadata=[platform_metadata, target_metadata],
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            if is_postgres:
                # Several processes may start at once: one migrates, the others wait.
                lock_key = zlib.crc32(f"stride-migrations-{service}".encode())
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key})
            context.run_migrations()
    engine.dispose()


def create_platform_tables(op: Any) -> None:
    """Create ``outbox``, ``inbox`` and the append-only ``audit_log`` (first revision)."""
    bind = op.get_bind()
    platform_metadata.create_all(bind)
    for statement in append_only_audit_ddl(bind.dialect.name):
        op.execute(statement)


def upgrade_platform_tables(op: Any) -> None:
    """Bring platform tables created by an older first revision to today's (idempotent).

    Adds the outbox's ``next_attempt_at`` and ``dead_at`` where they are missing, and
    applies the current append-only DDL of ``audit_log`` (TRUNCATE refused on
    PostgreSQL, an existing id refused on SQLite).
    """
    bind = op.get_bind()
    present = {column["name"] for column in sa.inspect(bind).get_columns("outbox")}
    for name in ("next_attempt_at", "dead_at"):
        if name not in present:
            op.add_column("outbox", sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    for statement in append_only_audit_ddl(bind.dialect.name):
        op.execute(statement)


def grant_runtime_role(url: str, role: str) -> None:
    """Let ``role`` (the services' login, not the owner) use the tables and nothing more.

    It may read and write every table but ``audit_log``, where it may only read and
    append: no UPDATE, DELETE or TRUNCATE. It may call the owner's ``SECURITY DEFINER``
    functions of schema public (a service's revisions create them, revoked from PUBLIC,
    for the few things only the owner may do, e.g. activity's new month partitions).
    Run by ``stride migrate`` as the owner when ``STRIDE_<SERVICE>_RUNTIME_ROLE`` names
    the role (PostgreSQL only).
    """
    quoted = '"' + role.replace('"', '""') + '"'
    engine = create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            if connection.dialect.name != "postgresql":
                return
            for statement in (
                f"GRANT USAGE ON SCHEMA public TO {quoted}",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
                f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {quoted}",
                f"REVOKE ALL ON alembic_version FROM {quoted}",
                f"GRANT SELECT ON alembic_version TO {quoted}",
            ):
                connection.execute(sa.text(statement))
            for function in connection.execute(_OWN_DEFINER_FUNCTIONS).scalars():
                connection.execute(sa.text(f"GRANT EXECUTE ON FUNCTION {function} TO {quoted}"))
    finally:
        engine.dispose()


#: the signatures (quoted as SQL wants them) of schema public's SECURITY DEFINER
#: functions that the current role owns
_OWN_DEFINER_FUNCTIONS = sa.text(
    "SELECT p.oid::regprocedure::text FROM pg_proc p "
    "JOIN pg_namespace n ON n.oid = p.pronamespace "
    "WHERE n.nspname = 'public' AND p.prosecdef AND p.proowner = "
    "(SELECT oid FROM pg_roles WHERE rolname = current_user)"
)


def drop_platform_tables(op: Any) -> None:
    platform_metadata.drop_all(op.get_bind())
