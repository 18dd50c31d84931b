"""The HTTP API: `create_app(services)` builds it; nothing is created at import.

    /api/v1/config                      PUT (admin) a new version; GET the current one
    /api/v1/tickets                     POST (agent) create; GET (viewer) list
    /api/v1/tickets/{id}                GET the ticket and its events
    /api/v1/tickets/{id}/events         POST (agent) one event or a list, idempotently
    /api/v1/tickets/{id}/clocks?at=     GET the `slaguard explain` JSON
    /api/v1/tickets/{id}/explain?at=    GET the readable timeline (text/plain)
    /api/v1/ingest/{source}             webhooks from help desks (routers/ingest.py)
    /api/v1/tickets/{id}/escalations    GET the levels fired, with acknowledgements
    /api/v1/escalations/{id}/ack        POST (agent) acknowledge; /ack/{token} by link
    /api/v1/automations/run             POST with X-Slaguard-Cron-Secret: due work once
    /api/v1/reports/{name}              GET compliance, response-times, coverage, trend,
                                        breach-reasons, pause-abuse
    /api/v1/tickets/{id}/breaches       GET; PUT .../{metric}/{cycle} confirm a reason
    /healthz, /metrics                  operations (no key)
    /, /tickets/..., /reports, ...      the dashboard (`slaguard.web`: signed-in users)

Every call under /api/v1 carries `Authorization: Bearer KEY`; a key sees only its
tenant's records, and another tenant's ticket is a 404, never a 403. Errors have one
shape, made in `api.errors`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from slaguard import __version__, web
from slaguard.api.errors import install_error_handlers
from slaguard.api.observability import Metrics, RequestMiddleware
from slaguard.api.routers import (
    breaches,
    config,
    escalations,
    health,
    ingest,
    reports,
    tickets,
)
from slaguard.api.schemas import ticket_body_schema
from slaguard.app.services import Services
from slaguard.settings import Settings, load_settings

__all__ = ["create_app"]


class _Api(FastAPI):
    def openapi(self) -> dict[str, Any]:
        """FastAPI's document plus the request-body schemas derived from the core's models."""
        if self.openapi_schema is None:
            doc = get_openapi(
                title=self.title,
                version=self.version,
                description=self.description,
                routes=self.routes,
            )
            _, extra = ticket_body_schema()
            schemas = doc.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(extra)
            self.openapi_schema = doc
        return self.openapi_schema


def _lifespan(services: Services) -> Any:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Handlers that are plain functions run in worker threads (event writes are
        # awaited instead: `app/group_commit.py`). Many threads contending for the GIL
        # make a convoy: forty served fewer requests per second than sixteen.
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = SQLITE_THREADS if services.is_sqlite else POSTGRES_THREADS
        yield

    return lifespan


SQLITE_THREADS = 16
POSTGRES_THREADS = 16


def _run_once(settings: Settings | None) -> Callable[[Services], Awaitable[Any]]:
    """Due timers and deliveries, once: what POST /api/v1/automations/run does."""

    async def run_once(svc: Services) -> Any:
        from slaguard.notify import Deliverer, SenderSettings
        from slaguard.worker import Worker, WorkerOptions

        cfg = settings if settings is not None else load_settings()
        async with Deliverer(SenderSettings.from_settings(cfg)) as deliverer:
            return await Worker(svc, deliverer, WorkerOptions.from_settings(cfg)).run_once()

    return run_once


def create_app(services: Services, settings: Settings | None = None) -> FastAPI:
    """The API over `services`; `settings` give the cron secret and the senders'
    settings (default: read from the environment when needed)."""
    metrics = Metrics()
    app = _Api(
        lifespan=_lifespan(services),
        title="slaguard",
        version=__version__,
        description="SLA clocks in business time: tickets, events, clocks and explanations.",
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    app.state.services = services
    app.state.metrics = metrics
    cron = settings.cron_secret if settings is not None else load_settings().cron_secret
    app.state.cron_secret = cron.get_secret_value()
    run_once = _run_once(settings)
    app.state.run_once = lambda: run_once(services)
    install_error_handlers(app)
    app.add_middleware(RequestMiddleware, metrics=metrics)

    # Routers carry their full path (`API_PREFIX` + noun), so the route template a request
    # matched is the whole path, for metrics and logs.
    app.include_router(config.router)
    app.include_router(tickets.router)
    app.include_router(ingest.router)
    app.include_router(escalations.router)
    app.include_router(reports.router)
    app.include_router(breaches.router)
    app.include_router(health.router)
    web.mount(app)
    return app
