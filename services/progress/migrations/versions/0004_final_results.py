"""Enrollments: the institution's final result and when it was decided (final_result,
final_result_at), null until one is recorded.

The CHECK constraint on its values is added on PostgreSQL; SQLite (embedded mode) would
have to rebuild the table for it, and the service writes only the four values anyway.

Revision ID: progress_0004
Revises: progress_0003
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "progress_0004"
down_revision = "progress_0003"
branch_labels = None
depends_on = None

CONSTRAINT = "ck_enrollments_final_result"
FINAL_RESULT = (
    "final_result IS NULL OR final_result IN ('pass', 'distinction', 'fail', 'withdrawn')"
)


def upgrade() -> None:
    op.add_column("enrollments", sa.Column("final_result", sa.String(20), nullable=True))
    op.add_column(
        "enrollments", sa.Column("final_result_at", sa.DateTime(timezone=True), nullable=True)
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_check_constraint(CONSTRAINT, "enrollments", sa.text(FINAL_RESULT))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(CONSTRAINT, "enrollments", type_="check")
    op.drop_column("enrollments", "final_result_at")
    op.drop_column("enrollments", "final_result")
