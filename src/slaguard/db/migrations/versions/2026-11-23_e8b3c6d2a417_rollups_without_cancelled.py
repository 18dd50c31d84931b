"""Rebuild every tenant's daily rollups so that cancelled clock instances do not count.

Before, a clock that breached and was then cancelled (its ticket marked a duplicate)
kept its breach in `clock_rollups`; reports never count cancelled instances, and the
write path and `slaguard report rebuild-rollups` no longer add them.

Revision ID: e8b3c6d2a417
Revises: e7a41c2b9d50
Create Date: 2026-11-23 08:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from slaguard.db import rollups

revision: str = "e8b3c6d2a417"
down_revision: str | None = "e7a41c2b9d50"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    rollups.rebuild(op.get_bind())


def downgrade() -> None:
    # The rollups without cancelled instances are what the previous revision's reports
    # should have read; there is nothing to restore.
    pass
