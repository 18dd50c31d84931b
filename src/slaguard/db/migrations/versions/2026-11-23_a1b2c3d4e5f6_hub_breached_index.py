"""Index the SLA hub's breached list reads by: breached clocks by breach instant.

Partial (only clocks in the `breached` state), on the expression the list orders by,
`coalesce(breached_us, due_us)`, so the oldest breaches are read first and the read
stops at the list's limit.

Revision ID: a1b2c3d4e5f6
Revises: 6b2f1d8e3ca1
Create Date: 2026-11-23 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1b2c3d4e5f6"
down_revision: str | None = "6b2f1d8e3ca1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BREACHED = sa.text("state = 'breached'")


def upgrade() -> None:
    op.create_index(
        "ix_clocks_breached",
        "clocks",
        ["tenant_id", sa.text("coalesce(breached_us, due_us)")],
        postgresql_where=_BREACHED,
        sqlite_where=_BREACHED,
    )


def downgrade() -> None:
    op.drop_index("ix_clocks_breached", table_name="clocks")
