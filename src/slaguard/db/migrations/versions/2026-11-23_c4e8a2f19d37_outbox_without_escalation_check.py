"""The outbox no longer checks its escalation with a foreign key.

Every notification of a fired level is written in the transaction that writes the level,
and escalations are only ever deleted with their ticket, whose deletion removes the
ticket's notifications too (`outbox.ticket_id`). The key's check therefore never found
anything, while it cost a lookup and a row lock on `escalations` per notification: in a
burst of 20,000 levels, one more statement per notification. And PostgreSQL plans that
lookup once per connection: planned while `escalations` was still small, it stays a
sequential scan as the table grows, until the next ANALYZE.

Revision ID: c4e8a2f19d37
Revises: a1b2c3d4e5f6
Create Date: 2026-11-23 14:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "c4e8a2f19d37"
down_revision: str | None = "a1b2c3d4e5f6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = "fk_outbox_escalation_id_escalations"


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(_KEY, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_foreign_key(
            _KEY, "escalations", ["escalation_id"], ["id"], ondelete="CASCADE"
        )
