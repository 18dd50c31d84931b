"""Pages from templates: one Jinja2 environment (autoescaped, with the i18n extension),
and `render`, which writes a template in the viewer's language and time zone.

Templates get, besides their own context: `user` (or None), `csrf` (the session's CSRF
token), `locale`, `fmt` (a `Formatter`: dates, numbers, durations), `now_us`, `path`
(the request's path, for navigation), `_`/`gettext`/`ngettext`/`pgettext`, and `htmx` (whether
htmx asked for a fragment).
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, cast

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from slaguard.app.services import Services
from slaguard.app.users import WebUser
from slaguard.web.i18n import (
    TZ_COOKIE,
    Formatter,
    choose_locale,
    choose_timezone,
    translations,
)

__all__ = ["SECURITY_HEADERS", "Viewer", "render", "viewer"]

TEMPLATES = Path(__file__).parent / "templates"

# Sent with every page: scripts, styles and images only from here, no framing. Pages
# therefore have no inline scripts or styles; data for scripts goes in data-* attributes
# or <script type="application/json"> blocks.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}

_locale: contextvars.ContextVar[str] = contextvars.ContextVar("slaguard_locale", default="en")


# Jinja's new-style gettext substitutes the variables (escaped) itself.
def _gettext(message: str) -> str:
    return translations(_locale.get()).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_locale.get()).ngettext(singular, plural, n)


# With a context, for words whose translation depends on where they stand
# (`pgettext("clock", "Met")`: one clock's state, not a column of counts).
def _pgettext(context: str, message: str) -> str:
    return str(translations(_locale.get()).pgettext(context, message))


def _npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return translations(_locale.get()).npgettext(context, singular, plural, n)


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # New-style gettext: `_("%(n)s tickets", n=3)`, autoescaped like any other value.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext
    )
    return env


class Viewer:
    """The viewer of one request: their language, time zone and formatter."""

    def __init__(self, request: Request, user: WebUser | None) -> None:
        self.user = user
        self.locale = choose_locale(
            user.locale if user else None, request.headers.get("accept-language")
        )
        self.tz = choose_timezone(user.timezone if user else None, request.cookies.get(TZ_COOKIE))
        self.fmt = Formatter(self.locale, self.tz)

    def gettext(self, message: str, **variables: Any) -> str:
        """A message in the viewer's language (for text made in Python)."""
        text = translations(self.locale).gettext(message)
        return text % variables if variables else text


def viewer(request: Request) -> Viewer:
    user = cast("WebUser | None", getattr(request.state, "user", None))
    return Viewer(request, user)


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """`template` written for the request's viewer."""
    v = viewer(request)
    svc = cast("Services", request.app.state.services)
    values = {
        "user": v.user,
        "csrf": v.user.csrf_token if v.user else "",
        "locale": v.locale,
        "fmt": v.fmt,
        "tz": v.tz.key,
        "now_us": svc.clock(),
        "path": request.url.path,
        "htmx": request.headers.get("hx-request") == "true",
        **(context or {}),
    }
    token = _locale.set(v.locale)
    try:
        html = environment().get_template(template).render(values)
    finally:
        _locale.reset(token)
    response = HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))
    response.headers["Content-Language"] = v.locale
    response.headers.setdefault("Cache-Control", "no-store")
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
