"""Counting clock instances in report windows from the daily rollups.

A window `[a, b)` is cut into whole UTC days (its *core*) and the partial days at its
edges. A clock instance whose end day and breach day (`db/rollups.py`) are both outside
the edge days is counted from `clock_rollups`: for such an instance "ended in the
window" is "ended on a core day", "breached before the window" is "breached before the
first core day", and so on, exactly. The instances that ended or breached on an edge day
are counted from `clocks` with the instants themselves, as are running clocks past their
due instant whose breach nobody has stored yet (they have no rollup contribution).
Cancelled instances count nowhere (`breach_at` is NULL for them). The three sets do not
overlap, so the sum is what counting every clock would give.

Reads touch the rollup rows of one grouping in the window's days, plus the clocks of at
most two days per window, through the indexes on `(tenant_id, stopped_us)`,
`(tenant_id, breached_us)` and `(tenant_id, due_us) WHERE state = 'running'`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select, true

from slaguard.app.services import Services
from slaguard.app.tenants import Principal, Role, require
from slaguard.db import rollups
from slaguard.db.rollups import CANCELLED, DAY_US, ENDED_STATES, NO_DAY, sql_warned
from slaguard.db.tables import ClockRollupRow, ClockRow, TicketRow
from slaguard.domain.states import ClockState

__all__ = ["Counts", "breach_at", "rebuild_rollups", "window_counts"]

# (segment, metric) -> [counted, breached, warned, warned and breached] instances
Counts = dict[tuple[str, str], list[int]]
_SUMS = 4


@dataclass(frozen=True, slots=True)
class _Days:
    core: tuple[int, int]  # whole days [first, end) inside the window (may be empty)
    edges: tuple[int, ...]  # days the window covers only in part


def _days(a: int, b: int) -> _Days:
    first, end = -(-a // DAY_US), b // DAY_US
    if first >= end:  # no whole day: every covered day is an edge
        return _Days((first, first), tuple(range(a // DAY_US, -(-b // DAY_US))))
    edges = ((a // DAY_US,) if a % DAY_US else ()) + ((end,) if b % DAY_US else ())
    return _Days((first, end), edges)


def _in(column: Any, lo: int, hi: int) -> ColumnElement[bool]:
    return and_(column >= lo, column < hi)


def _on_days(column: Any, days: Sequence[int]) -> ColumnElement[bool]:
    if not days:
        return false()
    return or_(*(_in(column, d * DAY_US, (d + 1) * DAY_US) for d in days))


def window_counts(
    s: Any,
    *,
    tenant_id: int,
    windows: Sequence[tuple[int, int]],
    segment: Any,
    dim: str,
    join_tickets: bool,
    now: int,
) -> list[Counts]:
    """Counted instances per (segment, metric) in each window, and how many of them
    breached, were warned, and were warned and breached.

    `dim` is the rollup grouping (`all` for no group or by metric); `segment` the same
    grouping as a column expression over clocks (and tickets when `join_tickets`)."""
    out: list[Counts] = [{} for _ in windows]
    days = [_days(a, b) for a, b in windows]
    _from_rollups(s, tenant_id, days, dim, out)
    _from_clocks(s, tenant_id, windows, days, segment, join_tickets, now, out)
    return out


def _from_rollups(s: Any, tenant_id: int, days: list[_Days], dim: str, out: list[Counts]) -> None:
    r = ClockRollupRow
    sums: list[Any] = []
    lo = min(d.core[0] for d in days)
    hi = max(d.core[1] for d in days)
    if lo >= hi:
        return
    for d in days:
        first, end = d.core
        outside = and_(r.e_day.not_in(d.edges), r.b_day.not_in(d.edges)) if d.edges else true()
        ended = and_(r.e_day >= first, r.e_day < end)
        breached_in = and_(r.b_day >= first, r.b_day < end)
        breached_before = and_(r.b_day > NO_DAY, r.b_day < first)
        counted = and_(outside, or_(ended, breached_in))
        breached = and_(outside, or_(breached_in, and_(ended, breached_before)))
        warned = r.warned == 1
        sums.append(func.sum(case((counted, r.n), else_=0)))
        sums.append(func.sum(case((breached, r.n), else_=0)))
        sums.append(func.sum(case((and_(counted, warned), r.n), else_=0)))
        sums.append(func.sum(case((and_(breached, warned), r.n), else_=0)))
    value = r.metric if dim == "metric" else r.value
    q = (
        select(value, r.metric, *sums)
        .where(
            r.tenant_id == tenant_id,
            r.dim == ("all" if dim == "metric" else dim),
            or_(_in(r.e_day, lo, hi), _in(r.b_day, lo, hi)),
        )
        .group_by(value, r.metric)
    )
    for row in s.execute(q):
        for i, c in enumerate(out):
            _add(c, row, i)


def _add(counts: Counts, row: Any, i: int) -> None:
    """Window `i`'s sums of a result row (segment, metric, sums...) into `counts`."""
    values = [int(v or 0) for v in row[2 + _SUMS * i : 2 + _SUMS * (i + 1)]]
    if values[0]:
        got = counts.setdefault((row[0], row[1]), [0] * _SUMS)
        for k, v in enumerate(values):
            got[k] += v


