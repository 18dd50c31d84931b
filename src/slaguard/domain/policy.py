"""SLA policies: which tickets they apply to, and the targets they promise.

A configuration holds an ordered list of policies; the first whose `match` fits the
ticket applies (`PolicySet.select`). A policy has one `Target` per metric: a business
duration per priority on a calendar, warning thresholds, and what pauses it. Custom
milestones are targets with their own start, stop and pause conditions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from slaguard.domain.calendar import BusinessCalendar
from slaguard.domain.escalation import EscalationConfig
from slaguard.domain.hub import HubSettings
from slaguard.domain.match import Match, normalise
from slaguard.domain.priorities import PriorityNames
from slaguard.domain.workflow import BUILTIN_WORKFLOWS, StatusCategory, Workflow

__all__ = [
    "BUILTIN_METRICS",
    "DEFAULT_BREACH_REASONS",
    "ClassificationRule",
    "Condition",
    "Match",
    "OnChange",
    "Policy",
    "PolicySet",
    "ReportSettings",
    "SlaConfig",
    "Target",
    "WarningSpec",
]

# The breach-reason taxonomy when a configuration names none (`breach_reasons:`).
DEFAULT_BREACH_REASONS = (
    "misrouting",
    "backlog",
    "unclear_ownership",
    "waiting_on_customer",
    "dependency_delay",
    "staffing",
    "other",
)

BUILTIN_METRICS = ("first_response", "next_response", "periodic_update", "resolution", "callback")


class OnChange(StrEnum):
    RECOMPUTE = "recompute"  # a new target applies from the clock's original start
    RESTART = "restart"  # the running cycle is cancelled and a new one starts


@dataclass(frozen=True, slots=True)
class Condition:
    """A milestone condition on events and statuses; every given part must hold.

    `events`: the event being applied is of one of these kinds; `statuses` /
    `categories`: the ticket's status (after the event) is one of these; `match`: ticket
    fields. An empty Condition never holds.
    """

    events: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()
    categories: frozenset[StatusCategory] = frozenset()
    match: Match = field(default_factory=Match)

    @property
    def empty(self) -> bool:
        return not (self.events or self.statuses or self.categories or self.match.conditions)

    def holds(
        self,
        event_kind: str | None,
        status: str,
        category: StatusCategory | None,
        fields: Mapping[str, Any],
    ) -> bool:
        if self.events and event_kind not in self.events:
            return False
        return self.holds_in_state(status, category, fields)

    def holds_in_state(
        self, status: str, category: StatusCategory | None, fields: Mapping[str, Any]
    ) -> bool:
        """For pause conditions: a state, whatever event led there (events are ignored)."""
        if self.empty:
            return False
        if self.statuses and status not in self.statuses:
            return False
        if self.categories and category not in self.categories:
            return False
        return not self.match.conditions or self.match.fits(fields)

    def describe(self) -> str:
        parts = []
        if self.events:
            parts.append(f"event in {sorted(self.events)}")
        if self.statuses:
            parts.append(f"status in {sorted(self.statuses)}")
        if self.categories:
            parts.append(f"status category in {sorted(self.categories)}")
        if self.match.conditions:
            parts.append(self.match.describe())
        return " and ".join(parts) or "never"


@dataclass(frozen=True, slots=True)
class WarningSpec:
    """'75%' (of the target) or '30m before' (the due time)."""

    label: str
    fraction: float | None = None
    before_us: int | None = None

    def elapsed_at(self, target_us: int) -> int:
        """The business time elapsed when the warning is crossed (never below zero)."""
        if self.fraction is not None:
            return max(0, round(target_us * self.fraction))
        assert self.before_us is not None
        return max(0, target_us - self.before_us)


# How a target pauses: with the ticket's paused statuses (the default), never, or by
# its own condition.
PAUSE_WITH_STATUS = Condition(categories=frozenset({StatusCategory.PAUSED}))
NEVER = Condition()


@dataclass(frozen=True, slots=True)
class Target:
    """A metric's promise: business time per priority (microseconds) on a calendar."""

    metric: str
    durations: Mapping[str, int]
    calendar: str
    warnings: tuple[WarningSpec, ...] = ()
    pause: Condition = PAUSE_WITH_STATUS
    # custom milestones only
    start: Condition | None = None
    stop: Condition | None = None

    @property
    def is_milestone(self) -> bool:
        return self.start is not None


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    calendar: str
    targets: Mapping[str, Target]
    match: Match = field(default_factory=Match)
    tier_multipliers: Mapping[str, float] = field(default_factory=dict)
    on_change: OnChange = OnChange.RECOMPUTE
    version: int = 1
    # Derived once: the milestone targets, and whether any target pauses other than
    # with the ticket's paused statuses (the engine's fast path when none does).
    milestones: tuple[Target, ...] = field(default=(), init=False, compare=False, repr=False)
    custom_pause: bool = field(default=False, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        targets = self.targets.values()
        object.__setattr__(self, "milestones", tuple(t for t in targets if t.start is not None))
        object.__setattr__(self, "custom_pause", any(t.pause != PAUSE_WITH_STATUS for t in targets))

    def target_us(self, metric: str, priority: str | None, tier: str | None) -> int | None:
        """The target for a ticket of this priority and tier, or None if none is promised."""
        target = self.targets.get(metric)
        if target is None or priority is None:
            return None
        base = target.durations.get(priority)
        if base is None:
            return None
        multiplier = self.tier_multipliers.get(normalise(tier), 1.0) if tier is not None else 1.0
        return round(base * multiplier)


@dataclass(frozen=True, slots=True)
class PolicySet:
    policies: tuple[Policy, ...] = ()

    def select(self, fields: Mapping[str, Any]) -> Policy | None:
        for p in self.policies:
            if p.match.fits(fields):
                return p
        return None


@dataclass(frozen=True, slots=True)
class ClassificationRule:
    """Sets the ticket type when its text contains any of `text_contains` (case-insensitive)
    and its fields fit `match`. Rules run in order before policies match; the first wins."""

    type: str
    text_contains: tuple[str, ...] = ()
    match: Match = field(default_factory=Match)
    name: str = ""

    def applies(self, text: str, fields: Mapping[str, Any]) -> bool:
        if self.text_contains:
            low = text.lower()
            if not any(t.lower() in low for t in self.text_contains):
                return False
        return self.match.fits(fields)


@dataclass(frozen=True, slots=True)
class ReportSettings:
    """The compliance report's alert levels (`reports:`), as fractions: a segment below
    `target_rate` is below target, below `critical_rate` critical."""

    target_rate: float = 0.90
    critical_rate: float = 0.85


@dataclass(frozen=True, slots=True)
class SlaConfig:
    """A validated configuration snapshot: everything the engine needs, nothing else."""

    calendars: Mapping[str, BusinessCalendar]
    policies: PolicySet
    workflows: Mapping[str, Workflow] = field(default_factory=lambda: dict(BUILTIN_WORKFLOWS))
    classification: tuple[ClassificationRule, ...] = ()
    priorities: PriorityNames = field(default_factory=PriorityNames)
    default_type: str = "support"
    escalation: EscalationConfig = field(default_factory=EscalationConfig)
    breach_reasons: tuple[str, ...] = DEFAULT_BREACH_REASONS
    hub: HubSettings = field(default_factory=HubSettings)
    reports: ReportSettings = field(default_factory=ReportSettings)

    def classify(
        self, text: str, fields: Mapping[str, Any]
    ) -> tuple[str, ClassificationRule | None]:
        for rule in self.classification:
            if rule.applies(text, fields):
                return rule.type, rule
        return self.default_type, None
