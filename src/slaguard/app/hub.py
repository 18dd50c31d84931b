"""The SLA hub's figures for one tenant, optionally one team and/or queue, over a window.

Pure data: codes and numbers, no text (the dashboard words them). Every figure is read
from the stored clocks, which the worker keeps current (`app/refresh.py`); a running
clock whose due instant has passed since its last write counts as breached all the same.
Definitions (also in docs/dashboard.md, "The SLA hub"):

- *open ticket*: a ticket with a clock still open (running, paused or breached), the
  same as the backlog samples (`app/backlog.OPEN_STATES`). A `done` status stops every
  clock, so a done ticket is never open; a ticket whose every clock has stopped has
  nothing left to promise and is not on the hub either.
- *hit rate*: of the clock instances that stopped or breached in the window, met /
  (met + breached): the compliance report's definition (`app/reports.py`), by its own
  helpers.
- *enforcement score*: of the clock instances counted for the hit rate that were warned
  or breached, the share that was enforced: met after a warning (the warning saved it),
  or breached with an escalation level fired for that cycle and acknowledged by its
  owner. None when no instance was warned or breached.
- *breached* (ticket): an open ticket with a breached clock (or a running clock past its
  due instant). *critical*: not breached, and a running clock due within
  `hub.critical_within` (1h). *warning*: neither, and a running clock that has crossed one
  of its warning thresholds (stored, or `next_us` passed since the last write). Each
  ticket counts once, at its worst.
- lanes and their severity: `slaguard.domain.hub`. Their sets:
  sla_breached = breached tickets (deadline: the breach instant);
  escalation_due = open tickets with an escalation level (or re-notification) planned
  within the critical horizon (deadline: the timer);
  first_response_due = open tickets whose first_response clock is open (deadline: due);
  callback_overdue = open tickets with a callback clock past due (its window also names
  callbacks due within the horizon);
  queue_pressure = every open ticket, against the normal level: the 90th percentile of the
  summed team backlog samples of the last 30 days (`app/backlog.py`; none with fewer than
  24 samples, or with a queue filter, since samples are per team);
  reopen_risk = open tickets whose resolution clock was reopened in the window;
  csat_followup = tickets (open or not) with a CSAT score at or below `hub.csat_low`
  received in the window and no public agent reply after it.
- queue signals: created (tickets created in the window), active / urgent_active /
  unassigned_active (open tickets in an active status; urgent: priority in
  `hub.urgent_priorities`; unassigned: no assignee), breached_active (= breached),
  escalation_due (= its lane), waiting_customer (open, in a paused status listed in
  `hub.waiting_customer`), waiting_internal (open, in another paused status),
  callbacks_queued (open callback clocks), callbacks_overdue (those past due),
  reopened, csat_low (= their lanes).

Speed: the open counts are two grouped aggregates (open tickets, open clocks) and one over
timers, plus small indexed lookups (reopenings, CSAT, samples); the window's counts come
from the daily rollups (`app/rollups.py`); the lists have a LIMIT and read `clocks` in
order through an index (breached by `ix_clocks_breached`, running by (tenant_id, state,
due_us)). The web page remembers the figures for the live-refresh interval.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
)
from sqlalchemy.orm import Session

from slaguard.app.backlog import MIN_SAMPLES, OPEN_STATES
from slaguard.app.backlog import WINDOW_US as SAMPLE_WINDOW_US
from slaguard.app.configs import latest_version, sla_config
from slaguard.app.reports import Window, _counted
from slaguard.app.rollups import window_counts
from slaguard.app.services import Services
from slaguard.app.tenants import Principal, Role, require
from slaguard.app.timers import LEVEL, REPEAT
from slaguard.db.rollups import NONE
from slaguard.db.tables import (
    BacklogSampleRow,
    ClockLogRow,
    ClockRow,
    EscalationRow,
    EventRow,
    TicketRow,
    TimerRow,
)
from slaguard.domain.errors import TicketError
from slaguard.domain.hub import LANES, HubSettings, LaneFigures, Severity, lane_severity
from slaguard.domain.policy import SlaConfig
from slaguard.domain.states import ClockState
from slaguard.domain.workflow import StatusCategory

__all__ = [
    "AtRiskRow",
    "HubFigures",
    "HubFilter",
    "hub_figures",
    "hub_settings",
    "lane_tickets",
]

AT_RISK_LIMIT = 50
LANE_LIMIT = 100

_RUNNING = ClockState.RUNNING.value
_BREACHED = ClockState.BREACHED.value
_PAUSED = ClockState.PAUSED.value


@dataclass(frozen=True, slots=True)
class HubFilter:
    start_us: int
    end_us: int  # exclusive; the hub's window ends now
    team: str | None = None
    queue: str | None = None

    def scope(self, tenant_id: int) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = [TicketRow.tenant_id == tenant_id]
        if self.team is not None:
            out.append(TicketRow.team == self.team)
        if self.queue is not None:
            out.append(TicketRow.queue == self.queue)
        return out

    @property
    def filtered(self) -> bool:
        return self.team is not None or self.queue is not None


@dataclass(frozen=True, slots=True)
class AtRiskRow:
    ticket: str
    priority: str | None
    tier: str | None
    assignee: str | None
    team: str | None
    policy: str
    metric: str
    state: str  # breached, critical, warning (lane lists: also running, paused)
    due_us: int | None  # the deadline (for breached ones: the breach instant)


@dataclass(frozen=True, slots=True)
class HubFigures:
    now_us: int
    hit_rate: float | None
    counted: int
    met: int
    breached_in_window: int
    enforcement_score: float | None
    enforced: int
    warned_or_breached: int
    breached: int  # open tickets, each at its worst
    critical: int
    warning: int
    lanes: list[LaneFigures]
    signals: dict[str, int]
    at_risk: list[AtRiskRow]
    settings: HubSettings
    teams: list[str] = field(default_factory=list)  # known teams, for the filter
    config: SlaConfig | None = field(repr=False, default=None)

    def lane(self, name: str) -> LaneFigures:
        return next(f for f in self.lanes if f.lane == name)

    def severity(self, name: str) -> Severity:
        return lane_severity(self.lane(name), self.settings)


# ---------------------------------------------------------------------------------------
# conditions
# ---------------------------------------------------------------------------------------


def _open_ticket() -> ColumnElement[bool]:
    return TicketRow.sla_state.in_(OPEN_STATES)


def _statuses(config: SlaConfig | None, category: StatusCategory) -> ColumnElement[bool]:
    """The ticket's status is of `category` in its type's workflow."""
    if config is None:
        return false()
    parts = [
        and_(TicketRow.type == w.type, TicketRow.status.in_(names))
        for w in config.workflows.values()
        if (names := sorted(s for s, c in w.statuses.items() if c is category))
    ]
    return or_(*parts) if parts else false()


def _past_due(now: int) -> ColumnElement[bool]:
    """The clock is breached now (stored, or running past its due instant)."""
    return or_(
        ClockRow.state == _BREACHED,
        and_(ClockRow.state == _RUNNING, ClockRow.due_us < now),
    )


def _breach_instant() -> ColumnElement[Any]:
    return func.coalesce(ClockRow.breached_us, ClockRow.due_us)


def _critical(now: int, within: int) -> ColumnElement[bool]:
    return and_(ClockRow.state == _RUNNING, ClockRow.due_us >= now, ClockRow.due_us <= now + within)


def _warned(now: int) -> ColumnElement[bool]:
    return and_(
        ClockRow.state == _RUNNING,
        ClockRow.due_us >= now,
        or_(func.json_array_length(ClockRow.warnings) > 0, ClockRow.next_us <= now),
    )


def _sum(cond: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


# ---------------------------------------------------------------------------------------
# the figures
# ---------------------------------------------------------------------------------------


def _config(svc: Services, tenant_id: int) -> SlaConfig | None:
    version = latest_version(svc, tenant_id=tenant_id)
    return None if version is None else sla_config(svc, tenant_id=tenant_id, version=version)


def hub_settings(svc: Services, *, principal: Principal) -> HubSettings:
    require(principal, Role.VIEWER)
    config = _config(svc, principal.tenant_id)
    return config.hub if config is not None else HubSettings()


def _teams(s: Session, tenant_id: int, now: int) -> list[str]:
    """The teams sampled in the last 30 days (a small table; tickets are not scanned)."""
    q = (
        select(BacklogSampleRow.team)
        .where(
            BacklogSampleRow.tenant_id == tenant_id,
            BacklogSampleRow.at_us >= now - SAMPLE_WINDOW_US,
        )
        .distinct()
        .order_by(BacklogSampleRow.team)
        .limit(200)
    )
    return list(s.scalars(q))


def hub_figures(svc: Services, *, principal: Principal, f: HubFilter) -> HubFigures:
    """Everything the hub shows for the principal's tenant (see the module docstring)."""
    require(principal, Role.VIEWER)
    if f.start_us >= f.end_us:
        raise TicketError("the window must end after it starts", "window")
    tenant_id = principal.tenant_id
    config = _config(svc, tenant_id)
    settings = config.hub if config is not None else HubSettings()
    now = svc.clock()
    with svc.reading() as s:
        tickets = _ticket_counts(s, tenant_id, f, config, settings, now)
        clocks = _clock_counts(s, tenant_id, f, settings, now)
        escalation = _escalation_due(s, tenant_id, f, settings, now)
        window = _window_counts(s, tenant_id, f, now)
        reopened = _reopened(s, tenant_id, f)
        csat = _csat_low(s, tenant_id, f, settings)
        normal = None if f.queue is not None else _normal_level(s, tenant_id, f.team, now)
        at_risk = _at_risk(s, tenant_id, f, settings, now)
        teams = _teams(s, tenant_id, now)
    lanes = [
        LaneFigures(
            "sla_breached",
            clocks["breached"],
            overdue=clocks["breached"],
            oldest_overdue_us=clocks["oldest_breach"],
        ),
        escalation,
        LaneFigures(
            "first_response_due",
            clocks["fr_waiting"],
            overdue=clocks["fr_past"],
            due_soon=clocks["fr_soon"],
            soonest_us=clocks["fr_soonest"],
            oldest_overdue_us=clocks["fr_oldest"],
        ),
        LaneFigures(
            "callback_overdue",
            clocks["cb_past_tickets"],
            overdue=clocks["cb_past_tickets"],
            due_soon=clocks["cb_soon"],
            soonest_us=clocks["cb_soonest"],
            oldest_overdue_us=clocks["cb_oldest"],
        ),
        LaneFigures("queue_pressure", tickets["open"], normal=normal),
        LaneFigures("reopen_risk", reopened),
        LaneFigures("csat_followup", csat),
    ]
    assert [x.lane for x in lanes] == list(LANES)
    signals = {
        "created": window["created"],
        "active": tickets["active"],
        "urgent_active": tickets["urgent_active"],
        "unassigned_active": tickets["unassigned_active"],
        "breached_active": clocks["breached"],
        "escalation_due": escalation.backlog,
        "waiting_internal": tickets["waiting_internal"],
        "waiting_customer": tickets["waiting_customer"],
        "callbacks_queued": clocks["cb_queued"],
        "callbacks_overdue": clocks["cb_past"],
        "reopened": reopened,
        "csat_low": csat,
    }
    counted, breached_w = window["counted"], window["breached"]
    met = counted - breached_w
    return HubFigures(
        now_us=now,
        hit_rate=None if not counted else round(met / counted, 4),
        counted=counted,
        met=met,
        breached_in_window=breached_w,
        enforcement_score=(
            None
            if not window["warned_or_breached"]
            else round(window["enforced"] / window["warned_or_breached"], 4)
        ),
        enforced=window["enforced"],
        warned_or_breached=window["warned_or_breached"],
        breached=clocks["breached"],
        critical=clocks["critical"],
        warning=clocks["warning"],
        lanes=lanes,
        signals=signals,
        at_risk=at_risk,
        settings=settings,
        teams=teams,
        config=config,
    )


