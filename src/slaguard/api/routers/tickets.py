"""Tickets and their events, clocks and explanations."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, PlainTextResponse

from slaguard.api.deps import (
    API_PREFIX,
    TEXT_PATTERN,
    AdminPrincipal,
    AgentPrincipal,
    JsonBody,
    MetricsDep,
    ServicesDep,
    TicketId,
    ViewerPrincipal,
    parse_at,
)
from slaguard.api.schemas import (
    Evaluation,
    EventsWritten,
    StatusLinkRead,
    TicketDetail,
    TicketList,
    TicketRead,
    error_responses,
    event_body_schema,
    ticket_body_schema,
)
from slaguard.app import status_links, tickets
from slaguard.app.configs import latest_version, sla_config
from slaguard.app.services import Services
from slaguard.app.tenants import Principal
from slaguard.app.tickets import AppendResult
from slaguard.domain.calendar import from_us
from slaguard.domain.errors import ConfigError, RequestError, TicketError
from slaguard.domain.explain import evaluation_json, evaluation_text
from slaguard.domain.priorities import PriorityNames
from slaguard.domain.states import ClockState
from slaguard.schemas.json_kinds import json_kind

__all__ = ["router"]

router = APIRouter(prefix=API_PREFIX + "/tickets", tags=["tickets"])

_AT = Query(
    description="Evaluate as of this ISO-8601 instant with offset (default: now); "
    "events after it are ignored",
    max_length=64,
    pattern=TEXT_PATTERN,
)


def _events_written(result: AppendResult) -> dict[str, Any]:
    return {
        "ticket": result.ticket,
        "events": [{"id": e.key, "created": e.created, "event": e.document} for e in result.events],
    }


@router.post(
    "",
    status_code=201,
    summary="Create a ticket (with its events so far)",
    response_model=None,
    responses={201: {"model": TicketDetail}, **error_responses(400, 401, 403, 409, 413, 422)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ticket_body_schema()[0]}},
        }
    },
)
def create_ticket(
    principal: AgentPrincipal, svc: ServicesDep, metrics: MetricsDep, body: JsonBody
) -> JSONResponse:
    """A new ticket with its events so far, pinned to the tenant's current configuration.
    The answer is the ticket as `GET /tickets/{id}` shows it. An event without an `id` is
    keyed by its content; with one, the id must be new to the tenant."""
    if not isinstance(body, dict):
        raise TicketError(f"a ticket is a JSON object, got {json_kind(body)}")
    result = tickets.create_ticket(svc, principal=principal, document=body)
    metrics.tickets_created.inc()
    metrics.events_ingested.inc(len(result.events))
    view = {**result.ticket, "events": [e.document for e in result.events]}
    return JSONResponse(view, status_code=201)


@router.post(
    "/{ticket_id}/events",
    summary="Add events (idempotent by event id)",
    response_model=None,
    responses={
        200: {"model": EventsWritten, "description": "Every event was stored before"},
        201: {"model": EventsWritten, "description": "At least one event was new"},
        **error_responses(400, 401, 403, 404, 409, 413, 422),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": event_body_schema()[0]}},
        }
    },
)
async def add_events(
    ticket_id: TicketId,
    principal: AgentPrincipal,
    svc: ServicesDep,
    metrics: MetricsDep,
    body: JsonBody,
) -> JSONResponse:
    """One event object or a list of them. An event whose `id` is already stored with the
    same content is answered from the store (`created: false`); with other content it is
    a 409 naming `events[i].id`. A late event is placed in time order and the clocks are
    recomputed, so the result never depends on arrival order."""
    events = body if isinstance(body, list) else [body]
    # Awaited, not run in a worker thread of its own: see `app/group_commit.py`.
    write = tickets.events_write(svc, principal=principal, ticket_id=ticket_id, events=events)
    result = await asyncio.wrap_future(svc.submit_write(write))
    new = sum(e.created for e in result.events)
    metrics.events_ingested.inc(new)
    metrics.events_repeated.inc(len(result.events) - new)
    return JSONResponse(_events_written(result), status_code=201 if new else 200)


@router.get(
    "/{ticket_id}",
    summary="A ticket with its events",
    response_model=None,
    responses={200: {"model": TicketDetail}, **error_responses(401, 404, 422)},
)
def get_ticket(ticket_id: TicketId, principal: ViewerPrincipal, svc: ServicesDep) -> JSONResponse:
    return JSONResponse(tickets.get_ticket(svc, principal=principal, ticket_id=ticket_id))


@router.get(
    "",
    summary="List tickets, filtered, a page at a time",
    response_model=None,
    responses={200: {"model": TicketList}, **error_responses(401, 422)},
)
def list_tickets(
    principal: ViewerPrincipal,
    svc: ServicesDep,
    state: Annotated[
        ClockState | None,
        Query(description="breached: any clock past due now (even if nothing was written since)"),
    ] = None,
    team: Annotated[str | None, Query(max_length=200, pattern=TEXT_PATTERN)] = None,
    priority: Annotated[
        str | None,
        Query(max_length=40, pattern=TEXT_PATTERN, description="P1-P4 or a priority name"),
    ] = None,
    status: Annotated[str | None, Query(max_length=60, pattern=TEXT_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[
        str | None,
        Query(max_length=200, pattern=TEXT_PATTERN, description="`next_cursor` of a page"),
    ] = None,
) -> JSONResponse:
    items, next_cursor = tickets.list_tickets(
        svc,
        principal=principal,
        state=state.value if state is not None else None,
        team=team,
        priority=_priority(svc, principal, priority),
        status=status,
        limit=limit,
        cursor=cursor,
    )
    return JSONResponse({"items": items, "next_cursor": next_cursor})


def _priority(svc: Services, principal: Principal, value: str | None) -> str | None:
    """A priority filter in the tenant's names (`high`, `sev2`) as P1-P4."""
    if value is None:
        return None
    version = latest_version(svc, tenant_id=principal.tenant_id)
    names = (
        sla_config(svc, tenant_id=principal.tenant_id, version=version).priorities
        if version is not None
        else PriorityNames()
    )
    try:
        return names.normalise(value, "priority")
    except ConfigError as exc:
        raise RequestError(exc.details) from None


