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
    append: no UPDATE, DELETE or TRUNCATE. Run by ``stride migrate`` as the owner when
    ``STRIDE_<SERVICE>_RUNTIME_ROLE`` names the role (PostgreSQL only).
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
    finally:
        engine.dispose()


def drop_platform_tables(op: Any) -> None:
    platform_metadata.drop_all(op.get_bind())
