"""The composition the use cases run in: database engines, the clock, configuration cache.

Built once per process by `slaguard.bootstrap.build_services`; nothing here is created at
import. Each use case opens one transaction (`writing()` or `reading()`) and commits once.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, TypeVar

from sqlalchemy import Engine, event, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction

from slaguard.app.fair_semaphore import FairSemaphore
from slaguard.app.group_commit import GroupCommit
from slaguard.app.history import HistoryCache
from slaguard.domain.calendar import to_us
from slaguard.domain.errors import ConflictError
from slaguard.domain.policy import SlaConfig

__all__ = ["API_KEY_TTL_S", "ConfigCache", "Services", "TtlCache", "on_commit", "system_clock"]

T = TypeVar("T")
V = TypeVar("V")


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


class TtlCache(Generic[V]):
    """A bounded map whose entries are forgotten `ttl` seconds after they were stored
    (on the monotonic clock), the oldest first when it is full."""

    def __init__(
        self, ttl: float, size: int = 1024, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._items: OrderedDict[str, tuple[float, V]] = OrderedDict()
        self._ttl = ttl
        self._size = size
        self._monotonic = monotonic
        self._lock = threading.Lock()

    def get(self, key: str) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            if found[0] <= self._monotonic():
                del self._items[key]
                return None
            return found[1]

    def put(self, key: str, value: V) -> None:
        with self._lock:
            self._items[key] = (self._monotonic() + self._ttl, value)
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def discard(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)


# How long a process trusts an API key it has checked: revoking a key in the database
# takes effect in every process within this many seconds.
API_KEY_TTL_S = 5.0


@dataclass
class Services:
    engine: Engine
    write_engine: Engine
    clock: Callable[[], int] = system_clock
    configs: ConfigCache = field(default_factory=ConfigCache)
    # Tickets' stored events, parsed (see `slaguard.app.history`).
    histories: HistoryCache = field(default_factory=HistoryCache)
    # Valid API keys by hash -> (tenant id, tenant name, role); see `tenants.authenticate`.
    api_keys: TtlCache[tuple[int, str, str]] = field(
        default_factory=lambda: TtlCache[tuple[int, str, str]](API_KEY_TTL_S)
    )
    is_sqlite: bool = False
    # Signing key of links (acknowledgements, customer view) and where people reach us.
    secret: bytes = b"insecure-development-key"
    public_url: str = "http://127.0.0.1:8000"
    # Environment variables configurations may read (`${NAME}`): glob patterns.
    config_env: str = "*"
    # Called at named points of the worker's transactions; tests use it to stop the
    # process abruptly there (see `slaguard.worker.crash`).
    checkpoint: Callable[[str], None] = lambda _name: None
    # PostgreSQL: how many write transactions this process runs at once; the others wait
    # their turn before they take a connection. `submit_write` has as many threads.
    write_concurrency: int = 4
    _group: GroupCommit = field(init=False, repr=False)
    # Taken by every write transaction: one at a time on SQLite (one writer: queued here
    # rather than spinning on the database lock), `write_concurrency` on PostgreSQL.
    # Fair: a request waits behind those that came before it, never for ever.
    _write_slots: FairSemaphore = field(init=False, repr=False)
    _writers: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)
    _writers_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self._group = GroupCommit(self.writing)
        slots = 1 if self.is_sqlite else max(self.write_concurrency, 1)
        self._write_slots = FairSemaphore(slots)

    def write(self, fn: Callable[[Session], T]) -> T:
        """`fn(session)` in a write transaction, committed before this returns; its
        result. On SQLite, concurrent calls share transactions, each in a savepoint of
        its own (`app/group_commit.py`): for short writes many requests make at once."""
        if self.is_sqlite:
            return self._group.run(fn)
        return self._write_now(fn)

    def submit_write(self, fn: Callable[[Session], T]) -> Future[T]:
        """`write(fn)` run by a thread of the services' own; the future holds its result
        once committed. For callers on an event loop, which await it rather than block a
        thread of their own on the write."""
        if self.is_sqlite:
            return self._group.submit(fn)
        with self._writers_lock:
            if self._writers is None:
                self._writers = ThreadPoolExecutor(
                    self.write_concurrency, thread_name_prefix="slaguard-write"
                )
        return self._writers.submit(self._write_now, fn)

    def _write_now(self, fn: Callable[[Session], T]) -> T:
        with self.writing() as s:
            return fn(s)

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """One write transaction: committed when the block ends, rolled back on error.

        A unique constraint that a concurrent writer won first (the same ticket, tenant
        or idempotency key created by two requests at once) is a ConflictError, as it
        would have been had the other request finished first.

        On PostgreSQL at most `write_concurrency` of them run at once. On two cores more
        only interleave: they add no throughput, and every request holding its parsed
        input and half-built rows at the same time sets the process's resident memory
        (the allocator keeps what a peak took)."""
        self._write_slots.acquire()
        try:
            with Session(self.write_engine, expire_on_commit=False) as session:
                with session.begin():
                    yield session
                committed = _committed(session)
        except IntegrityError:
            raise ConflictError(
                "a concurrent request wrote the same record first; send it again"
            ) from None
        finally:
            self._write_slots.release()
        for fn in committed:
            fn()

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


# -- after commit --------------------------------------------------------------------------

_ON_COMMIT = "slaguard.on_commit"
_Pending = list[tuple[tuple[SessionTransaction, ...], Callable[[], None]]]


def on_commit(s: Session, fn: Callable[[], None]) -> None:
    """Call `fn` once the transaction of `s` (from `Services.writing`) has committed;
    never if it rolls back, nor if a savepoint open when `fn` was registered rolls back.
    For caches that must hold committed state only."""
    pending: _Pending | None = s.info.get(_ON_COMMIT)
    if pending is None:
        pending = s.info[_ON_COMMIT] = []
        event.listen(s, "after_soft_rollback", _forget_rolled_back)
    savepoints: list[SessionTransaction] = []
    tx = s.get_nested_transaction()
    while tx is not None and tx.nested:
        savepoints.append(tx)
        tx = tx.parent
    pending.append((tuple(savepoints), fn))


def _forget_rolled_back(s: Session, previous: SessionTransaction) -> None:
    pending: _Pending = s.info.get(_ON_COMMIT, [])
    if previous.nested:
        pending[:] = [(inside, fn) for inside, fn in pending if previous not in inside]
    else:
        pending.clear()


def _committed(s: Session) -> list[Callable[[], None]]:
    pending: _Pending = s.info.pop(_ON_COMMIT, [])
    return [fn for _, fn in pending]
