"""Analytics: the course version at which each student's facts of a course last changed.

Revision ID: analytics_0004_student_versions
Revises: analytics_0003_outlines
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "analytics_0004_student_versions"
down_revision = "analytics_0003_outlines"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "course_student_versions",
        sa.Column("course_id", sa.String(length=128), nullable=False),
        sa.Column("student_id", sa.String(length=120), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("course_id", "student_id", name=op.f("pk_course_student_versions")),
        comment="the course's version when the student's facts in it last changed ('': the "
        "whole course, its outline): a read cache reloads only what changed since its version",
    )
    with op.batch_alter_table("course_student_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_course_student_versions_course_version", ["course_id", "version"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("course_student_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_course_student_versions_course_version")
    op.drop_table("course_student_versions")
