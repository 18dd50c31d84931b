"""Index the clocks that `response-times` reads: timed metrics that were met, by stop.

Partial, on the report's own conditions, with the columns it reads as INCLUDE on
PostgreSQL, so that the report reads a window's clocks from the index alone (after
VACUUM has marked the pages all-visible, as autovacuum keeps them).

Revision ID: d5f7a3c91e08
Revises: c4e8a2f19d37
Create Date: 2026-11-23 07:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d5f7a3c91e08"
down_revision: str | None = "c4e8a2f19d37"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIMED = sa.text("metric IN ('first_response', 'resolution') AND state IN ('met', 'breached_met')")


def upgrade() -> None:
    op.create_index(
        "ix_clocks_timed",
        "clocks",
        ["tenant_id", "stopped_us"],
        postgresql_include=["metric", "ticket_id", "elapsed_us", "started_us"],
        postgresql_where=_TIMED,
        sqlite_where=_TIMED,
    )


def downgrade() -> None:
    op.drop_index("ix_clocks_timed", table_name="clocks")
