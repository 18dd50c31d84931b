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
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session

from slaguard.app.automation import ticket_state
from slaguard.db.tables import EscalationRow, TicketRow, TimerRow, TriggerRunRow
from slaguard.domain.engine import Evaluation
from slaguard.domain.escalation import plan_levels
from slaguard.domain.policy import SlaConfig
from slaguard.domain.tickets import Ticket

__all__ = ["IDLE", "LEVEL", "REPEAT", "WAKE_CHANNEL", "idle_cause", "level_key", "plan_timers"]

LEVEL, REPEAT, IDLE = "level", "repeat", "idle"
# PostgreSQL NOTIFY channel that wakes sleeping workers when a timer is planned soon.
WAKE_CHANNEL = "slaguard_timers"
_WAKE_WITHIN_US = 60_000_000


def level_key(ladder: str, level: int, metric: str, cycle: int) -> str:
    return json.dumps(["L", ladder, level, metric, cycle], separators=(",", ":"))


def idle_cause(event_key: str) -> str:
    return f"idle:{event_key}"


def plan_timers(
    s: Session, row: TicketRow, ev: Evaluation, ticket: Ticket, config: SlaConfig, now: int
) -> int | None:
    """Replace the ticket's level and idle timers; the earliest instant planned."""
    esc = config.escalation
    idle = [t for t in esc.triggers if t.idle_us is not None]
    if not esc.ladders and not idle:
        return None
    rows: list[dict[str, Any]] = []
    if esc.ladders:
        fired = {
            tuple(r)
            for r in s.execute(
                select(
                    EscalationRow.ladder,
                    EscalationRow.level,
                    EscalationRow.metric,
                    EscalationRow.cycle,
                ).where(EscalationRow.ticket_id == row.id)
            )
        }
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
        ran = set(
            s.scalars(
                select(TriggerRunRow.trigger).where(
                    TriggerRunRow.ticket_id == row.id, TriggerRunRow.cause == cause
                )
            )
        )
        for t in idle:
            if t.name not in ran:
                assert t.idle_us is not None
                key = json.dumps(["I", t.name, cause], separators=(",", ":"))
                rows.append({"kind": IDLE, "key": key, "fire_us": last.at + t.idle_us})
    s.execute(delete(TimerRow).where(TimerRow.ticket_id == row.id, TimerRow.kind != REPEAT))
    if not rows:
        return None
    s.execute(
        insert(TimerRow),
        [{"tenant_id": row.tenant_id, "ticket_id": row.id, **r} for r in rows],
    )
    earliest: int = min(r["fire_us"] for r in rows)
    if earliest <= now + _WAKE_WITHIN_US and s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_notify(:channel, '')"), {"channel": WAKE_CHANNEL})
    return earliest
