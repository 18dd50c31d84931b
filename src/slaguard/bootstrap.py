"""The composition root: settings -> engines -> services. Called by the entry points only."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from slaguard.app.services import Services
from slaguard.db.engine import is_sqlite, make_engine, writer
from slaguard.db.statements import insert_new
from slaguard.db.tables import InstanceRow
from slaguard.settings import Settings

__all__ = ["build_services", "instance_secret"]

_KEY_ROW = "secret_key"  # the name of its row in the `instance` table


def build_services(settings: Settings) -> Services:
    engine = make_engine(
        settings.database_url, pool_size=settings.pool_size, max_overflow=settings.max_overflow
    )
    svc = Services(
        engine=engine,
        write_engine=writer(engine),
        is_sqlite=is_sqlite(settings.database_url),
        public_url=settings.public_url.rstrip("/"),
        config_env=settings.config_env,
    )
    configured = settings.secret_key.get_secret_value()
    if configured:
        svc.secret = configured.encode()
    else:
        stored = instance_secret(svc)
        if stored is not None:
            svc.secret = stored
    return svc


def instance_secret(svc: Services) -> bytes | None:
    """The installation's signing key, created on first use and shared by every process
    through the database (None before the schema exists: `migrate` comes first)."""
    stored = select(InstanceRow.value).where(InstanceRow.name == _KEY_ROW)
    try:
        with svc.writing() as s:
            value = s.scalar(stored)
            if value is None:
                # Processes starting together may all find none: the first insert wins,
                # the others insert nothing (rather than fail) and read the winner's.
                table = InstanceRow.metadata.tables[InstanceRow.__tablename__]
                s.execute(
                    insert_new(s.get_bind().dialect.name, table, key=["name"]),
                    {"name": _KEY_ROW, "value": secrets.token_hex(32)},
                )
                value = s.scalar(stored)
    except SQLAlchemyError:
        return None
    if value is None:  # pragma: no cover - inserted or found above
        return None
    return value.encode()
