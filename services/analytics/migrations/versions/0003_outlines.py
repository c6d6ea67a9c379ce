"""Analytics outlines: each course's published outline (highest version) and its items.

Revision ID: analytics_0003_outlines
Revises: analytics_0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "analytics_0003_outlines"
down_revision = "analytics_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "course_outlines",
        sa.Column("course_id", sa.String(length=128), nullable=False),
        sa.Column("outline_version", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_course_outlines")),
        comment="the highest outline_version of each course's progress.outline.published",
    )
    op.create_table(
        "outline_items",
        sa.Column("course_id", sa.String(length=128), nullable=False),
        sa.Column("item_id", sa.String(length=128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("module_id", sa.String(length=128), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("course_id", "item_id", name=op.f("pk_outline_items")),
        comment="the items of the outline in course_outlines, in course order",
    )


def downgrade() -> None:
    op.drop_table("outline_items")
    op.drop_table("course_outlines")
