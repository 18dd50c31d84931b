"""Escalations: the levels fired for a ticket, acknowledging them (by key or by the
signed link in a notification), and running due work once for external schedulers."""

from __future__ import annotations

import hmac
from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import HTMLResponse

from slaguard.api.deps import API_PREFIX, AgentPrincipal, ServicesDep, TicketId, ViewerPrincipal
from slaguard.app import escalations
from slaguard.domain.errors import AuthenticationError, SlaError

__all__ = ["router"]

router = APIRouter(tags=["escalations"])


@router.get(
    API_PREFIX + "/tickets/{ticket_id}/escalations",
    summary="The escalation levels fired for a ticket, with their acknowledgements",
)
def ticket_escalations(
    ticket_id: TicketId, principal: ViewerPrincipal, svc: ServicesDep
) -> list[dict[str, Any]]:
    return escalations.list_escalations(svc, principal=principal, ticket_id=ticket_id)


@router.post(
    API_PREFIX + "/escalations/{escalation_id}/ack",
    summary="Acknowledge an escalation: its ladder stops re-notifying for that clock cycle",
)
def acknowledge(
    escalation_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    principal: AgentPrincipal,
    svc: ServicesDep,
) -> dict[str, Any]:
    return escalations.acknowledge(svc, principal=principal, escalation_id=escalation_id)


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - slaguard</title>
<style>body{{font:16px system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}}
button{{font:inherit;padding:.6rem 1.2rem}}</style></head>
<body><h1>{title}</h1>{body}</body></html>"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), body=body), status_code=status)


@router.get(
    "/ack/{token}", summary="The page of an acknowledgement link", response_class=HTMLResponse
)
def ack_page(token: str) -> HTMLResponse:
    # A GET only shows the button: mail scanners that open links must not acknowledge.
    return _page(
        "Acknowledge this escalation?",
        f'<form method="post" action="/ack/{escape(token)}">'
        '<button type="submit">Acknowledge</button></form>',
    )


@router.post("/ack/{token}", summary="Acknowledge by a signed link", response_class=HTMLResponse)
def ack_by_link(token: str, svc: ServicesDep) -> HTMLResponse:
    try:
        esc = escalations.ack_by_token(svc, token)
    except AuthenticationError as exc:
        return _page("This link does not work", f"<p>{escape(str(exc))}</p>", 403)
    except SlaError as exc:
        return _page("Nothing to acknowledge", f"<p>{escape(str(exc))}</p>", 404)
    who = escape(str(esc["acknowledged_by"] or ""))
    return _page(
        "Acknowledged",
        f"<p>Ticket {escape(esc['ticket'])}, {escape(esc['metric'])} {escape(esc['level'])}: "
        f"acknowledged at {escape(str(esc['acknowledged_at']))} ({who}).</p>",
    )


@router.post(
    API_PREFIX + "/automations/run",
    summary="Run due timers and deliveries once (for an external scheduler)",
)
async def run_automations(
    request: Request,
    secret: Annotated[str | None, Header(alias="X-Slaguard-Cron-Secret")] = None,
) -> dict[str, int]:
    expected: str = request.app.state.cron_secret
    if not expected or secret is None or not hmac.compare_digest(secret, expected):
        raise AuthenticationError("send the configured X-Slaguard-Cron-Secret header")
    run_once = request.app.state.run_once
    stats = await run_once()
    return {"tickets": stats.tickets, "sent": stats.sent, "failed": stats.failed}
