"""Reports over the materialised clocks, aggregated in the database.

Every figure is one SQL statement over `clocks` (joined to `tickets` for the grouping
field), the same on SQLite and PostgreSQL: counts and sums with CASE, percentiles with
window functions (ROW_NUMBER / COUNT over the group), no Python loops over rows.
Definitions (`docs/reports.md`):

- A clock instance *counts* in a window when it ended (met, breached_met) or breached
  in it. Its breach instant is `breached_us`, or, for a clock still running past its due
  instant that nothing has re-evaluated since, the due instant.
- compliance rate = counted instances not breached / counted; breach rate = the rest.
- response times: first_response and resolution instances that stopped in the window;
  business time (the clock's elapsed business time) and calendar time (stop - start);
  median and p90 are the nearest-rank percentiles (the smallest value with at least that
  share of values at or below it).
- at-risk coverage: breached instances that had a warning first / breached instances;
  save rate: warned instances that were met / warned instances.
- escalation rate: counted instances with an escalation level fired / counted.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from slaguard.app.services import Services
from slaguard.app.tenants import Principal, Role, require
from slaguard.db.tables import (
    BreachRow,
    ClockLogRow,
    ClockRow,
    EscalationRow,
    EventRow,
    TicketRow,
)
from slaguard.domain.calendar import from_us
from slaguard.domain.errors import TicketError
from slaguard.domain.states import ClockState

__all__ = ["GROUPS", "REPORTS", "Window", "compliance_over_time", "run_report"]

GROUPS = (
    "team",
    "queue",
    "category",
    "product",
    "channel",
    "tier",
    "priority",
    "policy",
    "assignee",
    "account",
    "metric",
)
REPORTS = (
    "compliance",
    "response-times",
    "coverage",
    "trend",
    "breach-reasons",
    "pause-abuse",
    "repeat-offenders",
)
TARGET_RATE = 0.90  # a segment below this is flagged
CRITICAL_RATE = 0.85  # ... and critical below this
_WEEK_US = 7 * 86_400_000_000
_QUARTER_US = 13 * _WEEK_US


@dataclass(frozen=True, slots=True)
class Window:
    start_us: int
    end_us: int  # exclusive


def _group(name: str | None) -> ColumnElement[Any]:
    if name is None:
        return literal("all")
    if name not in GROUPS:
        raise TicketError(f"unknown group {name!r} (one of {', '.join(GROUPS)})", "group_by")
    columns: Mapping[str, Any] = {
        "team": TicketRow.team,
        "priority": TicketRow.priority,
        "assignee": TicketRow.assignee,
        "policy": ClockRow.policy,
        "metric": ClockRow.metric,
    }
    if name in columns:
        return func.coalesce(columns[name], "(none)")
    return func.coalesce(TicketRow.document[name].as_string(), "(none)")


def _breach_at(now: int) -> ColumnElement[Any]:
    """The instant an instance breached, including clocks overdue since their last write."""
    return case(
        (ClockRow.breached_us.is_not(None), ClockRow.breached_us),
        (
            and_(ClockRow.state == ClockState.RUNNING.value, ClockRow.due_us < now),
            ClockRow.due_us,
        ),
        else_=null(),
    )


def _in(column: Any, w: Window) -> ColumnElement[bool]:
    return and_(column >= w.start_us, column < w.end_us)


def _counted(tenant_id: int, w: Window, now: int) -> tuple[ColumnElement[bool], Any]:
    breach_at = _breach_at(now)
    ended = and_(
        ClockRow.state.in_((ClockState.MET.value, ClockState.BREACHED_MET.value)),
        _in(ClockRow.stopped_us, w),
    )
    where = and_(
        ClockRow.tenant_id == tenant_id,
        or_(ended, _in(breach_at, w)),
    )
    breached = and_(breach_at.is_not(None), breach_at < w.end_us)
    return where, breached


def _rate(part: int | None, whole: int | None) -> float | None:
    return None if not whole else round((part or 0) / whole, 4)


def _iso(us: int) -> str:
    return from_us(us).isoformat()


def compliance(
    svc: Services, tenant_id: int, w: Window, group_by: str | None, now: int
) -> list[dict[str, Any]]:
    grp = _group(group_by).label("segment")
    where, breached = _counted(tenant_id, w, now)
    q = (
        select(
            grp,
            ClockRow.metric,
            func.count().label("counted"),
            func.sum(case((breached, 1), else_=0)).label("breached"),
        )
        .join(TicketRow, TicketRow.id == ClockRow.ticket_id)
        .where(where)
        .group_by(grp, ClockRow.metric)
        .order_by(grp, ClockRow.metric)
    )
    with svc.reading() as s:
        rows = s.execute(q).all()
    out = []
    for segment, metric, counted, breached_n in rows:
        met = counted - (breached_n or 0)
        rate = _rate(met, counted)
        status = "ok"
        action = ""
        if rate is not None and rate < TARGET_RATE:
            status = "critical" if rate < CRITICAL_RATE else "below_target"
            action = "adjust target or add capacity"
        out.append(
            {
                "segment": segment,
                "metric": metric,
                "counted": counted,
                "met": met,
                "breached": breached_n or 0,
                "compliance_rate": rate,
                "breach_rate": _rate(breached_n, counted),
                "alert": status,
                "recommended_action": action,
            }
        )
    return out


def _percentiles(base: Select[Any], value: Any, grp: Any) -> Select[Any]:
    """n, mean, median and p90 (nearest rank) of `value` per (segment, metric)."""
    parts = [grp, ClockRow.metric]
    ranked = base.add_columns(
        value.label("v"),
        func.row_number().over(partition_by=parts, order_by=value).label("rn"),
        func.count().over(partition_by=parts).label("n"),
    ).subquery()
    c = ranked.c
    return (
        select(
            c.segment,
            c.metric,
            func.max(c.n).label("n"),
            func.avg(c.v).label("mean"),
            func.min(case((c.rn >= (c.n + 1) // 2, c.v))).label("median"),
            func.min(case((c.rn >= (9 * c.n + 9) // 10, c.v))).label("p90"),
        )
        .group_by(c.segment, c.metric)
        .order_by(c.segment, c.metric)
    )


def response_times(
    svc: Services, tenant_id: int, w: Window, group_by: str | None, now: int
) -> list[dict[str, Any]]:
    grp = _group(group_by).label("segment")
    base = (
        select(grp, ClockRow.metric)
        .join(TicketRow, TicketRow.id == ClockRow.ticket_id)
        .where(
            ClockRow.tenant_id == tenant_id,
            ClockRow.metric.in_(("first_response", "resolution")),
            ClockRow.state.in_((ClockState.MET.value, ClockState.BREACHED_MET.value)),
            _in(ClockRow.stopped_us, w),
        )
    )
    business = _percentiles(base, ClockRow.elapsed_us, grp)
    calendar = _percentiles(base, ClockRow.stopped_us - ClockRow.started_us, grp)
    with svc.reading() as s:
        b_rows = s.execute(business).all()
        c_rows = {(r.segment, r.metric): r for r in s.execute(calendar)}
    out = []
    for r in b_rows:
        cal = c_rows[(r.segment, r.metric)]
        out.append(
            {
                "segment": r.segment,
                "metric": r.metric,
                "count": r.n,
                "business_median_s": _seconds(r.median),
                "business_p90_s": _seconds(r.p90),
                "business_mean_s": _seconds(r.mean),
                "calendar_median_s": _seconds(cal.median),
                "calendar_p90_s": _seconds(cal.p90),
                "calendar_mean_s": _seconds(cal.mean),
            }
        )
    return out


def _seconds(us: Any) -> float | None:
    return None if us is None else round(float(us) / 1_000_000, 3)


def coverage(
    svc: Services, tenant_id: int, w: Window, group_by: str | None, now: int
) -> list[dict[str, Any]]:
    grp = _group(group_by).label("segment")
    where, breached = _counted(tenant_id, w, now)
    warned = func.json_array_length(ClockRow.warnings) > 0
    escalated = exists().where(
        EscalationRow.ticket_id == ClockRow.ticket_id,
        EscalationRow.metric == ClockRow.metric,
        EscalationRow.cycle == ClockRow.cycle,
    )
    one = 1
    q = (
        select(
            grp,
            ClockRow.metric,
            func.count().label("counted"),
            func.sum(case((breached, one), else_=0)).label("breached"),
            func.sum(case((and_(breached, warned), one), else_=0)).label("warned_breached"),
            func.sum(case((warned, one), else_=0)).label("warned"),
            func.sum(case((and_(warned, ~breached), one), else_=0)).label("saved"),
            func.sum(case((escalated, one), else_=0)).label("escalated"),
        )
        .join(TicketRow, TicketRow.id == ClockRow.ticket_id)
        .where(where)
        .group_by(grp, ClockRow.metric)
        .order_by(grp, ClockRow.metric)
    )
    with svc.reading() as s:
        rows = s.execute(q).all()
    return [
        {
            "segment": r.segment,
            "metric": r.metric,
            "counted": r.counted,
            "breached": r.breached or 0,
            "at_risk_coverage": _rate(r.warned_breached, r.breached),
            "warned": r.warned or 0,
            "save_rate": _rate(r.saved, r.warned),
            "escalated": r.escalated or 0,
            "escalation_rate": _rate(r.escalated, r.counted),
        }
        for r in rows
    ]


def trend(
    svc: Services, tenant_id: int, w: Window, group_by: str | None, now: int
) -> list[dict[str, Any]]:
    """Breach volume and rate in the last week and quarter of the window, against the
    week and quarter before."""
    out = []
    for label, span in (("week", _WEEK_US), ("quarter", _QUARTER_US)):
        current = Window(w.end_us - span, w.end_us)
        previous = Window(w.end_us - 2 * span, w.end_us - span)
        now_rows = {
            (r["segment"], r["metric"]): r
            for r in compliance(svc, tenant_id, current, group_by, now)
        }
        before = {
            (r["segment"], r["metric"]): r
            for r in compliance(svc, tenant_id, previous, group_by, now)
        }
        for key in sorted(set(now_rows) | set(before)):
            a, b = now_rows.get(key), before.get(key)
            out.append(
                {
                    "period": label,
                    "segment": key[0],
                    "metric": key[1],
                    "from": _iso(current.start_us),
                    "breached": a["breached"] if a else 0,
                    "breach_rate": a["breach_rate"] if a else None,
                    "previous_breached": b["breached"] if b else 0,
                    "previous_breach_rate": b["breach_rate"] if b else None,
                    "change": (a["breached"] if a else 0) - (b["breached"] if b else 0),
                }
            )
    return out


def breach_reasons(
    svc: Services, tenant_id: int, w: Window, group_by: str | None, now: int
) -> list[dict[str, Any]]:
    """Breaches in the window by reason, most frequent first, with each reason's share
    and the cumulative share (a Pareto). Confirmed reasons count; breaches whose reason
    is only suggested are counted apart (`suggested_only`, by their suggestion)."""
    grp = _group(group_by if group_by != "metric" else None).label("segment")
    if group_by == "metric":
        grp = BreachRow.metric.label("segment")
    reason = func.coalesce(BreachRow.reason, BreachRow.suggested).label("reason")
    confirmed = BreachRow.reason.is_not(None)
    q = (
        select(
            grp,
            reason,
            func.sum(case((confirmed, 1), else_=0)).label("confirmed"),
            func.sum(case((confirmed, 0), else_=1)).label("suggested_only"),
        )
        .select_from(BreachRow)
        .join(TicketRow, TicketRow.id == BreachRow.ticket_id)
        .outerjoin(
            ClockRow,
            and_(
                ClockRow.ticket_id == BreachRow.ticket_id,
                ClockRow.metric == BreachRow.metric,
                ClockRow.cycle == BreachRow.cycle,
            ),
        )
        .where(BreachRow.tenant_id == tenant_id, _in(BreachRow.breached_us, w))
        .group_by(grp, reason)
    )
    with svc.reading() as s:
        rows = s.execute(q).all()
    segments: dict[str, list[Any]] = {}
    for r in rows:
        segments.setdefault(r.segment, []).append(r)
    out: list[dict[str, Any]] = []
    for segment in sorted(segments):
        group = sorted(segments[segment], key=lambda r: (-(r.confirmed or 0), r.reason))
        total = sum(r.confirmed or 0 for r in group)
        running = 0
        top = (group[0].confirmed or 0) if group else 0
        for r in group:
            running += r.confirmed or 0
            out.append(
                {
                    "segment": segment,
                    "reason": r.reason,
                    "confirmed": r.confirmed or 0,
                    "suggested_only": r.suggested_only or 0,
                    "share": _rate(r.confirmed, total),
                    "cumulative_share": _rate(running, total),
                    "top_cause_concentration": _rate(top, total),
                }
            )
    return out


def repeat_offenders(
    svc: Services, tenant_id: int, w: Window, group_by: str | None, now: int
) -> list[dict[str, Any]]:
    """Segments (by `group_by`, default `queue`) with breaches in two or more
    consecutive weeks of the window, longest run first."""
    grp = _group(group_by or "queue").label("segment")
    breach_at = _breach_at(now)
    week = ((breach_at - w.start_us) // _WEEK_US).label("week")
    weekly = (
        select(grp, week, func.count().label("breaches"))
        .join(TicketRow, TicketRow.id == ClockRow.ticket_id)
        .where(ClockRow.tenant_id == tenant_id, _in(breach_at, w))
        .group_by(grp, week)
        .subquery()
    )
    q = select(weekly).order_by(weekly.c.segment, weekly.c.week)
    with svc.reading() as s:
        rows = s.execute(q).all()
    # runs of consecutive weeks per segment (a handful of aggregate rows, not tickets)
    out: list[dict[str, Any]] = []
    run: list[Any] = []

    def close() -> None:
        if len(run) >= 2:
            out.append(
                {
                    "segment": run[0].segment,
                    "weeks_in_a_row": len(run),
                    "from": _iso(w.start_us + run[0].week * _WEEK_US),
                    "breaches": sum(r.breaches for r in run),
                }
            )

    for r in rows:
        if run and (r.segment != run[-1].segment or r.week != run[-1].week + 1):
            close()
            run = []
        run.append(r)
    close()
    out.sort(key=lambda r: (-r["weeks_in_a_row"], -r["breaches"], r["segment"]))
    return out


PAUSE_GRACE_US = 3_600_000_000  # a reply answered by resuming within this is fine
REPEATED_PAUSES = 3


def pause_abuse(
    svc: Services, tenant_id: int, w: Window, group_by: str | None, now: int
) -> list[dict[str, Any]]:
    """Tickets whose resolution clock stayed paused although the customer had replied
    (for longer than an hour after the reply), and tickets paused repeatedly (three
    times or more) in the window, with the time they kept the clock stopped."""
    pause = aliased(ClockLogRow)
    resume = aliased(ClockLogRow)
    resumed_at = (
        select(func.min(resume.at_us))
        .where(
            resume.ticket_id == pause.ticket_id,
            resume.metric == pause.metric,
            resume.cycle == pause.cycle,
            resume.action == "resume",
            resume.at_us > pause.at_us,
        )
        .scalar_subquery()
    )
    until = func.coalesce(resumed_at, now)
    pauses = (
        select(
            pause.ticket_id.label("ticket_id"),
            pause.at_us.label("start"),
            until.label("end"),
        )
        .where(
            pause.tenant_id == tenant_id,
            pause.metric == "resolution",
            pause.action == "pause",
            _in(pause.at_us, w),
        )
        .subquery()
    )
    replied = (
        select(
            TicketRow.external_id,
            func.min(EventRow.occurred_us).label("reply"),
            pauses.c.end,
        )
        .join(EventRow, EventRow.ticket_id == pauses.c.ticket_id)
        .join(TicketRow, TicketRow.id == pauses.c.ticket_id)
        .where(
            EventRow.kind == "customer_reply",
            EventRow.occurred_us > pauses.c.start,
            EventRow.occurred_us < pauses.c.end,
        )
        .group_by(TicketRow.external_id, pauses.c.start, pauses.c.end)
    ).subquery()
    abused = select(replied).where(replied.c.end - replied.c.reply > PAUSE_GRACE_US)
    repeated = (
        select(
            TicketRow.external_id,
            func.count().label("pauses"),
            func.sum(pauses.c.end - pauses.c.start).label("stopped"),
        )
        .join(TicketRow, TicketRow.id == pauses.c.ticket_id)
        .group_by(TicketRow.external_id)
        .having(func.count() >= REPEATED_PAUSES)
    )
    with svc.reading() as s:
        out = [
            {
                "ticket": r.external_id,
                "finding": "paused after the customer replied",
                "since": _iso(r.reply),
                "pauses": 1,
                "kept_stopped_s": _seconds(r.end - r.reply),
            }
            for r in s.execute(abused.order_by(replied.c.reply))
        ]
        out.extend(
            {
                "ticket": r.external_id,
                "finding": f"paused {r.pauses} times",
                "since": None,
                "pauses": r.pauses,
                "kept_stopped_s": _seconds(r.stopped),
            }
            for r in s.execute(repeated.order_by(TicketRow.external_id))
        )
    return out


_RUNNERS = {
    "compliance": compliance,
    "response-times": response_times,
    "coverage": coverage,
    "trend": trend,
    "breach-reasons": breach_reasons,
    "pause-abuse": pause_abuse,
    "repeat-offenders": repeat_offenders,
}


def run_report(
    svc: Services,
    *,
    principal: Principal,
    name: str,
    start_us: int | None,
    end_us: int | None,
    group_by: str | None = None,
) -> dict[str, Any]:
    """One report for the principal's tenant: `{"report", "from", "to", "group_by", "rows"}`.
    The window defaults to the 30 days before now."""
    require(principal, Role.VIEWER)
    runner = _RUNNERS.get(name)
    if runner is None:
        raise TicketError(f"unknown report {name!r} (one of {', '.join(REPORTS)})", "name")
    now = svc.clock()
    end = end_us if end_us is not None else now
    start = start_us if start_us is not None else end - 30 * 86_400_000_000
    if start >= end:
        raise TicketError("`from` must be before `to`", "from")
    rows = runner(svc, principal.tenant_id, Window(start, end), group_by, now)
    return {
        "report": name,
        "from": _iso(start),
        "to": _iso(end),
        "group_by": group_by,
        "rows": rows,
    }


def compliance_over_time(
    svc: Services, *, principal: Principal, edges: Sequence[int]
) -> list[dict[str, Any]]:
    """`compliance` (without a group) of each period between consecutive `edges`:
    `{"from", "from_us", "metric", "counted", "met", "breached", "compliance_rate",
    "breach_rate"}` per period and metric, as if each period were a window of its own (an
    instance that breached in one period and ended in a later one counts in both, as
    breached). Periods are given by their edges so that they can follow the viewer's
    days, DST included. One statement, one pass over the window's instances."""
    require(principal, Role.VIEWER)
    if len(edges) < 2 or any(a >= b for a, b in itertools.pairwise(edges)):
        raise TicketError("periods need two or more increasing edges", "from")
    now = svc.clock()
    w = Window(edges[0], edges[-1])
    breach_at = _breach_at(now)
    widths = {b - a for a, b in itertools.pairwise(edges)}

    def period(at: ColumnElement[Any]) -> ColumnElement[Any]:
        """The index of the period holding `at` (an instant inside the window)."""
        if len(widths) == 1:  # equal periods: arithmetic rather than a search
            return (at - w.start_us) // max(widths)
        return case(*((at < e, i) for i, e in enumerate(edges[1:-1])), else_=len(edges) - 2)

    ended = and_(
        ClockRow.state.in_((ClockState.MET.value, ClockState.BREACHED_MET.value)),
        _in(ClockRow.stopped_us, w),
    )
    breached_in = _in(breach_at, w)
    # each instance once: the period it ended in (if it did in the window; breached if it
    # breached before that) and the period it breached in (if it did in the window)
    one = (
        select(
            ClockRow.metric.label("metric"),
            case((ended, period(ClockRow.stopped_us.expression)), else_=null()).label("ended"),
            case((breached_in, period(breach_at)), else_=null()).label("breached"),
            case((breach_at.is_not(None), 1), else_=0).label("late"),
        )
        .where(ClockRow.tenant_id == principal.tenant_id, or_(ended, breached_in))
        .subquery()
    )
    # ... then counted in each: where it ended, and where it breached unless that is the
    # same period
    side = select(literal(0).label("k")).union_all(select(literal(1))).subquery()
    at_end = and_(side.c.k == 0, one.c.ended.is_not(None))
    at_breach = and_(
        side.c.k == 1,
        one.c.breached.is_not(None),
        or_(one.c.ended.is_(None), one.c.ended != one.c.breached),
    )
    counted = (
        select(
            case((side.c.k == 0, one.c.ended), else_=one.c.breached).label("period"),
            one.c.metric,
            case((side.c.k == 0, one.c.late), else_=1).label("breached"),
        )
        .select_from(one.join(side, literal(True)))
        .where(or_(at_end, at_breach))
        .subquery()
    )
    q = (
        select(
            counted.c.period,
            counted.c.metric,
            func.count().label("counted"),
            func.sum(counted.c.breached).label("breached"),
        )
        .group_by(counted.c.period, counted.c.metric)
        .order_by(counted.c.period, counted.c.metric)
    )
    with svc.reading() as s:
        rows = s.execute(q).all()
    return [
        {
            "from": _iso(edges[r.period]),
            "from_us": edges[r.period],
            "metric": r.metric,
            "counted": r.counted,
            "met": r.counted - (r.breached or 0),
            "breached": r.breached or 0,
            "compliance_rate": _rate(r.counted - (r.breached or 0), r.counted),
            "breach_rate": _rate(r.breached, r.counted),
        }
        for r in rows
    ]


def columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The columns of a report's rows, in their order (for tables and CSV)."""
    return list(rows[0]) if rows else []
