"""Breached clock instances with their suggested and confirmed reasons.

Revision ID: 3cf1d8045675
Revises: 3b8f35110d33
Create Date: 2026-11-22 19:06:24.805482
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3cf1d8045675"
down_revision: str | None = "3b8f35110d33"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "breaches",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("metric", sa.String(length=60), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("breached_us", sa.BigInteger(), nullable=False),
        sa.Column("suggested", sa.String(length=60), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=True),
        sa.Column("confirmed_by", sa.String(length=200), nullable=True),
        sa.Column("confirmed_us", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_breaches_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_breaches_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breaches")),
        sa.UniqueConstraint(
            "ticket_id", "metric", "cycle", name=op.f("uq_breaches_ticket_id_metric_cycle")
        ),
    )
    with op.batch_alter_table("breaches", schema=None) as batch_op:
        batch_op.create_index(
            "ix_breaches_tenant_breached", ["tenant_id", "breached_us"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("breaches", schema=None) as batch_op:
        batch_op.drop_index("ix_breaches_tenant_breached")

    op.drop_table("breaches")
