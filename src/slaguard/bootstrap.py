"""The composition root: settings -> engines -> services. Called by the entry points only."""

from __future__ import annotations

import ctypes
import functools
import os
import secrets

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from slaguard.app.services import Services
from slaguard.db.engine import is_sqlite, make_engine, writer
from slaguard.db.statements import insert_new
from slaguard.db.tables import InstanceRow
from slaguard.settings import Settings

__all__ = ["build_services", "instance_secret", "limit_malloc_arenas"]

_KEY_ROW = "secret_key"  # the name of its row in the `instance` table


def build_services(settings: Settings) -> Services:
    limit_malloc_arenas()
    engine = make_engine(
        settings.database_url, pool_size=settings.pool_size, max_overflow=settings.max_overflow
    )
    svc = Services(
        engine=engine,
        write_engine=writer(engine),
        is_sqlite=is_sqlite(settings.database_url),
        public_url=settings.public_url.rstrip("/"),
        config_env=settings.config_env,
        write_concurrency=settings.write_concurrency,
    )
    configured = settings.secret_key.get_secret_value()
    if configured:
        svc.secret = configured.encode()
    else:
        stored = instance_secret(svc)
        if stored is not None:
            svc.secret = stored
    return svc


# glibc's mallopt parameter for the number of arenas (malloc.h).
_M_ARENA_MAX = -8
_ARENAS = 2


@functools.cache  # once per process
def limit_malloc_arenas() -> None:
    """Let the process's threads share 2 malloc arenas instead of glibc's default of up
    to 8 per core. A server's threads (the request thread pool, the writers) each got an
    arena of their own, and each arena keeps the memory freed into it: at 2, the API
    under load stays about 8 MB smaller (`bench/ingest.py`; 115 against 123 MB), with
    events/s within the run-to-run noise.
    `MALLOC_ARENA_MAX` in the environment, when set, is glibc's to apply and wins; other C
    libraries are left alone."""
    if "MALLOC_ARENA_MAX" in os.environ or not _glibc():
        return
    # The process's own symbols include glibc's (no library search, no subprocess).
    ctypes.CDLL(None).mallopt(_M_ARENA_MAX, _ARENAS)


def _glibc() -> bool:
    try:
        return (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (ValueError, OSError, AttributeError):  # not glibc, or not a POSIX system
        return False


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
