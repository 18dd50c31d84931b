"""The reports page: compliance and breach rate over time and by segment, first response
and resolution times (median, p90), and breach reasons as a Pareto; each chart drawn by
`static/reports.js` (Chart.js, vendored) from a JSON block, with its table beside it and
a CSV of that table as shown.

    GET /reports?days=7|30|90|custom&from=YYYY-MM-DD&to=YYYY-MM-DD&group_by=team&metric=
    GET /reports.csv?<the same>&table=compliance|trend|response-times|breach-reasons

The filters are the URL (a GET form), so a view can be shared. The window is whole days
in the viewer's time zone, `from` and `to` both included; `days=N` (default 30) is the N
days up to today, `days=custom` takes `from` and `to`. `metric` empty means every metric
together. The figures are those of the API's reports (`slaguard.app.reports`), over the
signed-in user's tenant; the tables, the charts' data and the CSV are made from one set of
rows (`reports_view.py`), so they cannot disagree.

Each figure is remembered by the process (`FigureCache`): fresh for `CACHE_TTL_S`, then
served for up to `STALE_S` more while a background thread computes it again (the page
says as of when). A report over a month of a large tenant takes seconds of database
time, and the same view is asked for again and again (by one person refining filters, by
many opening a shared link): only the first view of a window waits for the database.
Concurrent requests for the same figure wait for one computation.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any, cast
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from slaguard.app import reports
from slaguard.app.services import Services
from slaguard.app.users import WebUser
from slaguard.domain.calendar import to_us
from slaguard.web.figure_cache import FigureCache
from slaguard.web.pages.reports_view import GROUP_LABELS, Figures, build_view, csv_rows
from slaguard.web.render import Viewer, render, viewer
from slaguard.web.session import ViewerUser, html_errors, web_services

__all__ = ["CACHE_TTL_S", "Filters", "router"]

router = APIRouter(dependencies=[Depends(html_errors)], include_in_schema=False)

PRESETS = ("7", "30", "90")
DEFAULT_DAYS = "30"
MAX_DAYS = 366
GROUP_CHOICES = ("team", "queue", "category", "product", "channel", "tier", "priority")
TABLES = ("compliance", "trend", "response-times", "breach-reasons")
CACHE_TTL_S = 300.0  # figures are recomputed after this ...
STALE_S = 3600.0  # ... in the background, the older ones served meanwhile up to this
DAILY_UP_TO = 31  # days; longer windows are charted by week
_METRIC = re.compile(r"^[A-Za-z0-9_.:-]{1,60}$")
_DAY_US = 86_400_000_000


class FilterError(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Filters:
    """The view asked for, resolved to instants in the viewer's time zone."""

    days: str  # one of PRESETS or "custom"
    first: date  # the window's first day
    last: date  # ... and its last (included)
    group_by: str
    metric: str  # "" for every metric together
    edges: tuple[int, ...]  # the charted periods' edges; the window is edges[0]..edges[-1]

    @property
    def start_us(self) -> int:
        return self.edges[0]

    @property
    def end_us(self) -> int:
        return self.edges[-1]

    @property
    def weekly(self) -> bool:
        return (self.last - self.first).days + 1 > DAILY_UP_TO

    def params(self, **override: str) -> dict[str, str]:
        """The query string's parameters of this view, changed by `override`."""
        days = override.pop("days", self.days)
        out = {"days": days, "group_by": self.group_by, "metric": self.metric}
        if days == "custom":
            out |= {"from": self.first.isoformat(), "to": self.last.isoformat()}
        out |= override
        return {k: v for k, v in out.items() if v != ""}

    def query(self, **override: str) -> str:
        return urlencode(self.params(**override))


def _midnight(day: date, tz: ZoneInfo) -> int:
    return to_us(datetime(day.year, day.month, day.day, tzinfo=tz))


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FilterError(f"{text!r} is not a date (YYYY-MM-DD)", field) from None


def parse_filters(query: Mapping[str, str], tz: ZoneInfo, now_us: int) -> Filters:
    """The filters of a request's query string (absent ones take their defaults)."""
    today = datetime.fromtimestamp(now_us / 1_000_000, tz).date()
    days = query.get("days") or DEFAULT_DAYS
    if days == "custom":
        first = _day(query.get("from", ""), "from")
        last = _day(query.get("to", ""), "to")
        if first > last:
            raise FilterError("the first day is after the last", "from")
        if (last - first).days + 1 > MAX_DAYS:
            raise FilterError(f"a window of at most {MAX_DAYS} days", "from")
    elif days in PRESETS:
        last = today
        first = today - timedelta(days=int(days) - 1)
    else:
        raise FilterError(f"{days!r} is not a period ({', '.join(PRESETS)} or custom)", "days")
    group_by = query.get("group_by") or GROUP_CHOICES[0]
    if group_by not in GROUP_CHOICES:
        raise FilterError(f"{group_by!r} is not a grouping", "group_by")
    metric = query.get("metric", "")
    if metric and not _METRIC.match(metric):
        raise FilterError(f"{metric!r} is not a metric", "metric")
    step = 7 if (last - first).days + 1 > DAILY_UP_TO else 1
    edges = []
    day = first
    while day <= last:
        edges.append(_midnight(day, tz))
        day += timedelta(days=step)
    edges.append(_midnight(last + timedelta(days=1), tz))
    return Filters(days, first, last, group_by, metric, tuple(edges))


