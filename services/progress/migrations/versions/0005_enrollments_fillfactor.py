"""Enrollments: pages filled to 80%, so that updating an enrollment can stay on its page.

Every piece of recorded work rewrites its enrollment's row (entries, percentage,
position, timestamps). On a full page the new row version goes to another page and
every index of the table gets an entry for it; with room left on the page PostgreSQL
writes a heap-only tuple (HOT) instead, and no index is touched when no indexed column
changed (most quiz, lesson and assignment updates change none). The setting applies to
pages written from now on; ``VACUUM FULL enrollments`` (or pg_repack) repacks an
existing table to it. SQLite (embedded mode) has no such setting.

Revision ID: progress_0005
Revises: progress_0004
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "progress_0005"
down_revision = "progress_0004"
branch_labels = None
depends_on = None

#: the share of each heap page that inserts fill (services/progress/models.py)
FILLFACTOR = 80


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE enrollments SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE enrollments RESET (fillfactor)")
