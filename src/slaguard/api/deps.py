"""Request dependencies: the services, the caller's key and role, bodies and parameters."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, cast

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from slaguard.api.errors import BodyTooLarge, InvalidJson
from slaguard.api.observability import Metrics
from slaguard.app import tenants
from slaguard.app.services import Services
from slaguard.app.tenants import Principal, Role
from slaguard.domain.calendar import to_us
from slaguard.domain.errors import AuthenticationError, ConfigError, RequestError, TicketError
from slaguard.schemas.storable import MAX_BODY_DEPTH, check_storable
from slaguard.schemas.ticket import EARLIEST_US, LATEST_US, OUTSIDE_YEARS

__all__ = [
    "API_PREFIX",
    "MAX_BODY_BYTES",
    "MAX_BODY_DEPTH",
    "TEXT_PATTERN",
    "AdminPrincipal",
    "AgentPrincipal",
    "JsonBody",
    "MetricsDep",
    "ServicesDep",
    "TextBody",
    "TicketId",
    "ViewerPrincipal",
    "check_storable",
    "parse_at",
    "parse_json",
    "raw_bytes",
    "raw_text",
]

API_PREFIX = "/api/v1"

# Larger than any configuration or batch of events needs.
MAX_BODY_BYTES = 8 * 1024 * 1024

_bearer = HTTPBearer(
    auto_error=False,
    description="An API key: `Authorization: Bearer sg_...` (created with `slaguard keys create`)",
)


# Dependencies that do not block are `async def`: FastAPI runs a plain `def` dependency
# in the worker-thread pool, a hand-off that costs more than these functions do.


async def get_services(request: Request) -> Services:
    return cast("Services", request.app.state.services)


async def get_metrics(request: Request) -> Metrics:
    return cast("Metrics", request.app.state.metrics)


ServicesDep = Annotated[Services, Depends(get_services)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]


async def _principal(
    request: Request,
    svc: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None and request.headers.get("authorization"):
        raise AuthenticationError("send the key as 'Authorization: Bearer <key>'")
    key = credentials.credentials if credentials else None
    principal = tenants.remembered(svc, key)
    if principal is None:  # the key's query runs in a worker thread
        principal = await run_in_threadpool(tenants.authenticate, svc, key)
    request.state.tenant = principal.tenant
    return principal


def _with_role(role: Role) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
        tenants.require(principal, role)
        return principal

    return check


ViewerPrincipal = Annotated[Principal, Depends(_with_role(Role.VIEWER))]
AgentPrincipal = Annotated[Principal, Depends(_with_role(Role.AGENT))]
AdminPrincipal = Annotated[Principal, Depends(_with_role(Role.ADMIN))]


# -- bodies ------------------------------------------------------------------------------


async def raw_bytes(request: Request) -> bytes:
    """The body as it was sent, byte for byte (what a webhook's signature is over): at
    most MAX_BODY_BYTES of it, a larger one refused (413) without reading the rest."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise BodyTooLarge(f"the request body is larger than {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge(f"the request body is larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def raw_text(request: Request) -> str:
    """The body as text (UTF-8), at most MAX_BODY_BYTES of it."""
    data = await raw_bytes(request)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidJson(f"the request body is not UTF-8 text (byte {exc.start})") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def parse_json(text: str, invalid: type[TicketError | ConfigError] = TicketError) -> Any:
    """JSON text -> value: malformed JSON is an InvalidJson, and text no column can hold
    an `invalid` error naming where it is."""
    if not text.strip():
        raise InvalidJson("the request body is empty: send a JSON document")
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InvalidJson(
            f"the request body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise InvalidJson(f"the request body is not valid JSON: {exc}") from None
    check_storable(value, invalid)
    return value


async def _json_body(request: Request) -> Any:
    return parse_json(await raw_text(request))


JsonBody = Annotated[Any, Depends(_json_body)]
TextBody = Annotated[str, Depends(raw_text)]


# -- parameters --------------------------------------------------------------------------

# Text that can be stored in any column: no NUL characters.
TEXT_PATTERN = r"^[^\x00]*$"

# A ticket's id as a path segment, on every route under /api/v1/tickets/{ticket_id}: what
# no ticket id can be is a 422 naming `path.ticket_id`, before the database is asked.
TicketId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        pattern=TEXT_PATTERN,
        description="The ticket's id in its source",
    ),
]

# In a query string '+' means a space: '...T09:00:00+01:00' sent unencoded arrives as
# '...T09:00:00 01:00'. Put the '+' back rather than refuse what people type.
_SPACED_OFFSET = re.compile(r"(\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d(?::?\d\d)?)$")


def parse_at(text: str | None, field: str = "at") -> int | None:
    """An ISO-8601 instant with an offset (query parameter) as UTC epoch microseconds."""
    if text is None:
        return None
    value = _SPACED_OFFSET.sub(r"\1+\2", text.strip())
    try:
        # Control characters are no part of a time (and fromisoformat lets a trailing NUL
        # through).
        if not value.isprintable():
            raise ValueError(value)
        t = datetime.fromisoformat(value)
    except ValueError:
        raise RequestError(
            f"expected an ISO-8601 time such as 2026-11-23T09:00:00+01:00, got {text!r}", field
        ) from None
    if t.tzinfo is None or t.utcoffset() is None:
        raise RequestError(f"{text!r} has no UTC offset (add e.g. +01:00 or Z)", field)
    us = to_us(t)
    if not EARLIEST_US <= us < LATEST_US:
        raise RequestError(f"{text!r} is {OUTSIDE_YEARS}", field)
    return us
