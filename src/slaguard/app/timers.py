"""Timers: what the worker must do, and when, stored beside the ticket.

Planned whenever a ticket's clocks are recomputed (in the same transaction): one timer
per ladder level not yet fired for each live clock cycle, and one per idle trigger from
the ticket's last event. Re-planning replaces the ticket's level and idle timers, so a
pause, a reply or a priority change moves them at once. The worker reads timers by
`fire_us` only; it never scans tickets. Every writer of a ticket's timers holds that
ticket's row lock (the append path and the worker both take it first).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from slaguard.app.automation import ticket_state
from slaguard.db.statements import insert_many
from slaguard.db.tables import EscalationRow, TicketRow, TimerRow, TriggerRunRow
from slaguard.domain.engine import Evaluation
from slaguard.domain.escalation import plan_levels
from slaguard.domain.policy import SlaConfig
from slaguard.domain.tickets import Ticket

__all__ = [
    "IDLE",
    "LEVEL",
    "REPEAT",
    "WAKE_CHANNEL",
    "Fired",
    "idle_cause",
    "level_key",
    "plan_timers",
    "planned",
    "replace_timers",
]

LEVEL, REPEAT, IDLE = "level", "repeat", "idle"
# PostgreSQL NOTIFY channel that wakes sleeping workers when a timer is planned soon.
WAKE_CHANNEL = "slaguard_timers"
_TIMERS = TimerRow.metadata.tables[TimerRow.__tablename__]
_WAKE_WITHIN_US = 60_000_000


def level_key(ladder: str, level: int, metric: str, cycle: int) -> str:
    return json.dumps(["L", ladder, level, metric, cycle], separators=(",", ":"))


def idle_cause(event_key: str) -> str:
    return f"idle:{event_key}"


Fired = set[tuple[str, int, str, int]]  # (ladder, level, metric, cycle) of a ticket


def planned(
    ev: Evaluation,
    ticket: Ticket,
    config: SlaConfig,
    *,
    fired: Fired,
    ran: Callable[[str], Collection[str]],
) -> list[dict[str, Any]] | None:
    """The level and idle timers a ticket should have (kind, key, fire_us): one per
    ladder level not in `fired` for each live clock cycle, one per idle trigger that
    holds now and has not run for the idle period (`ran(cause)`: the triggers that ran
    for that cause). None when the configuration has neither ladders nor idle triggers
    (the ticket's timers are left alone)."""
    esc = config.escalation
    idle = [t for t in esc.triggers if t.idle_us is not None]
    if not esc.ladders and not idle:
        return None
    rows: list[dict[str, Any]] = []
    if esc.ladders:
        for p in plan_levels(ev, esc.ladders):
            if (p.ladder, p.level, p.metric, p.cycle) not in fired:
                key = level_key(p.ladder, p.level, p.metric, p.cycle)
                rows.append({"kind": LEVEL, "key": key, "fire_us": p.at})
    if idle:
        # Only triggers whose conditions hold now: what they test changes only with an
        # event, and every event re-plans.
        state, category = ticket_state(ev, config)
        idle = [t for t in idle if t.fits(state, category, state.get("status"))]
    if idle and ticket.events:
        last = max(ticket.events, key=lambda e: e.at)
        cause = idle_cause(last.id or f"@{last.at}")
        done = ran(cause)
        for t in idle:
            if t.name not in done:
                assert t.idle_us is not None
                key = json.dumps(["I", t.name, cause], separators=(",", ":"))
                rows.append({"kind": IDLE, "key": key, "fire_us": last.at + t.idle_us})
    return rows


def plan_timers(
    s: Session, row: TicketRow, ev: Evaluation, ticket: Ticket, config: SlaConfig, now: int
) -> int | None:
    """Replace the ticket's level and idle timers; the earliest instant planned."""
    if not config.escalation.ladders:
        fired: Fired = set()
    else:
        fired = {
            (ladder, level, metric, cycle)
            for ladder, level, metric, cycle in s.execute(
                select(
                    EscalationRow.ladder,
                    EscalationRow.level,
                    EscalationRow.metric,
                    EscalationRow.cycle,
                ).where(EscalationRow.ticket_id == row.id)
            )
        }

    def ran(cause: str) -> set[str]:
        return set(
            s.scalars(
                select(TriggerRunRow.trigger).where(
                    TriggerRunRow.ticket_id == row.id, TriggerRunRow.cause == cause
                )
            )
        )

    rows = planned(ev, ticket, config, fired=fired, ran=ran)
    if rows is None:
        return None
    return replace_timers(s, {row.id: (row.tenant_id, rows)}, now)


def replace_timers(
    s: Session, plans: Mapping[int, tuple[int, list[dict[str, Any]]]], now: int
) -> int | None:
    """Replace the level and idle timers of tickets (id -> (tenant id, `planned` rows))
    with one DELETE and one INSERT; the earliest instant planned. A worker asleep is
    woken (NOTIFY on PostgreSQL) when that is soon."""
    if not plans:
        return None
    s.execute(delete(TimerRow).where(TimerRow.ticket_id.in_(list(plans)), TimerRow.kind != REPEAT))
    rows = [
        {"tenant_id": tenant_id, "ticket_id": ticket_id, **r}
        for ticket_id, (tenant_id, planned_rows) in plans.items()
        for r in planned_rows
    ]
    if not rows:
        return None
    insert_many(s, _TIMERS, rows)
    earliest: int = min(r["fire_us"] for r in rows)
    if earliest <= now + _WAKE_WITHIN_US and s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_notify(:channel, '')"), {"channel": WAKE_CHANNEL})
    return earliest
