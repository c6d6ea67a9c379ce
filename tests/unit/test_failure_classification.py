"""Database errors are classified by what they are, not by their Python class."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from shared.events.failures import CONFLICT, FAULT, OUTAGE, classify

pytestmark = pytest.mark.unit


class DriverError(Exception):
    """Stands in for a psycopg error: what matters is its ``sqlstate``."""

    def __init__(self, message: str, sqlstate: str | None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


class OperationalErrorWithoutState(Exception):
    sqlstate = None


OperationalErrorWithoutState.__name__ = "OperationalError"


@pytest.mark.parametrize(
    ("sqlstate", "kind"),
    [
        ("08006", OUTAGE),  # connection failure
        ("08001", OUTAGE),
        ("57P01", OUTAGE),  # admin shutdown
        ("57P03", OUTAGE),  # cannot connect now
        ("53300", OUTAGE),  # too many connections
        ("40001", CONFLICT),  # serialization failure
        ("40P01", CONFLICT),  # deadlock detected
        ("54001", FAULT),  # stack depth limit exceeded
        ("53200", FAULT),  # out of shared memory
        ("57014", FAULT),  # statement timeout / canceled
    ],
)
def test_operational_errors_by_sqlstate(sqlstate: str, kind: str) -> None:
    error = OperationalError("SELECT 1", {}, DriverError("boom", sqlstate))
    assert classify(error) == kind


def test_a_lost_connection_is_an_outage() -> None:
    error = OperationalError("SELECT 1", {}, DriverError("gone", None), connection_invalidated=True)
    assert classify(error) == OUTAGE
    assert classify(InterfaceError("SELECT 1", {}, OperationalErrorWithoutState())) == OUTAGE


def test_sqlite_busy_is_an_outage_and_its_other_errors_are_faults() -> None:
    busy = sqlite3.OperationalError("database is locked")
    busy.sqlite_errorcode = 5  # type: ignore[attr-defined]
    too_many = sqlite3.OperationalError("too many SQL variables")
    too_many.sqlite_errorcode = 1  # type: ignore[attr-defined]
    assert classify(OperationalError("x", {}, busy)) == OUTAGE
    assert classify(OperationalError("x", {}, too_many)) == FAULT


def test_errors_that_are_not_the_databases_are_faults() -> None:
    assert classify(IntegrityError("x", {}, DriverError("dup", "23505"))) == FAULT
    assert classify(KeyError("n")) == FAULT
    assert classify(RecursionError()) == FAULT
