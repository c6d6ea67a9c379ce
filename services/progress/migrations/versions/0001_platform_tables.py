"""The platform tables: outbox, inbox and the append-only audit log.

Revision ID: progress_0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

from shared.migrations import create_platform_tables, drop_platform_tables

revision = "progress_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables(op)


def downgrade() -> None:
    drop_platform_tables(op)
