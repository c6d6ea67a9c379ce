"""Engines, sessions and the unit of work; the tables every service database carries.

Each service owns one database. Besides its own tables (``services/<name>/models.py``)
that database carries three platform tables defined here, on their own metadata:
``outbox`` (events waiting to be published), ``inbox`` (events already applied) and
``audit_log`` (who read or changed which student's data).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any, cast

import msgspec
import psycopg
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator

#: Constraint names every service's metadata uses, so migrations can name what they alter.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

platform_metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

outbox_table = sa.Table(
    "outbox",
    platform_metadata,
    sa.Column("id", sa.String(36), primary_key=True, comment="the event id"),
    sa.Column("event_type", sa.String(120), nullable=False),
    sa.Column("body", sa.Text, nullable=False, comment="the JSON envelope"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("publish_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column(
        "next_attempt_at",
        sa.DateTime(timezone=True),
        nullable=True,
        comment="after a refused publish: not claimed again before this moment",
    ),
    sa.Column(
        "dead_at",
        sa.DateTime(timezone=True),
        nullable=True,
        comment="refused too often: no longer claimed (stride outbox list/retry)",
    ),
    sa.Index(
        "ix_outbox_unsent",
        "created_at",
        postgresql_where=sa.text("sent_at IS NULL"),
        sqlite_where=sa.text("sent_at IS NULL"),
    ),
    sa.Index("ix_outbox_sent_at", "sent_at"),
)

inbox_table = sa.Table(
    "inbox",
    platform_metadata,
    sa.Column("consumer", sa.String(80), primary_key=True),
    sa.Column("event_id", sa.String(36), primary_key=True),
    sa.Column("event_type", sa.String(120), nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_inbox_processed_at", "processed_at"),
)

audit_table = sa.Table(
    "audit_log",
    platform_metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(120), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("student_id", sa.String(120), nullable=True),
    sa.Column("course_id", sa.String(120), nullable=True),
    sa.Column("action", sa.String(120), nullable=False),
    sa.Column("resource", sa.String(200), nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("request_id", sa.String(64), nullable=True),
    sa.Index("ix_audit_student_time", "student_id", "occurred_at"),
    sa.Index("ix_audit_actor_time", "actor", "occurred_at"),
)

#: DDL that makes ``audit_log`` append-only, per dialect; applied by each service's
#: first migration (see ``append_only_audit_ddl``) and, to databases created before it
#: refused TRUNCATE and replacement, by a later one. Every statement is idempotent.
_APPEND_ONLY_DDL: dict[str, list[str]] = {
    "postgresql": [
        """
        CREATE OR REPLACE FUNCTION stride_audit_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only';
        END;
        $$ LANGUAGE plpgsql
        """,
        "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
        """
        CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION stride_audit_append_only()
        """,
        "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
        """
        CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION stride_audit_append_only()
        """,
        "REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC",
    ],
    "sqlite": [
        """
        CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
        """,
        """
        CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
        """,
        # INSERT OR REPLACE deletes the row it collides with without firing DELETE
        # triggers (recursive_triggers is off): refuse an existing id before that.
        """
        CREATE TRIGGER IF NOT EXISTS audit_log_no_replace BEFORE INSERT ON audit_log
        WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
        """,
    ],
}


def append_only_audit_ddl(dialect_name: str) -> list[str]:
    return _APPEND_ONLY_DDL.get(dialect_name, [])


def create_engine(url: str, **kwargs: Any) -> Engine:
    """An engine configured for Stride's concurrency model on either backend.

    SQLite (embedded mode) is shared by an API, a relay and a consumer process, so it
    runs in WAL mode with a busy timeout, and every transaction starts with
    ``BEGIN IMMEDIATE``: a deferred transaction that reads and then writes can fail at
    once with "database is locked" instead of waiting its turn.
    """
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    # No pre-ping: it costs a round trip on every checkout (14% of a read request's
    # time, measured). A connection broken by a database restart fails its request
    # with 503 (shared.http), and SQLAlchemy then discards the whole pool.
    # JSON columns (an enrollment's lessons, quizzes and assignments; events' payloads)
    # decoded by msgspec: the same values as json.loads, in a quarter of its time. Only
    # on PostgreSQL, whose json type never holds the NaN json.dumps can write to SQLite.
    kwargs.setdefault("json_deserializer", msgspec.json.decode)
    # Sessions in UTC, whatever the server's default: timestamps then come back in
    # datetime.UTC itself, which UTCDateTime and the services' astimezone(UTC) keep as
    # they are instead of converting every value from a zone such as Etc/UTC (a sixth
    # of the CPU of loading a course's records, measured).
    connect_args = dict(kwargs.pop("connect_args", {}))
    connect_args.setdefault("options", "-c timezone=UTC")
    kwargs["connect_args"] = connect_args
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        kwargs.setdefault("pool_recycle", 1800)
        kwargs.setdefault("pool_use_lifo", True)
    return sa.create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    PostgreSQL's ``timestamptz`` keeps the offset; SQLite keeps none, so values are
    converted to UTC on the way in and tagged UTC on the way out.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ReadSession(Session):
    """A session for work that only reads (and appends audit rows).

    On PostgreSQL its statements run in autocommit (``Database.read_session_factory``),
    and those on the driver's cursor (``session_cursor``) run on a pooled connection of
    their own, taken from the pool on first use and given back, transactional again,
    when the session closes. A hot read (one document statement and its audit row) then
    never starts the session's own transaction machinery: a session's ``connection()``
    costs about 85 µs of CPU, the pool's checkout 11. Every statement commits on its
    own, so which connection runs it changes nothing. Once the session's own statements
    have run, its driver statements share its connection; a session that runs driver
    statements first and its own after holds two pooled connections until it closes.
    """

    _driver: Any = None

    def driver_connection(self) -> psycopg.Connection[Any]:
        """The pooled driver connection, in autocommit, checked out on first use; the
        session's own connection when its statements have run first (one connection per
        session, never two)."""
        if self._driver is None and self.in_transaction():
            return cast(psycopg.Connection[Any], self.connection().connection.driver_connection)
        if self._driver is None:
            bind = self.get_bind()
            engine = bind if isinstance(bind, Engine) else bind.engine
            pooled = engine.raw_connection()
            try:
                pooled.driver_connection.autocommit = True  # type: ignore[union-attr]
            except BaseException:
                pooled.invalidate()
                pooled.close()
                raise
            self._driver = pooled
        return cast(psycopg.Connection[Any], self._driver.driver_connection)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release_driver()

    def _release_driver(self) -> None:
        pooled, self._driver = self._driver, None
        if pooled is None:
            return
        try:
            pooled.driver_connection.autocommit = False
        except psycopg.Error:
            pooled.invalidate()  # lost or broken: never back in the pool
        pooled.close()


class Database:
    """One service's database: an engine and its session factories.

    ``session_factory`` gives transactional sessions. ``read_session_factory`` gives
    sessions for work that only reads (and appends audit rows), ``ReadSession``: on
    PostgreSQL each statement commits on its own (``AUTOCOMMIT``), which saves the
    ``BEGIN`` and ``COMMIT`` round trips of a short read, a third of a small GET's
    statements. Both share one pool; the isolation level is set on checkout and reset
    on checkin. On SQLite a read session keeps an ordinary transaction.
    """

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_kwargs)
        self.session_factory = sessionmaker(bind=self.engine, expire_on_commit=False)
        reads = self.engine
        if self.engine.dialect.name == "postgresql":
            reads = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self.read_session_factory = sessionmaker(
            bind=reads, class_=ReadSession, expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session whose work is rolled back unless the caller commits it."""
        session = self.session_factory()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def rowcount_of(result: sa.Result[Any]) -> int:
    """Rows matched by an INSERT, UPDATE or DELETE."""
    return int(getattr(result, "rowcount", 0) or 0)


