"""On PostgreSQL, refuse TRUNCATE of the audit trail as its row trigger refuses DELETE.

TRUNCATE fires no row triggers: without this one, the database user that may not delete
a single audit record could empty the whole table (and `verify` would find an empty,
intact chain). A statement trigger refuses it, also when a TRUNCATE of `tenants`
cascades to it.

Revision ID: e7a41c2b9d50
Revises: d5f7a3c91e08
Create Date: 2026-11-23 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "e7a41c2b9d50"
down_revision: str | None = "d5f7a3c91e08"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NO_TRUNCATE = """
CREATE OR REPLACE FUNCTION slaguard_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit records cannot be deleted';
END
$$ LANGUAGE plpgsql;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_NO_TRUNCATE)
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION slaguard_audit_no_truncate()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS slaguard_audit_no_truncate()")
