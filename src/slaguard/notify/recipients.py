"""The `to` of an email or sms channel: addresses or phone numbers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slaguard.notify.errors import DeliveryFailed

__all__ = ["recipients"]


def recipients(settings: Mapping[str, Any], *, what: str) -> list[str]:
    """`settings["to"]` (a string or a list of them) as a list without blanks or repeats.

    Raises a permanent DeliveryFailed when there is nobody to send to, or when an entry
    is not a one-line string (`what` names the entries in the message)."""
    given = settings.get("to")
    entries: Sequence[Any] = [given] if isinstance(given, str) else (given or [])
    if not isinstance(entries, Sequence):
        raise DeliveryFailed(f"the channel's `to` is not a list of {what}", permanent=True)
    found: list[str] = []
    for entry in entries:
        if not isinstance(entry, str) or "\n" in entry or "\r" in entry:
            raise DeliveryFailed(
                f"the channel's `to` has an invalid entry: {entry!r}", permanent=True
            )
        if entry.strip() and entry.strip() not in found:
            found.append(entry.strip())
    if not found:
        raise DeliveryFailed(f"the channel has no {what} in `to`", permanent=True)
    return found