def _ticket_counts(
    s: Session,
    tenant_id: int,
    f: HubFilter,
    config: SlaConfig | None,
    settings: HubSettings,
    now: int,
) -> dict[str, int]:
    """One aggregate over the open tickets in scope (the (tenant_id, sla_state) index)."""
    active = _statuses(config, StatusCategory.ACTIVE)
    paused = _statuses(config, StatusCategory.PAUSED)
    customer = TicketRow.status.in_(sorted(settings.waiting_customer))
    q = select(
        func.count().label("open"),
        _sum(active).label("active"),
        _sum(and_(active, TicketRow.priority.in_(sorted(settings.urgent_priorities)))).label(
            "urgent_active"
        ),
        _sum(and_(active, TicketRow.assignee.is_(None))).label("unassigned_active"),
        _sum(and_(paused, customer)).label("waiting_customer"),
        _sum(and_(paused, ~customer)).label("waiting_internal"),
    ).where(*f.scope(tenant_id), _open_ticket())
    row = s.execute(q).one()
    return {k: int(v or 0) for k, v in row._mapping.items()}


def _clock_counts(
    s: Session, tenant_id: int, f: HubFilter, settings: HubSettings, now: int
) -> dict[str, Any]:
    """One aggregate over the open clocks in scope, per ticket first (each ticket counts
    once, at its worst), then over the tickets."""
    within = settings.critical_within_us
    past = _past_due(now)
    is_fr = ClockRow.metric == "first_response"
    is_cb = ClockRow.metric == "callback"
    soon = _critical(now, within)
    severity = case((past, 3), (soon, 2), (_warned(now), 1), else_=0)
    per_ticket = (
        select(
            ClockRow.ticket_id.label("ticket_id"),
            func.max(severity).label("severity"),
            func.min(case((past, _breach_instant()), else_=null())).label("breach"),
            func.max(case((is_fr, 1), else_=0)).label("fr"),
            func.max(case((and_(is_fr, past), 1), else_=0)).label("fr_past"),
            func.max(case((and_(is_fr, soon), 1), else_=0)).label("fr_soon"),
            func.min(
                case((and_(is_fr, ClockRow.due_us >= now), ClockRow.due_us), else_=null())
            ).label("fr_soonest"),
            func.min(case((and_(is_fr, past), _breach_instant()), else_=null())).label("fr_oldest"),
            _sum(is_cb).label("cb"),
            _sum(and_(is_cb, past)).label("cb_past"),
            func.max(case((and_(is_cb, soon), 1), else_=0)).label("cb_soon"),
            func.min(
                case((and_(is_cb, ClockRow.due_us >= now), ClockRow.due_us), else_=null())
            ).label("cb_soonest"),
            func.min(case((and_(is_cb, past), _breach_instant()), else_=null())).label("cb_oldest"),
        )
        .where(
            ClockRow.tenant_id == tenant_id,
            ClockRow.state.in_((_RUNNING, _PAUSED, _BREACHED)),
        )
        .group_by(ClockRow.ticket_id)
    )
    if f.filtered:
        per_ticket = per_ticket.join(TicketRow, TicketRow.id == ClockRow.ticket_id).where(
            *f.scope(tenant_id)
        )
    t = per_ticket.subquery()
    q = select(
        _sum(t.c.severity == 3).label("breached"),
        _sum(t.c.severity == 2).label("critical"),
        _sum(t.c.severity == 1).label("warning"),
        func.min(t.c.breach).label("oldest_breach"),
        _sum(t.c.fr == 1).label("fr_waiting"),
        _sum(t.c.fr_past == 1).label("fr_past"),
        _sum(t.c.fr_soon == 1).label("fr_soon"),
        func.min(t.c.fr_soonest).label("fr_soonest"),
        func.min(t.c.fr_oldest).label("fr_oldest"),
        func.coalesce(func.sum(t.c.cb), 0).label("cb_queued"),
        func.coalesce(func.sum(t.c.cb_past), 0).label("cb_past"),
        _sum(t.c.cb_past > 0).label("cb_past_tickets"),
        _sum(t.c.cb_soon == 1).label("cb_soon"),
        func.min(t.c.cb_soonest).label("cb_soonest"),
        func.min(t.c.cb_oldest).label("cb_oldest"),
    )
    row = s.execute(q).one()
    instants = {"oldest_breach", "fr_soonest", "fr_oldest", "cb_soonest", "cb_oldest"}
    return {
        k: (None if v is None else int(v)) if k in instants else int(v or 0)
        for k, v in row._mapping.items()
    }


