"""Request logging (structlog), Prometheus metrics, and the request middleware.

Metrics live in a registry of their own per application, so that several apps in one
process (tests, or a worker beside the API) never collide in the global registry:

    slaguard_http_requests_total{method, route, status}
    slaguard_http_request_duration_seconds{method, route}
    slaguard_tickets_created_total
    slaguard_events_ingested_total            events stored (idempotent repeats excluded)
    slaguard_events_repeated_total            events answered from the store
    slaguard_webhooks_skipped_total{source}   webhook deliveries deliberately not mapped

`route` is the route template (`/api/v1/tickets/{ticket_id}`), never the raw path, so
the number of series stays bounded; requests that match no route count as `<unmatched>`.
"""

from __future__ import annotations

import logging
import sys
import time
import uuid
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from slaguard.api.errors import unexpected_error

__all__ = ["Metrics", "RequestMiddleware", "configure_logging"]

log = structlog.get_logger("slaguard.api")

_FIXED_PATHS = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect"})


def configure_logging(*, json: bool, level: str = "info") -> None:
    """structlog for the process: JSON lines when `json`, readable lines otherwise.

    The standard library's records (uvicorn's among them) go through the same renderer,
    so a JSON deployment writes nothing but JSON."""
    lvl = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    final: list[Any] = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
        if json
        else [
            structlog.dev.ConsoleRenderer(
                colors=False, exception_formatter=structlog.dev.plain_traceback
            )
        ]
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(lvl)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(lvl),
        cache_logger_on_first_use=True,
    )


_HANDLER = "slaguard"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "slaguard_http_requests",
            "HTTP requests by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "slaguard_http_request_duration_seconds",
            "HTTP request latency by route template",
            ["method", "route"],
            registry=self.registry,
        )
        self.tickets_created = Counter(
            "slaguard_tickets_created", "Tickets created", registry=self.registry
        )
        self.events_ingested = Counter(
            "slaguard_events_ingested",
            "Ticket events stored (idempotent repeats excluded)",
            registry=self.registry,
        )
        self.events_repeated = Counter(
            "slaguard_events_repeated",
            "Ticket events sent again and answered from the store",
            registry=self.registry,
        )
        self.webhooks_skipped = Counter(
            "slaguard_webhooks_skipped",
            "Webhook deliveries deliberately not mapped (an issue deleted, a worklog, ...)",
            ["source"],
            registry=self.registry,
        )


class RequestMiddleware:
    """Times and logs every HTTP request, counts it, and turns an unexpected exception
    into the 500 of `api.errors` (the response is logged once, with the request id)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        start = time.perf_counter()
        status = 500
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            if started:
                raise
            await unexpected_error(exc, request_id)(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - start
            route = _route_template(scope, status)
            method = scope.get("method", "")
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            log.info(
                "request",
                request_id=request_id,
                method=method,
                path=scope.get("path", ""),
                route=route,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
                tenant=scope.get("state", {}).get("tenant"),
            )


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text: str = value.decode("latin-1")
            if 0 < len(text) <= 100 and text.isprintable():
                return text
    return uuid.uuid4().hex


def _route_template(scope: Scope, status: int) -> str:
    route = scope.get("route")
    path: object = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    # The app's own fixed routes (/openapi.json, /docs) leave no route in the scope; any
    # other path without one matched nothing and must not become a label of its own.
    if status != 404 and scope.get("path") in _FIXED_PATHS:
        return str(scope["path"])
    return "<unmatched>"
