"""Firing what is due: ladder levels, re-notifications and idle triggers; acknowledging.

`fire_due` takes tickets that have a due timer, each under its row lock (`FOR UPDATE
SKIP LOCKED` on PostgreSQL, so several workers never take the same ticket), re-judges
the ticket as of now, and for each due timer decides afresh whether it still applies:
a level fires only while its clock cycle runs and has reached the level. A fired level
is a row in `escalations`, unique per ticket, ladder, level, metric and cycle, written
in the same transaction as its notifications (outbox) and the events of its actions:
whatever crashes, it fires exactly once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from slaguard.app import audit, tickets, timers
from slaguard.app.automation import (
    current_escalation,
    iso,
    notification,
    run_actions,
    run_trigger,
    tenant_name,
    ticket_state,
)
from slaguard.app.configs import sla_config
from slaguard.app.due import RETRY_BROKEN_US, process_due
from slaguard.app.services import Services
from slaguard.app.tenants import Principal, Role, require
from slaguard.app.tokens import sign, verify
from slaguard.db.tables import EscalationRow, EventRow, TicketRow, TimerRow
from slaguard.domain.engine import Clock, Evaluation, evaluate_us
from slaguard.domain.errors import NotFoundError
from slaguard.domain.escalation import EscalationConfig, Ladder, Level, level_instant
from slaguard.domain.policy import SlaConfig
from slaguard.domain.states import ClockState
from slaguard.schemas.ticket import parse_ticket

__all__ = ["ack_by_token", "ack_url", "acknowledge", "fire_due", "list_escalations", "next_due"]

log = structlog.get_logger("slaguard.escalations")

_ACK = "ack"
_ACK_VALID_US = 30 * 86_400_000_000
_LIVE = frozenset({ClockState.RUNNING, ClockState.BREACHED})


def ack_url(svc: Services, tenant_id: int, escalation_id: int, now: int) -> str:
    token = sign(svc.secret, _ACK, f"{tenant_id}.{escalation_id}", expires_us=now + _ACK_VALID_US)
    return f"{svc.public_url}/ack/{token}"


# ---------------------------------------------------------------------------------------
# firing
# ---------------------------------------------------------------------------------------


def next_due(svc: Services) -> int | None:
    """The earliest timer (None: none)."""
    with svc.reading() as s:
        return s.scalar(select(TimerRow.fire_us).order_by(TimerRow.fire_us).limit(1))


def fire_due(svc: Services, *, now: int, limit: int = 200) -> int:
    """Process the due timers of up to `limit` tickets; how many tickets were taken."""
    due = (
        select(TimerRow.ticket_id)
        .where(TimerRow.fire_us <= now)
        .order_by(TimerRow.fire_us)
        .limit(limit)
    )

    def postpone(s: Session, row: TicketRow) -> None:
        s.execute(
            update(TimerRow)
            .where(TimerRow.ticket_id == row.id, TimerRow.fire_us <= now)
            .values(fire_us=now + RETRY_BROKEN_US)
        )

    return process_due(
        svc,
        due,
        lambda s, row: _fire_ticket(s, svc, row, now),
        postpone,
        failure="timer_failed",
        checkpoint="fired",
    )


@dataclass
class _Pass:
    """One ticket being processed: what is known of it, and what the pass produced."""

    s: Session
    svc: Services
    row: TicketRow
    config: SlaConfig
    esc: EscalationConfig
    ev: Evaluation
    fields: dict[str, Any]
    tenant: str
    now: int
    events: list[dict[str, Any]]


def _fire_ticket(s: Session, svc: Services, row: TicketRow, now: int) -> None:
    due = list(
        s.scalars(
            select(TimerRow)
            .where(TimerRow.ticket_id == row.id, TimerRow.fire_us <= now)
            .order_by(TimerRow.fire_us, TimerRow.id)
        )
    )
    if not due:
        return
    config = sla_config(svc, tenant_id=row.tenant_id, version=row.config_version)
    history = list(
        s.scalars(select(EventRow.data).where(EventRow.ticket_id == row.id).order_by(EventRow.id))
    )
    ticket = parse_ticket({**row.document, "events": history}, config)
    ev = evaluate_us(ticket, config, now)
    fields, _ = ticket_state(ev, config)
    p = _Pass(
        s,
        svc,
        row,
        config,
        current_escalation(svc, row.tenant_id, config),
        ev,
        fields,
        tenant_name(s, row.tenant_id),
        now,
        [],
    )
    for timer in due:
        s.delete(timer)
        key = json.loads(timer.key)
        if timer.kind == timers.LEVEL:
            _level(p, key[1], int(key[2]), key[3], int(key[4]))
        elif timer.kind == timers.REPEAT:
            _repeat(p, int(key[1]), int(key[2]))
        elif timer.kind == timers.IDLE:
            _idle(p, key[1], key[2], last=ticket.events)
    s.flush()
    if p.events:
        tickets.append(s, svc, row, p.events, now=now)
    else:
        timers.plan_timers(s, row, ev, ticket, config, now)


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
    s = p.s
    already = s.scalar(
        select(EscalationRow.id).where(
            EscalationRow.ticket_id == p.row.id,
            EscalationRow.ladder == ladder.name,
            EscalationRow.level == level.index,
            EscalationRow.metric == metric,
            EscalationRow.cycle == cycle,
        )
    )
    if already is not None:
        return
    esc = EscalationRow(
        tenant_id=p.row.tenant_id,
        ticket_id=p.row.id,
        ladder=ladder.name,
        level=level.index,
        metric=metric,
        cycle=cycle,
        kind=level.when.notification_kind,
        when=level.when.label[:60],
        planned_us=at,
        fired_us=p.now,
        due_us=clock.due_at,
        repeats=0,
        note="",
    )
    s.add(esc)
    s.flush()
    payload = _payload(p, esc, clock)
    cause = f"esc:{p.row.id}:{ladder.name}:{level.index}:{metric}:{cycle}"
    done = run_actions(
        s,
        row=p.row,
        actions=level.actions,
        fields=p.fields,
        esc=p.esc,
        payload=payload,
        cause=cause,
        now=p.now,
        escalation_id=esc.id,
    )
    esc.note = "; ".join(done.notes)[:500]
    audit.record(
        s,
        p.row.tenant_id,
        "escalation.fired",
        p.row.external_id,
        {**escalation_view(esc, p.row.external_id), "deliveries": done.deliveries},
        now=p.now,
        actor="slaguard",
    )
    p.events.extend(done.events)
    p.fields = {**p.fields, **done.fields}
    if level.repeat_every_us:
        _schedule_repeat(p, esc.id, 1, p.now + level.repeat_every_us)
    log.info(
        "escalation_fired",
        ticket=p.row.external_id,
        ladder=ladder.name,
        step=level.name,
        metric=metric,
        cycle=cycle,
        deliveries=len(done.deliveries),
    )


def _payload(p: _Pass, esc: EscalationRow, clock: Clock) -> dict[str, Any]:
    return notification(
        kind=esc.kind,
        tenant=p.tenant,
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
        ack_url=ack_url(p.svc, p.row.tenant_id, esc.id, p.now),
    )


def _schedule_repeat(p: _Pass, escalation_id: int, n: int, at: int) -> None:
    key = json.dumps(["R", escalation_id, n], separators=(",", ":"))
    p.s.add(
        TimerRow(
            tenant_id=p.row.tenant_id,
            ticket_id=p.row.id,
            kind=timers.REPEAT,
            key=key,
            fire_us=at,
        )
    )


def _repeat(p: _Pass, escalation_id: int, n: int) -> None:
    esc = p.s.get(EscalationRow, escalation_id)
    if esc is None or esc.acked_us is not None:
        return
    clock = _clock(p.ev, esc.metric, esc.cycle)
    found = _find_level(p.config, esc.ladder, esc.level)
    if found is None or clock is None or clock.state not in _LIVE or clock.stopped_at:
        return  # the clock was met or cancelled: nobody needs reminding
    _, level = found
    esc.repeats = n
    payload = {**_payload(p, esc, clock), "repeat": n}
    run_actions(
        p.s,
        row=p.row,
        actions=level.actions,
        fields=p.fields,
        esc=p.esc,
        payload=payload,
        cause=f"esc:{p.row.id}:{esc.ladder}:{esc.level}:{esc.metric}:{esc.cycle}:r{n}",
        now=p.now,
        escalation_id=esc.id,
        notify_only=True,
    )
    if level.repeat_every_us:
        _schedule_repeat(p, esc.id, n + 1, p.now + level.repeat_every_us)


def _idle(p: _Pass, trigger_name: str, cause: str, *, last: Any) -> None:
    trigger = next((t for t in p.config.escalation.triggers if t.name == trigger_name), None)
    if trigger is None or not last:
        return
    newest = max(last, key=lambda e: e.at)
    if timers.idle_cause(newest.id or f"@{newest.at}") != cause:
        return  # something happened since: the ticket is not idle
    _, category = ticket_state(p.ev, p.config)
    if not trigger.fits(p.fields, category, p.fields.get("status")):
        return
    done = run_trigger(
        p.s,
        row=p.row,
        trigger=trigger,
        cause=cause,
        fields=p.fields,
        esc=p.esc,
        tenant=p.tenant,
        now=p.now,
    )
    if done is None:
        return
    p.events.extend(done.events)
    p.fields = {**p.fields, **done.fields}


# ---------------------------------------------------------------------------------------
# acknowledging and reading
# ---------------------------------------------------------------------------------------


def _ack(s: Session, esc: EscalationRow, who: str, now: int) -> bool:
    """Acknowledge an escalation and the rest of its ladder for that clock cycle: their
    re-notifications stop. False when it was already acknowledged."""
    if esc.acked_us is not None:
        return False
    siblings = list(
        s.scalars(
            select(EscalationRow).where(
                EscalationRow.ticket_id == esc.ticket_id,
                EscalationRow.ladder == esc.ladder,
                EscalationRow.metric == esc.metric,
                EscalationRow.cycle == esc.cycle,
                EscalationRow.acked_us.is_(None),
            )
        )
    )
    for e in siblings:
        e.acked_us, e.acked_by = now, who[:200]
        audit.record(
            s,
            e.tenant_id,
            "escalation.acknowledged",
            str(e.id),
            {
                "escalation": e.id,
                "ladder": e.ladder,
                "level": e.level,
                "metric": e.metric,
                "cycle": e.cycle,
            },
            now=now,
            actor=who[:200],
        )
    repeat_keys = [json.dumps(["R", e.id], separators=(",", ":"))[:-1] for e in siblings]
    for timer in s.scalars(
        select(TimerRow).where(TimerRow.ticket_id == esc.ticket_id, TimerRow.kind == timers.REPEAT)
    ):
        if any(timer.key.startswith(k + ",") for k in repeat_keys):
            s.delete(timer)
    return True


def acknowledge(
    svc: Services, *, principal: Principal, escalation_id: int, who: str | None = None
) -> dict[str, Any]:
    require(principal, Role.AGENT)
    with svc.writing() as s:
        esc = s.get(EscalationRow, escalation_id)
        if esc is None or esc.tenant_id != principal.tenant_id:
            raise NotFoundError(f"no escalation {escalation_id}", "escalation")
        _ack(s, esc, who or f"{principal.role.value} of {principal.tenant}", svc.clock())
        external = s.scalar(select(TicketRow.external_id).where(TicketRow.id == esc.ticket_id))
        return escalation_view(esc, external or "")


def ack_by_token(svc: Services, token: str) -> dict[str, Any]:
    """Acknowledge through a signed link from a notification."""
    now = svc.clock()
    tenant_id, _, escalation_id = verify(svc.secret, _ACK, token, now=now).partition(".")
    with svc.writing() as s:
        esc = s.get(EscalationRow, int(escalation_id))
        if esc is None or esc.tenant_id != int(tenant_id):
            raise NotFoundError("this escalation no longer exists", "token")
        _ack(s, esc, "acknowledgement link", now)
        external = s.scalar(select(TicketRow.external_id).where(TicketRow.id == esc.ticket_id))
        return escalation_view(esc, external or "")


def escalation_view(row: EscalationRow, ticket: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "ticket": ticket,
        "ladder": row.ladder,
        "level": f"L{row.level}",
        "when": row.when,
        "kind": row.kind,
        "metric": row.metric,
        "cycle": row.cycle,
        "fired_at": iso(row.fired_us),
        "due_at": iso(row.due_us),
        "repeats": row.repeats,
        "acknowledged_at": iso(row.acked_us),
        "acknowledged_by": row.acked_by,
        "note": row.note,
    }


def list_escalations(
    svc: Services, *, principal: Principal, ticket_id: str
) -> list[dict[str, Any]]:
    with svc.reading() as s:
        row = s.scalar(
            select(TicketRow).where(
                TicketRow.tenant_id == principal.tenant_id, TicketRow.external_id == ticket_id
            )
        )
        if row is None:
            raise NotFoundError(f"no ticket {ticket_id!r}", "ticket")
        rows = s.scalars(
            select(EscalationRow)
            .where(EscalationRow.ticket_id == row.id)
            .order_by(EscalationRow.fired_us, EscalationRow.id)
        )
        return [escalation_view(r, ticket_id) for r in rows]