def figure_cache() -> FigureCache:
    """The reports' figures, fresh for CACHE_TTL_S and served stale for STALE_S more
    (made once per application, by `web.mount`)."""
    return FigureCache(CACHE_TTL_S, STALE_S)


def _cache(request: Request) -> FigureCache:
    return cast("FigureCache", request.app.state.web_report_cache)


def figures(svc: Services, cache: FigureCache, user: WebUser, f: Filters) -> Figures:
    """The rows behind the page, from the API's reports (remembered for a while)."""
    principal = user.principal
    base = f"{user.tenant_id}:{f.start_us}:{f.end_us}"
    as_of: list[int] = []

    def report(name: str, group_by: str | None) -> list[dict[str, Any]]:
        def run() -> list[dict[str, Any]]:
            result = reports.run_report(
                svc,
                principal=principal,
                name=name,
                start_us=f.start_us,
                end_us=f.end_us,
                group_by=group_by,
            )
            rows: list[dict[str, Any]] = result["rows"]
            return rows

        at, rows = cache.get(f"{base}:{name}:{group_by}", run, svc.clock)
        as_of.append(at)
        return list(rows)

    def series() -> list[dict[str, Any]]:
        return reports.compliance_over_time(svc, principal=principal, edges=f.edges)

    at, over_time = cache.get(f"{base}:series:{len(f.edges)}", series, svc.clock)
    as_of.append(at)
    return Figures(
        compliance=report("compliance", f.group_by),
        over_time=list(over_time),
        response_times=report("response-times", f.group_by),
        reasons=report("breach-reasons", "metric" if f.metric else None),
        as_of_us=min(as_of),
        levels=reports.report_settings(svc, user.tenant_id),
    )


def _query(request: Request) -> dict[str, str]:
    return dict(request.query_params)


@router.get("/reports")
async def reports_page(
    request: Request, user: ViewerUser, svc: Annotated[Services, Depends(web_services)]
) -> HTMLResponse:
    v = viewer(request)
    try:
        f = parse_filters(_query(request), v.tz, svc.clock())
    except FilterError as e:
        fallback = parse_filters({}, v.tz, svc.clock())
        context = {"f": fallback, "error": str(e), "error_field": e.field, "view": None}
        context = _with_choices(context, fallback, v)
        return render(request, "reports.html", context, status_code=422)
    data = await run_in_threadpool(figures, svc, _cache(request), user, f)
    view = build_view(data, f, v)
    return render(
        request,
        "reports.html",
        _with_choices({"f": f, "view": view, "error": "", "error_field": ""}, f, v),
    )


def _with_choices(context: dict[str, Any], f: Filters, v: Viewer) -> dict[str, Any]:
    return context | {
        "group_names": {g: v.gettext(GROUP_LABELS[g]) for g in GROUP_CHOICES},
        "presets": PRESETS,
        "groups": GROUP_CHOICES,
        "tables": TABLES,
        "csv_url": lambda table: "/reports.csv?" + f.query(table=table),
        "preset_url": lambda days: "/reports?" + f.query(days=days),
    }


@router.get("/reports.csv")
async def reports_csv(
    request: Request, user: ViewerUser, svc: Annotated[Services, Depends(web_services)]
) -> Response:
    """One of the page's tables as CSV: a header row of the column names, then the rows
    as shown, numbers unformatted (rates 0-1, durations in seconds, days as ISO dates)."""
    v = viewer(request)
    table = request.query_params.get("table") or TABLES[0]
    try:
        if table not in TABLES:
            raise FilterError(f"{table!r} is not a table ({', '.join(TABLES)})", "table")
        f = parse_filters(_query(request), v.tz, svc.clock())
    except FilterError as e:
        return Response(f"{e.field}: {e}\n", status_code=422, media_type="text/plain")
    data = await run_in_threadpool(figures, svc, _cache(request), user, f)
    view = build_view(data, f, v)
    columns, rows = csv_rows(view.tables[table], v.tz)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)
    name = f"slaguard-{table}-{f.first.isoformat()}-{f.last.isoformat()}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
