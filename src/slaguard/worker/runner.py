"""The worker: fire what is due, deliver what is claimed, sleep until the next timer.

Two loops run side by side, so that deliveries never wait behind a batch of firing:
- firing: fire due timers (`app/firing.py`, up to `batch` tickets a transaction), bring
  the stored clocks of tickets whose clocks changed by time alone up to date
  (`app/refresh.py`), seal new audit records into their chains (`app/audit.py`, at
  most once a second) and sample team backlogs hourly (`app/backlog.py`, asking at
  most once a minute); again at once while there was work, else asleep until the
  earliest timer or clock refresh;
- delivering: claim due outbox rows (up to `concurrency`), send them concurrently,
  record the outcomes; again at once while there was work, else asleep until the
  earliest delivery, or until the firing loop has committed a batch.
A loop sleeps at most `poll_seconds`; on PostgreSQL a NOTIFY from a write that planned
a timer soon wakes both at once. A loop that finds work due that it cannot take (other
workers hold it, about to commit) pauses briefly instead of spinning. Database work
runs in threads (the use cases are synchronous); sending is asyncio. `run_once` runs
the two in turn until nothing is left (the `automations run` endpoint and tests).

Several workers may run against one PostgreSQL database: timers are taken per ticket
and deliveries per row with SKIP LOCKED, so none is processed twice at once, and each
worker takes the next ones nobody holds; on SQLite run one worker.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog

from slaguard.app import audit, backlog, due, firing, outbox, refresh
from slaguard.app.outbox import Claimed, Outcome
from slaguard.app.services import Services
from slaguard.notify import Deliverer, DeliveryFailed
from slaguard.settings import Settings

__all__ = ["RoundStats", "Worker", "WorkerOptions"]

log = structlog.get_logger("slaguard.worker")

Send = Callable[[Claimed], Awaitable[None]]
# The pause of a loop that found work due but took none (other workers hold it).
_HELD_ELSEWHERE_S = 0.05
# After a firing batch that was not full, the next starts at least this long after it
# began: levels falling due meanwhile go in one batch rather than in many small ones
# (each costs a dozen statements whatever its size).
_GATHER_S = 0.1
# While firing, new audit records are sealed at most this often (a few thousand at a time
# in a burst rather than a few hundred after every batch), and whether the hourly backlog
# sample is due is asked at most this often.
_SEAL_EVERY_S = 1.0
_SAMPLE_EVERY_S = 60.0


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    batch: int = 200
    poll_seconds: float = 0.5
    concurrency: int = 64
    max_attempts: int = 8
    backoff_seconds: float = 5.0
    backoff_max_seconds: float = 3600.0
    lease_seconds: float = 60.0

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerOptions:
        return cls(
            batch=settings.worker_batch,
            poll_seconds=settings.worker_poll_seconds,
            concurrency=settings.delivery_concurrency,
            max_attempts=settings.delivery_max_attempts,
            backoff_seconds=settings.delivery_backoff_seconds,
            backoff_max_seconds=settings.delivery_backoff_max_seconds,
            lease_seconds=settings.delivery_lease_seconds,
        )


@dataclass(slots=True)
class RoundStats:
    tickets: int = 0
    sent: int = 0
    failed: int = 0

    @property
    def busy(self) -> bool:
        return bool(self.tickets or self.sent or self.failed)


@dataclass
class Worker:
    svc: Services
    deliverer: Deliverer
    options: WorkerOptions = field(default_factory=WorkerOptions)
    database_url: str | None = None  # PostgreSQL: LISTEN for wake-ups
    _wake: asyncio.Event = field(default_factory=asyncio.Event)  # a timer planned soon
    _outbox: asyncio.Event = field(default_factory=asyncio.Event)  # deliveries written
    # Deliveries this worker just fired, due now, written leased to it (with the instant
    # the lease ends): sent without a claim, ahead of a search for others.
    _fresh: collections.deque[tuple[int, Claimed]] = field(default_factory=collections.deque)

    async def run_once(self) -> RoundStats:
        """Everything due now, fired and delivered (as far as one attempt each goes)."""
        total = RoundStats()
        while True:
            stats = RoundStats(tickets=(await self._fire_round())[0])
            stats.sent, stats.failed = await self._deliver_round()
            total.tickets += stats.tickets
            total.sent += stats.sent
            total.failed += stats.failed
            if not stats.busy:
                return total

    async def run_forever(self, stop: asyncio.Event) -> None:
        listener = None
        if self.database_url is not None and self.database_url.startswith("postgresql"):
            listener = asyncio.create_task(self._listen(stop))
        log.info("worker_started", concurrency=self.options.concurrency)
        try:
            await asyncio.gather(self._fire_loop(stop), self._deliver_loop(stop))
        finally:
            if listener is not None:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener
            log.info("worker_stopped")

    async def _fire_loop(self, stop: asyncio.Event) -> None:
        sealed = sampled = -math.inf  # monotonic instants of the last seal and sample
        while not stop.is_set():
            now = time.monotonic()
            seal, sample = now - sealed >= _SEAL_EVERY_S, now - sampled >= _SAMPLE_EVERY_S
            self._wake.clear()
            try:
                taken, full = await self._fire_round(seal=seal, sample=sample)
            except Exception:
                log.exception("worker_round_failed")
                taken, full = 0, False
            sealed, sampled = (now if seal else sealed), (now if sample else sampled)
            if taken:
                self._outbox.set()  # committed: there may be deliveries to claim
            if not full:
                # a batch that was not full: let the next gather for a moment
                linger = _GATHER_S - (time.monotonic() - now) if taken else 0.0
                await self._sleep(stop, self._wake, due.next_due, took=bool(taken), linger=linger)

    async def _deliver_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._outbox.clear()
            try:
                sent, failed = await self._deliver_round()
            except Exception:
                log.exception("delivery_round_failed")
                sent = failed = 0
            if sent + failed < self.options.concurrency:
                await self._sleep(stop, self._outbox, outbox.next_due, took=bool(sent + failed))

    async def _fire_round(self, *, seal: bool = True, sample: bool = True) -> tuple[int, bool]:
        """Fire due timers and refresh clocks (one batch each), seal new audit records,
        sample backlogs when an hour has passed; how many tickets were taken, and whether
        a batch was full (more may be due)."""
        svc, opts = self.svc, self.options
        fresh: list[Claimed] = []
        now, lease_us = svc.clock(), self._lease_us
        fired = await asyncio.to_thread(
            firing.fire_due, svc, now=now, limit=opts.batch, fresh=fresh, lease_us=lease_us
        )
        self._fresh.extend((now + lease_us, c) for c in fresh)
        refreshed = await asyncio.to_thread(
            refresh.refresh_due, svc, now=svc.clock(), limit=opts.batch
        )
        if seal:
            await asyncio.to_thread(audit.seal, svc)
        if sample:
            await asyncio.to_thread(backlog.sample_if_due, svc, now=svc.clock())
        return fired + refreshed, opts.batch in (fired, refreshed)

    async def _deliver_round(self) -> tuple[int, int]:
        """Claim due deliveries, send them concurrently, record the outcomes; how many
        were sent and how many failed."""
        svc, opts = self.svc, self.options
        lease_us = self._lease_us
        claimed: list[Claimed] = []
        now = svc.clock()
        while self._fresh and len(claimed) < opts.concurrency:  # leased to this worker
            until, c = self._fresh.popleft()
            if until > now:  # else the lease ended: anyone may have claimed it since
                claimed.append(c)
        if not claimed:  # anything else due: retries, other workers' leftovers, digests
            claimed = await asyncio.to_thread(
                outbox.claim, svc, now=svc.clock(), limit=opts.concurrency, lease_us=lease_us
            )
        if not claimed:
            return 0, 0
        svc.checkpoint("claimed")
        outcomes = await asyncio.gather(*(self._send(c) for c in claimed))
        svc.checkpoint("sent")
        await asyncio.to_thread(
            outbox.finish,
            svc,
            outcomes,
            now=svc.clock(),
            max_attempts=opts.max_attempts,
            base_s=opts.backoff_seconds,
            cap_s=opts.backoff_max_seconds,
        )
        sent = sum(o.ok for o in outcomes)
        return sent, len(outcomes) - sent

    @property
    def _lease_us(self) -> int:
        return round(self.options.lease_seconds * 1_000_000)

    async def _send(self, c: Claimed) -> Outcome:
        try:
            await self.deliverer.deliver(
                delivery_id=c.delivery_id,
                channel_type=c.channel_type,
                settings=c.settings,
                payload=c.payload,
            )
        except DeliveryFailed as exc:
            log.warning(
                "delivery_failed",
                delivery=c.delivery_id,
                attempt=c.attempts,
                permanent=exc.permanent,
                error=exc.message,
            )
            return Outcome(c.row_id, False, exc.message, exc.permanent, exc.retry_after)
        except Exception as exc:  # a bug in a sender must not stop the worker
            log.exception("delivery_crashed", delivery=c.delivery_id)
            return Outcome(c.row_id, False, f"{type(exc).__name__}: {exc}")
        log.info("delivered", delivery=c.delivery_id, kind=c.payload.get("kind"))
        return Outcome(c.row_id, True)

    async def _sleep(
        self,
        stop: asyncio.Event,
        wake: asyncio.Event,
        next_due: Callable[[Services], int | None],
        *,
        took: bool = False,
        linger: float = 0.0,
    ) -> None:
        """Until the next due instant (at most `poll_seconds`), `wake` or `stop`; the
        loops clear `wake` before each round, so a wake-up during the round is not lost.
        When something is due already: no sleep after a round that `took` work (more
        fell due meanwhile), else a short pause rather than a spin (other workers hold
        it, about to commit)."""
        svc = self.svc
        due = await asyncio.to_thread(next_due, svc)
        wait = self.options.poll_seconds
        if due is not None:
            ahead = (due - svc.clock()) / 1_000_000
            if ahead <= 0 and took and linger <= 0:
                return
            wait = min(wait, ahead if ahead > 0 else _HELD_ELSEWHERE_S)
            wait = max(wait, linger)
        waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(wake.wait())]
        _, pending = await asyncio.wait(waiters, timeout=wait, return_when="FIRST_COMPLETED")
        for t in pending:
            t.cancel()

    async def _listen(self, stop: asyncio.Event) -> None:
        """Wake up on PostgreSQL NOTIFY from writes that planned a timer soon."""
        import psycopg
        from sqlalchemy.engine import make_url

        from slaguard.app.timers import WAKE_CHANNEL

        assert self.database_url is not None
        url = make_url(self.database_url).set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        while not stop.is_set():
            try:
                async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {WAKE_CHANNEL}")
                    async for _ in conn.notifies():
                        self._wake.set()
                        self._outbox.set()  # the write may have enqueued notifications
            except (psycopg.Error, OSError) as exc:
                log.warning("listen_failed", error=str(exc))
                await asyncio.sleep(self.options.poll_seconds)
