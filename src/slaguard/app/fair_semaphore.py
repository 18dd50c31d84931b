"""A counting semaphore that hands free slots to the threads waiting, first come first served.

`threading.Semaphore` is not fair: `release` wakes the longest waiter, but a thread that
arrives meanwhile may take the slot first, and the one woken then waits again, at the
back of the queue. Under steady load (the write transactions of dozens of concurrent
requests, each client sending its next request as soon as it has an answer) a request
can lose that race over and over: its latency grows to many times everyone else's.
Here `release` gives the slot to the first waiter directly, and a newcomer queues behind
every thread already waiting. The standard library has no fair semaphore, nor does a
library we use, hence this one.
"""

from __future__ import annotations

import threading
from collections import deque
from types import TracebackType

__all__ = ["FairSemaphore"]


class FairSemaphore:
    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("a semaphore needs at least one slot")
        self._free = slots
        self._slots = slots
        self._lock = threading.Lock()
        # One lock per waiting thread, held until `release` hands it the slot.
        self._waiters: deque[threading.Lock] = deque()

    @property
    def waiting(self) -> int:
        """How many threads wait for a slot."""
        with self._lock:
            return len(self._waiters)

    def acquire(self) -> None:
        """Take a slot, after every thread that was already waiting for one."""
        with self._lock:
            if self._free and not self._waiters:
                self._free -= 1
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        try:
            turn.acquire()  # released by `release`: the slot it frees is now this thread's
        except BaseException:  # interrupted while waiting (KeyboardInterrupt, say)
            with self._lock:
                if turn in self._waiters:
                    self._waiters.remove(turn)
                    raise
            self.release()  # the slot had been handed over just now: pass it on
            raise

    def release(self) -> None:
        """Give the slot back: to the first thread waiting, if any."""
        with self._lock:
            if self._waiters:
                self._waiters.popleft().release()
            elif self._free < self._slots:
                self._free += 1
            else:
                raise ValueError("released more often than acquired")

    def __enter__(self) -> FairSemaphore:
        self.acquire()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.release()
