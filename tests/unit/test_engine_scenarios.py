"""Clock engine scenarios, one table row per rule, checked on the `explain` JSON contract.

Every expected instant and duration below was worked out by hand from the calendars and
targets described in `tests/builders.py` (never by asking the engine). The calendars:

    always    24x7 UTC                                   u("HH:MM"): Monday 2026-11-23, UTC
    berlin    Mon-Fri 09-12, 13-17 Europe/Berlin, DE-BE  b("Mon HH:MM"): week of 2026-11-23, +01:00
    new_york  Mon-Fri 09-17 America/New_York, US         DST weekends 2026-03-08 and 2026-11-01
    ny_24x7   24x7 America/New_York

Targets (P1/P2/P3/P4): first_response 1h/4h/8h/16h, next_response 1h/2h/4h/8h,
periodic_update 30m (P1 only), resolution 8h/16h/40h/80h, callback 1h/2h/4h/8h, the
implementation milestone provisioning 4h/8h/16h/24h; warnings "50%" and "30m before";
tier enterprise x0.5.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from builders import (
    CALENDARS,
    clocks_of,
    config,
    evaluate_doc,
    explain,
    instant,
    ticket_doc,
)

ANY: Any = object()  # a field the row does not check


def h(hours: float) -> int:
    """Hours as whole seconds (the contract's elapsed_seconds / target_seconds)."""
    return round(hours * 3600)


def u(hm: str, day: str = "2026-11-23") -> str:
    """A UTC instant on Monday 2026-11-23 (or `day`)."""
    return f"{day}T{hm}:00Z"


_BERLIN_WEEK = {"Sat": "2026-11-21", "Sun": "2026-11-22", "Mon": "2026-11-23", "Tue": "2026-11-24"}
_BERLIN_WEEK |= {"Wed": "2026-11-25", "Thu": "2026-11-26", "Fri": "2026-11-27"}


def b(when: str) -> str:
    """'Mon 09:00' in the Berlin week of 2026-11-23 (standard time, +01:00)."""
    day, hm = when.split()
    return f"{_BERLIN_WEEK[day]}T{hm}:00+01:00"


def ev(kind: str, at: str, **data: Any) -> dict[str, Any]:
    return {"type": kind, "at": at, **data}


@dataclass(frozen=True)
class Want:
    """What one clock must show; ANY leaves a field unchecked."""

    state: str
    start: str | None
    due: str | None
    elapsed: int
    stop: str | None = None
    breached: str | None = None
    warnings: dict[str, str] | Any = field(default_factory=dict)
    target: int | Any = ANY


def want(state: str, start: str, due: str | None, elapsed: int, **rest: Any) -> Want:
    return Want(state, start, due, elapsed, **rest)


@dataclass(frozen=True)
class Scenario:
    calendar: str
    events: tuple[dict[str, Any], ...]
    now: str
    clocks: dict[tuple[str, int], Want]
    priority: str = "P2"
    doc: dict[str, Any] = field(default_factory=dict)
    on_change: str = "recompute"
    unpaused: tuple[str, ...] = ()
    policy: str = "standard"


def _utc(text: str | None) -> datetime | None:
    return None if text is None else instant(text).astimezone(UTC)


def _normalised(got: dict[str, Any], w: Want) -> tuple[dict[str, Any], dict[str, Any]]:
    """(actual, expected) restricted to the fields the row checks; instants in UTC."""
    actual: dict[str, Any] = {}
    expected: dict[str, Any] = {}
    pairs = [
        ("state", got["state"], w.state),
        ("started_at", _utc(got["started_at"]), ANY if w.start is ANY else _utc(w.start)),
        ("due_at", _utc(got["due_at"]), ANY if w.due is ANY else _utc(w.due)),
        ("stopped_at", _utc(got["stopped_at"]), ANY if w.stop is ANY else _utc(w.stop)),
        ("breached_at", _utc(got["breached_at"]), ANY if w.breached is ANY else _utc(w.breached)),
        ("elapsed_seconds", got["elapsed_seconds"], w.elapsed),
        ("target_seconds", got["target_seconds"], w.target),
    ]
    for name, a, e in pairs:
        if e is not ANY:
            actual[name] = a
            expected[name] = e
    if w.warnings is not ANY:
        labels = [x["threshold"] for x in got["warnings"]]
        assert len(labels) == len(set(labels)), f"a warning listed twice: {labels}"
        actual["warnings"] = {x["threshold"]: _utc(x["at"]) for x in got["warnings"]}
        expected["warnings"] = {label: _utc(at) for label, at in w.warnings.items()}
    return actual, expected


def _check_offsets(result: dict[str, Any], calendar: str) -> None:
    """Every instant is written with the offset of the clock calendar's own zone."""
    zone = ZoneInfo(CALENDARS[calendar]["timezone"])
    for c in result["clocks"]:
        texts = [c[k] for k in ("started_at", "due_at", "stopped_at", "breached_at")]
        texts += [w["at"] for w in c["warnings"]]
        for text in texts:
            if text is not None:
                t = instant(text)
                assert t.utcoffset() == t.astimezone(zone).utcoffset(), (c["metric"], text)


def run(s: Scenario) -> dict[str, Any]:
    cfg = config(s.calendar, on_change=s.on_change, unpaused=s.unpaused)
    doc = ticket_doc(*s.events, priority=s.priority, **s.doc)
    result = explain(doc, cfg, s.now)
    assert result["ticket"] == doc["id"]
    assert result["policy"] == s.policy
    _check_offsets(result, s.calendar)
    return result


def check(s: Scenario) -> None:
    got = clocks_of(run(s))
    assert sorted(got) == sorted(s.clocks), "the clocks reported"
    for key, w in s.clocks.items():
        actual, expected = _normalised(got[key], w)
        assert actual == expected, key


FR, NR, PU, RES, CB, PROV = (
    "first_response",
    "next_response",
    "periodic_update",
    "resolution",
    "callback",
    "provisioning",
)


def table(rows: dict[str, Scenario | Any]) -> list[Any]:
    return [
        row if not isinstance(row, Scenario) else pytest.param(row, id=name)
        for name, row in rows.items()
    ]


# ---------------------------------------------------------------------------------------
# first_response and resolution in every calendar (warnings, closing times, DST, holidays)
# ---------------------------------------------------------------------------------------

# fmt: off
FIRST_RESPONSE = {
    # An internal note (either spelling) never stops first_response; the public reply does.
    "24x7": Scenario(
        "always",
        (
            ev("created", u("08:00")),
            ev("internal_note", u("09:30")),
            ev("agent_reply", u("09:45"), public=False),
            ev("agent_reply", u("10:30")),
        ),
        now=u("18:00"),
        clocks={
            (FR, 1): want("met", u("08:00"), u("12:00"), h(2.5), stop=u("10:30"),
                          warnings={"50%": u("10:00")}, target=h(4)),
            (RES, 1): want("running", u("08:00"), u("00:00", "2026-11-24"), h(10),
                           warnings={"50%": u("16:00")}, target=h(16)),
        },
    ),
    # Created before opening: started_at stays 08:00, counting starts 09:00; lunch is closed.
    "berlin split shift": Scenario(
        "berlin",
        (
            ev("created", b("Mon 08:00")),
            ev("internal_note", b("Mon 09:30")),
            ev("agent_reply", b("Mon 09:45"), public=False),
            ev("agent_reply", b("Mon 10:30")),
        ),
        now=b("Mon 18:00"),
        clocks={
            (FR, 1): want("met", b("Mon 08:00"), b("Mon 14:00"), h(1.5), stop=b("Mon 10:30")),
            (RES, 1): want("running", b("Mon 08:00"), b("Wed 11:00"), h(7)),
        },
    ),
    # Friday 16:00 EST + 4h: 1h on Friday, 3h on Monday, now in EDT (-04:00).
    "new york spring DST weekend": Scenario(
        "new_york",
        (
            ev("created", "2026-03-06T16:00:00-05:00"),
            ev("agent_reply", "2026-03-09T10:30:00-04:00"),
        ),
        now="2026-03-09T11:00:00-04:00",
        clocks={
            (FR, 1): want("met", "2026-03-06T16:00:00-05:00", "2026-03-09T12:00:00-04:00", h(2.5),
                          stop="2026-03-09T10:30:00-04:00",
                          warnings={"50%": "2026-03-09T10:00:00-04:00"}),
            (RES, 1): want("running", "2026-03-06T16:00:00-05:00", "2026-03-10T16:00:00-04:00",
                           h(3)),
        },
    ),
    "new york autumn DST weekend": Scenario(
        "new_york",
        (
            ev("created", "2026-10-30T16:00:00-04:00"),
            ev("agent_reply", "2026-11-02T10:30:00-05:00"),
        ),
        now="2026-11-02T11:00:00-05:00",
        clocks={
            (FR, 1): want("met", "2026-10-30T16:00:00-04:00", "2026-11-02T12:00:00-05:00", h(2.5),
                          stop="2026-11-02T10:30:00-05:00",
                          warnings={"50%": "2026-11-02T10:00:00-05:00"}),
            (RES, 1): want("running", "2026-10-30T16:00:00-04:00", "2026-11-03T16:00:00-05:00",
                           h(3)),
        },
    ),
    # 24x7 in New York counts real time: Saturday 12:00 EST to Sunday 12:00 EDT is 23 hours.
    "new york 24x7 across spring DST": Scenario(
        "ny_24x7",
        (
            ev("created", "2026-03-07T12:00:00-05:00"),
            ev("agent_reply", "2026-03-08T12:00:00-04:00"),
        ),
        now="2026-03-08T12:00:00-04:00",
        priority="P4",
        clocks={
            (FR, 1): want("breached_met", "2026-03-07T12:00:00-05:00", "2026-03-08T05:00:00-04:00",
                          h(23), stop="2026-03-08T12:00:00-04:00",
                          breached="2026-03-08T05:00:00-04:00",
                          warnings={"50%": "2026-03-07T20:00:00-05:00",
                                    "30m before": "2026-03-08T04:30:00-04:00"},
                          target=h(16)),
            (RES, 1): want("running", "2026-03-07T12:00:00-05:00", "2026-03-10T21:00:00-04:00",
                           h(23), target=h(80)),
        },
    ),
    # Christmas Day (Fri) is a holiday; the deadline lands on Monday's 12:00 closing and
    # stays there. At exactly the due instant the clock is still running.
    "berlin christmas": Scenario(
        "berlin",
        (ev("created", "2026-12-24T16:00:00+01:00"),),
        now="2026-12-28T12:00:00+01:00",
        clocks={
            (FR, 1): want("running", "2026-12-24T16:00:00+01:00", "2026-12-28T12:00:00+01:00",
                          h(4), warnings={"50%": "2026-12-28T10:00:00+01:00",
                                          "30m before": "2026-12-28T11:30:00+01:00"}),
            (RES, 1): want("running", "2026-12-24T16:00:00+01:00", "2026-12-30T10:00:00+01:00",
                           h(4)),
        },
    ),
    # Good Friday and Easter Monday closed, after the spring DST change (+02:00). The reply
    # exactly at `now` counts.
    "berlin easter": Scenario(
        "berlin",
        (
            ev("created", "2026-04-02T16:00:00+02:00"),
            ev("agent_reply", "2026-04-07T11:00:00+02:00"),
        ),
        now="2026-04-07T11:00:00+02:00",
        clocks={
            (FR, 1): want("met", "2026-04-02T16:00:00+02:00", "2026-04-07T12:00:00+02:00", h(3),
                          stop="2026-04-07T11:00:00+02:00",
                          warnings={"50%": "2026-04-07T10:00:00+02:00"}),
            (RES, 1): want("running", "2026-04-02T16:00:00+02:00", "2026-04-09T10:00:00+02:00",
                           h(3)),
        },
    ),
    # Berlin's own DST change (Sun 2026-03-29): Friday +01:00, Monday +02:00.
    "berlin spring DST weekend": Scenario(
        "berlin",
        (ev("created", "2026-03-27T16:00:00+01:00"),),
        now="2026-03-30T10:00:00+02:00",
        clocks={
            (FR, 1): want("running", "2026-03-27T16:00:00+01:00", "2026-03-30T12:00:00+02:00",
                          h(2), warnings={"50%": "2026-03-30T10:00:00+02:00"}),
            (RES, 1): want("running", "2026-03-27T16:00:00+01:00", "2026-04-01T10:00:00+02:00",
                           h(2)),
        },
    ),
    "new york thanksgiving": Scenario(
        "new_york",
        (ev("created", "2026-11-25T16:00:00-05:00"),),
        now="2026-11-27T12:00:00-05:00",
        clocks={
            (FR, 1): want("running", "2026-11-25T16:00:00-05:00", "2026-11-27T12:00:00-05:00",
                          h(4), warnings={"50%": "2026-11-27T10:00:00-05:00",
                                          "30m before": "2026-11-27T11:30:00-05:00"}),
            (RES, 1): want("running", "2026-11-25T16:00:00-05:00", "2026-11-30T16:00:00-05:00",
                           h(4)),
        },
    ),
    # Created on a Saturday: started_at is the Saturday, counting starts Monday 09:00.
    "berlin created at the weekend": Scenario(
        "berlin",
        (ev("created", b("Sat 10:00")),),
        now=b("Mon 09:30"),
        priority="P1",
        clocks={
            (FR, 1): want("running", b("Sat 10:00"), b("Mon 10:00"), h(0.5),
                          warnings={"50%": b("Mon 09:30"), "30m before": b("Mon 09:30")}),
            (RES, 1): want("running", b("Sat 10:00"), b("Tue 10:00"), h(0.5)),
        },
    ),
    "berlin created at lunch": Scenario(
        "berlin",
        (ev("created", b("Mon 12:30")),),
        now=b("Mon 13:00"),
        priority="P1",
        clocks={
            (FR, 1): want("running", b("Mon 12:30"), b("Mon 14:00"), 0),
            (RES, 1): want("running", b("Mon 12:30"), b("Tue 14:00"), 0),
        },
    ),
}
# fmt: on


@pytest.mark.parametrize("scenario", table(FIRST_RESPONSE))
def test_first_response_and_resolution(scenario: Scenario) -> None:
    check(scenario)


# ---------------------------------------------------------------------------------------
# Breach boundaries: breached only once past due_at; breached_at = due_at
# ---------------------------------------------------------------------------------------

_P1_CREATED = (ev("created", u("00:00")),)
_P1_FR_WARN = {"50%": u("00:30"), "30m before": u("00:30")}

# fmt: off
BOUNDARIES = {
    "at due: still running": Scenario(
        "always", _P1_CREATED, now=u("01:00"), priority="P1",
        clocks={
            (FR, 1): want("running", u("00:00"), u("01:00"), h(1), warnings=_P1_FR_WARN),
            (RES, 1): want("running", u("00:00"), u("08:00"), h(1)),
        },
    ),
    "one second past due: breached": Scenario(
        "always", _P1_CREATED, now="2026-11-23T01:00:01Z", priority="P1",
        clocks={
            (FR, 1): want("breached", u("00:00"), u("01:00"), h(1) + 1, breached=u("01:00"),
                          warnings=_P1_FR_WARN),
            (RES, 1): want("running", u("00:00"), u("08:00"), h(1) + 1),
        },
    ),
    "stopped exactly at due: met": Scenario(
        "always", (*_P1_CREATED, ev("agent_reply", u("01:00"))), now=u("02:00"), priority="P1",
        clocks={
            (FR, 1): want("met", u("00:00"), u("01:00"), h(1), stop=u("01:00"),
                          warnings=_P1_FR_WARN),
            (PU, 1): want("breached", u("01:00"), u("01:30"), h(1), breached=u("01:30"),
                          warnings={"50%": u("01:15"), "30m before": u("01:00")}),
            (RES, 1): want("running", u("00:00"), u("08:00"), h(2)),
        },
    ),
    "stopped after due: breached_met": Scenario(
        "always", (*_P1_CREATED, ev("agent_reply", u("01:30"))), now=u("01:45"), priority="P1",
        clocks={
            (FR, 1): want("breached_met", u("00:00"), u("01:00"), h(1.5), stop=u("01:30"),
                          breached=u("01:00"), warnings=_P1_FR_WARN),
            (PU, 1): want("running", u("01:30"), u("02:00"), h(0.25),
                          warnings={"50%": u("01:45"), "30m before": u("01:30")}),
            (RES, 1): want("running", u("00:00"), u("08:00"), h(1.75)),
        },
    ),
    # A deadline at a closing time stays at the closing time ...
    "berlin due at closing": Scenario(
        "berlin", (ev("created", b("Mon 16:00")),), now=b("Mon 17:00"), priority="P1",
        clocks={
            (FR, 1): want("running", b("Mon 16:00"), b("Mon 17:00"), h(1),
                          warnings={"50%": b("Mon 16:30"), "30m before": b("Mon 16:30")}),
            (RES, 1): want("running", b("Mon 16:00"), b("Tue 17:00"), h(1)),
        },
    ),
    # ... and the clock is breached as soon as the instant passes it, open or not.
    "berlin past due after closing": Scenario(
        "berlin", (ev("created", b("Mon 16:00")),), now=b("Mon 17:30"), priority="P1",
        clocks={
            (FR, 1): want("breached", b("Mon 16:00"), b("Mon 17:00"), h(1),
                          breached=b("Mon 17:00"),
                          warnings={"50%": b("Mon 16:30"), "30m before": b("Mon 16:30")}),
            (RES, 1): want("running", b("Mon 16:00"), b("Tue 17:00"), h(1)),
        },
    ),
    "berlin breached next morning": Scenario(
        "berlin", (ev("created", b("Mon 16:00")),), now=b("Tue 09:15"), priority="P1",
        clocks={
            (FR, 1): want("breached", b("Mon 16:00"), b("Mon 17:00"), h(1.25),
                          breached=b("Mon 17:00"),
                          warnings={"50%": b("Mon 16:30"), "30m before": b("Mon 16:30")}),
            (RES, 1): want("running", b("Mon 16:00"), b("Tue 17:00"), h(1.25)),
        },
    ),
}
# fmt: on


@pytest.mark.parametrize("scenario", table(BOUNDARIES))
def test_breach_boundaries(scenario: Scenario) -> None:
    check(scenario)


# ---------------------------------------------------------------------------------------
# next_response, periodic_update, callback
# ---------------------------------------------------------------------------------------

# fmt: off
RESPONSES = {
    # A customer reply before the first agent reply starts nothing; a second one while a
    # cycle waits starts nothing; an internal note stops nothing; cycles count 1, 2.
    "next_response 24x7": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("customer_reply", u("00:30")),
            ev("agent_reply", u("01:00")),
            ev("customer_reply", u("02:00")),
            ev("customer_reply", u("02:30")),
            ev("internal_note", u("03:00")),
            ev("agent_reply", u("03:20")),
            ev("customer_reply", u("05:00")),
        ),
        now=u("08:10"),
        clocks={
            (FR, 1): want("met", u("00:00"), u("04:00"), h(1), stop=u("01:00")),
            (NR, 1): want("met", u("02:00"), u("04:00"), h(80 / 60), stop=u("03:20"),
                          warnings={"50%": u("03:00")}, target=h(2)),
            (NR, 2): want("breached", u("05:00"), u("07:00"), h(3 + 10 / 60),
                          breached=u("07:00"),
                          warnings={"50%": u("06:00"), "30m before": u("06:30")}),
            (RES, 1): want("running", u("00:00"), u("16:00"), h(8 + 10 / 60),
                           warnings={"50%": u("08:00")}),
        },
    ),
    "next_response berlin split shift": Scenario(
        "berlin",
        (
            ev("created", b("Mon 09:00")),
            ev("customer_reply", b("Mon 09:10")),
            ev("agent_reply", b("Mon 09:30")),
            ev("customer_reply", b("Mon 11:00")),
            ev("agent_reply", b("Mon 13:30")),
            ev("customer_reply", b("Mon 16:30")),
        ),
        now=b("Tue 10:00"),
        clocks={
            (FR, 1): want("met", b("Mon 09:00"), b("Mon 14:00"), h(0.5), stop=b("Mon 09:30")),
            (NR, 1): want("met", b("Mon 11:00"), b("Mon 14:00"), h(1.5), stop=b("Mon 13:30"),
                          warnings={"50%": b("Mon 12:00"), "30m before": b("Mon 13:30")}),
            (NR, 2): want("running", b("Mon 16:30"), b("Tue 10:30"), h(1.5),
                          warnings={"50%": b("Tue 09:30"), "30m before": b("Tue 10:00")}),
            (RES, 1): want("running", b("Mon 09:00"), b("Wed 11:00"), h(8),
                           warnings={"50%": b("Tue 10:00")}),
        },
    ),
    # P1: each public reply stops the running update cycle and starts the next one.
    # A 30m target puts "30m before" at the cycle's start.
    "periodic_update cycles": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("agent_reply", u("00:10")),
            ev("agent_reply", u("00:30")),
            ev("internal_note", u("00:50")),
        ),
        now=u("01:10"),
        priority="P1",
        clocks={
            (FR, 1): want("met", u("00:00"), u("01:00"), h(10 / 60), stop=u("00:10")),
            (PU, 1): want("met", u("00:10"), u("00:40"), h(20 / 60), stop=u("00:30"),
                          warnings={"50%": u("00:25"), "30m before": u("00:10")}, target=h(0.5)),
            (PU, 2): want("breached", u("00:30"), u("01:00"), h(40 / 60), breached=u("01:00"),
                          warnings={"50%": u("00:45"), "30m before": u("00:30")}),
            (RES, 1): want("running", u("00:00"), u("08:00"), h(70 / 60),
                           warnings=ANY),
        },
    ),
    # Done stops the running update cycle; a reply after done starts none.
    "periodic_update stops at done": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("agent_reply", u("00:10")),
            ev("agent_reply", u("00:30")),
            ev("agent_reply", u("01:20")),
            ev("status", u("01:30"), status="solved"),
            ev("agent_reply", u("01:40")),
        ),
        now=u("02:00"),
        priority="P1",
        clocks={
            (FR, 1): want("met", u("00:00"), u("01:00"), h(10 / 60), stop=u("00:10")),
            (PU, 1): want("met", u("00:10"), u("00:40"), h(20 / 60), stop=u("00:30"),
                          warnings=ANY),
            (PU, 2): want("breached_met", u("00:30"), u("01:00"), h(50 / 60), stop=u("01:20"),
                          breached=u("01:00"), warnings=ANY),
            (PU, 3): want("met", u("01:20"), u("01:50"), h(10 / 60), stop=u("01:30"),
                          warnings={"30m before": u("01:20")}),
            (RES, 1): want("met", u("00:00"), u("08:00"), h(1.5), stop=u("01:30")),
        },
    ),
    # periodic_update has a target only for P1: other priorities do not report it.
    "periodic_update not promised for P4": Scenario(
        "always",
        (ev("created", u("00:00")), ev("agent_reply", u("00:10")), ev("agent_reply", u("05:00"))),
        now=u("06:00"),
        priority="P4",
        clocks={
            (FR, 1): want("met", u("00:00"), u("16:00"), h(10 / 60), stop=u("00:10")),
            (RES, 1): want("running", u("00:00"), "2026-11-26T08:00:00Z", h(6)),
        },
    ),
    # One cycle per request; a callback made stops the oldest waiting one; a callback made
    # with none waiting does nothing.
    "callbacks oldest first": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("agent_reply", u("00:05")),
            ev("callback_made", u("00:10")),
            ev("callback_requested", u("01:00")),
            ev("callback_requested", u("01:30")),
            ev("callback_made", u("01:50")),
        ),
        now=u("04:00"),
        clocks={
            (FR, 1): want("met", u("00:00"), u("04:00"), h(5 / 60), stop=u("00:05")),
            (CB, 1): want("met", u("01:00"), u("03:00"), h(50 / 60), stop=u("01:50"),
                          target=h(2)),
            (CB, 2): want("breached", u("01:30"), u("03:30"), h(2.5), breached=u("03:30"),
                          warnings={"50%": u("02:30"), "30m before": u("03:00")}),
            (RES, 1): want("running", u("00:00"), u("16:00"), h(4)),
        },
    ),
    "callback made late": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("agent_reply", u("00:05")),
            ev("callback_requested", u("01:00")),
            ev("callback_requested", u("01:30")),
            ev("callback_made", u("01:50")),
            ev("callback_made", u("04:30")),
        ),
        now=u("05:00"),
        clocks={
            (FR, 1): want("met", u("00:00"), u("04:00"), h(5 / 60), stop=u("00:05")),
            (CB, 1): want("met", u("01:00"), u("03:00"), h(50 / 60), stop=u("01:50")),
            (CB, 2): want("breached_met", u("01:30"), u("03:30"), h(3), stop=u("04:30"),
                          breached=u("03:30"),
                          warnings={"50%": u("02:30"), "30m before": u("03:00")}),
            (RES, 1): want("running", u("00:00"), u("16:00"), h(5)),
        },
    ),
    # Business hours: the callback waits over the night.
    "callback berlin overnight": Scenario(
        "berlin",
        (
            ev("created", b("Mon 09:00")),
            ev("agent_reply", b("Mon 09:05")),
            ev("callback_requested", b("Mon 16:00")),
        ),
        now=b("Tue 09:30"),
        clocks={
            (FR, 1): want("met", b("Mon 09:00"), b("Mon 14:00"), h(5 / 60), stop=b("Mon 09:05")),
            (CB, 1): want("running", b("Mon 16:00"), b("Tue 10:00"), h(1.5),
                          warnings={"50%": b("Mon 17:00"), "30m before": b("Tue 09:30")}),
            (RES, 1): want("running", b("Mon 09:00"), b("Wed 11:00"), h(7.5)),
        },
    ),
}
# fmt: on