def _escalation_due(
    s: Session, tenant_id: int, f: HubFilter, settings: HubSettings, now: int
) -> LaneFigures:
    """Open tickets with a ladder level or re-notification planned within the horizon."""
    horizon = now + settings.critical_within_us
    per_ticket = (
        select(TimerRow.ticket_id, func.min(TimerRow.fire_us).label("first"))
        .join(TicketRow, TicketRow.id == TimerRow.ticket_id)
        .where(
            TimerRow.tenant_id == tenant_id,
            TimerRow.kind.in_((LEVEL, REPEAT)),
            TimerRow.fire_us <= horizon,
            *f.scope(tenant_id),
            _open_ticket(),
        )
        .group_by(TimerRow.ticket_id)
        .subquery()
    )
    c = per_ticket.c
    row = s.execute(
        select(
            func.count(),
            _sum(c.first < now),
            _sum(c.first >= now),
            func.min(case((c.first >= now, c.first), else_=null())),
            func.min(case((c.first < now, c.first), else_=null())),
        )
    ).one()
    return LaneFigures(
        "escalation_due",
        int(row[0] or 0),
        overdue=int(row[1] or 0),
        due_soon=int(row[2] or 0),
        soonest_us=row[3],
        oldest_overdue_us=row[4],
    )


def _window_counts(s: Session, tenant_id: int, f: HubFilter, now: int) -> dict[str, int]:
    """Hit rate and enforcement over the clock instances counted in the window (the
    compliance report's population), and the tickets created in it.

    Counted, breached and warned instances come from the daily rollups, as the
    compliance report reads them (`app/rollups.py`), in the grouping of the filter;
    with both a team and a queue (no rollup grouping holds both) from the clocks. Of
    the breached ones, those with an acknowledged escalation are read from the
    escalations (a small table) joined to their clocks."""
    counted, breached, warned, warned_breached = _window_instances(s, tenant_id, f, now)
    where, is_breached = _counted(tenant_id, Window(f.start_us, f.end_us), now)
    # The breached instances counted in the window breached in it (`breached_us`, or
    # running past a due instant in it) or ended in it after a breach (breached_met by
    # `stopped_us`): conditions the clocks' indexes serve; `where` then decides exactly.
    a, b = f.start_us, f.end_us
    indexed = or_(
        and_(ClockRow.breached_us >= a, ClockRow.breached_us < b),
        and_(
            ClockRow.stopped_us >= a,
            ClockRow.stopped_us < b,
            ClockRow.state == ClockState.BREACHED_MET.value,
        ),
        and_(ClockRow.state == _RUNNING, ClockRow.due_us >= a, ClockRow.due_us < min(b, now)),
    )
    acked = (
        select(EscalationRow.ticket_id, EscalationRow.metric, EscalationRow.cycle)
        .where(EscalationRow.tenant_id == tenant_id, EscalationRow.acked_us.is_not(None))
        .distinct()
        .subquery()
    )
    q: Select[Any] = (
        select(func.count())
        .select_from(acked)
        .join(
            ClockRow,
            and_(
                ClockRow.ticket_id == acked.c.ticket_id,
                ClockRow.metric == acked.c.metric,
                ClockRow.cycle == acked.c.cycle,
            ),
        )
        .where(ClockRow.tenant_id == tenant_id, indexed, where, is_breached)
    )
    if f.filtered:
        q = q.join(TicketRow, TicketRow.id == ClockRow.ticket_id).where(*f.scope(tenant_id))
    breached_acked = int(s.scalar(q) or 0)
    created = s.scalar(
        select(func.count()).where(
            *f.scope(tenant_id),
            TicketRow.created_us >= f.start_us,
            TicketRow.created_us < f.end_us,
        )
    )
    return {
        "counted": counted,
        "breached": breached,
        # warned or breached; enforced: met after a warning, or breached and acknowledged
        "warned_or_breached": warned + breached - warned_breached,
        "enforced": warned - warned_breached + breached_acked,
        "created": int(created or 0),
    }


