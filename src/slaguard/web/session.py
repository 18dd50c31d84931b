"""Who is looking at a page: the session cookie, roles, and CSRF checks on every form.

- The session cookie (`slaguard_session`) holds a random token: HttpOnly, SameSite=Lax,
  Secure when the service is reached over HTTPS. Sessions are rows (`app/users.py`), so
  signing out ends one everywhere.
- Every state-changing request (POST) carries the session's CSRF token, as the form field
  `csrf_token` or the header `X-CSRF-Token` (htmx sends it, from `<body hx-headers>`),
  compared in constant time. The sign-in form, before there is a session, uses a
  double-submit cookie (`slaguard_csrf`) instead.
- A page that needs a user redirects to the sign-in page when there is none (htmx
  requests get `HX-Redirect`); a page that needs a higher role is a 403 page.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated, cast
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from slaguard.app import users
from slaguard.app.services import Services
from slaguard.app.tenants import Role, require
from slaguard.app.users import SessionCache, WebUser
from slaguard.domain.errors import AuthenticationError, PermissionDenied

__all__ = [
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "AdminUser",
    "AgentUser",
    "CsrfFailed",
    "LeadUser",
    "SignInRequired",
    "ViewerUser",
    "check_csrf",
    "html_errors",
    "optional_user",
    "session_cache",
    "web_services",
]

SESSION_COOKIE = "slaguard_session"
CSRF_COOKIE = "slaguard_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class SignInRequired(Exception):
    """The page needs a signed-in user; the handler sends the browser to /signin."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class CsrfFailed(PermissionDenied):
    code = "csrf_failed"


async def html_errors(request: Request) -> None:
    """Marks the request as a page's: its errors are HTML pages, not JSON."""
    request.state.html_errors = True


async def web_services(request: Request) -> Services:
    return cast("Services", request.app.state.services)


def session_cache(request: Request) -> SessionCache:
    return cast("SessionCache", request.app.state.web_sessions)


async def optional_user(request: Request) -> WebUser | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    svc = cast("Services", request.app.state.services)
    cache = session_cache(request)
    try:
        user = await run_in_threadpool(users.session_user, svc, token, cache)
    except AuthenticationError:
        return None
    request.state.tenant = user.tenant
    request.state.user = user
    return user


async def _signed_in(
    request: Request, user: Annotated[WebUser | None, Depends(optional_user)]
) -> WebUser:
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(f"/signin?next={quote(target, safe='')}")
    return user


async def check_csrf(request: Request, user: WebUser) -> None:
    """Refuses a state-changing request without the session's CSRF token."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        field = (await request.form()).get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    if not sent or not hmac.compare_digest(sent, user.csrf_token):
        raise CsrfFailed("the form is out of date or not from this site: reload the page")


def _with_role(role: Role) -> Callable[..., Awaitable[WebUser]]:
    async def check(request: Request, user: Annotated[WebUser, Depends(_signed_in)]) -> WebUser:
        require(user.principal, role)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            await check_csrf(request, user)
        return user

    return check


ViewerUser = Annotated[WebUser, Depends(_with_role(Role.VIEWER))]
AgentUser = Annotated[WebUser, Depends(_with_role(Role.AGENT))]
LeadUser = Annotated[WebUser, Depends(_with_role(Role.LEAD))]
AdminUser = Annotated[WebUser, Depends(_with_role(Role.ADMIN))]
