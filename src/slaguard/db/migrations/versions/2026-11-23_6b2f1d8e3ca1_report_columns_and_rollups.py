"""Report groupings as ticket columns, daily clock rollups, and indexes for reports and audit.

The ticket columns (queue, category, product, channel, tier, account) are filled from
each ticket's document as received; the write path keeps them current from then on.
The rollups are computed from the clocks (`db/rollups.py`).

Revision ID: 6b2f1d8e3ca1
Revises: 9f6d5b2c7a04
Create Date: 2026-11-23 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from slaguard.db import rollups

revision: str = "6b2f1d8e3ca1"
down_revision: str | None = "9f6d5b2c7a04"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("queue", "category", "product", "channel", "tier", "account")


def _backfill(dialect: str) -> str:
    if dialect == "postgresql":
        sets = [f"{c} = left(document->>'{c}', 200)" for c in _COLUMNS]
    else:  # SQLite: JSON booleans as `true`/`false`, as the write path stores them
        sets = [
            f"{c} = CASE json_type(document, '$.{c}') WHEN 'true' THEN 'true' "
            f"WHEN 'false' THEN 'false' WHEN 'null' THEN NULL "
            f"ELSE substr(json_extract(document, '$.{c}'), 1, 200) END"
            for c in _COLUMNS
        ]
    return f"UPDATE tickets SET {', '.join(sets)}"  # noqa: S608 - constant names


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        for name in _COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=200), nullable=True))
    op.execute(_backfill(bind.dialect.name))

    # Clocks by (tenant, stopped / breached / state and due) came with the hub's revision.
    with op.batch_alter_table("clock_log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_clock_log_tenant_action", ["tenant_id", "metric", "action", "at_us"]
        )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_log_pending",
            ["tenant_id", "id"],
            postgresql_where=sa.text("seq IS NULL"),
            sqlite_where=sa.text("seq IS NULL"),
        )

    op.create_table(
        "clock_rollups",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("dim", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("metric", sa.String(length=60), nullable=False),
        sa.Column("e_day", sa.Integer(), nullable=False),
        sa.Column("b_day", sa.Integer(), nullable=False),
        sa.Column("warned", sa.Integer(), nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_clock_rollups_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clock_rollups")),
        sa.UniqueConstraint(
            "tenant_id",
            "dim",
            "value",
            "metric",
            "e_day",
            "b_day",
            "warned",
            "shard",
            name="uq_clock_rollups_key",
        ),
    )
    rollups.rebuild(bind)


def downgrade() -> None:
    op.drop_table("clock_rollups")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_pending")
    with op.batch_alter_table("clock_log", schema=None) as batch_op:
        batch_op.drop_index("ix_clock_log_tenant_action")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        for name in reversed(_COLUMNS):
            batch_op.drop_column(name)
