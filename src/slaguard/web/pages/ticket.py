"""A ticket: its fields and events, each clock drawn as a timeline with the arithmetic
of its due time, the escalations that fired and their deliveries, breach reasons.

    GET  /tickets/{id}                                  viewer+
    POST /tickets/{id}/escalations/{escalation}/ack     agent+  (htmx: the escalations)
    POST /tickets/{id}/breaches/{metric}/{cycle}        lead+   (htmx: the breaches)
    POST /tickets/{id}/status-link                      agent+  (htmx: the new link)

Without htmx a POST answers with a redirect back to the page (post/redirect/get).
Another tenant's ticket is the same 404 page as a ticket that does not exist.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from slaguard.app import breaches, escalations, status_links, ticket_page, tickets
from slaguard.app.services import Services
from slaguard.app.tenants import Role
from slaguard.app.timeline import WIDTH
from slaguard.app.users import WebUser
from slaguard.domain.errors import NotFoundError
from slaguard.domain.explain import clock_text, policy_text
from slaguard.web.render import render
from slaguard.web.session import (
    AdminUser,
    AgentUser,
    LeadUser,
    ViewerUser,
    html_errors,
    web_services,
)

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(html_errors)], include_in_schema=False)

ServicesDep = Annotated[Services, Depends(web_services)]
TicketId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00/]*$")]

# Keys of an event document that the events table shows in columns of their own.
_EVENT_COLUMNS = frozenset({"id", "type", "at", "actor"})


def _page_url(ticket_id: str, anchor: str = "") -> str:
    return f"/tickets/{quote(ticket_id, safe='')}" + (f"#{anchor}" if anchor else "")


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _value(value: Any) -> str:
    """A field's value as short text (lists and mappings as compact JSON)."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool) or value is None:
        text = json.dumps(value)
    elif isinstance(value, int | float):
        text = str(value)
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= 300 else text[:299] + "\N{HORIZONTAL ELLIPSIS}"


def _context(page: ticket_page.TicketPage, user: WebUser) -> dict[str, Any]:
    ev = page.evaluation
    explanations = [clock_text(c, ev) for c in ev.clocks]
    fields = page.ticket["fields"]
    events = [
        (
            at,
            doc,
            [(k, _value(v)) for k, v in doc.items() if k not in _EVENT_COLUMNS],
        )
        for at, doc in page.events
    ]
    levels = {e.id: e for e in page.escalations}
    return {
        "page": page,
        "ticket": page.ticket,
        "ticket_url": _page_url(page.ticket["id"]),
        "extra_fields": [(k, _value(v)) for k, v in fields.items() if k not in ("id", "events")],
        "events": events,
        "clocks": list(zip(page.timelines, ev.clocks, explanations, strict=True)),
        "policy_lines": policy_text(ev, page.config),
        "levels": levels,
        "width": WIDTH,
        "reasons": page.reasons,
        "can_ack": user.role.rank >= Role.AGENT.rank,
        "can_confirm": user.role.rank >= Role.LEAD.rank,
        "can_link": user.role.rank >= Role.AGENT.rank,
        "can_reapply": user.role.rank >= Role.ADMIN.rank
        and page.latest_version > page.ticket["config_version"],
        "max_days": status_links.MAX_DAYS,
        "default_days": status_links.DEFAULT_DAYS,
    }


async def _load(svc: Services, user: WebUser, ticket_id: str) -> ticket_page.TicketPage:
    return await run_in_threadpool(
        ticket_page.load, svc, principal=user.principal, ticket_id=ticket_id
    )


@router.get("/tickets/{ticket_id}")
async def ticket(
    request: Request, ticket_id: TicketId, user: ViewerUser, svc: ServicesDep
) -> HTMLResponse:
    page = await _load(svc, user, ticket_id)
    return render(request, "ticket.html", _context(page, user))


@router.post("/tickets/{ticket_id}/escalations/{escalation_id}/ack")
async def acknowledge(
    request: Request,
    ticket_id: TicketId,
    escalation_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    user: AgentUser,
    svc: ServicesDep,
) -> Response:
    fired = await run_in_threadpool(
        escalations.list_escalations, svc, principal=user.principal, ticket_id=ticket_id
    )
    if all(e["id"] != escalation_id for e in fired):
        raise NotFoundError(f"ticket {ticket_id!r} has no escalation {escalation_id}")
    await run_in_threadpool(
        escalations.acknowledge,
        svc,
        principal=user.principal,
        escalation_id=escalation_id,
        who=user.display_name,
    )
    return await _changed(request, svc, user, ticket_id, "escalations")


@router.post("/tickets/{ticket_id}/breaches/{metric}/{cycle}")
async def confirm_reason(
    request: Request,
    ticket_id: TicketId,
    metric: Annotated[str, Path(min_length=1, max_length=60)],
    cycle: Annotated[int, Path(ge=1, le=2**31 - 1)],
    user: LeadUser,
    svc: ServicesDep,
    reason: Annotated[str, Form(max_length=60)],
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    await run_in_threadpool(
        breaches.confirm,
        svc,
        principal=user.principal,
        ticket_id=ticket_id,
        metric=metric,
        cycle=cycle,
        reason=reason,
        note=note,
    )
    return await _changed(request, svc, user, ticket_id, "breach-reason")


# What a form on the page changed: its section, re-rendered for htmx.
_SECTIONS = {"escalations": "ticket_escalations.html", "breach-reason": "ticket_breaches.html"}


async def _changed(
    request: Request, svc: Services, user: WebUser, ticket_id: str, section: str
) -> Response:
    """After a form changed the ticket: its section afresh for htmx, else back to the
    page at that section."""
    if not _is_htmx(request):
        return RedirectResponse(_page_url(ticket_id, section), status_code=303)
    page = await _load(svc, user, ticket_id)
    return render(request, _SECTIONS[section], _context(page, user))


@router.post("/tickets/{ticket_id}/reapply-config")
async def reapply_config(
    ticket_id: TicketId,
    user: AdminUser,
    svc: ServicesDep,
    version: Annotated[int, Form(ge=1, le=2**31 - 1)],
) -> Response:
    """Judge the ticket by the version the admin saw offered (`api/routers/tickets.py`),
    then back to the page."""
    await run_in_threadpool(
        tickets.reapply_config, svc, principal=user.principal, ticket_id=ticket_id, version=version
    )
    return RedirectResponse(_page_url(ticket_id), status_code=303)


@router.post("/tickets/{ticket_id}/status-link")
async def status_link(
    request: Request,
    ticket_id: TicketId,
    user: AgentUser,
    svc: ServicesDep,
    days: Annotated[int, Form(ge=1, le=status_links.MAX_DAYS)] = status_links.DEFAULT_DAYS,
) -> Response:
    link = await run_in_threadpool(
        status_links.create_link, svc, principal=user.principal, ticket_id=ticket_id, days=days
    )
    context = {"link": link, "ticket_url": _page_url(ticket_id)}
    if _is_htmx(request):
        return render(request, "ticket_status_link.html", context)
    return render(request, "ticket_status_link_page.html", context)
