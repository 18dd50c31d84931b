"""The SLA hub: the home page.

    GET /                   the hub; ?team= &queue= &window=today|7d|30d (default 7d)
                            &lane=<lane> adds the list of that lane's tickets
    GET /hub/live           the live part of the page (same parameters), polled by htmx
                            every 15 s and swapped into stable containers
    GET /hub/review.ics     the weekly review meeting as an iCalendar event (RRULE)

The figures come from `slaguard.app.hub` (codes and numbers); the words are in the
templates (`hub.html`, `hub_live.html`), in the viewer's language and time zone.

The figures of one view (tenant, team, queue, window) are remembered by the process for
at most the live-refresh interval (`REFRESH_S`, judged by the service clock), and
computed once at a time: a tenant's counts read every open clock and ticket, and a room
of open hubs asks for the same view every 15 s. The page says as of when they were
computed. Lane lists are read on each request (each is one indexed read with a limit).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, cast
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from slaguard.app import hub as hub_app
from slaguard.app.services import Services
from slaguard.app.users import WebUser
from slaguard.domain.calendar import to_us
from slaguard.domain.hub import (
    LANES,
    WEEKDAYS,
    breach_window,
    lane_severity,
    next_review,
    work_next,
)
from slaguard.web.figure_cache import FigureCache
from slaguard.web.render import render, viewer
from slaguard.web.session import ViewerUser, html_errors, web_services

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(html_errors)], include_in_schema=False)

WINDOWS = ("today", "7d", "30d")
DEFAULT_WINDOW = "7d"
REFRESH_S = 15
_DAY_US = 86_400_000_000


@dataclass(frozen=True, slots=True)
class Params:
    team: str | None
    queue: str | None
    window: str
    lane: str | None

    def query(self, **changes: str | None) -> str:
        """The query string of these parameters (with `changes`), for links."""
        values = {
            "team": self.team,
            "queue": self.queue,
            "window": self.window if self.window != DEFAULT_WINDOW else None,
            "lane": self.lane,
            **changes,
        }
        kept = {k: v for k, v in values.items() if v}
        return ("?" + urlencode(kept)) if kept else ""


Text = Annotated[str | None, Query(max_length=200)]


async def _params(
    team: Text = None, queue: Text = None, window: Text = None, lane: Text = None
) -> Params:
    """The hub's query parameters, as every view of it reads them."""
    return Params(
        team=(team or "").strip()[:200] or None,
        queue=(queue or "").strip()[:200] or None,
        window=window if window in WINDOWS else DEFAULT_WINDOW,
        lane=lane if lane in LANES else None,
    )


HubParams = Annotated[Params, Depends(_params)]


def _filter(request: Request, p: Params, now: int) -> hub_app.HubFilter:
    if p.window == "today":
        local = viewer(request).fmt.local(now)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        start = to_us(midnight)
    else:
        start = now - (7 if p.window == "7d" else 30) * _DAY_US
    return hub_app.HubFilter(start_us=start, end_us=now + 1, team=p.team, queue=p.queue)


def figure_cache(svc: Services) -> FigureCache:
    """The hub's figures of each view, kept for the live-refresh interval by the
    services' clock (made once per application, by `web.mount`)."""
    return FigureCache(REFRESH_S, 0.0, monotonic=lambda: svc.clock() / 1_000_000)


def _cache(request: Request) -> FigureCache:
    return cast("FigureCache", request.app.state.web_hub_cache)


def _figures(
    cache: FigureCache, svc: Services, user: WebUser, p: Params, f: hub_app.HubFilter
) -> hub_app.HubFigures:
    # The window's start only names the view for "today" (midnight, in the viewer's
    # zone); the other windows end now, and the figures say when that was.
    start = f.start_us if p.window == "today" else ""
    key = f"{user.principal.tenant_id}:{p.window}:{start}:{p.team}:{p.queue}"
    _, figures = cache.get(
        key, lambda: hub_app.hub_figures(svc, principal=user.principal, f=f), svc.clock
    )
    assert isinstance(figures, hub_app.HubFigures)
    return figures


async def _context(
    request: Request, user: ViewerUser, svc: Services, p: Params
) -> dict[str, object]:
    f = _filter(request, p, svc.clock())
    figures = await run_in_threadpool(_figures, _cache(request), svc, user, p, f)
    lane_rows = None
    if p.lane is not None:
        lane_rows = await run_in_threadpool(
            hub_app.lane_tickets, svc, principal=user.principal, f=f, lane=p.lane
        )
    settings = figures.settings
    lanes = [
        {
            "figures": lf,
            "severity": lane_severity(lf, settings).value,
            "window": breach_window(lf),
            "owner": settings.owner(lf.lane),
        }
        for lf in figures.lanes
    ]
    chosen = work_next(figures.lanes, settings)
    config = figures.config
    return {
        "p": p,
        "h": figures,
        "lanes": lanes,
        "work_next": (
            None if chosen is None else {"figures": chosen[0], "severity": chosen[1].value}
        ),
        "lane_rows": lane_rows,
        "ladders": config.escalation.ladders if config is not None else (),
        "review": settings.review,
        "review_day": viewer(request).fmt.weekday(settings.review.weekday),
        "next_review_us": to_us(next_review(settings.review, figures.now_us)),
        "windows": WINDOWS,
        "refresh_s": REFRESH_S,
    }


@router.get("/")
async def hub(
    request: Request,
    user: ViewerUser,
    svc: Annotated[Services, Depends(web_services)],
    p: HubParams,
) -> HTMLResponse:
    return render(request, "hub.html", await _context(request, user, svc, p))


@router.get("/hub/live")
async def live(
    request: Request,
    user: ViewerUser,
    svc: Annotated[Services, Depends(web_services)],
    p: HubParams,
) -> HTMLResponse:
    return render(request, "hub_live.html", await _context(request, user, svc, p))


@router.get("/hub/review.ics")
async def review_ics(
    request: Request, user: ViewerUser, svc: Annotated[Services, Depends(web_services)]
) -> Response:
    """The review meeting, weekly from its next occurrence, in its own time zone."""
    now = svc.clock()
    config = await run_in_threadpool(hub_app.hub_settings, svc, principal=user.principal)
    cadence = config.review
    start = next_review(cadence, now)
    # Imported here, by the one page that needs it, rather than by every process.
    from icalendar import Calendar, Event, vRecur

    cal = Calendar()
    cal.add("prodid", "-//slaguard//SLA review//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    event = Event()
    event.add("uid", f"sla-review-{user.tenant}@slaguard")
    event.add("dtstamp", datetime.fromtimestamp(now / 1_000_000, UTC))
    # The wall time the rule repeats at, even when this week's falls in a skipped hour
    # (`start` is then the change, which weekly repetition must not carry on with).
    event.add("dtstart", datetime.combine(start.date(), cadence.start, tzinfo=start.tzinfo))
    event.add("duration", timedelta(microseconds=cadence.duration_us))
    event.add("rrule", vRecur(freq="WEEKLY", byday=WEEKDAYS[cadence.weekday][:2].upper()))
    event.add("summary", cadence.title)
    event.add("description", f"Owner: {cadence.owner}. SLA hub: {request.base_url}")
    if cadence.location:
        event.add("location", cadence.location)
    cal.add_component(event)
    cal.add_missing_timezones()
    return Response(
        cal.to_ical(),
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="sla-review.ics"',
            "Cache-Control": "no-store",
        },
    )
