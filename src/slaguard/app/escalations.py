"""Fired escalations: acknowledging them (which stops their re-notifications) and
reading them. Firing is `app/firing.py`."""

from __future__ import annotations

import json
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from slaguard.app import audit, timers
from slaguard.app.automation import iso
from slaguard.app.services import Services
from slaguard.app.tenants import Principal, Role, require
from slaguard.app.tokens import sign, verify
from slaguard.db.tables import EscalationRow, TicketRow, TimerRow
from slaguard.domain.errors import NotFoundError

__all__ = [
    "Fired",
    "ack_by_token",
    "ack_url",
    "acknowledge",
    "escalation_view",
    "list_escalations",
]

_ACK = "ack"
_ACK_VALID_US = 30 * 86_400_000_000


def ack_url(svc: Services, tenant_id: int, escalation_id: int, now: int) -> str:
    token = sign(svc.secret, _ACK, f"{tenant_id}.{escalation_id}", expires_us=now + _ACK_VALID_US)
    return f"{svc.public_url}/ack/{token}"


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
        _ack(s, esc, who or principal.actor, svc.clock())
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


class Fired(Protocol):
    """What `escalation_view` reads: a stored escalation, or one about to be stored."""

    id: int
    ladder: str
    level: int
    when: str
    kind: str
    metric: str
    cycle: int
    fired_us: int
    due_us: int | None
    repeats: int
    acked_us: int | None
    acked_by: str | None
    note: str


def escalation_view(row: Fired, ticket: str) -> dict[str, Any]:
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
