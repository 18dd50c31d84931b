"""The composition root: settings -> engines -> services. Called by the entry points only."""

from __future__ import annotations

from slaguard.app.services import Services
from slaguard.db.engine import is_sqlite, make_engine, writer
from slaguard.settings import Settings

__all__ = ["build_services"]


def build_services(settings: Settings) -> Services:
    engine = make_engine(
        settings.database_url, pool_size=settings.pool_size, max_overflow=settings.max_overflow
    )
    return Services(
        engine=engine, write_engine=writer(engine), is_sqlite=is_sqlite(settings.database_url)
    )
