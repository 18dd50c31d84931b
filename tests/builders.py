"""Builders for clock engine tests: configuration and tickets written the way users write them.

The configuration is a YAML-like mapping read by `parse_config`; tickets are JSON-like
documents read by `parse_ticket`, with ISO-8601 times. Results are read through the
`explain` JSON contract, and instants are compared as aware datetimes.

Calendars (one per test family):

    berlin      Mon-Fri 09:00-12:00 and 13:00-17:00 Europe/Berlin, DE-BE public holidays (7 h a day)
    always      24x7 in UTC
    new_york    Mon-Fri 09:00-17:00 America/New_York, US public holidays (8 h a day)
    ny_24x7     24x7 in America/New_York (real elapsed time across DST changes)

Policies (the first that matches applies):

    implementation   type implementation: resolution, and the `provisioning` milestone
                     (received -> provisioning, paused in pending_approval)
    standard         every other ticket

    metric            P1    P2    P3    P4
    first_response    1h    4h    8h    16h
    next_response     1h    2h    4h    8h
    periodic_update   30m   -     -     -
    resolution        8h    16h   40h   80h
    callback          1h    2h    4h    8h
    provisioning      4h    8h    16h   24h   (implementation only)

Warnings "50%" and "30m before" on every target; tier multiplier enterprise 0.5.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

from slaguard.config.model import parse_config
from slaguard.domain.engine import Evaluation, evaluate
from slaguard.domain.explain import evaluation_json
from slaguard.domain.policy import SlaConfig
from slaguard.schemas.ticket import parse_ticket

__all__ = [
    "CALENDARS",
    "WARNINGS",
    "ClockKey",
    "clocks_of",
    "config",
    "config_mapping",
    "evaluate_doc",
    "explain",
    "instant",
    "ticket_doc",
]

WORKDAYS = ("mon", "tue", "wed", "thu", "fri")

CALENDARS: dict[str, dict[str, Any]] = {
    "berlin": {
        "timezone": "Europe/Berlin",
        "hours": {day: ["09:00-12:00", "13:00-17:00"] for day in WORKDAYS},
        "holidays": {"country": "DE", "subdivision": "BE"},
    },
    "always": {"timezone": "UTC", "always_open": True},
    "new_york": {
        "timezone": "America/New_York",
        "hours": {day: ["09:00-17:00"] for day in WORKDAYS},
        "holidays": {"country": "US"},
    },
    "ny_24x7": {"timezone": "America/New_York", "always_open": True},
}

WARNINGS = ["50%", "30m before"]

STANDARD_TARGETS: dict[str, dict[str, Any]] = {
    "first_response": {"P1": "1h", "P2": "4h", "P3": "8h", "P4": "16h"},
    "next_response": {"P1": "1h", "P2": "2h", "P3": "4h", "P4": "8h"},
    "periodic_update": {"P1": "30m"},
    "resolution": {"P1": "8h", "P2": "16h", "P3": "40h", "P4": "80h"},
    "callback": {"P1": "1h", "P2": "2h", "P3": "4h", "P4": "8h"},
}

IMPLEMENTATION_TARGETS: dict[str, dict[str, Any]] = {
    "resolution": {"P1": "8h", "P2": "16h", "P3": "40h", "P4": "80h"},
    "provisioning": {
        "start": {"status": "received"},
        "stop": {"status": "provisioning"},
        "pause": {"status": "pending_approval"},
        "targets": {"P1": "4h", "P2": "8h", "P3": "16h", "P4": "24h"},
    },
}

ClockKey = tuple[str, int]


def config_mapping(
    calendar: str = "always",
    *,
    on_change: str = "recompute",
    unpaused: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The configuration file as a mapping. `unpaused` metrics get `pause: false`."""
    standard = {
        metric: {**durations, **({"pause": False} if metric in unpaused else {})}
        for metric, durations in STANDARD_TARGETS.items()
    }
    return {
        "calendars": {name: dict(cal) for name, cal in CALENDARS.items()},
        "classification": [
            {
                "name": "setup requests",
                "text_contains": ["I need", "setup"],
                "type": "implementation",
            }
        ],
        "policies": [
            {
                "name": "implementation",
                "match": {"type": "implementation"},
                "calendar": calendar,
                "on_change": on_change,
                "tier_multipliers": {"enterprise": 0.5},
                "warnings": list(WARNINGS),
                "targets": IMPLEMENTATION_TARGETS,
            },
            {
                "name": "standard",
                "calendar": calendar,
                "on_change": on_change,
                "tier_multipliers": {"enterprise": 0.5},
                "warnings": list(WARNINGS),
                "targets": standard,
            },
        ],
    }


@cache
def config(
    calendar: str = "always", *, on_change: str = "recompute", unpaused: tuple[str, ...] = ()
) -> SlaConfig:
    return parse_config(config_mapping(calendar, on_change=on_change, unpaused=unpaused))


def ticket_doc(
    *events: Mapping[str, Any],
    ticket_id: str = "T-1",
    priority: str | None = "P2",
    **fields: Any,
) -> dict[str, Any]:
    """A ticket document; events without an id get e01, e02, ... in the order given."""
    doc: dict[str, Any] = {"id": ticket_id, **fields, "events": []}
    if priority is not None:
        doc["priority"] = priority
    if "type" not in fields:
        doc["type"] = "support"
    elif fields["type"] is None:
        del doc["type"]
    for i, e in enumerate(events, start=1):
        doc["events"].append({"id": f"e{i:02d}", **e})
    return doc


def instant(text: str) -> datetime:
    """An ISO-8601 time with an offset as an aware datetime."""
    t = datetime.fromisoformat(text)
    assert t.tzinfo is not None, f"{text} has no offset"
    return t


def evaluate_doc(doc: Mapping[str, Any], cfg: SlaConfig, now: str) -> Evaluation:
    return evaluate(parse_ticket(doc, cfg), cfg, instant(now))


def explain(doc: Mapping[str, Any], cfg: SlaConfig, now: str) -> dict[str, Any]:
    """The explain JSON contract of a ticket document as of `now`."""
    return evaluation_json(evaluate_doc(doc, cfg, now))


def clocks_of(result: Mapping[str, Any]) -> dict[ClockKey, dict[str, Any]]:
    """The contract's clocks by (metric, cycle); each key appears once."""
    out: dict[ClockKey, dict[str, Any]] = {}
    for c in result["clocks"]:
        key = (c["metric"], c["cycle"])
        assert key not in out, f"{key} reported twice"
        out[key] = c
    return out
