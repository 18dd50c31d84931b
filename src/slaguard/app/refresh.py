"""Keeping the stored clocks current as time passes.

The clocks a write stores are as of that write. Each running clock also stores
`next_us`, the next instant something happens to it by time alone (a warning threshold,
the due instant). The worker re-judges the tickets whose `next_us` has passed, so lists,
reports and the dashboard read states, warnings and breach instants that are up to date
without evaluating anything themselves. Like the timers, this reads an index, never a
scan of open tickets; tickets are taken under their row lock (SKIP LOCKED on PostgreSQL).
"""

from __future__ import annotations

import structlog
from sqlalchemy import select, update

from slaguard.app import tickets
from slaguard.app.services import Services
from slaguard.db.tables import ClockRow, TicketRow

__all__ = ["next_due", "refresh_due"]

log = structlog.get_logger("slaguard.refresh")

_RETRY_US = 60_000_000


def refresh_due(svc: Services, *, now: int, limit: int = 200) -> int:
    """Re-judge up to `limit` tickets with a clock whose `next_us` has passed."""
    with svc.writing() as s:
        due = (
            select(ClockRow.ticket_id)
            .where(ClockRow.next_us <= now)
            .order_by(ClockRow.next_us)
            .limit(limit)
        )
        q = select(TicketRow).where(TicketRow.id.in_(due)).order_by(TicketRow.id)
        if not svc.is_sqlite:
            q = q.with_for_update(skip_locked=True)
        rows = list(s.scalars(q))
        for row in rows:
            try:
                with s.begin_nested():
                    tickets.recompute(s, svc, row, now=now)
            except Exception:
                # A ticket that cannot be judged must not hold up the rest (nor be
                # retried in a busy loop): it is tried again a minute later.
                log.exception("refresh_failed", ticket=row.external_id, tenant=row.tenant_id)
                s.execute(
                    update(ClockRow)
                    .where(ClockRow.ticket_id == row.id, ClockRow.next_us <= now)
                    .values(next_us=now + _RETRY_US)
                )
    return len(rows)


def next_due(svc: Services) -> int | None:
    """The earliest stored `next_us` (None: no running clock)."""
    with svc.reading() as s:
        return s.scalar(
            select(ClockRow.next_us)
            .where(ClockRow.next_us.is_not(None))
            .order_by(ClockRow.next_us)
            .limit(1)
        )
