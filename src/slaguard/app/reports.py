"""Reports over the materialised clocks, aggregated in the database.

Every figure is computed in the database, with the same results on SQLite and
PostgreSQL: counts and sums with CASE over `clocks` (joined to `tickets` only when the
grouping is a ticket column), no Python loops over rows. Compliance, trend and
coverage count from the daily rollups (`app/rollups.py`); percentiles are `percentile_disc` on
PostgreSQL and window functions (ROW_NUMBER / COUNT over the group) on SQLite.
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
- escalation rate: counted instances with an escalation level fired / counted; the
  resolution time (business, mean and median) of the tickets with an escalation level
  fired and of the others, over the resolution instances that ended in the window.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from slaguard.app.configs import latest_version, sla_config
from slaguard.app.rollups import Counts, breach_at, window_counts
from slaguard.app.services import Services
from slaguard.app.tenants import Principal, Role, require
from slaguard.db.tables import (
    ENDED_MET,
    TIMED_METRICS,
    BreachRow,
    ClockLogRow,
    ClockRow,
    EscalationRow,
    EventRow,
    TicketRow,
)
from slaguard.domain.calendar import from_us
from slaguard.domain.errors import TicketError
from slaguard.domain.policy import ReportSettings
from slaguard.domain.states import ClockState

__all__ = [
    "GROUPS",
    "REPORTS",
    "Window",
    "alert",
    "compliance_over_time",
    "report_settings",
    "run_report",
]

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
_WEEK_US = 7 * 86_400_000_000
_QUARTER_US = 13 * _WEEK_US
_REPLIED, _REPEATED = "replied", "repeated"  # pause-abuse findings


@dataclass(frozen=True, slots=True)
class Window:
    start_us: int
    end_us: int  # exclusive


_TICKET_COLUMNS: Mapping[str, Any] = {
    "team": TicketRow.team,
    "queue": TicketRow.queue,
    "category": TicketRow.category,
    "product": TicketRow.product,
    "channel": TicketRow.channel,
    "tier": TicketRow.tier,
    "priority": TicketRow.priority,
    "assignee": TicketRow.assignee,
    "account": TicketRow.account,
}


# Reports sort and hash millions of clock rows on PostgreSQL: with the default work_mem
# (4 MB) those spill to disk and take twice as long. Only for the report's transaction.
REPORT_WORK_MEM = "64MB"


@contextmanager
def _reading(svc: Services) -> Iterator[Session]:
    with svc.reading() as s:
        if not svc.is_sqlite:
            s.execute(text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))
            # A report's statements run once each: compiling them (PostgreSQL's JIT, on
            # by default) costs more than it saves.
            s.execute(text("SET LOCAL jit = off"))
        yield s


def _check_group(name: str | None) -> None:
    if name is not None and name not in GROUPS:
        raise TicketError(f"unknown group {name!r} (one of {', '.join(GROUPS)})", "group_by")


def _group(name: str | None, clock: Any = ClockRow) -> ColumnElement[Any]:
    """The segment of `name` as a column over `clock` (`clocks` or an alias of it) and
    `tickets`."""
    _check_group(name)
    if name is None:
        return literal("all")
    columns: Mapping[str, Any] = {
        **_TICKET_COLUMNS,
        "policy": clock.policy,
        "metric": clock.metric,
    }
    return func.coalesce(columns[name], "(none)")


def _needs_tickets(name: str | None) -> bool:
    return name in _TICKET_COLUMNS


def _in(column: Any, w: Window) -> ColumnElement[bool]:
    return and_(column >= w.start_us, column < w.end_us)


def _counted(tenant_id: int, w: Window, now: int) -> tuple[ColumnElement[bool], Any]:
    """The instances counted in `w` and which of them breached before its end. Cancelled
    instances are in neither: they did not end met and `breach_at` is NULL for them."""
    breached_at = breach_at(now)
    ended = and_(
        ClockRow.state.in_(ENDED_MET),
        _in(ClockRow.stopped_us, w),
    )
    where = and_(
        ClockRow.tenant_id == tenant_id,
        or_(ended, _in(breached_at, w)),
    )
    breached = and_(breached_at.is_not(None), breached_at < w.end_us)
    return where, breached


def _rate(part: int | None, whole: int | None) -> float | None:
    return None if not whole else round((part or 0) / whole, 4)


def _iso(us: int) -> str:
    return from_us(us).isoformat()


def _counts(
    svc: Services, tenant_id: int, windows: Sequence[Window], group_by: str | None, now: int
) -> list[Counts]:
    grp = _group(group_by)
    with _reading(svc) as s:
        return window_counts(
            s,
            tenant_id=tenant_id,
            windows=[(w.start_us, w.end_us) for w in windows],
            segment=grp,
            dim=group_by or "all",
            join_tickets=_needs_tickets(group_by),
            now=now,
        )


def report_settings(svc: Services, tenant_id: int) -> ReportSettings:
    """The tenant's compliance alert levels (`reports:` of its latest configuration)."""
    version = latest_version(svc, tenant_id=tenant_id)
    if version is None:
        return ReportSettings()
    return sla_config(svc, tenant_id=tenant_id, version=version).reports


