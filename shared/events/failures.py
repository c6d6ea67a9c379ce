"""What kind of failure a database error is, so the consumer reacts to what happened.

* ``OUTAGE``: the database cannot be reached or is going away (a lost connection, the
  SQLSTATE classes 08 and 57P0x, 53300 too many connections; on SQLite a busy or locked
  file, an I/O error). Not the events' fault: the batch waits for the database.
* ``CONFLICT``: a serialization failure (40001) or a deadlock (40P01). Trying the same
  work again usually succeeds: retried a bounded number of times.
* ``FAULT``: anything else (stack depth exceeded, out of shared memory, a constraint,
  a handler's own exception). The work itself is at fault: the batch is applied one
  event at a time and the failure counts against the event that raised it.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy.exc import DBAPIError

FailureKind = Literal["outage", "conflict", "fault"]
OUTAGE: FailureKind = "outage"
CONFLICT: FailureKind = "conflict"
FAULT: FailureKind = "fault"

OUTAGE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "57P04", "57P05", "53300"})
CONFLICT_SQLSTATES = frozenset({"40001", "40P01"})
#: SQLite primary result codes of a file that is busy, locked, unreadable or full.
SQLITE_OUTAGE_CODES = frozenset({5, 6, 10, 13, 14})


def classify(exc: BaseException) -> FailureKind:
    """Whether ``exc`` is a database outage, a transient conflict, or the work's fault."""
    if not isinstance(exc, DBAPIError):
        return FAULT
    if exc.connection_invalidated:
        return OUTAGE
    original = exc.orig
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if isinstance(sqlstate, str) and sqlstate:
        if sqlstate.startswith("08") or sqlstate in OUTAGE_SQLSTATES:
            return OUTAGE
        if sqlstate in CONFLICT_SQLSTATES:
            return CONFLICT
        return FAULT
    sqlite_code = getattr(original, "sqlite_errorcode", None)
    if isinstance(sqlite_code, int):
        return OUTAGE if sqlite_code & 0xFF in SQLITE_OUTAGE_CODES else FAULT
    # psycopg raises OperationalError without a SQLSTATE when the connection fails.
    if isinstance(original, OSError) or type(original).__name__ in {
        "OperationalError",
        "InterfaceError",
    }:
        return OUTAGE
    return FAULT
