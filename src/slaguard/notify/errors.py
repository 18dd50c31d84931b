"""The one way a sender reports that a notification did not arrive."""

from __future__ import annotations

__all__ = ["MAX_MESSAGE", "DeliveryFailed"]

MAX_MESSAGE = 500  # fits the outbox's last_error column


class DeliveryFailed(Exception):
    """A delivery that did not succeed.

    `permanent` failures (a 404, a refused address, a misconfigured channel) will fail
    the same way again: the caller puts them on the dead-letter list. Others (timeouts,
    refused connections, 5xx, 429, SMTP 4xx) are worth retrying; `retry_after` is the
    receiver's own wish in seconds (its Retry-After header), or None. `message` is one
    line of at most MAX_MESSAGE characters, naming the status and the start of the
    receiver's answer when there was one.
    """

    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None):
        line = " ".join(message.split())
        if len(line) > MAX_MESSAGE:
            line = line[: MAX_MESSAGE - 1] + "…"
        super().__init__(line)
        self.message = line
        self.permanent = permanent
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"DeliveryFailed({self.message!r}, permanent={self.permanent}, "
            f"retry_after={self.retry_after})"
        )
