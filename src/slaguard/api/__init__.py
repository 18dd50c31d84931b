"""The HTTP API (FastAPI). Build it with `create_app(services)`."""

from slaguard.api.app import create_app

__all__ = ["create_app"]
