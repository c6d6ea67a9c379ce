"""Partitions ahead, archive of old months to cold storage, restore, and retention.

An archived month is written to ``<archive folder>/activity_logs_YYYY-MM.<when>.jsonl.gz``
(one JSON object per record, every column), counted and read back, checked against
the database's count, and only then removed from the database (its partition detached
and dropped on PostgreSQL), all while the month is locked against writers. The archive
is recorded in ``activity_archives`` with its record count and SHA-256.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from services.activity import store
from services.activity.domain import month_of, months_ahead, months_to_archive
from shared.db import Database
from shared.time import parse_iso

#: partitions kept ready beyond the current month
PARTITIONS_AHEAD = 3
#: a restored month is not archived again for this long
RESTORE_HOLD = timedelta(days=30)
#: records per statement when restoring
RESTORE_CHUNK = 5000

#: ``progress(done, total, label)``: called as records are exported or restored
Progress = Callable[[int, int, str], None]


class ArchiveMismatch(RuntimeError):
    """The archive file does not hold exactly the month's records: nothing was dropped."""


@dataclass(frozen=True)
class ArchivedMonth:
    month: date
    records: int
    file: str | None


def quiet(_done: int, _total: int, _label: str) -> None:
    return None


def prepare_partitions(database: Database, now: datetime) -> list[date]:
    """Create this month's partition and the next ``PARTITIONS_AHEAD`` (PostgreSQL)."""
    return store.ensure_partitions(database.engine, months_ahead(now, PARTITIONS_AHEAD))


def archive_old_months(
    database: Database,
    folder: Path,
    *,
    now: datetime,
    after_months: int,
    progress: Progress = quiet,
) -> list[ArchivedMonth]:
    """Archive every month older than ``after_months`` whole months, oldest first.

    Idempotent: an archived month is gone from the database, so a second run finds
    nothing to do. A month restored less than ``RESTORE_HOLD`` ago is left in place.
    """
    with database.unit_of_work() as session:
        held = {
            row.month
            for row in store.archives_of(session)
            if row.restored_at is not None and row.restored_at > now - RESTORE_HOLD
        }
        months = months_to_archive(store.stored_months(session), now, after_months)
    return [
        archive_month(database, folder, month, now=now, progress=progress)
        for month in months
        if month not in held
    ]


def archive_month(
    database: Database, folder: Path, month: date, *, now: datetime, progress: Progress = quiet
) -> ArchivedMonth:
    """Export one month, check the export, then remove the month from the database."""
    folder.mkdir(parents=True, exist_ok=True)
    label = f"archive {month:%Y-%m}"
    with database.unit_of_work() as session:
        store.lock_month(session, month)
        expected = store.count_month(session, month)
        name: str | None = None
        if expected:
            name = f"activity_logs_{month:%Y-%m}.{now:%Y%m%dT%H%M%S%fZ}.jsonl.gz"
            partial = folder / f".{name}.partial"
            written = _write_lines(
                partial, store.month_rows(session, month), expected, label, progress
            )
            read_back = _count_lines(partial)
            if not written == read_back == expected:
                partial.unlink()
                raise ArchiveMismatch(
                    f"{month:%Y-%m}: {expected} records in the database, {written} written, "
                    f"{read_back} read back; the month stays in the database"
                )
            digest = _sha256(partial)
            partial.replace(folder / name)
            _sync_folder(folder)
            store.record_archive(
                session, month=month, file=name, records=expected, sha256=digest, at=now
            )
        store.drop_month(session, month)
        session.commit()
    return ArchivedMonth(month, expected, name)


def restore_month(
    database: Database,
    folder: Path,
    month: date,
    *,
    now: datetime,
    progress: Progress = quiet,
) -> int:
    """Put an archived month's records back; the number of records restored.

    Records still (or already again) in the database are skipped, so restoring twice
    restores nothing more. Restored records publish no event: they were announced when
    first recorded. The month is then vacuumed and analyzed (``store.vacuum_month``).
    """
    with database.unit_of_work() as session:
        archives = store.archives_of(session, month)
    if not archives:
        raise LookupError(f"no archive of {month:%Y-%m}")
    total = sum(row.records for row in archives)
    store.ensure_partitions(database.engine, [month])
    restored = done = 0
    with database.unit_of_work() as session:
        for archive in archives:
            path = folder / archive.file
            if _sha256(path) != archive.sha256:
                raise ArchiveMismatch(f"{path} does not match the checksum recorded when archived")
            chunk: list[dict[str, Any]] = []
            for row in _read_lines(path):
                chunk.append(row)
                if len(chunk) == RESTORE_CHUNK:
                    restored += len(store.insert_records(session, chunk))
                    done += len(chunk)
                    progress(done, total, f"restore {month:%Y-%m}")
                    chunk = []
            restored += len(store.insert_records(session, chunk))
            done += len(chunk)
            progress(done, total, f"restore {month:%Y-%m}")
        store.mark_restored(session, month, now)
        session.commit()
    store.vacuum_month(database.engine, month)
    return restored


@dataclass(frozen=True)
class RetentionResult:
    records: int
    files: int


def apply_retention(
    database: Database, folder: Path, *, now: datetime, retention_days: int
) -> RetentionResult:
    """Delete records older than the retention period, and the archives of months that
    ended before it. Idempotent."""
    cutoff = now - timedelta(days=retention_days)
    with database.unit_of_work() as session:
        deleted = store.delete_before(session, cutoff)
        files = store.forget_archives_before(session, month_of(cutoff))
        session.commit()
    for name in files:
        (folder / name).unlink(missing_ok=True)
    return RetentionResult(deleted, len(files))


# -- files -------------------------------------------------------------------------------
_ENCODER = msgspec.json.Encoder()
_TIMESTAMPS = ("timestamp", "recorded_at")


def _write_lines(
    path: Path, rows: Iterator[dict[str, Any]], total: int, label: str, progress: Progress
) -> int:
    written = 0
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as out:
        for row in rows:
            out.write(_ENCODER.encode(row) + b"\n")
            written += 1
            if written % 1000 == 0:
                progress(written, total, label)
        out.flush()
        out.close()
        raw.flush()
        os.fsync(raw.fileno())
    progress(written, total, label)
    return written


def _read_lines(path: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rb") as lines:
        for line in lines:
            row: dict[str, Any] = msgspec.json.decode(line)
            for name in _TIMESTAMPS:
                row[name] = parse_iso(row[name])
            yield row


def _count_lines(path: Path) -> int:
    with gzip.open(path, "rb") as lines:
        return sum(1 for _ in lines)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
