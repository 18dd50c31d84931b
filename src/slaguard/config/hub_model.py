"""The `hub:` section of the configuration -> a validated domain `HubSettings`.

    hub:
      lanes: {LANE: {owner: NAME}}        # LANE: one of slaguard.domain.hub.LANES
      critical_within: 1h                 # at risk, critical: due within this
      urgent_priorities: [P1]             # "urgent active" in the queue signals
      waiting_customer: [pending]         # paused statuses that wait on the customer
      csat_low: 2                         # a CSAT score at or below this needs follow-up
      pressure_critical: 1.25             # backlog above this x normal: critical
      review: {title, owner, day, time, duration, timezone, location}

Checked like the rest of the file (`slaguard.config.model`): the shape with pydantic, then
names against the other sections (priority aliases, workflow statuses), every problem
collected under its path. Everything is optional: an absent section gives the defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field

from slaguard.config.channels_model import Checks, Strict, short
from slaguard.domain.errors import ConfigError
from slaguard.domain.hub import DEFAULT_OWNERS, LANES, WEEKDAYS, HubSettings, ReviewCadence

__all__ = ["parse_hub"]


class _Lane(Strict):
    owner: Annotated[str, Field(min_length=1, max_length=100)]


class _Review(Strict):
    title: Annotated[str, Field(min_length=1, max_length=200)] = "Weekly SLA review"
    owner: Annotated[str, Field(min_length=1, max_length=100)] = "Support lead"
    day: str = "monday"
    time: str = "09:00"
    duration: Any = "45m"
    timezone: str = "UTC"
    location: Annotated[str, Field(max_length=200)] = ""


class _Hub(Strict):
    lanes: dict[str, Any] = Field(default_factory=dict)
    critical_within: Any = "1h"
    urgent_priorities: list[Any] = Field(default_factory=lambda: ["P1"])
    waiting_customer: list[str] = Field(default_factory=lambda: ["pending", "pending_approval"])
    csat_low: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 2.0
    pressure_critical: Annotated[float, Field(ge=1, allow_inf_nan=False)] = 1.25
    review: dict[str, Any] = Field(default_factory=dict)


def parse_hub(checks: Checks, raw: Any) -> HubSettings:
    """The section as domain settings, its problems added to `checks.errors` (what is
    returned is only meaningful when no error was added)."""
    if raw is None:
        return HubSettings()
    model, _ = checks.validate(_Hub, raw, "hub")
    if model is None:
        return HubSettings()
    owners = dict(DEFAULT_OWNERS)
    for lane, value in model.lanes.items():
        path = f"hub.lanes.{lane}"
        if lane not in LANES:
            checks.error(path, f"unknown lane {lane!r} (one of {', '.join(LANES)})")
            continue
        found, _ = checks.validate(_Lane, value, path)
        if found is not None:
            owners[lane] = found.owner
    within = checks.duration(model.critical_within, "hub.critical_within")
    urgent: set[str] = set()
    for i, value in enumerate(model.urgent_priorities):
        try:
            urgent.add(checks.priorities.normalise(value, f"hub.urgent_priorities[{i}]"))
        except ConfigError as exc:
            checks.errors.extend(exc.details)
    if checks.statuses is not None:
        for i, status in enumerate(model.waiting_customer):
            if status not in checks.statuses:
                checks.error(
                    f"hub.waiting_customer[{i}]",
                    f"no workflow has a status {status!r} "
                    f"(known: {', '.join(sorted(checks.statuses))})",
                )
    return HubSettings(
        owners=owners,
        critical_within_us=within or HubSettings().critical_within_us,
        urgent_priorities=frozenset(urgent),
        waiting_customer=frozenset(model.waiting_customer),
        csat_low=model.csat_low,
        pressure_critical=model.pressure_critical,
        review=_review(checks, model.review),
    )


def _review(checks: Checks, raw: Mapping[str, Any]) -> ReviewCadence:
    model, _ = checks.validate(_Review, raw, "hub.review")
    if model is None:
        return ReviewCadence()
    day = model.day.strip().lower()
    weekday = next((i for i, name in enumerate(WEEKDAYS) if name.startswith(day[:3])), None)
    if len(day) < 3 or weekday is None:
        checks.error("hub.review.day", f"expected a weekday such as monday, got {short(day)}")
        weekday = 0
    try:
        start = time.fromisoformat(model.time)
    except ValueError:
        checks.error("hub.review.time", f"expected HH:MM such as 09:00, got {short(model.time)}")
        start = time(9, 0)
    duration = checks.duration(model.duration, "hub.review.duration")
    try:
        ZoneInfo(model.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        checks.error(
            "hub.review.timezone",
            f"unknown time zone {model.timezone!r} (an IANA name such as Europe/Stockholm)",
        )
    return ReviewCadence(
        title=model.title,
        owner=model.owner,
        weekday=weekday,
        start=start.replace(tzinfo=None),
        duration_us=duration or ReviewCadence().duration_us,
        timezone=model.timezone,
        location=model.location,
    )
