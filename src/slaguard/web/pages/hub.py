"""The SLA hub: the home page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from slaguard.web.render import render
from slaguard.web.session import ViewerUser, html_errors

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(html_errors)], include_in_schema=False)


@router.get("/")
async def hub(request: Request, user: ViewerUser) -> HTMLResponse:
    return render(request, "hub.html")