@pytest.mark.parametrize("scenario", table(RESPONSES))
def test_response_clocks(scenario: Scenario) -> None:
    check(scenario)


# ---------------------------------------------------------------------------------------
# Done and reopening
# ---------------------------------------------------------------------------------------

# fmt: off
_DONE_THEN_REOPENED = (
    ev("created", u("00:00")),
    ev("agent_reply", u("01:00")),
    ev("customer_reply", u("02:10")),
    ev("callback_requested", u("02:30")),
    ev("status", u("03:00"), status="solved"),
    ev("customer_reply", u("04:00")),  # while done: starts nothing
    ev("callback_requested", u("04:10")),  # while done: starts nothing
    ev("status", u("05:00"), status="open"),  # reopens: resolution resumes
    ev("agent_reply", u("05:30")),  # nothing waits for it
    ev("customer_reply", u("05:45")),  # a new next_response cycle
)
# fmt: on

# fmt: off
DONE = {
    "done stops every clock": Scenario(
        "always", _DONE_THEN_REOPENED[:5], now=u("03:30"),
        clocks={
            (FR, 1): want("met", u("00:00"), u("04:00"), h(1), stop=u("01:00")),
            (NR, 1): want("met", u("02:10"), u("04:10"), h(50 / 60), stop=u("03:00")),
            (CB, 1): want("met", u("02:30"), u("04:30"), h(0.5), stop=u("03:00")),
            (RES, 1): want("met", u("00:00"), u("16:00"), h(3), stop=u("03:00")),
        },
    ),
    "replies while done start nothing": Scenario(
        "always", _DONE_THEN_REOPENED[:7], now=u("04:30"),
        clocks={
            (FR, 1): want("met", u("00:00"), u("04:00"), h(1), stop=u("01:00")),
            (NR, 1): want("met", u("02:10"), u("04:10"), h(50 / 60), stop=u("03:00")),
            (CB, 1): want("met", u("02:30"), u("04:30"), h(0.5), stop=u("03:00")),
            (RES, 1): want("met", u("00:00"), u("16:00"), h(3), stop=u("03:00")),
        },
    ),
    # Reopening resumes resolution cycle 1 with the time already used; response clocks
    # start again only from the next customer reply.
    "reopening resumes resolution": Scenario(
        "always", _DONE_THEN_REOPENED, now=u("06:00"),
        clocks={
            (FR, 1): want("met", u("00:00"), u("04:00"), h(1), stop=u("01:00")),
            (NR, 1): want("met", u("02:10"), u("04:10"), h(50 / 60), stop=u("03:00")),
            (NR, 2): want("running", u("05:45"), u("07:45"), h(0.25)),
            (CB, 1): want("met", u("02:30"), u("04:30"), h(0.5), stop=u("03:00")),
            (RES, 1): want("running", u("00:00"), u("18:00"), h(4), stop=None, breached=None),
        },
    ),
    "done after due: breached_met": Scenario(
        "always",
        (ev("created", u("00:00")), ev("status", u("09:00"), status="solved")),
        now=u("09:30"), priority="P1",
        clocks={
            (FR, 1): want("breached_met", u("00:00"), u("01:00"), h(9), stop=u("09:00"),
                          breached=u("01:00"), warnings=_P1_FR_WARN),
            (RES, 1): want("breached_met", u("00:00"), u("08:00"), h(9), stop=u("09:00"),
                           breached=u("08:00"),
                           warnings={"50%": u("04:00"), "30m before": u("07:30")}),
        },
    ),
    "reopened after a breach: breached again": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("status", u("09:00"), status="solved"),
            ev("status", u("10:00"), status="open"),
        ),
        now=u("11:00"), priority="P1",
        clocks={
            (FR, 1): want("breached_met", u("00:00"), u("01:00"), h(9), stop=u("09:00"),
                          breached=u("01:00"), warnings=_P1_FR_WARN),
            (RES, 1): want("breached", u("00:00"), u("08:00"), h(10), stop=None,
                           breached=u("08:00"),
                           warnings={"50%": u("04:00"), "30m before": u("07:30")}),
        },
    ),
    "done exactly at due: met": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("agent_reply", u("00:20")),
            ev("status", u("08:00"), status="closed"),
        ),
        now=u("09:00"), priority="P1",
        clocks={
            (FR, 1): want("met", u("00:00"), u("01:00"), h(20 / 60), stop=u("00:20")),
            (PU, 1): want("breached_met", u("00:20"), u("00:50"), h(7 + 40 / 60), stop=u("08:00"),
                          breached=u("00:50"),
                          warnings={"50%": u("00:35"), "30m before": u("00:20")}),
            (RES, 1): want("met", u("00:00"), u("08:00"), h(8), stop=u("08:00"),
                           warnings={"50%": u("04:00"), "30m before": u("07:30")}),
        },
    ),
    # done -> pending is a reopening too: resolution resumes, but paused.
    "reopened into a paused status": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("agent_reply", u("00:30")),
            ev("status", u("02:00"), status="solved"),
            ev("status", u("03:00"), status="pending"),
        ),
        now=u("04:00"),
        clocks={
            (FR, 1): want("met", u("00:00"), u("04:00"), h(0.5), stop=u("00:30")),
            (RES, 1): want("paused", u("00:00"), None, h(2), stop=None),
        },
    ),
    "reopened into a paused status, then open": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("agent_reply", u("00:30")),
            ev("status", u("02:00"), status="solved"),
            ev("status", u("03:00"), status="pending"),
            ev("status", u("05:00"), status="open"),
        ),
        now=u("06:00"),
        clocks={
            (FR, 1): want("met", u("00:00"), u("04:00"), h(0.5), stop=u("00:30")),
            (RES, 1): want("running", u("00:00"), u("19:00"), h(3)),
        },
    ),
    # The `resolved` / `reopened` events of the ticket format, in business hours.
    "berlin resolved and reopened": Scenario(
        "berlin",
        (
            ev("created", b("Mon 09:00")),
            ev("agent_reply", b("Mon 10:00")),
            ev("resolved", b("Mon 15:00")),
            ev("reopened", b("Tue 09:00")),
        ),
        now=b("Tue 11:00"),
        clocks={
            (FR, 1): want("met", b("Mon 09:00"), b("Mon 14:00"), h(1), stop=b("Mon 10:00")),
            (RES, 1): want("running", b("Mon 09:00"), b("Wed 14:00"), h(7), stop=None),
        },
    ),
}
# fmt: on


