"""Figures that are costly to compute, remembered by the process for a while and computed
once at a time: the reports page's (minutes) and the SLA hub's (its live-refresh
interval)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import structlog

__all__ = ["FigureCache"]

log = structlog.get_logger("slaguard.web")


class FigureCache:
    """Figures by key. Fresh for `ttl` seconds; for `stale` seconds after that they are
    still served (with the instant they were computed at) while one background thread
    computes them again, so that only the first view of a window waits for the database.
    A missing or older figure is computed by the request, one computation per key at a
    time (requests asking meanwhile wait for it)."""

    def __init__(
        self,
        ttl: float,
        stale: float,
        size: int = 256,
        monotonic: Callable[[], float] = time.monotonic,
        background: Callable[[Callable[[], None]], None] | None = None,
    ) -> None:
        self._ttl, self._stale, self._size, self._monotonic = ttl, stale, size, monotonic
        self._items: OrderedDict[str, tuple[float, int, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[str, threading.Lock] = {}
        self._background = background or _in_a_thread

    def get(
        self, key: str, compute: Callable[[], Any], clock: Callable[[], int]
    ) -> tuple[int, Any]:
        """(when it was computed (`clock`), the value)."""
        with self._lock:
            found = self._items.get(key)
        if found is not None:
            age = self._monotonic() - found[0]
            if age < self._ttl:
                return found[1], found[2]
            if age < self._ttl + self._stale:
                self._refresh(key, compute, clock)
                return found[1], found[2]
        computed = self._compute(key, compute, clock, wait=True)
        assert computed is not None  # (waiting, it always computes or finds one)
        return computed

    def _refresh(self, key: str, compute: Callable[[], Any], clock: Callable[[], int]) -> None:
        lock = self._lock_of(key)
        if lock.locked():  # being computed already
            return

        def work() -> None:
            self._compute(key, compute, clock, wait=False)

        self._background(work)

    def _lock_of(self, key: str) -> threading.Lock:
        with self._lock:
            return self._computing.setdefault(key, threading.Lock())

    def _compute(
        self, key: str, compute: Callable[[], Any], clock: Callable[[], int], *, wait: bool
    ) -> tuple[int, Any] | None:
        lock = self._lock_of(key)
        if not lock.acquire(blocking=wait):
            return None
        try:
            with self._lock:
                found = self._items.get(key)
            if found is not None and self._monotonic() - found[0] < self._ttl:
                return found[1], found[2]  # computed while this one waited
            as_of, value = clock(), compute()
            with self._lock:
                self._items[key] = (self._monotonic(), as_of, value)
                self._items.move_to_end(key)
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
            return as_of, value
        finally:
            with self._lock:
                self._computing.pop(key, None)
            lock.release()


def _in_a_thread(work: Callable[[], None]) -> None:
    def run() -> None:
        try:
            work()
        except Exception:
            log.exception("refreshing figures failed")

    threading.Thread(target=run, name="figures-refresh", daemon=True).start()
