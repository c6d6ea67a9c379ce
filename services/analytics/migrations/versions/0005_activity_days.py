"""Analytics: the daily roll-up of activity records, and which UTC days it holds.

Revision ID: analytics_0005_activity_days
Revises: analytics_0004_student_versions
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "analytics_0005_activity_days"
down_revision = "analytics_0004_student_versions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activity_days",
        sa.Column("day", sa.Date(), nullable=False, comment="the UTC day of the records"),
        sa.Column("student_id", sa.String(length=120), nullable=False),
        sa.Column(
            "course_id", sa.String(length=128), nullable=False, comment="'': records without one"
        ),
        sa.Column("local_date", sa.Date(), nullable=False, comment="the day in the records' zone"),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("first_record_id", sa.String(length=128), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_record_id", sa.String(length=128), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False, comment="[lesson, quiz, assignment] named"),
        sa.PrimaryKeyConstraint(
            "day",
            "student_id",
            "course_id",
            "local_date",
            "time_zone",
            name=op.f("pk_activity_days"),
        ),
        comment="the activity records of a closed UTC day, rolled up per student, course, "
        "local day and zone: what reads of history beyond the detailed window use",
    )
    with op.batch_alter_table("activity_days", schema=None) as batch_op:
        batch_op.create_index("ix_activity_days_student_day", ["student_id", "day"], unique=False)
        batch_op.create_index("ix_activity_days_course_day", ["course_id", "day"], unique=False)
    op.create_table(
        "aggregated_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "aggregated_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="null: never rolled up",
        ),
        sa.Column("stale", sa.Boolean(), nullable=False, comment="records came after its roll-up"),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_aggregated_days")),
        comment="the UTC days of activity_days: rolled up, and not stale, they are read from it",
    )


def downgrade() -> None:
    op.drop_table("aggregated_days")
    with op.batch_alter_table("activity_days", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_days_course_day")
        batch_op.drop_index("ix_activity_days_student_day")
    op.drop_table("activity_days")