@router.get(
    "/{ticket_id}/clocks",
    summary="The ticket's SLA clocks (the `slaguard explain` JSON)",
    response_model=None,
    responses={200: {"model": Evaluation}, **error_responses(401, 404, 422)},
)
def clocks(
    ticket_id: TicketId,
    principal: ViewerPrincipal,
    svc: ServicesDep,
    at: Annotated[str | None, _AT] = None,
) -> JSONResponse:
    ev, _ = tickets.evaluate_ticket(svc, principal=principal, ticket_id=ticket_id, at=parse_at(at))
    return JSONResponse(evaluation_json(ev))


@router.get(
    "/{ticket_id}/explain",
    summary="Why each deadline is what it is, as text",
    response_class=PlainTextResponse,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        **error_responses(401, 404, 422),
    },
)
def explain(
    ticket_id: TicketId,
    principal: ViewerPrincipal,
    svc: ServicesDep,
    at: Annotated[str | None, _AT] = None,
) -> PlainTextResponse:
    ev, config = tickets.evaluate_ticket(
        svc, principal=principal, ticket_id=ticket_id, at=parse_at(at)
    )
    return PlainTextResponse(evaluation_text(ev, config))


@router.post(
    "/{ticket_id}/status-link",
    status_code=201,
    summary="A signed link to the customer view of the ticket's SLA timers",
    response_model=None,
    responses={201: {"model": StatusLinkRead}, **error_responses(401, 403, 404, 422)},
)
def status_link(
    ticket_id: TicketId,
    principal: AgentPrincipal,
    svc: ServicesDep,
    days: Annotated[
        int,
        Query(
            ge=1,
            le=status_links.MAX_DAYS,
            description="How many days the link works (default 30, at most 365)",
        ),
    ] = status_links.DEFAULT_DAYS,
) -> JSONResponse:
    """A link for the ticket's requester: it shows the ticket's SLA timers and nothing
    else, without signing in, until it expires. It cannot be guessed or altered."""
    link = status_links.create_link(svc, principal=principal, ticket_id=ticket_id, days=days)
    return JSONResponse(
        {"url": link.url, "expires_at": from_us(link.expires_us).isoformat()}, status_code=201
    )


@router.post(
    "/{ticket_id}/reapply-config",
    summary="Judge the ticket by a newer configuration version (default: the latest)",
    response_model=None,
    responses={200: {"model": TicketRead}, **error_responses(401, 403, 404, 409, 422)},
)
def reapply_config(
    ticket_id: TicketId,
    principal: AdminPrincipal,
    svc: ServicesDep,
    version: Annotated[
        int | None,
        Query(ge=1, le=2**31 - 1, description="The version to apply (default: the latest)"),
    ] = None,
) -> JSONResponse:
    """A ticket is judged by the configuration version in force when it was created
    until a person re-applies a newer one: its whole history is then evaluated again
    under that version (clocks, warnings, breaches, escalation timers), in one
    transaction, and the change is audited. An older version is 409; a history the
    version cannot take (a priority or status it does not know) is 409 naming it."""
    view = tickets.reapply_config(svc, principal=principal, ticket_id=ticket_id, version=version)
    return JSONResponse(view)
