"""The configuration: the current version, its history, differences between any two
versions, and an editor that validates and applies a new version. Admins only (other
roles get the 403 page).

    GET  /config                     current version, history, diff, editor
    GET  /config/diff?old=&new=      the unified diff of two versions (htmx: fragment)
    POST /config/validate            the checks of PUT /api/v1/config; stores nothing
    POST /config/apply               stores a new version when valid; nothing when not

The diff compares the text each version was stored from, or a stable YAML dump of its
document when it came without text.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from slaguard.app import configs
from slaguard.app.services import Services
from slaguard.app.users import WebUser
from slaguard.domain.errors import ConfigError, ErrorDetail, NotFoundError
from slaguard.web.render import render
from slaguard.web.session import AdminUser, html_errors, web_services

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(html_errors)], include_in_schema=False)

ServicesDep = Annotated[Services, Depends(web_services)]
Version = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
# As much as the API accepts in one body.
MAX_TEXT = 8 * 1024 * 1024


def _diff_lines(lines: list[str]) -> list[tuple[str, str]]:
    """Each line of a unified diff with its kind: file, hunk, add, del or context."""
    out: list[tuple[str, str]] = []
    for line in lines:
        if line.startswith(("---", "+++")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "context"
        out.append((kind, line))
    return out


def _state(svc: Services, user: WebUser, old: int | None, new: int | None) -> dict[str, Any]:
    """The page's data: current version and its text, history, and the chosen diff."""
    history = configs.config_history(svc, tenant_id=user.tenant_id)
    if not history:
        return {"current": None, "source": "", "history": [], "old": None, "new": None, "diff": []}
    current = configs.config_version(svc, tenant_id=user.tenant_id)
    new = new if new is not None else current.version
    old = old if old is not None else max(new - 1, 1)
    try:
        diff = configs.config_diff(svc, tenant_id=user.tenant_id, old=old, new=new)
    except NotFoundError:
        diff, old, new = [], None, None
    return {
        "current": current,
        "source": configs.config_source(current),
        "history": history,
        "old": old,
        "new": new,
        "diff": _diff_lines(diff),
    }


@router.get("/config")
async def config_page(
    request: Request,
    user: AdminUser,
    svc: ServicesDep,
    old: Version = None,
    new: Version = None,
    applied: Version = None,
) -> HTMLResponse:
    state = await run_in_threadpool(_state, svc, user, old, new)
    text = state["source"]
    return render(
        request,
        "config.html",
        {**state, "text": text, "errors": None, "checked": False, "applied": applied},
    )


@router.get("/config/diff")
async def config_diff(
    request: Request, user: AdminUser, svc: ServicesDep, old: Version = None, new: Version = None
) -> HTMLResponse:
    state = await run_in_threadpool(_state, svc, user, old, new)
    if request.headers.get("hx-request") == "true":
        return render(request, "config_diff.html", state)
    return render(
        request,
        "config.html",
        {**state, "text": state["source"], "errors": None, "checked": False, "applied": None},
    )


def _check(svc: Services, text: str) -> tuple[dict[str, Any] | None, list[ErrorDetail]]:
    """The document of `text` and the problems found (by path); nothing stored."""
    try:
        document = configs.read_config_text(text)
        configs.validate_config(svc, document=document)
    except ConfigError as exc:
        return None, list(exc.details)
    return document, []


async def _editor_answer(
    request: Request,
    svc: Services,
    user: WebUser,
    text: str,
    errors: list[ErrorDetail],
    *,
    status_code: int,
) -> HTMLResponse:
    context = {"errors": errors, "checked": True}
    if request.headers.get("hx-request") == "true":
        return render(request, "config_errors.html", context, status_code=status_code)
    state = await run_in_threadpool(_state, svc, user, None, None)
    return render(
        request,
        "config.html",
        {**state, **context, "text": text, "applied": None},
        status_code=status_code,
    )


@router.post("/config/validate")
async def validate(
    request: Request,
    user: AdminUser,
    svc: ServicesDep,
    text: Annotated[str, Form(max_length=MAX_TEXT)] = "",
) -> HTMLResponse:
    _, errors = await run_in_threadpool(_check, svc, text)
    # htmx swaps only 2xx answers: the problems are the answer, not a failure
    return await _editor_answer(request, svc, user, text, errors, status_code=200)


@router.post("/config/apply")
async def apply(
    request: Request,
    user: AdminUser,
    svc: ServicesDep,
    text: Annotated[str, Form(max_length=MAX_TEXT)] = "",
) -> Response:
    document, errors = await run_in_threadpool(_check, svc, text)
    if document is None:
        htmx = request.headers.get("hx-request") == "true"
        return await _editor_answer(
            request, svc, user, text, errors, status_code=200 if htmx else 422
        )
    version = await run_in_threadpool(
        lambda: configs.apply_config(
            svc, tenant_id=user.tenant_id, document=document, source_text=text
        )
    )
    target = f"/config?applied={version}"
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
