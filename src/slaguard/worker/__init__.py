"""The worker: fires due timers and delivers the outbox (`slaguard worker`)."""

from slaguard.worker.runner import Worker, WorkerOptions

__all__ = ["Worker", "WorkerOptions"]
