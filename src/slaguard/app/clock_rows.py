"""A ticket's stored clocks and clock log brought in line with a fresh evaluation.

Both are derived data, written again whenever the ticket is recomputed. Deleting and
inserting every row on each event made each write cost more as the ticket grew, while
usually one or two clocks change and the log only grows at its end. So the stored rows
are read and compared: changed clocks are updated, new ones inserted, vanished ones
deleted; the log keeps the rows it shares, from its start, with the new log, and the
rest is replaced. The rows compared are read from the database in the same transaction
(the caller holds the ticket's row lock), not kept in memory, so whatever wrote them
before (an import, another process, the worker's refresh) the rows afterwards equal
those a full rewrite would leave, in content and in log order; only row ids differ,
and nothing reads them.

The daily rollups (`db/rollups.py`) follow in the same transaction: every stored clock's
contribution, under the ticket's columns as stored, is taken away and the new clocks'
added under the new columns; only the rows whose count changes are written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from slaguard.db import rollups
from slaguard.db.tables import ClockLogRow, ClockRow, TicketRow
from slaguard.domain.engine import Clock, Evaluation

__all__ = ["store_clocks"]

_CLOCKS = ClockRow.metadata.tables[ClockRow.__tablename__]
_LOG = ClockLogRow.metadata.tables[ClockLogRow.__tablename__]
# Clock columns a recompute may change; (ticket, metric, cycle) identifies the clock.
_CLOCK_VALUES = (
    "state",
    "policy",
    "target_us",
    "started_us",
    "due_us",
    "stopped_us",
    "breached_us",
    "elapsed_us",
    "warnings",
    "next_us",
)
_LOG_VALUES = ("at_us", "metric", "cycle", "action", "detail", "cause")


def store_clocks(
    s: Session, row: TicketRow, ev: Evaluation, dims: Mapping[str, str | None]
) -> bool:
    """Make the ticket's stored clocks and clock log those of `ev`, and move the clocks'
    rollup contributions from the ticket's stored columns to `dims` (its report columns
    as they are about to be written; `row` still holds the stored ones). Whether any
    clock stored before had breached."""
    had_breaches = _store_clocks(s, row, ev.clocks, dims)
    _store_log(s, row, [(*entry[:4], entry[4][:300], entry[5]) for entry in ev.raw_log])
    return had_breaches


def _values(c: Clock) -> dict[str, Any]:
    return {
        "state": c.state.value,
        "policy": c.policy,
        "target_us": c.target_us,
        "started_us": c.started_at,
        "due_us": c.due_at,
        "stopped_us": c.stopped_at,
        "breached_us": c.breached_at,
        "elapsed_us": c.elapsed_us,
        "warnings": [[label, at] for label, at in c.warnings],
        "next_us": c.next_at,
    }


# Built once (SQLAlchemy reuses their cache keys and compiled forms).
_READ_CLOCKS = select(
    _CLOCKS.c.id, _CLOCKS.c.metric, _CLOCKS.c.cycle, *(_CLOCKS.c[n] for n in _CLOCK_VALUES)
).where(_CLOCKS.c.ticket_id == bindparam("ticket_id"))
_UPDATE_CLOCK = (
    update(_CLOCKS)
    .where(_CLOCKS.c.id == bindparam("clock_id"))
    .values({n: bindparam(n) for n in _CLOCK_VALUES})
)
_DELETE_CLOCKS = delete(_CLOCKS).where(_CLOCKS.c.id.in_(bindparam("ids", expanding=True)))
_INSERT_CLOCK = insert(_CLOCKS)
_READ_LOG = (
    select(_LOG.c.id, *(_LOG.c[n] for n in _LOG_VALUES))
    .where(_LOG.c.ticket_id == bindparam("ticket_id"))
    .order_by(_LOG.c.id)
)
_DELETE_LOG_FROM = delete(_LOG).where(
    _LOG.c.ticket_id == bindparam("ticket_id"), _LOG.c.id >= bindparam("from_id")
)
_INSERT_LOG = insert(_LOG)


def _store_clocks(
    s: Session, row: TicketRow, clocks: tuple[Clock, ...], dims: Mapping[str, str | None]
) -> bool:
    found = {(r.metric, r.cycle): r for r in s.execute(_READ_CLOCKS, {"ticket_id": row.id})}
    had_breaches = any(r.breached_us is not None for r in found.values())
    _move_rollups(s, row, found.values(), clocks, dims)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for c in clocks:
        values = _values(c)
        old = found.pop((c.metric, c.cycle), None)
        if old is None:
            inserts.append(
                {
                    "tenant_id": row.tenant_id,
                    "ticket_id": row.id,
                    "metric": c.metric,
                    "cycle": c.cycle,
                    **values,
                }
            )
        elif tuple(old[3:]) != tuple(values.values()):
            updates.append({"clock_id": old.id, **values})
    if found:
        s.execute(_DELETE_CLOCKS, {"ids": [r.id for r in found.values()]})
    if updates:
        s.execute(_UPDATE_CLOCK, updates)
    if inserts:
        s.execute(_INSERT_CLOCK, inserts)
    return had_breaches


def _store_log(s: Session, row: TicketRow, log: list[tuple[Any, ...]]) -> None:
    old = s.execute(_READ_LOG, {"ticket_id": row.id}).all()
    same = 0
    for stored, entry in zip(old, log, strict=False):
        if tuple(stored[1:]) != entry:
            break
        same += 1
    if same < len(old):
        s.execute(_DELETE_LOG_FROM, {"ticket_id": row.id, "from_id": old[same].id})
    if same < len(log):
        s.execute(
            _INSERT_LOG,
            [
                {
                    "tenant_id": row.tenant_id,
                    "ticket_id": row.id,
                    **dict(zip(_LOG_VALUES, e, strict=True)),
                }
                for e in log[same:]
            ],
        )


def _move_rollups(
    s: Session,
    row: TicketRow,
    stored: Any,
    clocks: tuple[Clock, ...],
    dims: Mapping[str, str | None],
) -> None:
    counts: Counter[rollups.Key] = Counter()
    stored = list(stored)
    before = {d: getattr(row, d) for d in rollups.TICKET_DIMS} if stored else {}
    for r in stored:
        rollups.add_clock(
            counts,
            ticket_id=row.id,
            dims=before,
            metric=r.metric,
            state=r.state,
            policy=r.policy,
            stopped_us=r.stopped_us,
            breached_us=r.breached_us,
            warned=bool(r.warnings),
            sign=-1,
        )
    for c in clocks:
        rollups.add_clock(
            counts,
            ticket_id=row.id,
            dims=dims,
            metric=c.metric,
            state=c.state.value,
            policy=c.policy,
            stopped_us=c.stopped_at,
            breached_us=c.breached_at,
            warned=bool(c.warnings),
            sign=1,
        )
    rollups.apply(s.connection(), row.tenant_id, counts)
