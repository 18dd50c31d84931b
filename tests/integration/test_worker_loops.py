"""The worker's two loops: how long one sleeps when nothing was taken."""

from __future__ import annotations

import asyncio
import time

from slaguard.app.services import Services
from slaguard.worker.runner import _HELD_ELSEWHERE_S, Worker


def slept(
    services: Services, due_in_s: float | None, poll: float = 0.5, *, took: bool = False
) -> float:
    async def sleep() -> float:
        worker = Worker(services, deliverer=None)  # type: ignore[arg-type]
        worker.options = type(worker.options)(poll_seconds=poll)
        due = None if due_in_s is None else services.clock() + round(due_in_s * 1e6)
        start = time.monotonic()
        await worker._sleep(asyncio.Event(), asyncio.Event(), lambda _svc: due, took=took)
        return time.monotonic() - start

    return asyncio.run(sleep())


def test_work_due_but_held_by_another_worker_is_a_short_pause_not_a_spin(
    services: Services,
) -> None:
    assert _HELD_ELSEWHERE_S * 0.8 <= slept(services, -5.0) < 0.4


def test_more_due_after_a_round_that_took_work_is_taken_at_once(services: Services) -> None:
    assert slept(services, -0.01, took=True) < _HELD_ELSEWHERE_S * 0.8


def test_nothing_due_sleeps_until_the_poll(services: Services) -> None:
    assert 0.15 <= slept(services, None, poll=0.2) < 0.6
    assert 0.15 <= slept(services, 60.0, poll=0.2) < 0.6


def test_a_wake_up_ends_the_sleep_at_once(services: Services) -> None:
    async def woken() -> float:
        worker = Worker(services, deliverer=None)  # type: ignore[arg-type]
        wake = asyncio.Event()
        asyncio.get_running_loop().call_later(0.05, wake.set)
        start = time.monotonic()
        await worker._sleep(asyncio.Event(), wake, lambda _svc: None)
        return time.monotonic() - start

    assert asyncio.run(woken()) < 0.3