def _window_instances(
    s: Session, tenant_id: int, f: HubFilter, now: int
) -> tuple[int, int, int, int]:
    """Counted, breached, warned, and warned and breached instances in the window."""
    if (f.team is not None and f.queue is not None) or NONE in (f.team, f.queue):
        # No rollup grouping holds both fields (and "(none)" is how rollups name a
        # missing one, which a filter does not match): count the clocks.
        return _window_instances_from_clocks(s, tenant_id, f, now)
    segment: Any
    if f.team is not None:
        dim, value, segment = "team", f.team, TicketRow.team
    elif f.queue is not None:
        dim, value, segment = "queue", f.queue, TicketRow.queue
    else:
        dim, value, segment = "all", "all", literal("all")
    (counts,) = window_counts(
        s,
        tenant_id=tenant_id,
        windows=[(f.start_us, f.end_us)],
        segment=func.coalesce(segment, NONE),
        dim=dim,
        join_tickets=f.filtered,
        now=now,
    )
    sums = [0, 0, 0, 0]
    for (got, _metric), values in counts.items():
        if got == value:
            sums = [a + b for a, b in zip(sums, values, strict=True)]
    return sums[0], sums[1], sums[2], sums[3]


def _window_instances_from_clocks(
    s: Session, tenant_id: int, f: HubFilter, now: int
) -> tuple[int, int, int, int]:
    w = Window(f.start_us, f.end_us)
    where, breached = _counted(tenant_id, w, now)
    # The same instances, by conditions each of the clocks' indexes can serve
    # (stopped_us, breached_us, (state, due_us)); `where` then decides exactly.
    indexed = or_(
        and_(ClockRow.stopped_us >= w.start_us, ClockRow.stopped_us < w.end_us),
        and_(ClockRow.breached_us >= w.start_us, ClockRow.breached_us < w.end_us),
        and_(
            ClockRow.state == _RUNNING,
            ClockRow.due_us >= w.start_us,
            ClockRow.due_us < min(w.end_us, now),
        ),
    )
    warned = func.json_array_length(ClockRow.warnings) > 0
    q: Select[Any] = (
        select(
            func.count(),
            _sum(breached),
            _sum(warned),
            _sum(and_(warned, breached)),
        )
        .join(TicketRow, TicketRow.id == ClockRow.ticket_id)
        .where(ClockRow.tenant_id == tenant_id, indexed, where, *f.scope(tenant_id))
    )
    row = s.execute(q).one()
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0), int(row[3] or 0)


