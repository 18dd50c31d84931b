"""Taking the tickets that have something due, for the worker.

`lock_due` reads the due rows of an index (timers by `fire_us`, clocks by `next_us`),
soonest first, joined to their tickets, and locks those tickets (`FOR UPDATE OF tickets
SKIP LOCKED` on PostgreSQL). The LIMIT counts only tickets this transaction could lock,
so several workers share what is due: each takes the next tickets nobody holds, rather
than all reading the same first ones and finding them taken. Every writer of a ticket's
timers and clocks holds the ticket's row lock, so the ticket lock covers them too.

`process_due` runs a piece of work for each ticket taken, each in a savepoint of one
transaction: a ticket that fails is logged and put off (`postpone`), and does not hold
up the rest or spin in a busy loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from slaguard.app.services import Services
from slaguard.db.tables import ClockRow, TicketRow, TimerRow

__all__ = ["RETRY_BROKEN_US", "lock_due", "next_due", "process_due"]

log = structlog.get_logger("slaguard.worker")

RETRY_BROKEN_US = 60_000_000  # a ticket that failed is tried again after this
_REFILLS = 4  # rounds of filling a batch up after tickets another worker just emptied


def next_due(svc: Services) -> int | None:
    """The earliest instant a timer fires or a stored clock needs refreshing (None:
    neither), in one statement."""
    timer = select(TimerRow.fire_us).order_by(TimerRow.fire_us).limit(1).scalar_subquery()
    clock = (
        select(ClockRow.next_us)
        .where(ClockRow.next_us.is_not(None))
        .order_by(ClockRow.next_us)
        .limit(1)
        .scalar_subquery()
    )
    with svc.reading() as s:
        found = s.execute(select(timer, clock)).one()
    return min((t for t in found if t is not None), default=None)


def lock_due(
    s: Session,
    svc: Services,
    *,
    ticket_id: InstrumentedAttribute[int],
    due: ColumnElement[bool],
    soonest: InstrumentedAttribute[Any],
    limit: int,
) -> list[TicketRow]:
    """Up to `limit` tickets with a due row (`due`, ordered by `soonest`, `ticket_id`
    naming the ticket), locked in `s`'s transaction; in ticket id order."""
    q = (
        select(TicketRow)
        .join_from(ticket_id.class_, TicketRow, TicketRow.id == ticket_id)
        .where(due)
        .order_by(soonest)
    )
    if svc.is_sqlite:  # one writer at a time: what it reads stays due
        # a ticket with several due rows comes once (the same object: one identity)
        rows = {row.id: row for row in s.scalars(q.limit(limit))}
        return [rows[k] for k in sorted(rows)]
    q = q.with_for_update(of=TicketRow, skip_locked=True)
    taken: dict[int, TicketRow] = {}
    seen: set[int] = set()  # taken, or locked and found emptied
    for _ in range(_REFILLS):
        found = {
            row.id: row
            for row in s.scalars(q.where(TicketRow.id.not_in(seen)).limit(limit - len(taken)))
        }
        if not found:
            break
        seen.update(found)
        # A ticket another worker held when the statement began is locked once that
        # worker commits, and PostgreSQL re-checks only the locked ticket row: the due
        # rows the other worker deleted still join from the statement's snapshot. A new
        # statement sees them gone, so the tickets with nothing left due are left out
        # (they stay locked, harmlessly, until commit) and the batch filled up again.
        still = set(s.scalars(select(ticket_id).where(due, ticket_id.in_(found)).distinct()))
        taken.update((k, row) for k, row in found.items() if k in still)
        if len(still) == len(found) or len(taken) == limit:
            break
    return [taken[k] for k in sorted(taken)]


def process_due(
    svc: Services,
    *,
    ticket_id: InstrumentedAttribute[int],
    due: ColumnElement[bool],
    soonest: InstrumentedAttribute[Any],
    limit: int,
    work: Callable[[Session, TicketRow], None],
    postpone: Callable[[Session, TicketRow], None],
    failure: str,
) -> int:
    """Run `work` for each due ticket under its lock; how many tickets were taken."""
    with svc.writing() as s:
        rows = lock_due(s, svc, ticket_id=ticket_id, due=due, soonest=soonest, limit=limit)
        for row in rows:
            try:
                with s.begin_nested():
                    work(s, row)
            except Exception:
                log.exception(failure, ticket=row.external_id, tenant=row.tenant_id)
                postpone(s, row)
    return len(rows)
