"""SQLite: the writes of concurrent requests, committed together (group commit).

SQLite has one writer at a time. With a transaction per request, every request paid for
its own BEGIN, its own commit (the WAL frames of every page it touched, even when the
request before it had just written the same pages) and a hand-over of the write lock
between threads. Here a request hands its write (a function of the session) to the
`GroupCommit` and waits for its future. One thread of the `GroupCommit`'s own, the
writer, takes every write queued so far, runs them one after another in one
transaction, each in a savepoint of its own, commits, and gives each write its result
or error; then it takes what queued meanwhile.

A request of the event loop awaits its future (`submit`) instead of occupying a worker
thread while it waits: with dozens of concurrent requests, a thread each, blocked on a
lock and woken in turn, cost more than their writes (each wake-up a hand-over of the
interpreter lock). The writer thread ends after a while without work and is started
again by the next write.

What each request still gets, exactly as with a transaction of its own:
- its answer only after the commit that holds its write ("committed before the reply");
- all of its write or none of it: a write that raises rolls back to its savepoint and
  leaves the others alone; if the commit itself fails, every write of the batch fails
  with that error (none of them had been answered);
- the database as the writes before it left it: the writes of a batch run in the order
  they were queued, so a repeated idempotency key finds the event stored just before;
- after-commit hooks (`services.on_commit`) of its write only if that write is committed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from slaguard.domain.errors import ConflictError

__all__ = ["GroupCommit"]

T = TypeVar("T")

_CONFLICT = "a concurrent request wrote the same record first; send it again"
# How long the writer thread waits for work before it ends.
_IDLE_S = 30.0

_Write = tuple[Callable[[Session], Any], "Future[Any]"]


class GroupCommit:
    """Runs writes of many threads in shared transactions opened by `transaction` (which
    serialises them with every other writer and commits when its block ends)."""

    def __init__(
        self, transaction: Callable[[], AbstractContextManager[Session]], idle_s: float = _IDLE_S
    ) -> None:
        self._transaction = transaction
        self._idle_s = idle_s
        self._queue: list[_Write] = []
        self._writer: threading.Thread | None = None
        self._turn = threading.Condition()

    def submit(self, write: Callable[[Session], T]) -> Future[T]:
        """Queue `write(session)`; the future holds its result once committed, or its
        error."""
        future: Future[T] = Future()
        future.set_running_or_notify_cancel()
        with self._turn:
            self._queue.append((write, future))
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_batches, name="slaguard-group-commit", daemon=True
                )
                self._writer.start()
            else:
                self._turn.notify()
        return future

    def run(self, write: Callable[[Session], T]) -> T:
        """`write(session)` committed, and its result; its error if it raised."""
        return self.submit(write).result()

    def _write_batches(self) -> None:
        me = threading.current_thread()
        try:
            while True:
                with self._turn:
                    if not self._queue:
                        self._turn.wait(self._idle_s)
                    if not self._queue:
                        self._writer = None  # the next submit starts another
                        return
                    batch, self._queue = self._queue, []
                self._commit(batch)
        finally:  # ended by an error that is not an Exception: let the next submit
            with self._turn:  # start another writer
                if self._writer is me:
                    self._writer = None

    def _commit(self, batch: list[_Write]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            with self._transaction() as s:
                for write, _ in batch:
                    try:
                        with s.begin_nested():
                            outcomes.append((True, write(s)))
                    except Exception as exc:
                        # Rows a write changed with Core statements are unknown to the
                        # ORM: after the rollback, every object is read afresh.
                        s.expire_all()
                        error = ConflictError(_CONFLICT) if isinstance(exc, IntegrityError) else exc
                        outcomes.append((False, error))
        except BaseException as exc:
            # The commit (or the transaction around the writes) failed: nothing of the
            # batch is stored, and every write that had succeeded fails with it.
            outcomes = [(False, value if not ok else exc) for ok, value in outcomes]
            outcomes += [(False, exc)] * (len(batch) - len(outcomes))
            if not isinstance(exc, Exception):
                for (_, future), (_, error) in zip(batch, outcomes, strict=True):
                    future.set_exception(error)
                raise
        for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
