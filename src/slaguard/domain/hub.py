"""The SLA hub's settings and its rules: lanes, their severity, and what to work next.

Pure: the app layer (`slaguard.app.hub`) counts tickets in the database and hands the
figures here; nothing below reads a clock or storage. Text is not made here either:
lanes, severities and breach windows are codes and numbers that the dashboard words in
the viewer's language.

Lanes, in priority order (the "work next" choice takes the first that needs work):

    sla_breached        open tickets with a breached clock
    escalation_due      open tickets whose next escalation level fires soon (or is late)
    first_response_due  open tickets still waiting for the first public reply
    callback_overdue    open tickets with a callback past its due instant
    queue_pressure      the open backlog against the team's normal level
    reopen_risk         open tickets reopened in the window
    csat_followup       low CSAT received in the window with no agent reply after it

Each lane's figures (`LaneFigures`): its backlog, how many of its deadlines have passed
(`overdue`), how many fall within the critical horizon (`due_soon`) and the soonest
deadline still ahead. Severity, the same rule for every lane with deadlines:

    critical   a deadline has passed (overdue > 0)
    warning    a deadline falls within the critical horizon (due_soon > 0), or, for the
               lanes without deadlines (reopen risk, CSAT follow-up), any backlog
    ok         otherwise

Queue pressure has its own rule: critical above `pressure_critical` x the normal level,
warning above the normal level, ok at or below it (or while no normal level is known).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from slaguard.domain.calendar import from_us, local_instant_us

__all__ = [
    "DEFAULT_OWNERS",
    "LANES",
    "HubSettings",
    "LaneFigures",
    "ReviewCadence",
    "Severity",
    "WindowKind",
    "breach_window",
    "lane_severity",
    "next_review",
    "pressure_severity",
    "work_next",
]

LANES = (
    "sla_breached",
    "escalation_due",
    "first_response_due",
    "callback_overdue",
    "queue_pressure",
    "reopen_risk",
    "csat_followup",
)
# Lanes whose items have no deadline: any backlog is a warning.
_NO_DEADLINE = frozenset({"reopen_risk", "csat_followup"})

DEFAULT_OWNERS: Mapping[str, str] = {
    "sla_breached": "Support lead",
    "escalation_due": "Escalation owner",
    "first_response_due": "Support lead",
    "callback_overdue": "Callback owner",
    "queue_pressure": "Support lead",
    "reopen_risk": "Quality owner",
    "csat_followup": "Experience owner",
}

_MINUTE_US = 60_000_000
_DAY_US = 86_400_000_000
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Severity(StrEnum):
    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"


class WindowKind(StrEnum):
    """How a lane's breach window reads: `breached` (n past due), `due` (n due within
    the horizon, the first in `soonest - now`), `above_normal` (queue pressure),
    `within` (within SLA)."""

    BREACHED = "breached"
    DUE = "due"
    ABOVE_NORMAL = "above_normal"
    WITHIN = "within"


@dataclass(frozen=True, slots=True)
class ReviewCadence:
    """The weekly SLA review meeting."""

    title: str = "Weekly SLA review"
    owner: str = "Support lead"
    weekday: int = 0  # Monday
    start: time = time(9, 0)
    duration_us: int = 45 * _MINUTE_US
    timezone: str = "UTC"
    location: str = ""


@dataclass(frozen=True, slots=True)
class HubSettings:
    """The `hub:` section of the configuration."""

    owners: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_OWNERS))
    critical_within_us: int = 60 * _MINUTE_US
    urgent_priorities: frozenset[str] = frozenset({"P1"})
    waiting_customer: frozenset[str] = frozenset({"pending", "pending_approval"})
    csat_low: float = 2.0
    pressure_critical: float = 1.25
    review: ReviewCadence = field(default_factory=ReviewCadence)

    def owner(self, lane: str) -> str:
        return self.owners.get(lane) or DEFAULT_OWNERS[lane]


@dataclass(frozen=True, slots=True)
class LaneFigures:
    lane: str
    backlog: int
    overdue: int = 0
    due_soon: int = 0
    soonest_us: int | None = None  # the first deadline still ahead
    oldest_overdue_us: int | None = None  # the earliest deadline already passed
    normal: int | None = None  # queue pressure: the normal level


def pressure_severity(backlog: int, normal: int | None, critical_factor: float) -> Severity:
    if normal is None or backlog <= normal:
        return Severity.OK
    return Severity.CRITICAL if backlog > normal * critical_factor else Severity.WARNING


def lane_severity(f: LaneFigures, settings: HubSettings) -> Severity:
    if f.lane == "queue_pressure":
        return pressure_severity(f.backlog, f.normal, settings.pressure_critical)
    if f.overdue > 0:
        return Severity.CRITICAL
    if f.due_soon > 0 or (f.lane in _NO_DEADLINE and f.backlog > 0):
        return Severity.WARNING
    return Severity.OK


def breach_window(f: LaneFigures) -> tuple[WindowKind, int]:
    """What the lane's breach window says, and the count it names."""
    if f.lane == "queue_pressure":
        if f.normal is not None and f.backlog > f.normal:
            return WindowKind.ABOVE_NORMAL, f.backlog - f.normal
        return WindowKind.WITHIN, 0
    if f.overdue > 0:
        return WindowKind.BREACHED, f.overdue
    if f.due_soon > 0 and f.soonest_us is not None:
        return WindowKind.DUE, f.due_soon
    return WindowKind.WITHIN, 0


def work_next(
    lanes: Sequence[LaneFigures], settings: HubSettings
) -> tuple[LaneFigures, Severity] | None:
    """The first lane, in `LANES` order, with a backlog and a severity above ok."""
    order = {name: i for i, name in enumerate(LANES)}
    for f in sorted(lanes, key=lambda f: order[f.lane]):
        severity = lane_severity(f, settings)
        if f.backlog > 0 and severity is not Severity.OK:
            return f, severity
    return None


def next_review(cadence: ReviewCadence, now_us: int) -> datetime:
    """The next start of the review meeting at or after `now_us`, in its time zone. The
    wall-clock time is kept across daylight-saving changes, read by the calendars' rules
    (a time that occurs twice is its first occurrence, a skipped one the change), and
    compared with `now_us` as instants."""
    tz = ZoneInfo(cadence.timezone)
    today = from_us(now_us, tz).date()
    day = today + timedelta(days=(cadence.weekday - today.weekday()) % 7)
    minute = cadence.start.hour * 60 + cadence.start.minute
    start = local_instant_us(tz, day, minute)
    if start < now_us:
        start = local_instant_us(tz, day + timedelta(days=7), minute)
    return from_us(start, tz)