@pytest.mark.parametrize("scenario", table(DONE))
def test_done_and_reopening(scenario: Scenario) -> None:
    check(scenario)


# ---------------------------------------------------------------------------------------
# Pauses
# ---------------------------------------------------------------------------------------

# fmt: off
PAUSES = {
    # Paused time never counts and there is no due instant while paused. A customer reply
    # while pending starts a next_response cycle that is paused from its start.
    "pending pauses every clock": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("agent_reply", u("00:30")),
            ev("status", u("01:00"), status="pending"),
            ev("customer_reply", u("02:00")),
        ),
        now=u("03:00"),
        clocks={
            (FR, 1): want("met", u("00:00"), u("04:00"), h(0.5), stop=u("00:30")),
            (NR, 1): want("paused", u("02:00"), None, 0),
            (RES, 1): want("paused", u("00:00"), None, h(1)),
        },
    ),
    "open again: counting resumes": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("agent_reply", u("00:30")),
            ev("status", u("01:00"), status="pending"),
            ev("customer_reply", u("02:00")),
            ev("status", u("05:00"), status="open"),
        ),
        now=u("06:00"),
        clocks={
            (FR, 1): want("met", u("00:00"), u("04:00"), h(0.5), stop=u("00:30")),
            (NR, 1): want("running", u("02:00"), u("07:00"), h(1), warnings={"50%": u("06:00")}),
            (RES, 1): want("running", u("00:00"), u("20:00"), h(2)),
        },
    ),
    "on_hold pauses too": Scenario(
        "always",
        (ev("created", u("00:00")), ev("status", u("01:00"), status="on_hold")),
        now=u("03:00"),
        clocks={
            (FR, 1): want("paused", u("00:00"), None, h(1)),
            (RES, 1): want("paused", u("00:00"), None, h(1)),
        },
    ),
    # A clock already past due stays breached while paused.
    "breached stays breached while paused": Scenario(
        "always",
        (ev("created", u("00:00")), ev("status", u("02:00"), status="pending")),
        now=u("03:00"), priority="P1",
        clocks={
            (FR, 1): want("breached", u("00:00"), ANY, h(2), breached=u("01:00"),
                          warnings=_P1_FR_WARN),
            (RES, 1): want("paused", u("00:00"), None, h(2)),
        },
    ),
    # `pause: false` on a target: it runs on through pending.
    "pause false keeps running": Scenario(
        "always",
        (ev("created", u("00:00")), ev("status", u("01:00"), status="on_hold")),
        now=u("03:00"), unpaused=("first_response",),
        clocks={
            (FR, 1): want("running", u("00:00"), u("04:00"), h(3), warnings={"50%": u("02:00")}),
            (RES, 1): want("paused", u("00:00"), None, h(1)),
        },
    ),
    "pause false breaches while on hold": Scenario(
        "always",
        (ev("created", u("00:00")), ev("status", u("01:00"), status="on_hold")),
        now=u("05:00"), unpaused=("first_response",),
        clocks={
            (FR, 1): want("breached", u("00:00"), u("04:00"), h(5), breached=u("04:00"),
                          warnings={"50%": u("02:00"), "30m before": u("03:30")}),
            (RES, 1): want("paused", u("00:00"), None, h(1)),
        },
    ),
    # Paused for two days in business hours: Mon 09-11 and Wed 10-12 count.
    "berlin pending over two days": Scenario(
        "berlin",
        (
            ev("created", b("Mon 09:00")),
            ev("agent_reply", b("Mon 09:30")),
            ev("status", b("Mon 11:00"), status="pending"),
            ev("status", b("Wed 10:00"), status="open"),
        ),
        now=b("Wed 12:00"),
        clocks={
            (FR, 1): want("met", b("Mon 09:00"), b("Mon 14:00"), h(0.5), stop=b("Mon 09:30")),
            (RES, 1): want("running", b("Mon 09:00"), b("Fri 10:00"), h(4)),
        },
    ),
    # Pending over the autumn DST weekend in New York; the due lands on Tuesday's closing.
    "new york pending over DST": Scenario(
        "new_york",
        (
            ev("created", "2026-10-30T10:00:00-04:00"),
            ev("agent_reply", "2026-10-30T10:30:00-04:00"),
            ev("status", "2026-10-30T11:00:00-04:00", status="pending"),
            ev("status", "2026-11-02T10:00:00-05:00", status="open"),
        ),
        now="2026-11-02T12:00:00-05:00",
        clocks={
            (FR, 1): want("met", "2026-10-30T10:00:00-04:00", "2026-10-30T14:00:00-04:00",
                          h(0.5), stop="2026-10-30T10:30:00-04:00"),
            (RES, 1): want("running", "2026-10-30T10:00:00-04:00", "2026-11-03T17:00:00-05:00",
                           h(3)),
        },
    ),
    # next_response due at the 12:00 lunch closing; past it at 12:30, elapsed still 2h.
    "berlin next_response breached over lunch": Scenario(
        "berlin",
        (
            ev("created", b("Mon 09:00")),
            ev("agent_reply", b("Mon 09:30")),
            ev("status", b("Mon 10:00"), status="pending"),
            ev("customer_reply", b("Tue 10:00")),
            ev("status", b("Tue 10:00"), status="open"),
        ),
        now=b("Tue 12:30"),
        clocks={
            (FR, 1): want("met", b("Mon 09:00"), b("Mon 14:00"), h(0.5), stop=b("Mon 09:30")),
            (NR, 1): want("breached", b("Tue 10:00"), b("Tue 12:00"), h(2),
                          breached=b("Tue 12:00"),
                          warnings={"50%": b("Tue 11:00"), "30m before": b("Tue 11:30")}),
            (RES, 1): want("running", b("Mon 09:00"), b("Thu 11:00"), h(3)),
        },
    ),
}
# fmt: on


