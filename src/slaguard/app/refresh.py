"""Keeping the stored clocks current as time passes.

The clocks a write stores are as of that write. Each running clock also stores
`next_us`, the next instant something happens to it by time alone (a warning threshold,
the due instant). The worker re-judges the tickets whose `next_us` has passed, so lists,
reports and the dashboard read states, warnings and breach instants that are up to date
without evaluating anything themselves. Like the timers, this reads an index, never a
scan of open tickets; tickets are taken under their row lock (SKIP LOCKED on PostgreSQL).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from slaguard.app import tickets
from slaguard.app.due import RETRY_BROKEN_US, process_due
from slaguard.app.services import Services
from slaguard.db.tables import ClockRow, TicketRow

__all__ = ["next_due", "refresh_due"]


def refresh_due(svc: Services, *, now: int, limit: int = 200) -> int:
    """Re-judge up to `limit` tickets with a clock whose `next_us` has passed."""

    def postpone(s: Session, row: TicketRow) -> None:
        s.execute(
            update(ClockRow)
            .where(ClockRow.ticket_id == row.id, ClockRow.next_us <= now)
            .values(next_us=now + RETRY_BROKEN_US)
        )

    return process_due(
        svc,
        ticket_id=ClockRow.ticket_id,
        due=ClockRow.next_us <= now,
        soonest=ClockRow.next_us,
        limit=limit,
        work=lambda s, row: tickets.recompute(s, svc, row, now=now),
        postpone=postpone,
        failure="refresh_failed",
    )


def next_due(svc: Services) -> int | None:
    """The earliest stored `next_us` (None: no running clock)."""
    with svc.reading() as s:
        return s.scalar(
            select(ClockRow.next_us)
            .where(ClockRow.next_us.is_not(None))
            .order_by(ClockRow.next_us)
            .limit(1)
        )