_AFTER_COMMIT_KEY = "stride.after_commit"
_COMMITTED_KEY = "stride.after_commit.committed"

_hooks_log = logging.getLogger("shared.db.after_commit")


def run_after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's outermost transaction commits.

    A hook belongs to the transaction or savepoint it was registered in: a savepoint
    rolled back drops its hooks, a savepoint released hands them to its parent, and
    only the commit of the outermost transaction runs them, each once. A hook that
    raises is logged: the transaction is committed by then, so it must not be reported
    as a failed commit. Work that must not be lost does not belong in a hook: write it
    to the outbox in the transaction (``shared.tasks.enqueue_task``).
    """
    hooks: list[list[Any]] | None = session.info.get(_AFTER_COMMIT_KEY)
    if hooks is None:
        hooks = []
        session.info[_AFTER_COMMIT_KEY] = hooks
        event.listen(session, "after_commit", _note_commit)
        event.listen(session, "after_transaction_end", _settle_hooks)
    owner = session.get_nested_transaction() or session.get_transaction()
    hooks.append([owner, callback])


def _note_commit(session: Session) -> None:
    # Fires for a released savepoint as for the outermost commit, just before
    # ``after_transaction_end`` of the same transaction.
    session.info[_COMMITTED_KEY] = True


def _settle_hooks(session: Session, transaction: Any) -> None:
    committed = session.info.pop(_COMMITTED_KEY, False)
    hooks: list[list[Any]] = session.info.get(_AFTER_COMMIT_KEY, [])
    if transaction.parent is not None:  # a savepoint (or a subtransaction) ended
        if committed:
            for hook in hooks:
                if hook[0] is transaction:
                    hook[0] = transaction.parent
        else:
            hooks[:] = [hook for hook in hooks if hook[0] is not transaction]
        return
    pending, hooks[:] = [hook[1] for hook in hooks], []
    if not committed:
        return
    for callback in pending:
        try:
            callback()
        except Exception:
            _hooks_log.exception("after-commit hook %r failed", callback)


def json_rows_insert(table: sa.Table, columns: Sequence[str], returning: str = "") -> str:
    """PostgreSQL SQL inserting rows of ``table`` that travel as one JSON array parameter
    (``%s``, the rows as objects keyed by column name): one statement and one parameter
    however many rows, parsed by the server (``json_to_recordset``).

    For the hot paths that run on the driver's connection (psycopg), not SQLAlchemy's.
    """
    dialect = postgresql.dialect()
    names = ", ".join(f'"{name}"' for name in columns)
    types = ", ".join(f'"{name}" {table.c[name].type.compile(dialect=dialect)}' for name in columns)
    return (
        f'INSERT INTO "{table.name}" ({names}) SELECT {names} '
        f"FROM json_to_recordset(%s::json) AS r({types}){returning}"
    )


@contextmanager
def driver_transaction(engine: Engine, *, pipeline: bool = True) -> Iterator[psycopg.Cursor[Any]]:
    """A cursor on the driver's own connection (psycopg, PostgreSQL) from the engine's
    pool, in one transaction that commits when the block ends and is rolled back if it
    raises. For hot paths where SQLAlchemy's per-statement work (and a session's: about
    85 µs of CPU to begin) costs more than the statements.

    Pipeline mode (the default): statements are sent without waiting for each answer, so
    ``BEGIN``, the statements before the first fetch, and the last statements with
    ``COMMIT`` each travel together; worth it for many statements, but it costs more CPU
    per statement than waiting for each (``pipeline=False``), for a few short ones.
    Driver errors are raised as SQLAlchemy's (``OperationalError`` for a lost database,
    as everywhere else).
    """
    pooled = engine.raw_connection()
    connection = cast(psycopg.Connection[Any], pooled.driver_connection)
    try:
        with connection.pipeline() if pipeline else nullcontext():
            with connection.cursor() as cursor:
                yield cursor
            connection.commit()
    except psycopg.Error as exc:
        _roll_back_or_discard(pooled, connection)
        raise sa.exc.DBAPIError.instance("(driver transaction)", None, exc, psycopg.Error) from exc
    except BaseException:
        _roll_back_or_discard(pooled, connection)
        raise
    finally:
        pooled.close()


@contextmanager
def driver_statement(engine: Engine) -> Iterator[psycopg.Cursor[Any]]:
    """A cursor on the driver's own connection (psycopg, PostgreSQL) from the engine's
    pool, in autocommit: each statement is a transaction of its own, committed in the
    same round trip (no ``BEGIN``, no ``COMMIT``). For a hot path that writes everything
    it must keep together in one statement (data-modifying ``WITH``). Driver errors are
    raised as SQLAlchemy's, as in ``driver_transaction``.
    """
    pooled = engine.raw_connection()
    connection = cast(psycopg.Connection[Any], pooled.driver_connection)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            yield cursor
    except psycopg.Error as exc:
        _roll_back_or_discard(pooled, connection)
        raise sa.exc.DBAPIError.instance("(driver statement)", None, exc, psycopg.Error) from exc
    finally:
        try:
            connection.autocommit = False
        except psycopg.Error:
            pooled.invalidate()
        pooled.close()


@contextmanager
def session_cursor(session: Session) -> Iterator[psycopg.Cursor[Any]]:
    """A cursor on the driver's own connection (psycopg, PostgreSQL) of ``session``, in
    whatever the session's connection is in: its transaction (what runs here commits or
    rolls back with the session), or autocommit for a read session (``ReadSession``,
    whose driver statements run on a pooled connection of their own).

    For a statement on a hot path whose SQLAlchemy execution costs several times the
    statement itself (one audit row: about 0.6 ms of CPU through the session against
    0.1 ms here). Driver errors are raised as SQLAlchemy's, as in ``driver_transaction``.
    """
    if isinstance(session, ReadSession):
        driver = session.driver_connection()
    else:
        driver = cast(psycopg.Connection[Any], session.connection().connection.driver_connection)
    try:
        with driver.cursor() as cursor:
            yield cursor
    except psycopg.Error as exc:
        raise sa.exc.DBAPIError.instance("(session cursor)", None, exc, psycopg.Error) from exc


def _roll_back_or_discard(pooled: Any, connection: psycopg.Connection[Any]) -> None:
    try:
        connection.rollback()
    except psycopg.Error:
        pooled.invalidate()
