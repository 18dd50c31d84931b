"""Group commit: writes queued while a batch runs share the next transaction; each gets
its own result or error, and none is answered before its commit."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from slaguard.app.group_commit import GroupCommit
from slaguard.domain.errors import ConflictError


class FakeSession:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    @contextmanager
    def begin_nested(self) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self.log.append("rollback to savepoint")
            raise

    def expire_all(self) -> None:
        self.log.append("expire all")


class FakeDatabase:
    def __init__(self) -> None:
        self.log: list[str] = []
        self.fail_commit = False

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        self.log.append("begin")
        yield FakeSession(self.log)
        if self.fail_commit:
            self.log.append("commit failed")
            raise OSError("disk full")
        self.log.append("commit")


def run_together(group: GroupCommit, db: FakeDatabase, writes: list[Any]) -> list[Any]:
    """Runs `writes` from threads of their own while a first write holds the batch open,
    so that they queue up and share the next transaction; their outcomes in order."""
    holding = threading.Event()
    release = threading.Event()

    def first(_s: Any) -> str:
        holding.set()
        release.wait(5)
        return "first"

    outcomes: list[Any] = [None] * len(writes)

    def call(i: int) -> None:
        try:
            outcomes[i] = group.run(writes[i])
        except Exception as exc:
            outcomes[i] = exc

    def lead() -> None:
        # Its outcome is the batch's, checked through the others.
        with contextlib.suppress(Exception):
            group.run(first)

    leader = threading.Thread(target=lead)
    leader.start()
    assert holding.wait(5)
    threads = []
    for i in range(len(writes)):
        t = threading.Thread(target=call, args=(i,))
        t.start()
        threads.append(t)
        while len(group._queue) < i + 1:  # queued in this order
            threading.Event().wait(0.001)
    release.set()
    for t in [leader, *threads]:
        t.join(5)
    return outcomes


def test_queued_writes_share_one_transaction_in_order() -> None:
    db = FakeDatabase()
    group = GroupCommit(db.transaction)

    def write(name: str) -> Any:
        def w(_s: Any) -> str:
            db.log.append(name)
            return name.upper()

        return w

    outcomes = run_together(group, db, [write("a"), write("b"), write("c")])
    assert outcomes == ["A", "B", "C"]
    assert db.log == ["begin", "commit", "begin", "a", "b", "c", "commit"]


def test_a_failing_write_is_rolled_back_alone() -> None:
    db = FakeDatabase()
    group = GroupCommit(db.transaction)

    def bad(_s: Any) -> None:
        raise ValueError("no")

    def duplicate(_s: Any) -> None:
        raise IntegrityError("INSERT", {}, Exception("unique"))

    outcomes = run_together(group, db, [lambda _s: 1, bad, duplicate, lambda _s: 4])
    assert outcomes[0] == 1 and outcomes[3] == 4
    assert isinstance(outcomes[1], ValueError)
    assert isinstance(outcomes[2], ConflictError)
    assert db.log == [
        "begin",
        "commit",
        "begin",
        "rollback to savepoint",
        "expire all",
        "rollback to savepoint",
        "expire all",
        "commit",
    ]


def test_when_the_commit_fails_every_write_of_the_batch_fails() -> None:
    db = FakeDatabase()
    group = GroupCommit(db.transaction)
    db.fail_commit = True
    outcomes = run_together(group, db, [lambda _s: 1, lambda _s: 2])
    assert all(isinstance(o, OSError) for o in outcomes)
    with pytest.raises(OSError):
        group.run(lambda _s: 3)
    db.fail_commit = False
    assert group.run(lambda _s: 4) == 4


def test_the_writer_thread_ends_when_idle_and_the_next_write_starts_another() -> None:
    db = FakeDatabase()
    group = GroupCommit(db.transaction, idle_s=0.05)
    assert group.run(lambda _s: 1) == 1
    first = group._writer
    deadline = time.monotonic() + 5
    while group._writer is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert group._writer is None
    assert first is not None and not first.is_alive()
    assert group.run(lambda _s: 2) == 2
    assert db.log == ["begin", "commit", "begin", "commit"]


def test_writes_are_awaited_on_an_event_loop_without_blocking_it() -> None:
    db = FakeDatabase()
    group = GroupCommit(db.transaction)
    release = threading.Event()
    ticks: list[int] = []

    def slow(_s: Any) -> str:
        release.wait(5)
        return "slow"

    async def main() -> list[Any]:
        waiting = asyncio.wrap_future(group.submit(slow))
        queued = asyncio.wrap_future(group.submit(lambda _s: "queued"))
        for i in range(3):  # the loop runs while the writes wait
            ticks.append(i)
            await asyncio.sleep(0)
        release.set()
        return list(await asyncio.gather(waiting, queued))

    assert asyncio.run(main()) == ["slow", "queued"]
    assert ticks == [0, 1, 2]
