"""The customer view: one ticket's SLA timers for its requester, by a signed link.

    GET /status/{token}     no sign-in; the token is the whole credential

It shows the timers and nothing else: no events, no names, no notes. A link that is
forged, altered, expired, made for another purpose or whose ticket is gone is one and
the same 404 page, which tells nothing about the ticket. The page is never indexed and
never sends its address (the token) onwards as a referrer.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from slaguard.app import status_links
from slaguard.app.services import Services
from slaguard.domain.errors import AuthenticationError, NotFoundError
from slaguard.web.render import render
from slaguard.web.session import html_errors, web_services

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(html_errors)], include_in_schema=False)

HEADERS = {"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"}


@router.get("/status/{token}")
async def status(
    request: Request,
    token: Annotated[str, Path(max_length=1000)],
    svc: Annotated[Services, Depends(web_services)],
) -> HTMLResponse:
    try:
        view = await run_in_threadpool(status_links.open_link, svc, token)
    except (AuthenticationError, NotFoundError):
        return render(request, "status_invalid.html", status_code=404, headers=HEADERS)
    return render(request, "status.html", {"view": view}, headers=HEADERS)