# The partial indexes' conditions, as literals: a bound parameter would not match them.
_REOPEN: ColumnElement[str] = literal_column("'reopen'")
_CSAT: ColumnElement[str] = literal_column("'csat'")


def _reopened_ids(tenant_id: int, f: HubFilter) -> Select[Any]:
    return (
        select(ClockLogRow.ticket_id)
        .join(TicketRow, TicketRow.id == ClockLogRow.ticket_id)
        .where(
            ClockLogRow.tenant_id == tenant_id,
            ClockLogRow.action == _REOPEN,
            ClockLogRow.at_us >= f.start_us,
            ClockLogRow.at_us < f.end_us,
            *f.scope(tenant_id),
            _open_ticket(),
        )
        .distinct()
    )


def _reopened(s: Session, tenant_id: int, f: HubFilter) -> int:
    ids = _reopened_ids(tenant_id, f).subquery()
    return int(s.scalar(select(func.count()).select_from(ids)) or 0)


def _csat_ids(tenant_id: int, f: HubFilter, settings: HubSettings) -> Select[Any]:
    reply = EventRow.__table__.alias("reply")
    answered = exists().where(
        reply.c.ticket_id == EventRow.ticket_id,
        reply.c.kind == "agent_reply",
        reply.c.occurred_us > EventRow.occurred_us,
        func.coalesce(reply.c.data["public"].as_boolean(), True).is_(True),
    )
    return (
        select(EventRow.ticket_id)
        .join(TicketRow, TicketRow.id == EventRow.ticket_id)
        .where(
            EventRow.tenant_id == tenant_id,
            EventRow.kind == _CSAT,
            EventRow.occurred_us >= f.start_us,
            EventRow.occurred_us < f.end_us,
            EventRow.data["score"].as_float() <= settings.csat_low,
            ~answered,
            *f.scope(tenant_id),
        )
        .distinct()
    )