def breach_at(now: int) -> ColumnElement[Any]:
    """The instant an instance breached, including clocks overdue since their last write;
    NULL for a cancelled instance (never counted, though it keeps its `breached_us`)."""
    return case(
        (
            and_(ClockRow.breached_us.is_not(None), ClockRow.state != CANCELLED),
            ClockRow.breached_us,
        ),
        (
            and_(ClockRow.state == ClockState.RUNNING.value, ClockRow.due_us < now),
            ClockRow.due_us,
        ),
        else_=None,
    )


def _from_clocks(
    s: Any,
    tenant_id: int,
    windows: Sequence[tuple[int, int]],
    days: list[_Days],
    segment: Any,
    join_tickets: bool,
    now: int,
    out: list[Counts],
) -> None:
    c = ClockRow
    warned = sql_warned(c.warnings, s.get_bind().dialect.name) == 1
    ended_state = c.state.in_(ENDED_STATES)
    breached_at = breach_at(now)
    overdue = and_(c.state == ClockState.RUNNING.value, c.breached_us.is_(None), c.due_us < now)
    picks, sums = [], []
    for (a, b), d in zip(windows, days, strict=True):
        # the instances this window counts from the clocks rather than the rollups
        pick = or_(
            and_(ended_state, _on_days(c.stopped_us, d.edges)),
            _on_days(c.breached_us, d.edges),
            and_(overdue, _in(c.due_us, a, b)),
        )
        picks.append(pick)
        counted = and_(
            pick, or_(and_(ended_state, _in(c.stopped_us, a, b)), _in(breached_at, a, b))
        )
        breached = and_(counted, breached_at.is_not(None), breached_at < b)
        sums.append(func.sum(case((counted, 1), else_=0)))
        sums.append(func.sum(case((breached, 1), else_=0)))
        sums.append(func.sum(case((and_(counted, warned), 1), else_=0)))
        sums.append(func.sum(case((and_(breached, warned), 1), else_=0)))
    q = select(segment, c.metric, *sums).where(c.tenant_id == tenant_id, or_(*picks))
    if join_tickets:
        q = q.join(TicketRow, TicketRow.id == c.ticket_id)
    q = q.group_by(segment, c.metric)
    for row in s.execute(q):
        for i, got_out in enumerate(out):
            _add(got_out, row, i)


def rebuild_rollups(svc: Services, *, principal: Principal) -> None:
    """Recompute the tenant's rollups from its clocks (`slaguard report rebuild-rollups`)."""
    require(principal, Role.ADMIN)
    with svc.writing() as s:
        rollups.rebuild(s.connection(), [principal.tenant_id])
