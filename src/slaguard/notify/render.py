"""What a notification says, independent of where it goes.

A payload (the outbox's JSON object) becomes a `Notice`: a one-line summary, labelled
facts, its times, its acknowledgement link and, for a digest, the notices it gathers.
Every sender renders from a Notice, so a ticket reads the same in Slack, Teams, an
e-mail and a text message. Values are shown as given (times stay ISO-8601, in the
zone the payload carries); missing or empty ones are left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["KIND_LABELS", "Notice", "digest_items", "notice", "render_text"]

KIND_LABELS = {
    "warning": "Warning",
    "breach": "Breach",
    "escalation": "Escalation",
    "digest": "Digest",
    "trigger": "Trigger",
}
# (payload key, label) in the order a reader wants them
_FACTS = (
    ("ticket", "Ticket"),
    ("metric", "Metric"),
    ("level", "Level"),
    ("ladder", "Ladder"),
    ("trigger", "Trigger"),
    ("priority", "Priority"),
    ("team", "Team"),
    ("assignee", "Assignee"),
    ("policy", "Policy"),
    ("tenant", "Tenant"),
)


@dataclass(frozen=True, slots=True)
class Notice:
    kind: str
    label: str  # "Breach", "Warning", ...
    summary: str  # one line: a subject, a chat message's text, the start of an SMS
    facts: tuple[tuple[str, str], ...]  # (label, value): the ticket, metric, level, ...
    due_at: str | None
    at: str | None
    ack_url: str | None
    items: tuple[Notice, ...] = ()  # a digest's notices, at most the `max_items` asked for
    more: int = 0  # a digest's notices left out of `items`

    @property
    def times(self) -> tuple[tuple[str, str], ...]:
        return tuple(
            (label, value) for label, value in (("Due", self.due_at), ("At", self.at)) if value
        )


def notice(payload: Mapping[str, Any], *, max_items: int | None = None) -> Notice:
    """The notice of `payload`; a digest keeps its first `max_items` items (all if None)."""
    kind = _text(payload, "kind") or "notification"
    items = digest_items(payload) if kind == "digest" else []
    shown = items if max_items is None else items[:max_items]
    return Notice(
        kind=kind,
        label=_label(kind),
        summary=render_text(payload),
        facts=tuple((label, value) for key, label in _FACTS if (value := _text(payload, key))),
        due_at=_text(payload, "due_at"),
        at=_text(payload, "at"),
        ack_url=_text(payload, "ack_url"),
        items=tuple(notice(item) for item in shown),
        more=len(items) - len(shown),
    )


def render_text(payload: Mapping[str, Any]) -> str:
    """The one-line summary of a notification: its `message` when it has one, else e.g.

    "Breach: ticket T-1 resolution (P1) was due 2026-11-22T10:00:00+00:00",
    "Warning: ticket T-1 first_response 50% (L1), due 2026-11-22T10:00:00+00:00",
    "Digest: 7 notifications". The "50%" is the optional `when` key (the level's
    condition as configured).
    """
    message = _text(payload, "message")
    if message:
        return message
    kind = _text(payload, "kind") or "notification"
    if kind == "digest":
        count = len(digest_items(payload))
        return f"Digest: {count} notification{'' if count == 1 else 's'}"
    ticket = _text(payload, "ticket")
    subject = [
        f"ticket {ticket}" if ticket else None,
        _text(payload, "metric"),
        _text(payload, "when"),
        _text(payload, "trigger") if kind == "trigger" else None,
    ]
    line = _label(kind)
    words = " ".join(word for word in subject if word)
    if words:
        line += f": {words}"
    tags = [tag for tag in (_text(payload, "level"), _text(payload, "priority")) if tag]
    if tags:
        line += f" ({', '.join(tags)})"
    due = _text(payload, "due_at")
    if due:
        line += f" was due {due}" if kind in ("breach", "escalation") else f", due {due}"
    return line


def digest_items(payload: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The notifications a digest gathers (those that are JSON objects)."""
    items = payload.get("items")
    if not isinstance(items, Sequence) or isinstance(items, str | bytes):
        return []
    return [item for item in items if isinstance(item, Mapping)]


def _label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def _text(payload: Mapping[str, Any], key: str) -> str | None:
    """The value of `key` on one line, or None when missing or empty."""
    value = payload.get(key)
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None
