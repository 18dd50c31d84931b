"""The composition the use cases run in: database engines, the clock, configuration cache.

Built once per process by `slaguard.bootstrap.build_services`; nothing here is created at
import. Each use case opens one transaction (`writing()` or `reading()`) and commits once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from slaguard.domain.calendar import to_us
from slaguard.domain.errors import ConflictError
from slaguard.domain.policy import SlaConfig

__all__ = ["ConfigCache", "Services", "system_clock"]


def system_clock() -> int:
    """Now, as UTC epoch microseconds: the one place the service reads the wall clock."""
    return to_us(datetime.now(UTC))


class ConfigCache:
    """Parsed configurations by (tenant, version): versions never change once stored."""

    def __init__(self, size: int = 256) -> None:
        self._items: OrderedDict[tuple[int, int], SlaConfig] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple[int, int]) -> SlaConfig | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[int, int], config: SlaConfig) -> None:
        with self._lock:
            self._items[key] = config
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


@dataclass
class Services:
    engine: Engine
    write_engine: Engine
    clock: Callable[[], int] = system_clock
    configs: ConfigCache = field(default_factory=ConfigCache)
    is_sqlite: bool = False
    # SQLite has one writer at a time; in one process, queue writers here rather than
    # letting them spin on the database lock.
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    # Signing key of links (acknowledgements, customer view) and where people reach us.
    secret: bytes = b"insecure-development-key"
    public_url: str = "http://127.0.0.1:8000"
    # Environment variables configurations may read (`${NAME}`): glob patterns.
    config_env: str = "*"
    # Called at named points of the worker's transactions; tests use it to stop the
    # process abruptly there (see `slaguard.worker.crash`).
    checkpoint: Callable[[str], None] = lambda _name: None

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """One write transaction: committed when the block ends, rolled back on error.

        A unique constraint that a concurrent writer won first (the same ticket, tenant
        or idempotency key created by two requests at once) is a ConflictError, as it
        would have been had the other request finished first."""
        lock = self.write_lock if self.is_sqlite else None
        if lock is not None:
            lock.acquire()
        try:
            with Session(self.write_engine, expire_on_commit=False) as session, session.begin():
                yield session
        except IntegrityError:
            raise ConflictError(
                "a concurrent request wrote the same record first; send it again"
            ) from None
        finally:
            if lock is not None:
                lock.release()

    def database_ok(self) -> bool:
        """Whether the database answers a trivial query."""
        try:
            with self.reading() as s:
                s.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session
