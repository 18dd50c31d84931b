"""FairSemaphore: at most `slots` holders, slots handed to waiters in arrival order, and a
thread that arrives while others wait queues behind them."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from slaguard.app.fair_semaphore import FairSemaphore


def _wait_until(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.001)


def test_waiters_get_the_slot_in_the_order_they_came() -> None:
    sem = FairSemaphore(1)
    sem.acquire()
    order: list[int] = []
    threads = []
    for n in range(8):

        def take(n: int = n) -> None:
            with sem:
                order.append(n)

        t = threading.Thread(target=take)
        t.start()
        _wait_until(lambda n=n: sem.waiting == n + 1)  # queued before the next one starts
        threads.append(t)
    sem.release()
    for t in threads:
        t.join(5)
    assert order == list(range(8))


def test_a_newcomer_does_not_take_a_slot_someone_waits_for() -> None:
    sem = FairSemaphore(1)
    sem.acquire()
    holding, done = threading.Event(), threading.Event()
    order: list[str] = []

    def first() -> None:
        with sem:
            order.append("first")
            holding.set()
            done.wait(5)

    def newcomer() -> None:
        with sem:
            order.append("newcomer")

    a = threading.Thread(target=first)
    a.start()
    _wait_until(lambda: sem.waiting == 1)
    b = threading.Thread(target=newcomer)
    sem.release()  # handed to `first`, not left for whoever asks next ...
    b.start()  # ... such as this thread, arriving before `first` has woken
    holding.wait(5)
    _wait_until(lambda: sem.waiting == 1)  # queued: the slot is `first`'s
    assert order == ["first"]
    done.set()
    a.join(5)
    b.join(5)
    assert order == ["first", "newcomer"]


def test_never_more_holders_than_slots() -> None:
    sem = FairSemaphore(3)
    lock = threading.Lock()
    inside = most = 0

    def work() -> None:
        nonlocal inside, most
        for _ in range(200):
            with sem:
                with lock:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0)
                with lock:
                    inside -= 1

    threads = [threading.Thread(target=work) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert most == 3
    assert inside == 0
    for _ in range(3):  # every slot free again
        sem.acquire()
    assert sem.waiting == 0


def test_misuse_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one slot"):
        FairSemaphore(0)
    sem = FairSemaphore(2)
    sem.acquire()
    sem.release()
    with pytest.raises(ValueError, match="more often than acquired"):
        sem.release()


class _Interrupted(Exception):
    pass


def test_a_waiter_interrupted_leaves_the_queue_and_loses_no_slot() -> None:
    sem = FairSemaphore(1)
    sem.acquire()  # held: the next acquire waits

    def interrupt(_signum: int, _frame: object) -> None:
        raise _Interrupted

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        with pytest.raises(_Interrupted):
            sem.acquire()  # this thread waits, and a signal interrupts it
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert sem.waiting == 0
    sem.release()
    sem.acquire()  # the slot is free again, not handed to the waiter that left
    sem.release()
