"""`slaguard serve`: the HTTP API on the configured database."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from slaguard.app.services import Services
    from slaguard.settings import Settings

__all__ = ["run_server", "run_workers", "serve"]


def serve(
    host: Annotated[
        str | None, typer.Option("--host", help="Interface to listen on (default SLAGUARD_HOST)")
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="Port to listen on (default SLAGUARD_PORT)")
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="Server processes (PostgreSQL only: SQLite has one writer at a time)",
        ),
    ] = 1,
) -> None:
    """Serve the API (and /docs, /healthz, /metrics). Run `slaguard migrate` first."""
    from slaguard.bootstrap import build_services
    from slaguard.cli.admin_cmd import require_schema
    from slaguard.db.engine import is_sqlite
    from slaguard.domain.errors import ConfigError
    from slaguard.settings import load_settings

    settings = load_settings()
    host = host or settings.host
    port = port if port is not None else settings.port
    if workers > 1 and is_sqlite(settings.database_url):
        raise typer.BadParameter(
            "several server processes need PostgreSQL: SQLite has one writer at a time "
            "(one process commits concurrent requests together)",
            param_hint="--workers",
        )
    services = build_services(settings)
    try:
        require_schema(services)
    except ConfigError:
        services.engine.dispose()
        raise
    if workers == 1:
        run_server(settings, services, host=host, port=port)
        return
    services.engine.dispose()  # each server process opens its own
    run_workers(settings, host=host, port=port, workers=workers)


def run_server(settings: Settings, services: Services, *, host: str, port: int) -> None:
    """Serve the app over `services` until stopped; the engine is closed afterwards."""
    import uvicorn

    from slaguard.api import create_app
    from slaguard.api.observability import configure_logging

    configure_logging(json=settings.log_json, level=settings.log_level)
    try:
        uvicorn.run(
            create_app(services, settings),
            host=host,
            port=port,
            log_level=settings.log_level.lower(),
            log_config=None,  # uvicorn's records go through the app's logging set-up
            access_log=False,  # the app logs each request itself, with its route and tenant
        )
    finally:
        services.engine.dispose()


def run_workers(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """Serve from `workers` processes on one socket, each building its own services
    (`slaguard.api.asgi`), until stopped."""
    import uvicorn

    from slaguard.api.observability import configure_logging

    configure_logging(json=settings.log_json, level=settings.log_level)
    uvicorn.run(
        "slaguard.api.asgi:app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        log_config=None,
        access_log=False,
    )
