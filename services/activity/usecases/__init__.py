"""The activity service's commands and queries, one function each; each owns its
transaction, loads and writes through ``store`` and leaves its events in the outbox."""

from services.activity.usecases.archive import (
    ArchivedMonth,
    apply_retention,
    archive_old_months,
    prepare_partitions,
    restore_month,
)
from services.activity.usecases.ingestion import (
    Ingestion,
    IngestResult,
    IngestWriter,
    record_logs,
    retention_cutoff,
    row_of,
)
from services.activity.usecases.queries import (
    LOGS_RESOURCE,
    SESSIONS_RESOURCE,
    Page,
    list_logs,
    list_sessions,
)

__all__ = [
    "LOGS_RESOURCE",
    "SESSIONS_RESOURCE",
    "ArchivedMonth",
    "IngestResult",
    "IngestWriter",
    "Ingestion",
    "Page",
    "apply_retention",
    "archive_old_months",
    "list_logs",
    "list_sessions",
    "prepare_partitions",
    "record_logs",
    "restore_month",
    "retention_cutoff",
    "row_of",
]