def _csat_low(s: Session, tenant_id: int, f: HubFilter, settings: HubSettings) -> int:
    ids = _csat_ids(tenant_id, f, settings).subquery()
    return int(s.scalar(select(func.count()).select_from(ids)) or 0)


def _normal_level(s: Session, tenant_id: int, team: str | None, now: int) -> int | None:
    """The 90th percentile (nearest rank) of the scope's sampled backlog, 30 days."""
    q = (
        select(func.sum(BacklogSampleRow.open_tickets))
        .where(
            BacklogSampleRow.tenant_id == tenant_id,
            BacklogSampleRow.at_us >= now - SAMPLE_WINDOW_US,
        )
        .group_by(BacklogSampleRow.at_us)
    )
    if team is not None:
        q = q.where(BacklogSampleRow.team == team)
    samples = sorted(int(v or 0) for v in s.scalars(q))
    if len(samples) < MIN_SAMPLES:
        return None
    return samples[-(-9 * len(samples) // 10) - 1]


# ---------------------------------------------------------------------------------------
# lists
# ---------------------------------------------------------------------------------------


def _rows(s: Session, q: Select[Any], state: Any) -> list[AtRiskRow]:
    return [
        AtRiskRow(
            ticket=r.external_id,
            priority=r.priority,
            tier=r.tier,
            assignee=r.assignee,
            team=r.team,
            policy=r.policy,
            metric=r.metric,
            state=state(r) if callable(state) else state,
            due_us=r.due,
        )
        for r in s.execute(q)
    ]


def _clock_list(tenant_id: int, f: HubFilter) -> Select[Any]:
    return (
        select(
            TicketRow.external_id,
            TicketRow.priority,
            TicketRow.tier.label("tier"),
            TicketRow.assignee,
            TicketRow.team,
            ClockRow.policy,
            ClockRow.metric,
            ClockRow.state,
            ClockRow.warnings,
            ClockRow.next_us,
            ClockRow.due_us,
        )
        .join(TicketRow, TicketRow.id == ClockRow.ticket_id)
        .where(ClockRow.tenant_id == tenant_id, *f.scope(tenant_id))
    )


# The partial index on breached clocks matches this literal, not a bound parameter.
_BREACHED_LITERAL: ColumnElement[str] = literal_column("'breached'")


def _breached_rows(
    s: Session, tenant_id: int, f: HubFilter, now: int, limit: int
) -> list[AtRiskRow]:
    """The clocks breached now, the oldest breach first, at most `limit`.

    Two ordered reads, each by its own index and with its own LIMIT: stored breaches by
    their breach instant (the partial `ix_clocks_breached` index), and running clocks
    past their due instant by due (`(tenant_id, state, due_us)`); merged here in the
    single query's order (breach instant, ticket, metric)."""
    due = _breach_instant().label("due")
    stored = (
        _clock_list(tenant_id, f)
        .add_columns(due)
        .where(ClockRow.state == _BREACHED_LITERAL)
        .order_by(due, TicketRow.external_id, ClockRow.metric)
        .limit(limit)
    )
    overdue = (
        _clock_list(tenant_id, f)
        .add_columns(ClockRow.due_us.label("due"))
        .where(ClockRow.state == _RUNNING, ClockRow.due_us < now)
        .order_by(ClockRow.due_us, TicketRow.external_id, ClockRow.metric)
        .limit(limit)
    )
    rows = _rows(s, stored, "breached") + _rows(s, overdue, "breached")
    rows.sort(key=lambda r: (r.due_us, r.ticket, r.metric))
    return rows[:limit]


def _at_risk(
    s: Session, tenant_id: int, f: HubFilter, settings: HubSettings, now: int
) -> list[AtRiskRow]:
    """Breached clocks first (the oldest breach first), then running clocks at risk by
    time left; at most AT_RISK_LIMIT rows."""
    within = settings.critical_within_us
    breached = _breached_rows(s, tenant_id, f, now, AT_RISK_LIMIT)
    left = AT_RISK_LIMIT - len(breached)
    if left <= 0:
        return breached
    risky = (
        _clock_list(tenant_id, f)
        .add_columns(ClockRow.due_us.label("due"))
        .where(
            ClockRow.state == _RUNNING,
            ClockRow.due_us >= now,
            or_(ClockRow.due_us <= now + within, _warned(now)),
        )
        .order_by(ClockRow.due_us, TicketRow.external_id, ClockRow.metric)
        .limit(left)
    )
    return breached + _rows(
        s, risky, lambda r: "critical" if r.due_us <= now + within else "warning"
    )


def lane_tickets(
    svc: Services, *, principal: Principal, f: HubFilter, lane: str
) -> list[AtRiskRow]:
    """The tickets behind a lane, by time left (at most LANE_LIMIT rows)."""
    require(principal, Role.VIEWER)
    if lane not in LANES:
        raise TicketError(f"unknown lane {lane!r} (one of {', '.join(LANES)})", "lane")
    tenant_id = principal.tenant_id
    config = _config(svc, tenant_id)
    settings = config.hub if config is not None else HubSettings()
    now = svc.clock()
    within = settings.critical_within_us

    def state(r: Any) -> str:
        if r.state == _BREACHED or (r.due_us is not None and r.due_us < now):
            return "breached"
        if r.state == _PAUSED or r.due_us is None:
            return _PAUSED
        if r.due_us <= now + within:
            return "critical"
        if r.warnings or (r.next_us is not None and r.next_us <= now):
            return "warning"
        return _RUNNING

    due = func.coalesce(ClockRow.due_us, ClockRow.breached_us)
    open_clock = ClockRow.state.in_((_RUNNING, _PAUSED, _BREACHED))
    base = _clock_list(tenant_id, f).add_columns(due.label("due"))
    order = (due.is_(None), due, TicketRow.external_id, ClockRow.metric)
    with svc.reading() as s:
        if lane == "sla_breached":
            return _breached_rows(s, tenant_id, f, now, LANE_LIMIT)
        if lane == "first_response_due":
            q = base.where(ClockRow.metric == "first_response", open_clock)
        elif lane == "callback_overdue":
            q = base.where(ClockRow.metric == "callback", _past_due(now))
        elif lane == "queue_pressure":
            q = base.where(open_clock)
        else:
            ids: Select[Any]
            if lane == "escalation_due":
                ids = select(TimerRow.ticket_id).where(
                    TimerRow.tenant_id == tenant_id,
                    TimerRow.kind.in_((LEVEL, REPEAT)),
                    TimerRow.fire_us <= now + within,
                )
            elif lane == "reopen_risk":
                ids = _reopened_ids(tenant_id, f)
            else:
                ids = _csat_ids(tenant_id, f, settings)
            # Each ticket once, with its soonest open clock (or its last clock when none
            # is open: CSAT follow-up includes done tickets).
            ranked = (
                select(
                    ClockRow.id,
                    func.row_number()
                    .over(
                        partition_by=ClockRow.ticket_id,
                        order_by=(~open_clock, due.is_(None), due, ClockRow.metric),
                    )
                    .label("rn"),
                )
                .where(ClockRow.tenant_id == tenant_id, ClockRow.ticket_id.in_(ids))
                .subquery()
            )
            q = base.where(ClockRow.id.in_(select(ranked.c.id).where(ranked.c.rn == 1)))
            if lane != "csat_followup":
                q = q.where(_open_ticket())
        q = q.order_by(*order).limit(LANE_LIMIT)
        return _rows(s, q, state)
