"""Platform tables of databases created before: the outbox's refusal backoff and dead
marking (next_attempt_at, dead_at), an audit log that refuses TRUNCATE (PostgreSQL) and
a replaced id (SQLite). Idempotent: databases created since already have all of it.

Revision ID: attempts_0003
Revises: attempts_0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

from shared.migrations import upgrade_platform_tables

revision = "attempts_0003"
down_revision = "attempts_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    upgrade_platform_tables(op)


def downgrade() -> None:
    # The columns and triggers belong to the platform tables of revision 0001 as it
    # creates them today; removing them would leave a schema no revision describes.
    pass
