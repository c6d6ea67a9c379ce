"""Projections of the analytics events: achievements and risk levels.

Revision ID: reports_0003
Revises: reports_0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "reports_0003"
down_revision = "reports_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "achievements",
        sa.Column("student_id", sa.String(length=128), nullable=False),
        sa.Column("achievement_id", sa.String(length=128), nullable=False),
        sa.Column("course_id", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("earned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "student_id", "achievement_id", "course_id", name=op.f("pk_achievements")
        ),
    )
    op.create_table(
        "risk_levels",
        sa.Column("student_id", sa.String(length=128), nullable=False),
        sa.Column("course_id", sa.String(length=128), nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint(
            "student_id", "course_id", "assessed_at", name=op.f("pk_risk_levels")
        ),
    )


def downgrade() -> None:
    op.drop_table("risk_levels")
    op.drop_table("achievements")
