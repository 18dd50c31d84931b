"""Taking the tickets that have something due, one at a time, for the worker.

The tickets named by a `due` query (ticket ids, soonest first) are locked (`FOR UPDATE
SKIP LOCKED` on PostgreSQL, so workers share them and never take the same one) and each
is processed in a savepoint of one transaction: a ticket that fails is logged and put
off (`postpone`), and does not hold up the rest or spin in a busy loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from slaguard.app.services import Services
from slaguard.db.tables import TicketRow

__all__ = ["RETRY_BROKEN_US", "process_due"]

log = structlog.get_logger("slaguard.worker")

RETRY_BROKEN_US = 60_000_000  # a ticket that failed is tried again after this


def process_due(
    svc: Services,
    due: Select[Any],
    work: Callable[[Session, TicketRow], None],
    postpone: Callable[[Session, TicketRow], None],
    *,
    failure: str,
    checkpoint: str | None = None,
) -> int:
    """Run `work` for each due ticket under its lock; how many tickets were taken."""
    with svc.writing() as s:
        q = select(TicketRow).where(TicketRow.id.in_(due)).order_by(TicketRow.id)
        if not svc.is_sqlite:
            q = q.with_for_update(skip_locked=True)
        rows = list(s.scalars(q))
        for row in rows:
            try:
                with s.begin_nested():
                    work(s, row)
            except Exception:
                log.exception(failure, ticket=row.external_id, tenant=row.tenant_id)
                postpone(s, row)
        if rows and checkpoint is not None:
            svc.checkpoint(checkpoint)  # decided, not yet committed
    return len(rows)
