"""Indexes the SLA hub reads by: open clocks by due instant, clocks stopped or breached
in a window, tickets created in a window, reopenings and CSAT events of a tenant.

The clocks' (tenant_id, state) index is replaced by (tenant_id, state, due_us), which
serves the same lookups. The reopen and CSAT indexes are partial (only those rows), so
they cost the write path next to nothing.

Revision ID: 8e5c4a1b6fd3
Revises: 5a1e0c7d2b90
Create Date: 2026-11-22 21:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8e5c4a1b6fd3"
down_revision: str | None = "5a1e0c7d2b90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REOPEN = sa.text("action = 'reopen'")
_CSAT = sa.text("kind = 'csat'")


def upgrade() -> None:
    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.drop_index("ix_clocks_tenant_state")
        batch_op.create_index("ix_clocks_tenant_state_due", ["tenant_id", "state", "due_us"])
        batch_op.create_index("ix_clocks_tenant_stopped", ["tenant_id", "stopped_us"])
        batch_op.create_index("ix_clocks_tenant_breached", ["tenant_id", "breached_us"])
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_tenant_created", ["tenant_id", "created_us"])
    op.create_index(
        "ix_clock_log_reopen",
        "clock_log",
        ["tenant_id", "at_us"],
        postgresql_where=_REOPEN,
        sqlite_where=_REOPEN,
    )
    op.create_index(
        "ix_events_csat",
        "events",
        ["tenant_id", "occurred_us"],
        postgresql_where=_CSAT,
        sqlite_where=_CSAT,
    )


def downgrade() -> None:
    op.drop_index("ix_events_csat", table_name="events")
    op.drop_index("ix_clock_log_reopen", table_name="clock_log")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_tenant_created")
    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.drop_index("ix_clocks_tenant_breached")
        batch_op.drop_index("ix_clocks_tenant_stopped")
        batch_op.drop_index("ix_clocks_tenant_state_due")
        batch_op.create_index("ix_clocks_tenant_state", ["tenant_id", "state"])
