"""The customer view: one ticket's SLA timers for its requester, by a signed link.

A link carries a token signed with the installation's secret for the purpose
"status" (`app/tokens.py`): payload `<tenant id>.<ticket row id>` and an expiry. It
cannot be guessed or altered, a token made for another purpose (an acknowledgement
link) is refused, and it stops working when it expires. Making a link is recorded in
the audit trail. What the link opens is the clocks and nothing else: no events, no
names, no notes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from slaguard.app import audit
from slaguard.app.configs import sla_config
from slaguard.app.services import Services
from slaguard.app.tenants import Principal, Role, require
from slaguard.app.tokens import sign, verify
from slaguard.db.tables import EventRow, TicketRow
from slaguard.domain.calendar import from_us
from slaguard.domain.engine import evaluate_us
from slaguard.domain.errors import AuthenticationError, NotFoundError, TicketError
from slaguard.domain.states import ClockState
from slaguard.schemas.ticket import parse_ticket

__all__ = [
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "PURPOSE",
    "StatusLink",
    "StatusView",
    "Timer",
    "create_link",
    "open_link",
]

PURPOSE = "status"
DEFAULT_DAYS = 30
MAX_DAYS = 365
_US_PER_DAY = 86_400_000_000


@dataclass(frozen=True, slots=True)
class StatusLink:
    url: str
    token: str
    expires_us: int


@dataclass(frozen=True, slots=True)
class Timer:
    metric: str
    cycle: int
    state: ClockState
    target_us: int
    elapsed_us: int
    started_us: int
    due_us: int | None
    stopped_us: int | None
    breached_us: int | None


@dataclass(frozen=True, slots=True)
class StatusView:
    ticket: str
    now: int
    expires_us: int
    timers: list[Timer]


def create_link(
    svc: Services, *, principal: Principal, ticket_id: str, days: int = DEFAULT_DAYS
) -> StatusLink:
    """A link to the customer view of `ticket_id`, valid for `days` (1-365)."""
    require(principal, Role.AGENT)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise TicketError(f"days is a whole number from 1 to {MAX_DAYS}", "days")
    now = svc.clock()
    expires = now + days * _US_PER_DAY
    with svc.writing() as s:
        pk = s.scalar(
            select(TicketRow.id).where(
                TicketRow.tenant_id == principal.tenant_id, TicketRow.external_id == ticket_id
            )
        )
        if pk is None:
            raise NotFoundError(f"no ticket {ticket_id!r}", "ticket")
        audit.record(
            s,
            principal.tenant_id,
            "status_link.created",
            ticket_id,
            {"expires_at": from_us(expires).isoformat(), "days": days},
            now=now,
            actor=principal.actor,
        )
    token = sign(svc.secret, PURPOSE, f"{principal.tenant_id}.{pk}", expires_us=expires)
    return StatusLink(f"{svc.public_url}/status/{token}", token, expires)


def open_link(svc: Services, token: str) -> StatusView:
    """The timers a valid link shows. AuthenticationError for a link that is forged,
    altered, expired or made for another purpose; NotFoundError when its ticket is gone."""
    now = svc.clock()
    payload = verify(svc.secret, PURPOSE, token, now=now)
    tenant, _, pk = payload.partition(".")
    if not (tenant.isdigit() and pk.isdigit()):
        raise AuthenticationError("not a valid link")
    with svc.reading() as s:
        row = s.scalars(
            select(TicketRow).where(TicketRow.id == int(pk), TicketRow.tenant_id == int(tenant))
        ).first()
        if row is None:
            raise NotFoundError("this ticket no longer exists", "token")
        docs = list(
            s.scalars(
                select(EventRow.data).where(EventRow.ticket_id == row.id).order_by(EventRow.id)
            )
        )
        fields, version, external = row.document, row.config_version, row.external_id
    config = sla_config(svc, tenant_id=int(tenant), version=version)
    ev = evaluate_us(parse_ticket({**fields, "events": docs}, config), config, now)
    timers = [
        Timer(
            c.metric,
            c.cycle,
            c.state,
            c.target_us,
            c.elapsed_us,
            c.started_at,
            c.due_at,
            c.stopped_at,
            c.breached_at,
        )
        for c in ev.clocks
        if c.state is not ClockState.CANCELLED
    ]
    return StatusView(external, now, int(token.split(".")[1]), timers)
