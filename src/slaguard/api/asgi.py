"""The API as an application factory, for servers that start processes of their own.

    uvicorn --factory slaguard.api.asgi:app_from_environment --workers 4

Each process builds its settings, engines and services from the environment when the
server calls the factory (nothing is built at import) and keeps them for its lifetime.
`slaguard serve --workers N` starts it this way.
"""

from __future__ import annotations

from fastapi import FastAPI

from slaguard.api.app import create_app
from slaguard.api.observability import configure_logging
from slaguard.bootstrap import build_services
from slaguard.settings import load_settings

__all__ = ["app_from_environment"]


def app_from_environment() -> FastAPI:
    settings = load_settings()
    configure_logging(json=settings.log_json, level=settings.log_level)
    return create_app(build_services(settings), settings)
