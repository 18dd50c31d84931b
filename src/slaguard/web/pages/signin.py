"""Signing in and out, and the viewer's language and time zone."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from slaguard.app import users
from slaguard.app.services import Services
from slaguard.app.users import WebUser
from slaguard.domain.errors import AuthenticationError
from slaguard.web.render import render
from slaguard.web.session import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CsrfFailed,
    ViewerUser,
    html_errors,
    optional_user,
    session_cache,
    web_services,
)

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(html_errors)], include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to somewhere else."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


@router.get("/signin")
async def signin_page(
    request: Request,
    user: Annotated[WebUser | None, Depends(optional_user)],
    next: str | None = None,
) -> Response:
    if user is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _form(request, next=_safe_next(next))


def _form(
    request: Request,
    *,
    next: str,
    tenant: str = "",
    email: str = "",
    error: str = "",
) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "signin.html",
        {"next": next, "tenant": tenant, "email": email, "error": error, "login_csrf": token},
        status_code=401 if error else 200,
    )
    response.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request), path="/"
    )
    return response


@router.post("/signin")
async def signin(
    request: Request,
    svc: Annotated[Services, Depends(web_services)],
    tenant: Annotated[str, Form(max_length=100)],
    email: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, csrf_token):
        raise CsrfFailed("the sign-in form is out of date: reload the page and try again")
    try:
        token = await run_in_threadpool(
            users.sign_in, svc, tenant=tenant, email=email, password=password
        )
    except AuthenticationError:
        return _form(
            request,
            next=_safe_next(next),
            tenant=tenant,
            email=email,
            error="wrong organisation, email or password",
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=users.SESSION_US // 1_000_000,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.post("/signout")
async def signout(
    request: Request, user: ViewerUser, svc: Annotated[Services, Depends(web_services)]
) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    await run_in_threadpool(users.sign_out, svc, token, session_cache(request))
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/preferences")
async def preferences(
    request: Request,
    user: ViewerUser,
    svc: Annotated[Services, Depends(web_services)],
    locale: Annotated[str, Form(max_length=10)] = "",
    timezone: Annotated[str, Form(max_length=60)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """The user's language and time zone; empty: follow the browser."""
    await run_in_threadpool(
        users.set_preferences,
        svc,
        user,
        locale=locale or None,
        timezone=timezone or None,
        token=request.cookies.get(SESSION_COOKIE, ""),
        cache=session_cache(request),
    )
    return RedirectResponse(_safe_next(next), status_code=303)
