"""An index of the audit records not yet sealed, by tenant.

The sealer asks, every worker round, which tenants have unsealed records (`seq IS
NULL`). Without this partial index that is a scan of the whole audit log (tens of
milliseconds at a few hundred thousand records); with it, a look at the few records
written since the last seal.

Revision ID: 7c3a2e9f4db2
Revises: 4c6cb291b6c4
Create Date: 2026-11-22 21:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c3a2e9f4db2"
down_revision: str | None = "4c6cb291b6c4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNSEALED = sa.text("seq IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_log_unsealed_tenant",
            ["tenant_id"],
            unique=False,
            postgresql_where=_UNSEALED,
            sqlite_where=_UNSEALED,
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_unsealed_tenant")
