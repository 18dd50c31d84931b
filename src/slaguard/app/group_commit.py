"""SQLite: the writes of concurrent requests, committed together (group commit).

SQLite has one writer at a time. With a transaction per request, every request paid for
its own BEGIN, its own commit (the WAL frames of every page it touched, even when the
request before it had just written the same pages) and a hand-over of the write lock
between threads. Here a request hands its write (a function of the session) to the
`GroupCommit` and waits. Whichever waiting request finds no batch running leads: it takes
every write queued so far, runs them one after another in one transaction, each in a
savepoint of its own, commits, and gives each request its result or error.

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
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from slaguard.domain.errors import ConflictError

__all__ = ["GroupCommit"]

T = TypeVar("T")

_CONFLICT = "a concurrent request wrote the same record first; send it again"


@dataclass(eq=False, slots=True)
class _Write(Generic[T]):
    write: Callable[[Session], T]
    value: Any = None
    error: BaseException | None = None
    done: bool = False


class GroupCommit:
    """Runs writes of many threads in shared transactions opened by `transaction` (which
    serialises them with every other writer and commits when its block ends)."""

    def __init__(self, transaction: Callable[[], AbstractContextManager[Session]]) -> None:
        self._transaction = transaction
        self._queue: list[_Write[Any]] = []
        self._leading = False
        self._turn = threading.Condition()

    def run(self, write: Callable[[Session], T]) -> T:
        """`write(session)` committed, and its result; its error if it raised."""
        mine: _Write[T] = _Write(write)
        with self._turn:
            self._queue.append(mine)
            while self._leading and not mine.done:
                self._turn.wait()
            if not mine.done:
                self._leading = True
                batch, self._queue = self._queue, []
        if not mine.done:
            try:
                self._commit(batch)
            finally:
                with self._turn:
                    self._leading = False
                    self._turn.notify_all()
        if mine.error is not None:
            raise mine.error
        return mine.value  # type: ignore[no-any-return]

    def _commit(self, batch: list[_Write[Any]]) -> None:
        try:
            with self._transaction() as s:
                for w in batch:
                    try:
                        with s.begin_nested():
                            w.value = w.write(s)
                    except Exception as exc:
                        # Rows a write changed with Core statements are unknown to the
                        # ORM: after the rollback, every object is read afresh.
                        s.expire_all()
                        w.error = (
                            ConflictError(_CONFLICT) if isinstance(exc, IntegrityError) else exc
                        )
        except BaseException as exc:
            for w in batch:
                if w.error is None:
                    w.error = exc
            if not isinstance(exc, Exception):
                raise
        finally:
            for w in batch:
                w.done = True
