"""Ticket types, their statuses and each status's category (active, paused, done)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["BUILTIN_WORKFLOWS", "StatusCategory", "Workflow"]


class StatusCategory(StrEnum):
    ACTIVE = "active"  # clocks run
    PAUSED = "paused"  # waiting on the customer, a third party, an approval: clocks stop
    DONE = "done"  # resolved or closed: every clock stops


@dataclass(frozen=True, slots=True)
class Workflow:
    type: str
    statuses: Mapping[str, StatusCategory] = field(default_factory=dict)

    def category(self, status: str) -> StatusCategory | None:
        return self.statuses.get(status)

    def first(self, category: StatusCategory) -> str | None:
        return next((s for s, c in self.statuses.items() if c is category), None)


_A, _P, _D = StatusCategory.ACTIVE, StatusCategory.PAUSED, StatusCategory.DONE

BUILTIN_WORKFLOWS: Mapping[str, Workflow] = {
    "support": Workflow(
        "support",
        {"new": _A, "open": _A, "pending": _P, "on_hold": _P, "solved": _D, "closed": _D},
    ),
    "implementation": Workflow(
        "implementation",
        {
            "received": _A,
            "pending_approval": _P,
            "provisioning": _A,
            "testing": _A,
            "handover": _A,
            "completed": _D,
        },
    ),
}
