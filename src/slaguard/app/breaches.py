"""Breaches and their reasons: noted when a clock breaches, confirmed by a person.

`note_breaches` runs with every recompute of a ticket (in its transaction): each newly
breached clock instance gets a row with the suggested reason and its evidence
(`domain/reasons.py`). A lead confirms or changes the reason (`confirm`); reports use
confirmed reasons and say how many are still only suggested.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from slaguard.app import audit, backlog
from slaguard.app.configs import sla_config
from slaguard.app.services import Services
from slaguard.app.tenants import Principal, Role, require
from slaguard.db.tables import BreachRow, TicketRow
from slaguard.domain.calendar import from_us
from slaguard.domain.engine import Clock, Evaluation
from slaguard.domain.errors import NotFoundError, TicketError
from slaguard.domain.policy import SlaConfig
from slaguard.domain.reasons import suggest
from slaguard.domain.tickets import Ticket

__all__ = ["confirm", "list_breaches", "note_breaches", "suggested"]


def note_breaches(
    s: Session, row: TicketRow, ticket: Ticket, ev: Evaluation, config: SlaConfig, now: int
) -> None:
    breached = [c for c in ev.clocks if c.breached_at is not None]
    if not breached:
        return
    known = {
        (m, c)
        for m, c in s.execute(
            select(BreachRow.metric, BreachRow.cycle).where(BreachRow.ticket_id == row.id)
        )
    }
    fresh = [c for c in breached if (c.metric, c.cycle) not in known]
    team = ev.fields.get("team")
    load = backlog.level(s, row.tenant_id, team, now) if fresh and isinstance(team, str) else None
    for values in suggested(ticket, fresh, load, config):
        s.add(BreachRow(tenant_id=row.tenant_id, ticket_id=row.id, **values))


def suggested(
    ticket: Ticket, clocks: Iterable[Clock], load: tuple[int, int] | None, config: SlaConfig
) -> list[dict[str, Any]]:
    """The breaches rows, but for tenant and ticket, of these breached clocks: the
    suggested reason and its evidence (`load`: the team's backlog, `backlog.level`)."""
    rows = []
    for clock in clocks:
        assert clock.breached_at is not None
        suggestion = suggest(ticket, clock, backlog=load, taxonomy=config.breach_reasons)
        rows.append(
            {
                "metric": clock.metric,
                "cycle": clock.cycle,
                "breached_us": clock.breached_at,
                "suggested": suggestion.reason,
                "evidence": list(suggestion.evidence),
                "note": "",
            }
        )
    return rows


def _view(b: BreachRow, ticket: str) -> dict[str, Any]:
    return {
        "ticket": ticket,
        "metric": b.metric,
        "cycle": b.cycle,
        "breached_at": from_us(b.breached_us).isoformat(),
        "suggested_reason": b.suggested,
        "evidence": b.evidence,
        "reason": b.reason,
        "confirmed_by": b.confirmed_by,
        "confirmed_at": None if b.confirmed_us is None else from_us(b.confirmed_us).isoformat(),
        "note": b.note,
    }


def _ticket(s: Session, tenant_id: int, ticket_id: str) -> TicketRow:
    row = s.scalar(
        select(TicketRow).where(
            TicketRow.tenant_id == tenant_id, TicketRow.external_id == ticket_id
        )
    )
    if row is None:
        raise NotFoundError(f"no ticket {ticket_id!r}", "ticket")
    return row


def list_breaches(svc: Services, *, principal: Principal, ticket_id: str) -> list[dict[str, Any]]:
    with svc.reading() as s:
        row = _ticket(s, principal.tenant_id, ticket_id)
        rows = s.scalars(
            select(BreachRow)
            .where(BreachRow.ticket_id == row.id)
            .order_by(BreachRow.breached_us, BreachRow.id)
        )
        return [_view(b, ticket_id) for b in rows]


def confirm(
    svc: Services,
    *,
    principal: Principal,
    ticket_id: str,
    metric: str,
    cycle: int,
    reason: Any,
    note: Any = "",
) -> dict[str, Any]:
    """Confirm the suggested reason or set another one of the tenant's taxonomy."""
    require(principal, Role.AGENT)
    if not isinstance(note, str) or len(note) > 1000:
        raise TicketError("a note is text of at most 1000 characters", "note")
    with svc.writing() as s:
        row = _ticket(s, principal.tenant_id, ticket_id)
        b = s.scalar(
            select(BreachRow).where(
                BreachRow.ticket_id == row.id, BreachRow.metric == metric, BreachRow.cycle == cycle
            )
        )
        if b is None:
            raise NotFoundError(f"ticket {ticket_id!r} has no breach of {metric} cycle {cycle}")
        taxonomy = sla_config(svc, tenant_id=row.tenant_id, version=row.config_version)
        if not isinstance(reason, str) or reason not in taxonomy.breach_reasons:
            known = ", ".join(taxonomy.breach_reasons)
            raise TicketError(f"unknown reason {reason!r} (one of {known})", "reason")
        now = svc.clock()
        who = f"{principal.role.value} of {principal.tenant}"
        b.reason, b.confirmed_by, b.confirmed_us, b.note = reason, who, now, note
        audit.record(
            s,
            row.tenant_id,
            "breach.reason",
            ticket_id,
            {
                "metric": metric,
                "cycle": cycle,
                "reason": reason,
                "suggested": b.suggested,
                "note": note,
            },
            now=now,
            actor=who,
        )
        return _view(b, ticket_id)