@pytest.mark.parametrize("scenario", table(PAUSES))
def test_pauses(scenario: Scenario) -> None:
    check(scenario)


# ---------------------------------------------------------------------------------------
# Priority, tier and on_change
# ---------------------------------------------------------------------------------------

# fmt: off
CHANGES = {
    # P3 -> P1 at 02:00: the running clocks take the P1 target from their original start;
    # first_response becomes breached at its new, earlier due.
    "priority up: recomputed from the start": Scenario(
        "always",
        (ev("created", u("00:00")), ev("priority", u("02:00"), priority="P1")),
        now=u("03:00"), priority="P3",
        clocks={
            (FR, 1): want("breached", u("00:00"), u("01:00"), h(3), breached=u("01:00"),
                          warnings=_P1_FR_WARN, target=h(1)),
            (RES, 1): want("running", u("00:00"), u("08:00"), h(3), target=h(8)),
        },
    ),
    # A stopped clock keeps the target it had. The update cycle started at the reply is
    # promised from P1 on, counted from its own start.
    "priority up: stopped clocks keep their target": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("agent_reply", u("00:30")),
            ev("priority", u("02:00"), priority="critical"),
        ),
        now=u("03:00"), priority="P3",
        clocks={
            (FR, 1): want("met", u("00:00"), u("08:00"), h(0.5), stop=u("00:30"), target=h(8)),
            (PU, 1): want("breached", u("00:30"), u("01:00"), h(2.5), breached=u("01:00"),
                          warnings=ANY, target=h(0.5)),
            (RES, 1): want("running", u("00:00"), u("08:00"), h(3), target=h(8)),
        },
    ),
    "priority down: a later due": Scenario(
        "always",
        (ev("created", u("00:00")), ev("priority", u("00:45"), priority="P3")),
        now=u("02:00"), priority="P1",
        clocks={
            (FR, 1): want("running", u("00:00"), u("08:00"), h(2), target=h(8)),
            (RES, 1): want("running", u("00:00"), "2026-11-24T16:00:00Z", h(2), target=h(40)),
        },
    ),
    # Recomputed from the start: a breach under P1 is no breach under P3.
    "priority down after a breach": Scenario(
        "always",
        (ev("created", u("00:00")), ev("priority", u("02:00"), priority="P3")),
        now=u("03:00"), priority="P1",
        clocks={
            (FR, 1): want("running", u("00:00"), u("08:00"), h(3), breached=None, target=h(8)),
            (RES, 1): want("running", u("00:00"), "2026-11-24T16:00:00Z", h(3), target=h(40)),
        },
    ),
    "berlin priority up": Scenario(
        "berlin",
        (ev("created", b("Mon 09:00")), ev("priority", b("Mon 11:00"), priority="P1")),
        now=b("Mon 11:30"), priority="P3",
        clocks={
            (FR, 1): want("breached", b("Mon 09:00"), b("Mon 10:00"), h(2.5),
                          breached=b("Mon 10:00"),
                          warnings={"50%": b("Mon 09:30"), "30m before": b("Mon 09:30")},
                          target=h(1)),
            (RES, 1): want("running", b("Mon 09:00"), b("Tue 10:00"), h(2.5), target=h(8)),
        },
    ),
    # Tier enterprise halves every target (P2 first_response 4h -> 2h).
    "tier enterprise from creation": Scenario(
        "berlin", (ev("created", b("Mon 09:00")),), now=b("Mon 11:30"),
        doc={"tier": "enterprise"},
        clocks={
            (FR, 1): want("breached", b("Mon 09:00"), b("Mon 11:00"), h(2.5),
                          breached=b("Mon 11:00"),
                          warnings={"50%": b("Mon 10:00"), "30m before": b("Mon 10:30")},
                          target=h(2)),
            (RES, 1): want("running", b("Mon 09:00"), b("Tue 10:00"), h(2.5), target=h(8)),
        },
    ),
    "tier change: exactly at the new due": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("customer_reply", u("00:10")),
            ev("tier", u("01:00"), tier="Enterprise"),
        ),
        now=u("02:00"),
        clocks={
            (FR, 1): want("running", u("00:00"), u("02:00"), h(2), target=h(2),
                          warnings={"50%": u("01:00"), "30m before": u("01:30")}),
            (RES, 1): want("running", u("00:00"), u("08:00"), h(2), target=h(8)),
        },
    ),
    "tier change: a met clock keeps its target": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("agent_reply", u("00:30")),
            ev("tier", u("01:00"), tier="enterprise"),
        ),
        now=u("02:00"),
        clocks={
            (FR, 1): want("met", u("00:00"), u("04:00"), h(0.5), stop=u("00:30"), target=h(4)),
            (RES, 1): want("running", u("00:00"), u("08:00"), h(2), target=h(8)),
        },
    ),
    # Assignment, other fields, CSAT and caused_by links change no clock.
    "fields that change nothing": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("assigned", u("00:10"), team="tier2", assignee="ana"),
            ev("field", u("00:20"), name="region", value="emea"),
            ev("caused_by", u("00:30"), cause="T-7"),
            ev("csat", u("00:40"), score=4),
        ),
        now=u("01:00"),
        clocks={
            (FR, 1): want("running", u("00:00"), u("04:00"), h(1), target=h(4)),
            (RES, 1): want("running", u("00:00"), u("16:00"), h(1), target=h(16)),
        },
    ),
}
# fmt: on

