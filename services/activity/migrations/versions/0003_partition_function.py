"""The one way to add a month's partition of activity_logs for a role that does not own
the table: ``stride_activity_ensure_partition(first_day)``, a ``SECURITY DEFINER`` function
owned by the owner (PostgreSQL only; nothing on SQLite).

The partitions it creates belong to the owner, so archive and retention (run as the
owner) can still detach and drop them. Nobody may call it but the owner and the runtime
role ``stride migrate`` grants EXECUTE to (``shared.migrations.grant_runtime_role``).

Revision ID: activity_0003
Revises: activity_0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "activity_0003"
down_revision = "activity_0002"
branch_labels = None
depends_on = None

FUNCTION = "stride_activity_ensure_partition(date)"

#: the partition's name as services.activity.domain.partition_name builds it
CREATE_FUNCTION = r"""
CREATE OR REPLACE FUNCTION stride_activity_ensure_partition(first_day date) RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    name text;
BEGIN
    IF first_day IS NULL
        OR first_day <> date_trunc('month', first_day)::date
        OR extract(year FROM first_day) NOT BETWEEN 1 AND 9999 THEN
        RAISE EXCEPTION 'not the first day of a month: %', first_day
            USING ERRCODE = '22023';
    END IF;
    name := 'activity_logs_y' || to_char(first_day, 'YYYY') || 'm' || to_char(first_day, 'MM');
    EXECUTE format(
        'CREATE TABLE IF NOT EXISTS %I PARTITION OF activity_logs FOR VALUES FROM (%L) TO (%L)',
        name,
        to_char(first_day, 'YYYY-MM-DD') || 'T00:00:00Z',
        to_char((first_day + interval '1 month')::date, 'YYYY-MM-DD') || 'T00:00:00Z'
    );
    RETURN name;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(CREATE_FUNCTION)
    op.execute(f"REVOKE ALL ON FUNCTION {FUNCTION} FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}")
