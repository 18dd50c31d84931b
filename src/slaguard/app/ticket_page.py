"""Everything the dashboard's ticket page shows, read in one transaction: the ticket,
its events, its clocks evaluated now (with their timelines), the escalations that
fired, the deliveries of its notifications and its breaches with their reasons.

A handful of indexed queries whatever the ticket's size; lists are capped (a ticket
with more deliveries than DELIVERIES shows the latest ones).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from slaguard.app.configs import latest_version, sla_config
from slaguard.app.escalations import Fired
from slaguard.app.services import Services
from slaguard.app.tenants import Principal
from slaguard.app.tickets import ticket_view
from slaguard.app.timeline import Timeline, timeline
from slaguard.db.tables import BreachRow, EscalationRow, EventRow, OutboxRow, TicketRow
from slaguard.domain.engine import Evaluation, evaluate_us
from slaguard.domain.errors import NotFoundError
from slaguard.domain.policy import SlaConfig
from slaguard.schemas.ticket import parse_ticket

__all__ = ["DELIVERIES", "Breach", "Delivery", "TicketPage", "load"]

DELIVERIES = 200


@dataclass(frozen=True, slots=True)
class Delivery:
    delivery_id: str
    escalation_id: int | None
    kind: str
    channel: str | None
    person: str | None
    channel_type: str
    state: str
    attempts: int
    created_us: int
    next_us: int | None  # pending or held: when it is next tried
    sent_us: int | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class Breach:
    metric: str
    cycle: int
    breached_us: int
    suggested: str
    evidence: list[Any]
    reason: str | None
    confirmed_by: str | None
    confirmed_us: int | None
    note: str


@dataclass(frozen=True, slots=True)
class TicketPage:
    ticket: dict[str, Any]  # the ticket's columns and its document (`fields`)
    created_us: int
    updated_us: int
    events: list[tuple[int, dict[str, Any]]]  # (instant, document) in the order they happened
    evaluation: Evaluation
    config: SlaConfig
    timelines: list[Timeline]  # one per clock of the evaluation, in its order
    escalations: list[Fired]  # the stored rows (read-only here)
    deliveries: list[Delivery]
    more_deliveries: bool
    breaches: list[Breach]
    reasons: tuple[str, ...]  # the tenant's taxonomy as it stands, to confirm reasons from
    latest_version: int  # the tenant's latest configuration version (to re-apply)


def load(svc: Services, *, principal: Principal, ticket_id: str) -> TicketPage:
    """The ticket page of `ticket_id` in the principal's tenant (NotFoundError if none)."""
    with svc.reading() as s:
        row = s.scalars(
            select(TicketRow).where(
                TicketRow.tenant_id == principal.tenant_id, TicketRow.external_id == ticket_id
            )
        ).first()
        if row is None:
            raise NotFoundError(f"no ticket {ticket_id!r}", "ticket")
        events = s.execute(
            select(EventRow.id, EventRow.occurred_us, EventRow.data)
            .where(EventRow.ticket_id == row.id)
            .order_by(EventRow.id)
        ).all()
        escalations: list[Fired] = list(
            s.scalars(
                select(EscalationRow)
                .where(EscalationRow.ticket_id == row.id)
                .order_by(EscalationRow.fired_us, EscalationRow.id)
            )
        )
        outbox = list(
            s.scalars(
                select(OutboxRow)
                .where(OutboxRow.ticket_id == row.id)
                .order_by(OutboxRow.id.desc())
                .limit(DELIVERIES + 1)
            )
        )
        deliveries = [
            Delivery(
                o.delivery_id,
                o.escalation_id,
                o.kind,
                o.channel,
                o.person,
                o.channel_type,
                o.state,
                o.attempts,
                o.created_us,
                o.next_us if o.state in ("pending", "held") else None,
                o.sent_us,
                o.last_error,
            )
            for o in reversed(outbox[:DELIVERIES])
        ]
        breaches = [
            Breach(
                b.metric,
                b.cycle,
                b.breached_us,
                b.suggested,
                list(b.evidence or []),
                b.reason,
                b.confirmed_by,
                b.confirmed_us,
                b.note,
            )
            for b in s.scalars(
                select(BreachRow)
                .where(BreachRow.ticket_id == row.id)
                .order_by(BreachRow.breached_us, BreachRow.id)
            )
        ]
        view = {**ticket_view(row), "fields": dict(row.document)}
        created_us, updated_us = row.created_us, row.updated_us
        fields, version = row.document, row.config_version
    config = sla_config(svc, tenant_id=principal.tenant_id, version=version)
    latest = latest_version(svc, tenant_id=principal.tenant_id) or version
    docs = [data for _id, _at, data in events]
    now = svc.clock()
    ev = evaluate_us(parse_ticket({**fields, "events": docs}, config), config, now)
    in_time = [(at, data) for _id, at, data in sorted(events, key=lambda e: (e[1], e[0]))]
    return TicketPage(
        ticket=view,
        created_us=created_us,
        updated_us=updated_us,
        events=in_time,
        evaluation=ev,
        config=config,
        timelines=[timeline(c, now) for c in ev.clocks],
        escalations=escalations,
        deliveries=deliveries,
        more_deliveries=len(outbox) > DELIVERIES,
        breaches=breaches,
        # the taxonomy as it stands (`configs.breach_taxonomy`): the latest version's
        reasons=sla_config(svc, tenant_id=principal.tenant_id, version=latest).breach_reasons,
        latest_version=latest,
    )