# fmt: off
_RESTART = Scenario(
    "always",
    (ev("created", u("00:00")), ev("priority", u("02:00"), priority="P1")),
    now=u("02:30"),
    priority="P3",
    on_change="restart",
    clocks={
        (FR, 1): want("cancelled", u("00:00"), ANY, h(2), stop=u("02:00"), breached=ANY,
                      warnings=ANY),
        (FR, 2): want("running", u("02:00"), u("03:00"), h(0.5), target=h(1),
                      warnings={"50%": u("02:30"), "30m before": u("02:30")}),
        (RES, 1): want("cancelled", u("00:00"), ANY, h(2), stop=u("02:00"), breached=ANY,
                       warnings=ANY),
        (RES, 2): want("running", u("02:00"), u("10:00"), h(0.5), target=h(8)),
    },
)
# fmt: on

# fmt: off
_RESTART_THEN_REPLY = Scenario(
    "always",
    (
        ev("created", u("00:00")),
        ev("priority", u("02:00"), priority="P1"),
        ev("agent_reply", u("02:15")),
    ),
    now=u("02:20"),
    priority="P3",
    on_change="restart",
    clocks={
        (FR, 1): want("cancelled", u("00:00"), ANY, h(2), stop=u("02:00"), breached=ANY,
                      warnings=ANY),
        (FR, 2): want("met", u("02:00"), u("03:00"), h(0.25), stop=u("02:15")),
        (PU, 1): want("running", u("02:15"), u("02:45"), h(5 / 60), warnings=ANY),
        (RES, 1): want("cancelled", u("00:00"), ANY, h(2), stop=u("02:00"), breached=ANY,
                       warnings=ANY),
        (RES, 2): want("running", u("02:00"), u("10:00"), h(20 / 60)),
    },
)
# fmt: on

