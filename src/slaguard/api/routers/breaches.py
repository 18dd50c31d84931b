"""Breaches of a ticket's clocks and their reasons: suggested, confirmed or changed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path

from slaguard.api.deps import (
    API_PREFIX,
    TEXT_PATTERN,
    AgentPrincipal,
    JsonBody,
    ServicesDep,
    TicketId,
    ViewerPrincipal,
)
from slaguard.app import breaches
from slaguard.domain.errors import TicketError

__all__ = ["router"]

router = APIRouter(prefix=API_PREFIX + "/tickets", tags=["breaches"])

# A clock's metric as stored (at most 60 characters, no NUL).
Metric = Annotated[str, Path(min_length=1, max_length=60, pattern=TEXT_PATTERN)]


@router.get(
    "/{ticket_id}/breaches",
    summary="The ticket's breached clocks with suggested and confirmed reasons",
)
def ticket_breaches(
    ticket_id: TicketId, principal: ViewerPrincipal, svc: ServicesDep
) -> list[dict[str, Any]]:
    return breaches.list_breaches(svc, principal=principal, ticket_id=ticket_id)


@router.put(
    "/{ticket_id}/breaches/{metric}/{cycle}",
    summary='Confirm or change a breach reason: {"reason": "misrouting", "note": "..."}',
)
def confirm_reason(
    ticket_id: TicketId,
    metric: Metric,
    cycle: Annotated[int, Path(ge=1, le=2**31 - 1)],
    principal: AgentPrincipal,
    svc: ServicesDep,
    body: JsonBody,
) -> dict[str, Any]:
    if not isinstance(body, Mapping):
        raise TicketError('expected a JSON object such as {"reason": "misrouting"}')
    unknown = sorted(set(body) - {"reason", "note"})
    if unknown:
        raise TicketError(f"unknown field {unknown[0]!r} (reason, note)", unknown[0])
    return breaches.confirm(
        svc,
        principal=principal,
        ticket_id=ticket_id,
        metric=metric,
        cycle=cycle,
        reason=body.get("reason"),
        note=body.get("note", ""),
    )
