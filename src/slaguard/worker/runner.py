"""The worker loop: fire what is due, deliver what is claimed, sleep until the next timer.

Each round: (1) fire due timers, ticket by ticket, and bring the stored clocks of
tickets whose clocks changed by time alone up to date (`app/refresh.py`), and seal
new audit records into their chains (`app/audit.py`), and sample team backlogs
hourly (`app/backlog.py`); (2) claim due
outbox rows and send them concurrently; (3) record the outcomes. When nothing is due
it sleeps until the earliest timer or delivery, at most `poll_seconds`, and on
PostgreSQL a NOTIFY from a write that planned a timer soon wakes it at once. Database
work runs in threads (the use cases are synchronous); sending is asyncio.

Several workers may run against one PostgreSQL database: timers are taken per ticket
and deliveries per row with SKIP LOCKED, so none is processed twice at once; on SQLite
run one worker.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog

from slaguard.app import audit, backlog, firing, outbox, refresh
from slaguard.app.outbox import Claimed, Outcome
from slaguard.app.services import Services
from slaguard.notify import Deliverer, DeliveryFailed
from slaguard.settings import Settings

__all__ = ["RoundStats", "Worker", "WorkerOptions"]

log = structlog.get_logger("slaguard.worker")

Send = Callable[[Claimed], Awaitable[None]]


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
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    async def run_once(self) -> RoundStats:
        """Everything due now, fired and delivered (as far as one attempt each goes)."""
        total = RoundStats()
        while True:
            stats = await self._round()
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
            while not stop.is_set():
                try:
                    stats = await self._round()
                except Exception:
                    log.exception("worker_round_failed")
                    stats = RoundStats()
                if stats.busy:
                    continue
                await self._sleep(stop)
        finally:
            if listener is not None:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener
            log.info("worker_stopped")

    async def _round(self) -> RoundStats:
        svc, opts = self.svc, self.options
        stats = RoundStats()
        stats.tickets = await asyncio.to_thread(
            firing.fire_due, svc, now=svc.clock(), limit=opts.batch
        )
        stats.tickets += await asyncio.to_thread(
            refresh.refresh_due, svc, now=svc.clock(), limit=opts.batch
        )
        await asyncio.to_thread(audit.seal, svc)
        await asyncio.to_thread(backlog.sample_if_due, svc, now=svc.clock())
        claimed = await asyncio.to_thread(
            outbox.claim,
            svc,
            now=svc.clock(),
            limit=opts.concurrency,
            lease_us=round(opts.lease_seconds * 1_000_000),
        )
        if not claimed:
            return stats
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
        stats.sent = sum(o.ok for o in outcomes)
        stats.failed = len(outcomes) - stats.sent
        return stats

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

    async def _sleep(self, stop: asyncio.Event) -> None:
        svc = self.svc
        due = await asyncio.to_thread(_next_due, svc)
        wait = self.options.poll_seconds
        if due is not None:
            wait = min(wait, max(0.0, (due - svc.clock()) / 1_000_000))
        if wait <= 0:
            return
        self._wake.clear()
        waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(self._wake.wait())]
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
            except (psycopg.Error, OSError) as exc:
                log.warning("listen_failed", error=str(exc))
                await asyncio.sleep(self.options.poll_seconds)


def _next_due(svc: Services) -> int | None:
    instants = [
        t
        for t in (firing.next_due(svc), outbox.next_due(svc), refresh.next_due(svc))
        if t is not None
    ]
    return min(instants, default=None)