# The cycle cancelled by a restart ran under P3 (first_response 8h, resolution 40h) and was
# never past due; it keeps that target like any stopped clock.
# fmt: off
_RESTART_KEEPS_TARGET = Scenario(
    "always",
    (ev("created", u("00:00")), ev("priority", u("02:00"), priority="P1")),
    now=u("02:30"),
    priority="P3",
    on_change="restart",
    clocks={
        (FR, 1): want("cancelled", u("00:00"), ANY, h(2), stop=u("02:00"), breached=None,
                      target=h(8), warnings={}),
        (FR, 2): want("running", u("02:00"), u("03:00"), h(0.5), target=h(1), warnings=ANY),
        (RES, 1): want("cancelled", u("00:00"), ANY, h(2), stop=u("02:00"), breached=None,
                       target=h(40)),
        (RES, 2): want("running", u("02:00"), u("10:00"), h(0.5), target=h(8)),
    },
)
# fmt: on

CHANGE_ROWS = [
    *table(CHANGES),
    pytest.param(_RESTART, id="on_change restart"),
    pytest.param(_RESTART_THEN_REPLY, id="on_change restart, then a reply"),
    pytest.param(
        _RESTART_KEEPS_TARGET, id="on_change restart: the cancelled cycle keeps its target"
    ),
]


