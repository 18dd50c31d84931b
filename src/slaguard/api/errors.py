"""The one place where exceptions become HTTP responses.

Every error response has one shape, whatever raised it:

    {"error": {"code": "invalid_ticket", "message": "events[0].at: ...",
               "details": [{"path": "events[0].at", "message": "..."}]}}

- an `SlaError` (the tree in `slaguard.domain.errors`, plus `InvalidJson` and
  `BodyTooLarge` below) keeps
  its `code` and `http_status`; detailed errors list each (path, message);
- FastAPI's request validation (query, path and header parameters) is 422
  `invalid_request`, each path written from the pydantic location (`query.limit`);
- Starlette's HTTP errors (unknown route, wrong method) keep their status;
- anything else is a 500 `internal`, logged with its traceback and the request id. No
  input is meant to reach it: the request middleware calls `unexpected_error` for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from slaguard.domain.errors import ErrorDetail, SlaError
from slaguard.schemas.storable import printable

__all__ = [
    "BodyTooLarge",
    "InvalidJson",
    "error_content",
    "format_loc",
    "install_error_handlers",
    "unexpected_error",
]

log = structlog.get_logger("slaguard.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
}


class InvalidJson(SlaError):
    """The request body is not the JSON (or YAML) it says it is."""

    code = "invalid_json"
    http_status = 400


class BodyTooLarge(SlaError):
    code = "too_large"
    http_status = 413


def error_content(code: str, message: str, details: Iterable[ErrorDetail] = ()) -> dict[str, Any]:
    """The error body. Its text is made `printable`: a path or message that quotes the
    input (an object key with a lone surrogate) must not make the error unsendable."""
    return {
        "error": {
            "code": code,
            "message": printable(message),
            "details": [
                {"path": printable(d.path), "message": printable(d.message)} for d in details
            ],
        }
    }


def format_loc(loc: Sequence[int | str]) -> str:
    """('body', 'events', 0, 'at') -> 'body.events[0].at'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _page(request: Request, status: int, message: str) -> Response | None:
    """The dashboard's error page, for requests of its pages (their routes mark them) and
    for browsers asking for HTML outside the API; None for API requests."""
    page = getattr(request.app.state, "html_error_page", None)
    if page is None:
        return None
    if not getattr(request.state, "html_errors", False) and (
        request.url.path.startswith(("/api/", "/healthz", "/metrics", "/docs", "/openapi"))
        or "text/html" not in request.headers.get("accept", "")
    ):
        return None
    return cast("Response", page(request, status, message))


def _sla_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SlaError)
    page = _page(request, exc.http_status, printable(str(exc) or exc.code))
    if page is not None:
        return page
    details: Sequence[ErrorDetail] = getattr(exc, "details", ())
    headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else None
    return JSONResponse(
        error_content(exc.code, str(exc) or exc.code, details),
        status_code=exc.http_status,
        headers=headers,
    )


def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = [
        ErrorDetail(format_loc(e.get("loc", ())), str(e.get("msg", ""))) for e in exc.errors()
    ]
    page = _page(request, 422, "; ".join(map(str, details)))
    if page is not None:
        return page
    if any(e.get("type") == "json_invalid" for e in exc.errors()):
        return JSONResponse(
            error_content("invalid_json", "the request body is not valid JSON", details),
            status_code=400,
        )
    return JSONResponse(
        error_content("invalid_request", "; ".join(map(str, details)), details), status_code=422
    )


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    page = _page(request, exc.status_code, message)
    if page is not None:
        return page
    if exc.status_code == 404 and message == "Not Found":
        message = "no such endpoint (the API is under /api/v1; see /docs)"
    return JSONResponse(
        error_content(code, message), status_code=exc.status_code, headers=exc.headers
    )


def unexpected_error(exc: BaseException, request_id: str | None = None) -> JSONResponse:
    """A 500 for an exception no handler knows: logged in full, shown as `internal`."""
    log.error("unexpected_error", request_id=request_id, exc_info=exc)
    return JSONResponse(
        error_content(
            "internal",
            "internal error; it has been logged"
            + (f" (request {request_id})" if request_id else ""),
        ),
        status_code=500,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SlaError, _sla_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
