"""The dashboard: server-rendered pages (Jinja2 + htmx) for the people who work the queue.

    /                       the SLA hub (pages/hub.py)
    /tickets/{id}           a ticket: fields, events, clock timelines (pages/ticket.py)
    /reports                charts and tables, CSV of what is shown (pages/reports.py)
    /config                 the configuration, its history and diffs; apply (pages/config.py)
    /status/{token}         one ticket's SLA timers for its requester (pages/status.py)
    /signin, /signout       sessions; /preferences: language and time zone
    /static/...             our CSS and JavaScript, and the vendored htmx and Chart.js

Everything is served from this process: no CDN, so the dashboard works air-gapped.
Pages run the same use cases as the API (`slaguard.app`) as the signed-in user's
tenant and role. `mount(app)` adds them to the API's application.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request

from slaguard.app.services import TtlCache
from slaguard.app.users import WebUser
from slaguard.web.pages import config, hub, reports, signin, status, ticket
from slaguard.web.render import render
from slaguard.web.session import SignInRequired

__all__ = ["error_page", "mount"]

STATIC = Path(__file__).parent / "static"

# How long a process trusts a session it has looked up (signing out elsewhere takes
# effect within this many seconds; here at once).
SESSION_TTL_S = 5.0


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """An error as a page of the dashboard (what `api.errors` calls for pages)."""
    return render(request, "error.html", {"status": status, "message": message}, status_code=status)


def _sign_in_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": exc.next_url})
    return RedirectResponse(exc.next_url, status_code=303)


def mount(app: FastAPI) -> None:
    """The dashboard's pages on `app`, whose `state.services` is already set."""
    app.state.web_sessions = TtlCache[WebUser](SESSION_TTL_S)
    app.state.web_hub_cache = hub.figure_cache(app.state.services)
    app.state.web_report_cache = reports.figure_cache()
    app.state.html_error_page = error_page
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (signin, hub, ticket, reports, config, status):
        app.include_router(module.router)