@pytest.mark.parametrize("scenario", CHANGE_ROWS)
def test_priority_tier_and_policy_changes(scenario: Scenario) -> None:
    check(scenario)


# ---------------------------------------------------------------------------------------
# Duplicates, evaluation instant, same-instant order
# ---------------------------------------------------------------------------------------

# fmt: off
_MERGED = (
    ev("created", u("00:00")),
    ev("agent_reply", u("00:10")),
    ev("customer_reply", u("00:20")),
    ev("callback_requested", u("00:25")),
    ev("duplicate_of", u("00:40"), original="T-9"),
    ev("customer_reply", u("00:50")),
    ev("callback_requested", u("00:55")),
    ev("agent_reply", u("01:00")),
    ev("status", u("01:10"), status="pending"),
    ev("status", u("01:20"), status="open"),
    ev("status", u("01:30"), status="solved"),
    ev("status", u("01:40"), status="open"),
)
# fmt: on

# fmt: off
OTHERS = {
    # duplicate_of cancels every running clock at its instant; nothing starts afterwards.
    "duplicate cancels everything": Scenario(
        "always", _MERGED, now=u("03:00"), priority="P1",
        clocks={
            (FR, 1): want("met", u("00:00"), u("01:00"), h(10 / 60), stop=u("00:10")),
            (PU, 1): want("cancelled", u("00:10"), ANY, h(0.5), stop=u("00:40"), warnings=ANY),
            (NR, 1): want("cancelled", u("00:20"), ANY, h(20 / 60), stop=u("00:40"),
                          warnings=ANY),
            (CB, 1): want("cancelled", u("00:25"), ANY, h(15 / 60), stop=u("00:40"),
                          warnings=ANY),
            (RES, 1): want("cancelled", u("00:00"), ANY, h(40 / 60), stop=u("00:40"),
                           warnings=ANY),
        },
    ),
    # Marked a duplicate while solved: nothing was running, and reopening starts nothing.
    "duplicate while done, then reopened": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("status", u("01:00"), status="solved"),
            ev("duplicate_of", u("02:00"), original="T-9"),
            ev("status", u("03:00"), status="open"),
            ev("customer_reply", u("03:30")),
            ev("callback_requested", u("03:40")),
        ),
        now=u("04:00"),
        clocks={
            (FR, 1): want("met", u("00:00"), u("04:00"), h(1), stop=u("01:00")),
            (RES, 1): want("met", u("00:00"), u("16:00"), h(1), stop=u("01:00")),
        },
    ),
    # Links apply after replies at the same instant, whatever their ids.
    "duplicate and reply at the same instant": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("duplicate_of", u("01:00"), original="T-9", id="a-link"),
            ev("agent_reply", u("01:00"), id="z-reply"),
        ),
        now=u("02:00"),
        clocks={
            (FR, 1): want("met", u("00:00"), u("04:00"), h(1), stop=u("01:00")),
            (RES, 1): want("cancelled", u("00:00"), ANY, h(1), stop=u("01:00")),
        },
    ),
    # Events after `now` are ignored; an event exactly at `now` counts.
    "as of before the reply": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("agent_reply", u("02:00")),
            ev("status", u("05:00"), status="solved"),
        ),
        now=u("01:00"),
        clocks={
            (FR, 1): want("running", u("00:00"), u("04:00"), h(1)),
            (RES, 1): want("running", u("00:00"), u("16:00"), h(1)),
        },
    ),
    "as of the reply instant": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("agent_reply", u("02:00")),
            ev("status", u("05:00"), status="solved"),
        ),
        now=u("02:00"),
        clocks={
            (FR, 1): want("met", u("00:00"), u("04:00"), h(2), stop=u("02:00"),
                          warnings={"50%": u("02:00")}),
            (RES, 1): want("running", u("00:00"), u("16:00"), h(2)),
        },
    ),
    # status -> open and a customer reply at one instant: the status applies first, so the
    # ticket is no longer done and the reply starts a next_response cycle.
    "status before reply at the same instant": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("agent_reply", u("00:30")),
            ev("status", u("01:00"), status="solved"),
            ev("customer_reply", u("02:00"), id="a-reply"),
            ev("status", u("02:00"), status="open", id="z-status"),
        ),
        now=u("03:00"),
        clocks={
            (FR, 1): want("met", u("00:00"), u("04:00"), h(0.5), stop=u("00:30")),
            (NR, 1): want("running", u("02:00"), u("04:00"), h(1), warnings={"50%": u("03:00")}),
            (RES, 1): want("running", u("00:00"), u("17:00"), h(2)),
        },
    ),
    # solved and a callback request at one instant: solved first, so no callback clock.
    "done before callback at the same instant": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("agent_reply", u("00:30")),
            ev("callback_requested", u("01:00"), id="a-callback"),
            ev("status", u("01:00"), status="solved", id="z-status"),
        ),
        now=u("02:00"),
        clocks={
            (FR, 1): want("met", u("00:00"), u("04:00"), h(0.5), stop=u("00:30")),
            (RES, 1): want("met", u("00:00"), u("16:00"), h(1), stop=u("01:00")),
        },
    ),
    # Same instant, same rank: by id. Here the callback made ("a-...") comes first and
    # finds nothing waiting; the request then starts a cycle.
    "same rank at the same instant: by id (made first)": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("agent_reply", u("00:10")),
            ev("callback_requested", u("01:00"), id="b-request"),
            ev("callback_made", u("01:00"), id="a-made"),
        ),
        now=u("02:00"),
        clocks={
            (FR, 1): want("met", u("00:00"), u("04:00"), h(10 / 60), stop=u("00:10")),
            (CB, 1): want("running", u("01:00"), u("03:00"), h(1), warnings={"50%": u("02:00")}),
            (RES, 1): want("running", u("00:00"), u("16:00"), h(2)),
        },
    ),
    "same rank at the same instant: by id (request first)": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("agent_reply", u("00:10")),
            ev("callback_made", u("01:00"), id="b-made"),
            ev("callback_requested", u("01:00"), id="a-request"),
        ),
        now=u("02:00"),
        clocks={
            (FR, 1): want("met", u("00:00"), u("04:00"), h(10 / 60), stop=u("00:10")),
            (CB, 1): want("met", u("01:00"), u("03:00"), 0, stop=u("01:00")),
            (RES, 1): want("running", u("00:00"), u("16:00"), h(2)),
        },
    ),
    # created applies before a reply at the same instant.
    "created before reply at the same instant": Scenario(
        "always",
        (
            ev("agent_reply", u("00:00"), id="a-reply"),
            ev("created", u("00:00"), id="z-created"),
        ),
        now=u("01:00"),
        clocks={
            (FR, 1): want("met", u("00:00"), u("04:00"), 0, stop=u("00:00")),
            (RES, 1): want("running", u("00:00"), u("16:00"), h(1)),
        },
    ),
    # priority and a reply at one instant: the new priority's target applies to the
    # first_response the reply stops.
    "priority before reply at the same instant": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("agent_reply", u("00:30"), id="a-reply"),
            ev("priority", u("00:30"), priority="P1", id="z-priority"),
        ),
        now=u("00:45"), priority="P3",
        clocks={
            (FR, 1): want("met", u("00:00"), u("01:00"), h(0.5), stop=u("00:30"), target=h(1),
                          warnings={"50%": u("00:30"), "30m before": u("00:30")}),
            (PU, 1): want("running", u("00:30"), u("01:00"), h(0.25),
                          warnings={"50%": u("00:45"), "30m before": u("00:30")}),
            (RES, 1): want("running", u("00:00"), u("08:00"), h(0.75), target=h(8)),
        },
    ),
}
# fmt: on


