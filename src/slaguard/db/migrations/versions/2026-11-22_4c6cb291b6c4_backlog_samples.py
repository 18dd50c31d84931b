"""Hourly samples of each team's open tickets (the normal backlog level).

Revision ID: 4c6cb291b6c4
Revises: 3cf1d8045675
Create Date: 2026-11-22 19:16:13.459960
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4c6cb291b6c4"
down_revision: str | None = "3cf1d8045675"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "backlog_samples",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("team", sa.String(length=200), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("open_tickets", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_backlog_samples_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backlog_samples")),
    )
    with op.batch_alter_table("backlog_samples", schema=None) as batch_op:
        batch_op.create_index(
            "ix_backlog_samples_team", ["tenant_id", "team", "at_us"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("backlog_samples", schema=None) as batch_op:
        batch_op.drop_index("ix_backlog_samples_team")

    op.drop_table("backlog_samples")
