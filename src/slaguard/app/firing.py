"""Firing what is due: ladder levels, re-notifications and idle triggers.

Theory of operation. `fire_due` takes up to `limit` tickets that have a due timer, each
under its row lock (`app/due.py`: FOR UPDATE SKIP LOCKED on PostgreSQL, so several
workers never take the same ticket and each takes the next free ones), re-judges each
ticket as of now, and for each due timer decides afresh whether it still applies: a
level fires only while its clock cycle runs and has reached the level. A fired level is
a row in `escalations`, unique per ticket, ladder, level, metric and cycle, written in
the same transaction as its notifications (outbox), its audit record and the events of
its actions: whatever crashes, it fires exactly once.

The batch is read and written a few statements at a time, not ticket by ticket:
- read: the tickets' due timers, their events, the levels they already fired, the
  escalations their re-notifications belong to, the tenants' names and current
  configurations: one query each for the whole batch;
- decide, ticket by ticket, in memory: which levels fire and what they send. A fired
  level's id is drawn beforehand (PostgreSQL: from its sequence; SQLite, whose one
  writer holds the database lock: after the largest id), so its notifications and
  acknowledgement link can name it before anything is written;
- write: escalations, outbox rows (ON CONFLICT DO NOTHING on the delivery id), audit
  records, re-notification counts and the tickets' re-planned timers, one statement
  each for the batch.
A ticket whose decision fails is logged and put off (`RETRY_BROKEN_US`) without holding
up the rest. A ticket whose actions change it (reassign, raise priority: events to
append) or that has an idle trigger due is written on its own, in a savepoint, through
the same path as an API write. Should writing the batch fail, the batch is done again
ticket by ticket, each in a savepoint, so the one at fault is found and put off.
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.orm import Session

from slaguard.app import audit, outbox, tickets, timers
from slaguard.app.automation import notification, run_actions, run_trigger, ticket_state
from slaguard.app.configs import sla_config
from slaguard.app.due import RETRY_BROKEN_US, lock_due
from slaguard.app.escalations import ack_url, escalation_view
from slaguard.app.outbox import Claimed
from slaguard.app.services import Services
from slaguard.db.statements import insert_many
from slaguard.db.tables import (
    ConfigVersionRow,
    EscalationRow,
    EventRow,
    TenantRow,
    TicketRow,
    TimerRow,
    TriggerRunRow,
)
from slaguard.domain.engine import Clock, Evaluation, evaluate_us
from slaguard.domain.escalation import EscalationConfig, Ladder, Level, level_instant
from slaguard.domain.policy import SlaConfig
from slaguard.domain.states import ClockState
from slaguard.domain.tickets import Ticket
from slaguard.schemas.ticket import parse_ticket

__all__ = ["fire_due", "next_due"]

log = structlog.get_logger("slaguard.escalations")

_LIVE = frozenset({ClockState.RUNNING, ClockState.BREACHED})
_ESCALATIONS = EscalationRow.metadata.tables[EscalationRow.__tablename__]
_EVENTS = EventRow.metadata.tables[EventRow.__tablename__]
_TIMERS = TimerRow.metadata.tables[TimerRow.__tablename__]
_SET_REPEATS = (
    update(_ESCALATIONS)
    .where(_ESCALATIONS.c.id == bindparam("escalation"))
    .values(repeats=bindparam("n"))
)


def next_due(svc: Services) -> int | None:
    """The earliest timer (None: none)."""
    with svc.reading() as s:
        return s.scalar(select(TimerRow.fire_us).order_by(TimerRow.fire_us).limit(1))


def fire_due(
    svc: Services,
    *,
    now: int,
    limit: int = 200,
    fresh: list[Claimed] | None = None,
    lease_us: int = 0,
) -> int:
    """Process the due timers of up to `limit` tickets; how many tickets were taken.

    With `fresh`, the notifications written that are due now are written already leased
    to the caller for `lease_us` (`outbox.write_leased`) and, once committed, added to
    `fresh` for the caller to send without claiming them; without it, they are left to
    `outbox.claim`."""
    try:
        taken, claimed = _fire(svc, now, limit, fresh is not None, lease_us, one_by_one=False)
    except Exception:
        log.exception("timer_batch_failed", tickets=limit)
        taken, claimed = _fire(svc, now, limit, fresh is not None, lease_us, one_by_one=True)
    if fresh is not None:
        fresh.extend(claimed)  # committed: nothing of a transaction that failed
    return taken


def _fire(
    svc: Services, now: int, limit: int, hand_over: bool, lease_us: int, *, one_by_one: bool
) -> tuple[int, list[Claimed]]:
    fresh: list[Claimed] | None = [] if hand_over else None
    with svc.writing() as s:
        rows = lock_due(
            s,
            svc,
            ticket_id=TimerRow.ticket_id,
            due=TimerRow.fire_us <= now,
            soonest=TimerRow.fire_us,
            limit=limit,
        )
        if not rows:
            return 0, []
        batch = _Batch.load(s, svc, rows, now, lease_us, fresh)
        writes = _Writes()
        failed: list[int] = []
        for row in rows:
            alone = one_by_one or any(t.kind == timers.IDLE for t in batch.due[row.id])
            ok = _fire_alone(batch, row) if alone else _fire_in_batch(batch, row, writes)
            if not ok:
                failed.append(row.id)
        batch.write(writes, fresh)
        if failed:
            s.execute(
                update(TimerRow)
                .where(TimerRow.ticket_id.in_(failed), TimerRow.fire_us <= now)
                .values(fire_us=now + RETRY_BROKEN_US)
            )
        svc.checkpoint("fired")  # decided, not yet committed
    return len(rows), fresh or []


# ---------------------------------------------------------------------------------------
# what a batch reads and writes
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Due:
    id: int
    kind: str
    key: str


class _Ids:
    """Escalation ids drawn before the rows are written."""

    def __init__(self, s: Session, sqlite: bool) -> None:
        self._s, self._sqlite = s, sqlite
        self._free: list[int] = []
        self._next: int | None = None  # SQLite

    def take(self, hint: int) -> int:
        if self._sqlite:
            if self._next is None:
                self._next = (self._s.scalar(select(func.max(EscalationRow.id))) or 0) + 1
            self._next += 1
            return self._next - 1
        if not self._free:
            drawn = self._s.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence('escalations', 'id'))"
                    " FROM generate_series(1, :n)"
                ),
                {"n": max(hint, 1)},
            )
            self._free = sorted(drawn, reverse=True)
        return self._free.pop()


@dataclass(slots=True)
class _Escalation:
    """A fired level, to be written as a row of `escalations` (a plain object: an ORM
    one costs more to build than everything else a level needs)."""

    id: int
    tenant_id: int
    ticket_id: int
    ladder: str
    level: int
    metric: str
    cycle: int
    kind: str
    when: str
    planned_us: int
    fired_us: int
    due_us: int | None
    repeats: int = 0
    acked_us: int | None = None
    acked_by: str | None = None
    note: str = ""


_ESCALATION_FIELDS = tuple(f.name for f in dataclasses.fields(_Escalation))


@dataclass
class _Writes:
    """What firing produced, written together (`write`)."""

    escalations: list[_Escalation] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    audit: list[tuple[int, audit.Entry]] = field(default_factory=list)
    repeats: list[dict[str, int]] = field(default_factory=list)
    new_timers: list[dict[str, Any]] = field(default_factory=list)
    done_timers: list[int] = field(default_factory=list)
    plans: dict[int, tuple[int, list[dict[str, Any]]]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)  # of one ticket

    def merge(self, other: _Writes) -> None:
        self.escalations += other.escalations
        self.outbox += other.outbox
        self.audit += other.audit
        self.repeats += other.repeats
        self.new_timers += other.new_timers
        self.done_timers += other.done_timers
        self.plans.update(other.plans)

    def write(
        self,
        s: Session,
        now: int,
        leased: tuple[int, Callable[[int], EscalationConfig | None]] | None = None,
    ) -> list[Claimed]:
        """Write it all. With `leased` (the lease, the tenants' channels): the
        notifications due now are written leased to the caller and returned."""
        insert_many(
            s,
            _ESCALATIONS,
            [{k: getattr(e, k) for k in _ESCALATION_FIELDS} for e in self.escalations],
        )
        claimed: list[Claimed] = []
        if leased is None:
            outbox.write_rows(s, self.outbox)
        else:
            lease_us, escalation = leased
            claimed = outbox.write_leased(
                s, self.outbox, now=now, lease_us=lease_us, escalation=escalation
            )
        by_tenant: dict[int, list[audit.Entry]] = defaultdict(list)
        for tenant_id, entry in self.audit:
            by_tenant[tenant_id].append(entry)
        for tenant_id, entries in by_tenant.items():
            audit.record_many(s, tenant_id, entries, now=now)
        if self.repeats:
            s.execute(_SET_REPEATS, self.repeats)
        if self.done_timers:
            s.execute(delete(_TIMERS).where(_TIMERS.c.id.in_(self.done_timers)))
        timers.replace_timers(s, self.plans, now)
        insert_many(s, _TIMERS, self.new_timers)
        return claimed


@dataclass
class _Batch:
    """What is known of the tickets taken, read with a few queries for them all."""

    s: Session
    svc: Services
    now: int
    due: dict[int, list[_Due]]
    history: dict[int, list[dict[str, Any]]]
    fired: dict[int, timers.Fired]
    repeated: dict[int, EscalationRow]
    tenants: dict[int, str]
    latest: dict[int, int]
    ids: _Ids
    level_timers: int
    lease_us: int
    # With a list: notifications due now are written leased, and land here once written
    # (in the transaction, not yet committed).
    fresh: list[Claimed] | None
    _idle_runs: dict[tuple[int, str], set[str]] | None = None

    @classmethod
    def load(
        cls,
        s: Session,
        svc: Services,
        rows: list[TicketRow],
        now: int,
        lease_us: int,
        fresh: list[Claimed] | None,
    ) -> _Batch:
        ids = [r.id for r in rows]
        due: dict[int, list[_Due]] = {k: [] for k in ids}
        for t in s.execute(
            select(TimerRow.id, TimerRow.ticket_id, TimerRow.kind, TimerRow.key)
            .where(TimerRow.ticket_id.in_(ids), TimerRow.fire_us <= now)
            .order_by(TimerRow.fire_us, TimerRow.id)
        ):
            due[t.ticket_id].append(_Due(t.id, t.kind, t.key))
        history: dict[int, list[dict[str, Any]]] = {k: [] for k in ids}
        for ticket_id, data in s.execute(
            select(_EVENTS.c.ticket_id, _EVENTS.c.data)
            .where(_EVENTS.c.ticket_id.in_(ids))
            .order_by(_EVENTS.c.id)
        ):
            history[ticket_id].append(data)
        fired: dict[int, timers.Fired] = {k: set() for k in ids}
        for e in s.execute(
            select(
                EscalationRow.ticket_id,
                EscalationRow.ladder,
                EscalationRow.level,
                EscalationRow.metric,
                EscalationRow.cycle,
            ).where(EscalationRow.ticket_id.in_(ids))
        ):
            fired[e.ticket_id].add((e.ladder, e.level, e.metric, e.cycle))
        repeat_ids = [
            int(json.loads(t.key)[1]) for ts in due.values() for t in ts if t.kind == timers.REPEAT
        ]
        repeated: dict[int, EscalationRow] = {}
        if repeat_ids:
            found = s.scalars(select(EscalationRow).where(EscalationRow.id.in_(repeat_ids)))
            repeated = {e.id: e for e in found}
        tenant_ids = sorted({r.tenant_id for r in rows})
        names = dict(
            s.execute(select(TenantRow.id, TenantRow.name).where(TenantRow.id.in_(tenant_ids)))
            .tuples()
            .all()
        )
        latest = dict(
            s.execute(
                select(ConfigVersionRow.tenant_id, func.max(ConfigVersionRow.version))
                .where(ConfigVersionRow.tenant_id.in_(tenant_ids))
                .group_by(ConfigVersionRow.tenant_id)
            )
            .tuples()
            .all()
        )
        level_timers = sum(t.kind == timers.LEVEL for ts in due.values() for t in ts)
        return cls(
            s,
            svc,
            now,
            due,
            history,
            fired,
            repeated,
            names,
            latest,
            _Ids(s, svc.is_sqlite),
            level_timers,
            lease_us,
            fresh,
        )

    def write(self, w: _Writes, fresh: list[Claimed] | None) -> None:
        """Write `w` in the batch's transaction (or the savepoint open in it); with
        `fresh`, the notifications due now go there, leased (committed with the savepoint
        or transaction that is open: the caller adds them to `fresh` once it is)."""
        if fresh is None:
            w.write(self.s, self.now)
        else:
            fresh.extend(w.write(self.s, self.now, (self.lease_us, self._escalation_now)))

    def mine(self) -> list[Claimed] | None:
        """A list for what a savepoint leases (kept only if the savepoint is)."""
        return None if self.fresh is None else []

    def keep(self, mine: list[Claimed] | None) -> None:
        if self.fresh is not None and mine:
            self.fresh.extend(mine)

    def _escalation_now(self, tenant_id: int) -> EscalationConfig | None:
        version = self.latest.get(tenant_id)
        if version is None:
            return None
        return sla_config(self.svc, tenant_id=tenant_id, version=version).escalation

    def current_escalation(self, tenant_id: int, fallback: SlaConfig) -> EscalationConfig:
        """Channels and people as configured now (see `automation.current_escalation`)."""
        version = self.latest.get(tenant_id)
        if version is None:
            return fallback.escalation
        return sla_config(self.svc, tenant_id=tenant_id, version=version).escalation

    def idle_runs(self, ticket_id: int, cause: str) -> set[str]:
        """The idle triggers that ran for a ticket's idle period (read once per batch)."""
        if self._idle_runs is None:
            self._idle_runs = defaultdict(set)
            for r in self.s.execute(
                select(TriggerRunRow.ticket_id, TriggerRunRow.cause, TriggerRunRow.trigger).where(
                    TriggerRunRow.ticket_id.in_(list(self.due)),
                    TriggerRunRow.cause.like(timers.idle_cause("") + "%"),
                )
            ):
                self._idle_runs[(r.ticket_id, r.cause)].add(r.trigger)
        return self._idle_runs.get((ticket_id, cause), set())


# ---------------------------------------------------------------------------------------
# one ticket
# ---------------------------------------------------------------------------------------


@dataclass
class _Pass:
    """One ticket being processed: what is known of it, and what the pass produced."""

    batch: _Batch
    row: TicketRow
    config: SlaConfig
    esc: EscalationConfig
    ticket: Ticket
    ev: Evaluation
    fields: dict[str, Any]
    w: _Writes

    @property
    def now(self) -> int:
        return self.batch.now


def _fire_in_batch(batch: _Batch, row: TicketRow, writes: _Writes) -> bool:
    """Decide in memory and add the ticket's writes to the batch's; a ticket whose
    actions wrote events is written at once, in a savepoint. False: it failed."""
    try:
        p = _run(batch, row)
        if not p.w.events:
            plan = timers.planned(
                p.ev,
                p.ticket,
                p.config,
                fired=batch.fired[row.id],
                ran=lambda cause: batch.idle_runs(row.id, cause),
            )
            if plan is not None:
                p.w.plans[row.id] = (row.tenant_id, plan)
            writes.merge(p.w)
            return True
        mine = batch.mine()
        with batch.s.begin_nested():
            batch.write(p.w, mine)
            tickets.append(batch.s, batch.svc, row, p.w.events, now=batch.now)
        batch.keep(mine)
    except Exception:
        log.exception("timer_failed", ticket=row.external_id, tenant=row.tenant_id)
        return False
    return True


def _fire_alone(batch: _Batch, row: TicketRow) -> bool:
    """The ticket decided and written on its own, in a savepoint. False: it failed."""
    s = batch.s
    try:
        mine = batch.mine()
        with s.begin_nested():
            p = _run(batch, row)
            batch.write(p.w, mine)
            if p.w.events:
                tickets.append(s, batch.svc, row, p.w.events, now=batch.now)
            else:
                timers.plan_timers(s, row, p.ev, p.ticket, p.config, batch.now)
        batch.keep(mine)
    except Exception:
        log.exception("timer_failed", ticket=row.external_id, tenant=row.tenant_id)
        return False
    return True


def _run(batch: _Batch, row: TicketRow) -> _Pass:
    """Judge the ticket as of now and go through its due timers."""
    config = sla_config(batch.svc, tenant_id=row.tenant_id, version=row.config_version)
    ticket = parse_ticket({**row.document, "events": batch.history[row.id]}, config)
    ev = evaluate_us(ticket, config, batch.now)
    fields, _ = ticket_state(ev, config)
    esc = batch.current_escalation(row.tenant_id, config)
    p = _Pass(batch, row, config, esc, ticket, ev, fields, _Writes())
    for timer in batch.due[row.id]:
        p.w.done_timers.append(timer.id)
        key = json.loads(timer.key)
        if timer.kind == timers.LEVEL:
            _level(p, key[1], int(key[2]), key[3], int(key[4]))
        elif timer.kind == timers.REPEAT:
            _repeat(p, int(key[1]), int(key[2]))
        elif timer.kind == timers.IDLE:
            _idle(p, key[1], key[2])
    return p


def _find_level(config: SlaConfig, ladder_name: str, index: int) -> tuple[Ladder, Level] | None:
    for ladder in config.escalation.ladders:
        if ladder.name == ladder_name and 1 <= index <= len(ladder.levels):
            return ladder, ladder.levels[index - 1]
    return None


def _clock(ev: Evaluation, metric: str, cycle: int) -> Clock | None:
    return next((c for c in ev.clocks if c.metric == metric and c.cycle == cycle), None)


def _running(clock: Clock | None) -> bool:
    return (
        clock is not None
        and clock.state in _LIVE
        and bool(clock.spans)
        and clock.spans[-1][1] is None
    )


def _level(p: _Pass, ladder_name: str, index: int, metric: str, cycle: int) -> None:
    found = _find_level(p.config, ladder_name, index)
    clock = _clock(p.ev, metric, cycle)
    if found is None or clock is None or not _running(clock):
        return  # the clock stopped or paused: re-planned when it runs again
    ladder, level = found
    if not ladder.applies(clock.policy, p.fields) or not level.applies_to_metric(metric):
        return
    at = level_instant(clock, level.when)
    if at is None:
        return
    if level.when.strict:
        at += 1
    if at > p.now:
        return  # moved later since it was planned; the re-planned timer will come
    fired = p.batch.fired[p.row.id]
    if (ladder.name, level.index, metric, cycle) in fired:
        return
    fired.add((ladder.name, level.index, metric, cycle))
    row = p.row
    esc = _Escalation(
        id=p.batch.ids.take(p.batch.level_timers),
        tenant_id=row.tenant_id,
        ticket_id=row.id,
        ladder=ladder.name,
        level=level.index,
        metric=metric,
        cycle=cycle,
        kind=level.when.notification_kind,
        when=level.when.label[:60],
        planned_us=at,
        fired_us=p.now,
        due_us=clock.due_at,
    )
    done = run_actions(
        p.batch.s,
        row=row,
        actions=level.actions,
        fields=p.fields,
        esc=p.esc,
        payload=_payload(p, esc, clock),
        cause=f"esc:{row.id}:{ladder.name}:{level.index}:{metric}:{cycle}",
        now=p.now,
        escalation_id=esc.id,
        sink=p.w.outbox,
    )
    esc.note = "; ".join(done.notes)[:500]
    p.w.escalations.append(esc)
    view = {**escalation_view(esc, row.external_id), "deliveries": done.deliveries}
    p.w.audit.append(
        (row.tenant_id, audit.Entry("escalation.fired", row.external_id, view, "slaguard"))
    )
    p.w.events.extend(done.events)
    p.fields = {**p.fields, **done.fields}
    if level.repeat_every_us:
        _schedule_repeat(p, esc.id, 1, p.now + level.repeat_every_us)
    log.info(
        "escalation_fired",
        ticket=row.external_id,
        ladder=ladder.name,
        step=level.name,
        metric=metric,
        cycle=cycle,
        deliveries=len(done.deliveries),
    )


def _payload(p: _Pass, esc: EscalationRow | _Escalation, clock: Clock) -> dict[str, Any]:
    return notification(
        kind=esc.kind,
        tenant=p.batch.tenants.get(p.row.tenant_id, ""),
        row=p.row,
        fields=p.fields,
        now=p.now,
        metric=esc.metric,
        cycle=esc.cycle,
        level=f"L{esc.level}",
        ladder=esc.ladder,
        due_at=clock.due_at,
        policy=clock.policy,
        escalation=esc.id,
        ack_url=ack_url(p.batch.svc, p.row.tenant_id, esc.id, p.now),
    )


def _schedule_repeat(p: _Pass, escalation_id: int, n: int, at: int) -> None:
    key = json.dumps(["R", escalation_id, n], separators=(",", ":"))
    p.w.new_timers.append(
        {
            "tenant_id": p.row.tenant_id,
            "ticket_id": p.row.id,
            "kind": timers.REPEAT,
            "key": key,
            "fire_us": at,
        }
    )


def _repeat(p: _Pass, escalation_id: int, n: int) -> None:
    esc = p.batch.repeated.get(escalation_id)
    if esc is None or esc.acked_us is not None:
        return
    clock = _clock(p.ev, esc.metric, esc.cycle)
    found = _find_level(p.config, esc.ladder, esc.level)
    if found is None or clock is None or clock.state not in _LIVE or clock.stopped_at:
        return  # the clock was met or cancelled: nobody needs reminding
    _, level = found
    p.w.repeats.append({"escalation": esc.id, "n": n})
    payload = {**_payload(p, esc, clock), "repeat": n}
    run_actions(
        p.batch.s,
        row=p.row,
        actions=level.actions,
        fields=p.fields,
        esc=p.esc,
        payload=payload,
        cause=f"esc:{p.row.id}:{esc.ladder}:{esc.level}:{esc.metric}:{esc.cycle}:r{n}",
        now=p.now,
        escalation_id=esc.id,
        notify_only=True,
        sink=p.w.outbox,
    )
    if level.repeat_every_us:
        _schedule_repeat(p, esc.id, n + 1, p.now + level.repeat_every_us)


def _idle(p: _Pass, trigger_name: str, cause: str) -> None:
    """An idle trigger (run only for a ticket processed alone: it writes at once)."""
    last: Iterable[Any] = p.ticket.events
    trigger = next((t for t in p.config.escalation.triggers if t.name == trigger_name), None)
    if trigger is None or not p.ticket.events:
        return
    newest = max(last, key=lambda e: e.at)
    if timers.idle_cause(newest.id or f"@{newest.at}") != cause:
        return  # something happened since: the ticket is not idle
    _, category = ticket_state(p.ev, p.config)
    if not trigger.fits(p.fields, category, p.fields.get("status")):
        return
    done = run_trigger(
        p.batch.s,
        row=p.row,
        trigger=trigger,
        cause=cause,
        fields=p.fields,
        esc=p.esc,
        tenant=p.batch.tenants.get(p.row.tenant_id, ""),
        now=p.now,
    )
    if done is None:
        return
    p.w.events.extend(done.events)
    p.fields = {**p.fields, **done.fields}