def compliance(
    svc: Services, tenant_id: int, w: Window, group_by: str | None, now: int
) -> list[dict[str, Any]]:
    counts = _counts(svc, tenant_id, [w], group_by, now)[0]
    return _compliance_rows(counts, report_settings(svc, tenant_id))


def alert(met: int, counted: int, levels: ReportSettings) -> str:
    """`ok`, `below_target` or `critical` for the compliance `met / counted`, judged on
    the fraction itself: the rate a report shows is rounded to four places, and 2 of 3
    (0.6667 shown) is under a target of 66.667%."""
    rate = met / counted if counted else None
    if rate is None or rate >= levels.target_rate:
        return "ok"
    return "critical" if rate < levels.critical_rate else "below_target"


def _compliance_rows(counts: Counts, levels: ReportSettings | None = None) -> list[dict[str, Any]]:
    levels = levels or ReportSettings()
    out = []
    for (segment, metric), (counted, breached_n, *_) in sorted(counts.items()):
        met = counted - breached_n
        rate = _rate(met, counted)
        status = alert(met, counted, levels)
        action = "" if status == "ok" else "adjust target or add capacity"
        out.append(
            {
                "segment": segment,
                "metric": metric,
                "counted": counted,
                "met": met,
                "breached": breached_n,
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


# percentile_disc(p) takes the value at rank ceil(p * n), computed in floating point:
# 0.9 * n can land just above an integer (0.9 * 70 = 63.000000000000007) and take the
# next rank. Just under 0.9 gives ceil(9n / 10) exactly for any n below 10^8.
_P50, _P90 = 0.5, 0.9 - 1e-9


def _percentile(p: float, value: Any) -> Any:
    return func.percentile_disc(p).within_group(value)


def response_times(
    svc: Services, tenant_id: int, w: Window, group_by: str | None, now: int
) -> list[dict[str, Any]]:
    grp = _group(group_by).label("segment")
    base = _timed(tenant_id, w, group_by, grp).add_columns(ClockRow.metric)
    business_v = ClockRow.elapsed_us
    calendar_v = ClockRow.stopped_us - ClockRow.started_us
    with _reading(svc) as s:
        if not svc.is_sqlite and group_by is None:
            rows = _response_times_ungrouped(s, base, business_v, calendar_v)
        elif not svc.is_sqlite:
            # One pass: ordered-set aggregates sort each group once per value. The rows
            # are first sorted by group, compared byte by byte (COLLATE "C": the same
            # groups, as equality is byte equality under any deterministic collation,
            # and about 5% faster at a million clocks than the database's collation); the
            # rows are put in order below.
            segment = _group(group_by).collate("C").label("segment")
            metric = ClockRow.metric.collate("C").label("metric")
            q = base.with_only_columns(
                segment,
                metric,
                func.count().label("n"),
                func.avg(business_v).label("b_mean"),
                _percentile(_P50, business_v).label("b_median"),
                _percentile(_P90, business_v).label("b_p90"),
                func.avg(calendar_v).label("c_mean"),
                _percentile(_P50, calendar_v).label("c_median"),
                _percentile(_P90, calendar_v).label("c_p90"),
            ).group_by(segment, metric)
            rows = [
                (
                    r.segment,
                    r.metric,
                    r.n,
                    r.b_median,
                    r.b_p90,
                    r.b_mean,
                    r.c_median,
                    r.c_p90,
                    r.c_mean,
                )
                for r in s.execute(q)
            ]
        else:
            business = _percentiles(base, business_v, grp)
            calendar = _percentiles(base, calendar_v, grp)
            c_rows = {(r.segment, r.metric): r for r in s.execute(calendar)}
            rows = []
            for r in s.execute(business):
                cal = c_rows[(r.segment, r.metric)]
                rows.append(
                    (
                        r.segment,
                        r.metric,
                        r.n,
                        r.median,
                        r.p90,
                        r.mean,
                        cal.median,
                        cal.p90,
                        cal.mean,
                    )
                )
    return [
        {
            "segment": segment,
            "metric": metric,
            "count": n,
            "business_median_s": _seconds(b_median),
            "business_p90_s": _seconds(b_p90),
            "business_mean_s": _seconds(b_mean),
            "calendar_median_s": _seconds(c_median),
            "calendar_p90_s": _seconds(c_p90),
            "calendar_mean_s": _seconds(c_mean),
        }
        for segment, metric, n, b_median, b_p90, b_mean, c_median, c_p90, c_mean in sorted(
            rows, key=lambda r: (r[0], r[1])
        )
    ]


def _response_times_ungrouped(
    s: Session, base: Select[Any], business_v: Any, calendar_v: Any
) -> list[tuple[Any, ...]]:
    """PostgreSQL, no grouping: each metric's figures as aggregates FILTERed by metric, in
    one pass without GROUP BY. Grouped by metric, the ordered-set aggregates need their
    input sorted by metric first: a sort of every row, spilled to disk at a million
    clocks, before the sorts the percentiles themselves take (2.1 s against 1.5 s)."""
    columns: list[Any] = []
    for metric in TIMED_METRICS:
        mine = ClockRow.metric == metric
        columns += [
            func.count().filter(mine),
            *(
                part.filter(mine)
                for v in (business_v, calendar_v)
                for part in (
                    _percentile(_P50, v),
                    _percentile(_P90, v),
                    func.avg(v),
                )
            ),
        ]
    figures = s.execute(base.with_only_columns(*columns)).one()
    width = len(columns) // len(TIMED_METRICS)
    rows = []
    for i, metric in enumerate(TIMED_METRICS):
        n, *rest = figures[i * width : (i + 1) * width]
        if n:
            rows.append(("all", metric, n, *rest))
    return rows


def _seconds(us: Any) -> float | None:
    return None if us is None else round(float(us) / 1_000_000, 3)


def coverage(
    svc: Services, tenant_id: int, w: Window, group_by: str | None, now: int
) -> list[dict[str, Any]]:
    """Counted, breached and warned instances from the daily rollups (as compliance);
    the escalated ones from the few instances an escalation level fired for."""
    counts = _counts(svc, tenant_id, [w], group_by, now)[0]
    q = _escalated(tenant_id, w, group_by, now, postgres=not svc.is_sqlite)
    with _reading(svc) as s:
        escalated = {(r.segment, r.metric): int(r.escalated) for r in s.execute(q)}
        if svc.is_sqlite:
            times = {
                flag: _resolution_times(s, tenant_id, w, group_by, escalated=flag)
                for flag in (True, False)
            }
        else:
            times = _resolution_times_split(s, tenant_id, w, group_by)
    out = []
    for key, (counted, breached_n, warned, warned_breached) in sorted(counts.items()):
        n_escalated = escalated.get(key, 0)
        esc = times[True].get(key[0]) if key[1] == _RESOLUTION else None
        calm = times[False].get(key[0]) if key[1] == _RESOLUTION else None
        out.append(
            {
                "segment": key[0],
                "metric": key[1],
                "counted": counted,
                "breached": breached_n,
                "at_risk_coverage": _rate(warned_breached, breached_n),
                "warned": warned,
                "save_rate": _rate(warned - warned_breached, warned),
                "escalated": n_escalated,
                "escalation_rate": _rate(n_escalated, counted),
                "escalated_resolution_mean_s": _seconds(esc[0]) if esc else None,
                "escalated_resolution_median_s": _seconds(esc[1]) if esc else None,
                "not_escalated_resolution_mean_s": _seconds(calm[0]) if calm else None,
                "not_escalated_resolution_median_s": _seconds(calm[1]) if calm else None,
            }
        )
    return out


_RESOLUTION = "resolution"


def _escalated(
    tenant_id: int, w: Window, group_by: str | None, now: int, *, postgres: bool
) -> Select[Any]:
    """Per (segment, metric), the counted instances an escalation level fired for: the
    few distinct (ticket, metric, cycle) of `escalations`, each looked up by the clocks'
    `(ticket_id, metric, cycle)` unique index. On PostgreSQL, unless the grouping joins
    `tickets`, the lookup is a LATERAL subquery kept apart by `OFFSET 0`: as a plain join
    the planner guesses one row for a three-column match and reads every clock instead
    (1.2 s against 0.3 s over a million tickets). Joined with `tickets`, the plain join
    is planned as a parallel merge join of the escalations with `tickets` first, which
    the lateral form would make serial (0.5 s against 0.8 s by queue)."""
    where, _ = _counted(tenant_id, w, now)
    fired = (
        select(EscalationRow.ticket_id, EscalationRow.metric, EscalationRow.cycle)
        .where(EscalationRow.tenant_id == tenant_id)
        .distinct()
        .subquery()
    )
    same = and_(
        ClockRow.ticket_id == fired.c.ticket_id,
        ClockRow.metric == fired.c.metric,
        ClockRow.cycle == fired.c.cycle,
    )
    if postgres and not _needs_tickets(group_by):
        found = (
            select(ClockRow.ticket_id, ClockRow.metric, ClockRow.policy)
            .where(same, where)
            .offset(0)
            .lateral()
        )
        clock: Any = aliased(ClockRow, found)
        q = select(fired).join(found, literal(True))
    else:
        clock = ClockRow
        q = select(fired).join(ClockRow, same).where(where)
    grp = _group(group_by, clock).label("segment")
    q = q.with_only_columns(grp, clock.metric, func.count().label("escalated")).group_by(
        grp, clock.metric
    )
    if _needs_tickets(group_by):
        q = q.join(TicketRow, TicketRow.id == clock.ticket_id)
    return q


def _timed(tenant_id: int, w: Window, group_by: str | None, grp: Any) -> Select[Any]:
    """The first-response and resolution instances that ended (met, breached_met) in the
    window, with their segment `grp` (of `group_by`); on the condition of
    `ix_clocks_timed`, so that the index serves them."""
    base = (
        select(grp)
        .select_from(ClockRow)
        .where(
            ClockRow.tenant_id == tenant_id,
            ClockRow.metric.in_(TIMED_METRICS),
            ClockRow.state.in_(ENDED_MET),
            _in(ClockRow.stopped_us, w),
        )
    )
    if _needs_tickets(group_by):
        base = base.join(TicketRow, TicketRow.id == ClockRow.ticket_id)
    return base


def _resolved(tenant_id: int, w: Window, group_by: str | None, grp: Any) -> Select[Any]:
    """The resolution instances of `_timed`."""
    return _timed(tenant_id, w, group_by, grp).where(ClockRow.metric == _RESOLUTION)


def _resolution_times(
    s: Session, tenant_id: int, w: Window, group_by: str | None, *, escalated: bool
) -> dict[str, tuple[Any, Any]]:
    """SQLite: per segment, the mean and nearest-rank median business time of the
    resolution instances that ended in the window, of the tickets for which an
    escalation level fired (`escalated`) or of the others."""
    fired = (
        select(EscalationRow.id)
        .where(
            EscalationRow.tenant_id == tenant_id,
            EscalationRow.ticket_id == ClockRow.ticket_id,
        )
        .correlate(ClockRow)
        .exists()
    )
    grp = _group(group_by).label("segment")
    base = _resolved(tenant_id, w, group_by, grp).add_columns(ClockRow.metric)
    base = base.where(fired if escalated else ~fired)
    q = _percentiles(base, ClockRow.elapsed_us, grp)
    return {r.segment: (r.mean, r.median) for r in s.execute(q)}


def _resolution_times_split(
    s: Session, tenant_id: int, w: Window, group_by: str | None
) -> dict[bool, dict[str, tuple[Any, Any]]]:
    """PostgreSQL: the same figures for both kinds of ticket in one pass, as aggregates
    FILTERed by whether an escalation level fired for the ticket (found by a join with
    the few escalated tickets): one read of the instances and of `tickets`, where a
    statement per kind took about a second each over a million tickets."""
    fired = (
        select(EscalationRow.ticket_id)
        .where(EscalationRow.tenant_id == tenant_id)
        .distinct()
        .subquery()
    )
    flag = fired.c.ticket_id.is_not(None)
    value = ClockRow.elapsed_us
    grp = _group(group_by).label("segment")
    q = (
        _resolved(tenant_id, w, group_by, grp)
        .outerjoin(fired, fired.c.ticket_id == ClockRow.ticket_id)
        .add_columns(
            *(
                part.filter(kind).label(f"{name}_{label}")
                for name, kind in (("esc", flag), ("calm", ~flag))
                for label, part in (
                    ("n", func.count()),
                    ("mean", func.avg(value)),
                    ("median", _percentile(_P50, value)),
                )
            )
        )
        .group_by(grp)
    )
    out: dict[bool, dict[str, tuple[Any, Any]]] = {True: {}, False: {}}
    for r in s.execute(q):
        if r.esc_n:
            out[True][r.segment] = (r.esc_mean, r.esc_median)
        if r.calm_n:
            out[False][r.segment] = (r.calm_mean, r.calm_median)
    return out


def trend(
    svc: Services, tenant_id: int, w: Window, group_by: str | None, now: int
) -> list[dict[str, Any]]:
    """Breach volume and rate in the last week and quarter of the window, against the
    week and quarter before (counted from the daily rollups)."""
    periods = [("week", _WEEK_US), ("quarter", _QUARTER_US)]
    windows = []
    for _, span in periods:
        windows.append(Window(w.end_us - span, w.end_us))
        windows.append(Window(w.end_us - 2 * span, w.end_us - span))
    counts = _counts(svc, tenant_id, windows, group_by, now)
    out = []
    for i, (label, _) in enumerate(periods):
        current = windows[2 * i]
        now_rows = {(r["segment"], r["metric"]): r for r in _compliance_rows(counts[2 * i])}
        before = {(r["segment"], r["metric"]): r for r in _compliance_rows(counts[2 * i + 1])}
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
    is only suggested are counted apart (`suggested_only`, by their suggestion). The
    breaches of instances cancelled since (a duplicate ticket) do not count."""
    grp = _group(group_by if group_by != "metric" else None).label("segment")
    if group_by == "metric":
        grp = BreachRow.metric.label("segment")
    reason = func.coalesce(BreachRow.reason, BreachRow.suggested).label("reason")
    confirmed = BreachRow.reason.is_not(None)
    gone = aliased(ClockRow)  # ClockRow itself may be joined below (by policy)
    cancelled = (
        select(gone.id)
        .where(
            gone.ticket_id == BreachRow.ticket_id,
            gone.metric == BreachRow.metric,
            gone.cycle == BreachRow.cycle,
            gone.state == ClockState.CANCELLED.value,
        )
        .correlate(BreachRow)
    )
    q = (
        select(
            grp,
            reason,
            func.sum(case((confirmed, 1), else_=0)).label("confirmed"),
            func.sum(case((confirmed, 0), else_=1)).label("suggested_only"),
        )
        .select_from(BreachRow)
        .where(
            BreachRow.tenant_id == tenant_id,
            _in(BreachRow.breached_us, w),
            ~cancelled.exists(),
        )
        .group_by(grp, reason)
    )
    if _needs_tickets(group_by):
        q = q.join(TicketRow, TicketRow.id == BreachRow.ticket_id)
    if group_by == "policy":  # the breached instance's policy (one clock at most)
        q = q.outerjoin(
            ClockRow,
            and_(
                ClockRow.ticket_id == BreachRow.ticket_id,
                ClockRow.metric == BreachRow.metric,
                ClockRow.cycle == BreachRow.cycle,
            ),
        )
    with _reading(svc) as s:
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
    breached_at = breach_at(now)
    week = ((breached_at - w.start_us) // _WEEK_US).label("week")
    weekly_q = (
        select(grp, week, func.count().label("breaches"))
        .select_from(ClockRow)
        .where(ClockRow.tenant_id == tenant_id, _in(breached_at, w))
        .group_by(grp, week)
    )
    if _needs_tickets(group_by or "queue"):
        weekly_q = weekly_q.join(TicketRow, TicketRow.id == ClockRow.ticket_id)
    weekly = weekly_q.subquery()
    with _reading(svc) as s:
        rows = sorted(s.execute(select(weekly)).all(), key=lambda r: (r.segment, r.week))
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
    (for longer than an hour after the reply), and tickets paused repeatedly right before
    due (three times or more in the window, each pause beginning after the cycle crossed
    a warning threshold and before it breached), with the time they kept the clock
    stopped. A pause lasts until the resume, the stop or the cancel that follows it, or
    until now."""
    log = ClockLogRow

    # Each pause's end: the first resume of the same clock cycle strictly after it, from
    # one ordered pass over the cycle's pauses, resumes and reopenings (a window function)
    # rather than a lookup per pause; failing that, the cycle's stop or cancel: its
    # `stopped_us` in `clocks`, looked up by key for the pauses no resume followed, rather
    # than ordering every stop of the tenant with the pauses. A cycle stopped while paused
    # and reopened since holds no stop instant in `clocks` (and may be resumed much later):
    # a pause followed by a reopening before any resume ended at the stop that the
    # reopening undid, looked up in the ticket's log (`ix_clock_log_ticket`) for those few.
    def following(action: str) -> Any:
        """The instant of the cycle's first `action` strictly after each row."""
        return func.min(case((log.action == action, log.at_us))).over(
            partition_by=(log.ticket_id, log.metric, log.cycle),
            order_by=log.at_us,
            range_=(1, None),
        )

    next_resume, next_reopen = following("resume"), following("reopen")
    steps = (
        select(
            log.ticket_id.label("ticket_id"),
            log.cycle.label("cycle"),
            log.action.label("action"),
            log.at_us.label("at_us"),
            next_resume.label("resumed"),
            next_reopen.label("reopened"),
        )
        .where(
            log.tenant_id == tenant_id,
            log.metric == "resolution",
            log.action.in_(("pause", "resume", "reopen")),
            log.at_us >= w.start_us,  # a resume before the window follows no pause in it
        )
        .subquery()
    )
    # Looked up only for a pause that no resume followed.
    stopped = (
        select(ClockRow.stopped_us)
        .where(
            ClockRow.ticket_id == steps.c.ticket_id,
            ClockRow.metric == "resolution",
            ClockRow.cycle == steps.c.cycle,
            ClockRow.stopped_us > steps.c.at_us,
        )
        .scalar_subquery()
    )
    # Looked up only for a pause that a reopening followed before any resume: the stop
    # (or cancel) between the pause and the reopening.
    undone = aliased(ClockLogRow)
    stop_undone = (
        select(func.min(undone.at_us))
        .where(
            undone.ticket_id == steps.c.ticket_id,
            undone.at_us > steps.c.at_us,
            undone.at_us <= steps.c.reopened,
            undone.metric == "resolution",
            undone.cycle == steps.c.cycle,
            undone.action.in_(("stop", "cancel")),
        )
        .scalar_subquery()
    )
    reopened_first = and_(
        steps.c.reopened.is_not(None),
        or_(steps.c.resumed.is_(None), steps.c.reopened < steps.c.resumed),
    )
    # Both findings come from the same pauses: computed once (a CTE the database
    # materialises) and answered by one statement, the findings told apart by `finding`.
    pauses = (
        select(
            steps.c.ticket_id,
            steps.c.cycle,
            steps.c.at_us.label("start"),
            case(
                (reopened_first, func.coalesce(stop_undone, steps.c.reopened)),
                (steps.c.resumed.is_not(None), steps.c.resumed),
                else_=func.coalesce(stopped, now),
            ).label("end"),
        )
        .where(steps.c.action == "pause", steps.c.at_us < w.end_us)
        .cte("pauses")
    )
    replied = (
        select(
            pauses.c.ticket_id,
            func.min(EventRow.occurred_us).label("reply"),
            pauses.c.end,
        )
        .join(EventRow, EventRow.ticket_id == pauses.c.ticket_id)
        .where(
            EventRow.kind == "customer_reply",
            EventRow.occurred_us > pauses.c.start,
            EventRow.occurred_us < pauses.c.end,
        )
        .group_by(pauses.c.ticket_id, pauses.c.start, pauses.c.end)
    ).subquery()
    abused = (
        select(
            literal(_REPLIED).label("finding"),
            TicketRow.external_id,
            replied.c.reply.label("since"),
            literal(1).label("pauses"),
            (replied.c.end - replied.c.reply).label("stopped"),
        )
        .join(TicketRow, TicketRow.id == replied.c.ticket_id)
        .where(replied.c.end - replied.c.reply > PAUSE_GRACE_US)
    )
    # Right before due: after the cycle's first warning, before its breach (from the
    # clock log's `warning` and `breach` rows, whenever they were logged). Only tickets
    # paused three times or more in the window can qualify: their log rows are read by
    # ticket rather than every warning of the tenant.
    busy = (
        select(pauses.c.ticket_id)
        .group_by(pauses.c.ticket_id)
        .having(func.count() >= REPEATED_PAUSES)
        .subquery()
    )
    marks = (
        select(
            log.ticket_id.label("ticket_id"),
            log.cycle.label("cycle"),
            func.min(case((log.action == "warning", log.at_us))).label("warned"),
            func.min(case((log.action == "breach", log.at_us))).label("breached"),
        )
        .where(
            log.tenant_id == tenant_id,
            log.metric == "resolution",
            log.action.in_(("warning", "breach")),
            log.ticket_id.in_(select(busy.c.ticket_id)),
        )
        .group_by(log.ticket_id, log.cycle)
        .subquery()
    )
    per_ticket = (
        select(
            pauses.c.ticket_id,
            func.count().label("pauses"),
            func.sum(pauses.c.end - pauses.c.start).label("stopped"),
        )
        .join(
            marks,
            and_(marks.c.ticket_id == pauses.c.ticket_id, marks.c.cycle == pauses.c.cycle),
        )
        .where(
            pauses.c.start >= marks.c.warned,
            or_(marks.c.breached.is_(None), pauses.c.start < marks.c.breached),
        )
        .group_by(pauses.c.ticket_id)
        .having(func.count() >= REPEATED_PAUSES)
        .subquery()
    )
    repeated = select(
        literal(_REPEATED).label("finding"),
        TicketRow.external_id,
        literal(None, BigInteger).label("since"),
        per_ticket.c.pauses,
        per_ticket.c.stopped,
    ).join(TicketRow, TicketRow.id == per_ticket.c.ticket_id)
    with _reading(svc) as s:
        found = s.execute(union_all(abused, repeated)).all()
    after_reply = sorted(
        (r for r in found if r.finding == _REPLIED), key=lambda r: (r.since, r.external_id)
    )
    repeats = sorted((r for r in found if r.finding == _REPEATED), key=lambda r: r.external_id)
    out = [
        {
            "ticket": r.external_id,
            "finding": "paused after the customer replied",
            "since": _iso(r.since),
            "pauses": 1,
            "kept_stopped_s": _seconds(r.stopped),
        }
        for r in after_reply
    ]
    out.extend(
        {
            "ticket": r.external_id,
            "finding": f"paused {r.pauses} times right before due",
            "since": None,
            "pauses": r.pauses,
            "kept_stopped_s": _seconds(r.stopped),
        }
        for r in repeats
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
    days, DST included. Counted from the daily rollups, all periods in one pass; only the
    partial UTC days at the periods' edges are read from the clocks (`app/rollups.py`)."""
    require(principal, Role.VIEWER)
    if len(edges) < 2 or any(a >= b for a, b in itertools.pairwise(edges)):
        raise TicketError("periods need two or more increasing edges", "from")
    windows = [Window(a, b) for a, b in itertools.pairwise(edges)]
    counts = _counts(svc, principal.tenant_id, windows, "metric", svc.clock())
    rows: list[dict[str, Any]] = []
    for start, period in zip(edges, counts, strict=False):
        for (_, metric), (counted, breached, *_) in sorted(period.items()):
            rows.append(
                {
                    "from": _iso(start),
                    "from_us": start,
                    "metric": metric,
                    "counted": counted,
                    "met": counted - breached,
                    "breached": breached,
                    "compliance_rate": _rate(counted - breached, counted),
                    "breach_rate": _rate(breached, counted),
                }
            )
    return rows


# Each report's columns, in the order of its rows' keys: the header of its table and CSV
# even when it has no rows (a script reading the CSV finds the same header either way).
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "compliance": (
        "segment",
        "metric",
        "counted",
        "met",
        "breached",
        "compliance_rate",
        "breach_rate",
        "alert",
        "recommended_action",
    ),
    "response-times": (
        "segment",
        "metric",
        "count",
        "business_median_s",
        "business_p90_s",
        "business_mean_s",
        "calendar_median_s",
        "calendar_p90_s",
        "calendar_mean_s",
    ),
    "coverage": (
        "segment",
        "metric",
        "counted",
        "breached",
        "at_risk_coverage",
        "warned",
        "save_rate",
        "escalated",
        "escalation_rate",
        "escalated_resolution_mean_s",
        "escalated_resolution_median_s",
        "not_escalated_resolution_mean_s",
        "not_escalated_resolution_median_s",
    ),
    "trend": (
        "period",
        "segment",
        "metric",
        "from",
        "breached",
        "breach_rate",
        "previous_breached",
        "previous_breach_rate",
        "change",
    ),
    "breach-reasons": (
        "segment",
        "reason",
        "confirmed",
        "suggested_only",
        "share",
        "cumulative_share",
        "top_cause_concentration",
    ),
    "pause-abuse": ("ticket", "finding", "since", "pauses", "kept_stopped_s"),
    "repeat-offenders": ("segment", "weeks_in_a_row", "from", "breaches"),
}


def columns(name: str) -> list[str]:
    """The columns of report `name`, in the order of its rows' keys (for tables and CSV)."""
    return list(COLUMNS[name])
