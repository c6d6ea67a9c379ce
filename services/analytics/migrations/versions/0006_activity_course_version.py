"""Analytics: the course version at which each activity record was stored.

Revision ID: analytics_0006_activity_version
Revises: analytics_0005_activity_days
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "analytics_0006_activity_version"
down_revision = "analytics_0005_activity_days"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("activity_records", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "course_version",
                sa.BigInteger(),
                nullable=True,
                comment="the course's version that the record's transaction made (null: "
                "stored before versions, or without a course): a read cache at an older "
                "version reads only the records after it",
            )
        )
        batch_op.create_index(
            "ix_activity_records_course_version", ["course_id", "course_version"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("activity_records", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_records_course_version")
        batch_op.drop_column("course_version")
