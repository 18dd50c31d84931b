"""Reports: compliance, response times, coverage and trend, as JSON or CSV."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from slaguard.api.deps import API_PREFIX, ServicesDep, ViewerPrincipal, parse_at
from slaguard.app import reports

__all__ = ["router", "to_csv"]

router = APIRouter(prefix=API_PREFIX + "/reports", tags=["reports"])


def to_csv(name: str, rows: list[dict[str, Any]]) -> str:
    """Report `name`'s rows as CSV, with its header even when there are no rows."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reports.columns(name), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@router.get("/{name}", summary="One report over a window (default: the last 30 days)")
def report(
    name: str,
    principal: ViewerPrincipal,
    svc: ServicesDep,
    from_: Annotated[str | None, Query(alias="from", description="ISO-8601 instant")] = None,
    to: Annotated[str | None, Query(description="ISO-8601 instant (exclusive)")] = None,
    group_by: Annotated[str | None, Query(description=", ".join(reports.GROUPS))] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    result = reports.run_report(
        svc,
        principal=principal,
        name=name,
        start_us=parse_at(from_, "from"),
        end_us=parse_at(to, "to"),
        group_by=group_by,
    )
    if format == "csv":
        return Response(
            to_csv(result["report"], result["rows"]),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return JSONResponse(result)