@pytest.mark.parametrize("scenario", table(OTHERS))
def test_duplicates_as_of_and_same_instant_order(scenario: Scenario) -> None:
    check(scenario)


# ---------------------------------------------------------------------------------------
# Custom milestones and classification
# ---------------------------------------------------------------------------------------

# fmt: off
IMPLEMENTATION = {
    # received -> provisioning, paused in pending_approval (Mon 10:00 - Tue 10:00): it
    # counts Mon 09-10 and Tue 10-11.
    "berlin provisioning milestone met": Scenario(
        "berlin",
        (
            ev("created", b("Mon 09:00")),
            ev("status", b("Mon 10:00"), status="pending_approval"),
            ev("status", b("Tue 10:00"), status="received"),
            ev("status", b("Tue 11:00"), status="provisioning"),
        ),
        now=b("Tue 12:00"),
        doc={"type": "implementation"},
        policy="implementation",
        clocks={
            (PROV, 1): want("met", b("Mon 09:00"), b("Wed 10:00"), h(2), stop=b("Tue 11:00"),
                            target=h(8)),
            (RES, 1): want("running", b("Mon 09:00"), b("Thu 11:00"), h(3), target=h(16)),
        },
    ),
    "milestone paused while pending approval": Scenario(
        "always",
        (ev("created", u("00:00")), ev("status", u("01:00"), status="pending_approval")),
        now=u("02:00"),
        priority="P1",
        doc={"type": "implementation"},
        policy="implementation",
        clocks={
            (PROV, 1): want("paused", u("00:00"), None, h(1), target=h(4)),
            (RES, 1): want("paused", u("00:00"), None, h(1)),
        },
    ),
    "milestone running again after approval": Scenario(
        "always",
        (
            ev("created", u("00:00")),
            ev("status", u("01:00"), status="pending_approval"),
            ev("status", u("03:00"), status="received"),
        ),
        now=u("04:30"), priority="P1",
        doc={"type": "implementation"},
        policy="implementation",
        clocks={
            (PROV, 1): want("running", u("00:00"), u("06:00"), h(2.5),
                            warnings={"50%": u("04:00")}),
            (RES, 1): want("running", u("00:00"), u("10:00"), h(2.5)),
        },
    ),
    # No type given: the text decides ("I need" / "setup" -> implementation).
    "classified by 'I need'": Scenario(
        "berlin", (ev("created", b("Mon 09:00")),), now=b("Mon 10:00"),
        doc={"type": None, "subject": "I need a VPN account"},
        policy="implementation",
        clocks={
            (PROV, 1): want("running", b("Mon 09:00"), b("Tue 10:00"), h(1)),
            (RES, 1): want("running", b("Mon 09:00"), b("Wed 11:00"), h(1)),
        },
    ),
    "classified by 'setup'": Scenario(
        "always", (ev("created", u("00:00")),), now=u("01:00"),
        doc={"type": None, "subject": "New office", "description": "Printer SETUP for floor 3"},
        policy="implementation",
        clocks={
            (PROV, 1): want("running", u("00:00"), u("08:00"), h(1)),
            (RES, 1): want("running", u("00:00"), u("16:00"), h(1)),
        },
    ),
    "not classified: support": Scenario(
        "always", (ev("created", u("00:00")),), now=u("01:00"),
        doc={"type": None, "subject": "Invoice total is wrong"},
        clocks={
            (FR, 1): want("running", u("00:00"), u("04:00"), h(1)),
            (RES, 1): want("running", u("00:00"), u("16:00"), h(1)),
        },
    ),
}
# fmt: on


@pytest.mark.parametrize("scenario", table(IMPLEMENTATION))
def test_milestones_and_classification(scenario: Scenario) -> None:
    check(scenario)


def test_classification_sets_type_and_workflow() -> None:
    cfg = config("always")
    doc = ticket_doc(
        ev("created", u("00:00")),
        ev("status", u("01:00"), status="provisioning"),
        type=None,
        subject="I need three laptops",
    )
    evaluation = evaluate_doc(doc, cfg, u("02:00"))
    assert evaluation.type == "implementation"
    assert evaluation.status == "provisioning"
    got = clocks_of(explain(doc, cfg, u("02:00")))
    assert got[(PROV, 1)]["state"] == "met"
    assert _utc(got[(PROV, 1)]["stopped_at"]) == _utc(u("01:00"))


def test_nothing_before_the_ticket_exists() -> None:
    doc = ticket_doc(ev("created", u("10:00")), ev("agent_reply", u("11:00")))
    assert explain(doc, config("always"), u("09:59"))["clocks"] == []


def test_the_contract_shape() -> None:
    doc = ticket_doc(ev("created", u("00:00")), ev("agent_reply", u("03:00")))
    result = explain(doc, config("always"), u("04:00"))
    assert set(result) == {"ticket", "policy", "clocks"}
    for c in result["clocks"]:
        assert set(c) == {
            "metric",
            "cycle",
            "state",
            "target_seconds",
            "started_at",
            "due_at",
            "stopped_at",
            "breached_at",
            "elapsed_seconds",
            "warnings",
        }
        for w in c["warnings"]:
            assert set(w) == {"threshold", "at"}
    first = clocks_of(result)[(FR, 1)]
    assert first["started_at"] == "2026-11-23T00:00:00+00:00"
    assert first["warnings"] == [{"threshold": "50%", "at": "2026-11-23T02:00:00+00:00"}]


def test_instants_are_written_in_the_calendars_zone() -> None:
    doc = ticket_doc(ev("created", "2026-03-06T21:00:00Z"))
    got = clocks_of(explain(doc, config("new_york"), "2026-03-09T15:00:00Z"))
    assert got[(FR, 1)]["started_at"] == "2026-03-06T16:00:00-05:00"
    assert got[(FR, 1)]["due_at"] == "2026-03-09T12:00:00-04:00"
    assert got[(FR, 1)]["warnings"] == [{"threshold": "50%", "at": "2026-03-09T10:00:00-04:00"}]
