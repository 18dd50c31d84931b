"""Clock cases in the style of other help desks' SLA test suites, on our own semantics.

Each case gives its own calendar, its targets (for the ticket's priority, P3 unless
the case says otherwise), the ticket's events and the instant of evaluation, and the
expected clocks. Expected instants and durations were worked out by hand from the
calendar and the targets.

Help desks differ in a few conventions; where they do, the case follows
`docs/clocks.md` and says what other tools do:

- A clock's `started_at` is the instant of the event that started it; some tools show
  the next opening instead ("Starts").
- A `done` status stops every clock, first_response included, and reopening resumes
  only resolution. Tools that compute "escalation times" from timestamps keep the first
  response deadline moving through a closed period instead.
- A clock stopped while paused has no due instant in force (`due_at` null); tools that
  keep a deadline field show the last deadline extended by the pause.
- Deadlines are exact to the second; some tools round them to the minute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from builders import clocks_of, instant
from slaguard.config.model import parse_config
from slaguard.domain.engine import evaluate
from slaguard.domain.explain import evaluation_json
from slaguard.schemas.ticket import parse_ticket

ANY: Any = object()

FR, NR, PU, RES, CB = (
    "first_response",
    "next_response",
    "periodic_update",
    "resolution",
    "callback",
)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
ALL_DAYS = (*WEEKDAYS, "sat", "sun")


def hours(days: tuple[str, ...], *ranges: str) -> dict[str, list[str]]:
    return {d: list(ranges) for d in days}


def berlin(days: tuple[str, ...], *ranges: str, **extra: Any) -> dict[str, Any]:
    return {"timezone": "Europe/Berlin", "hours": hours(days, *ranges), **extra}


UTC_24X7 = {"timezone": "UTC", "always_open": True}


def m(minutes: float) -> int:
    """Minutes as whole seconds."""
    return round(minutes * 60)


def ev(kind: str, at: str, **data: Any) -> dict[str, Any]:
    return {"type": kind, "at": at, **data}


@dataclass(frozen=True)
class Want:
    state: str
    due: str | Any | None
    elapsed: int | Any
    start: str | Any = ANY
    stop: str | Any | None = ANY
    breached: str | Any | None = ANY


@dataclass(frozen=True)
class Case:
    calendar: dict[str, Any]
    targets: dict[str, Any]
    events: tuple[dict[str, Any], ...]
    now: str
    clocks: dict[tuple[str, int], Want]
    priority: str = "P3"
    policies: list[dict[str, Any]] | None = None  # replaces the one built from targets
    calendars: dict[str, Any] = field(default_factory=dict)  # more calendars by name
    doc: dict[str, Any] = field(default_factory=dict)


def _targets(targets: dict[str, Any], priority: str) -> dict[str, Any]:
    """A plain duration means: that duration for the ticket's priority."""
    return {
        metric: ({priority: spec} if isinstance(spec, str) else spec)
        for metric, spec in targets.items()
    }


def run(case: Case) -> dict[str, Any]:
    policies = case.policies or [
        {
            "name": "case",
            "calendar": "case",
            "targets": _targets(case.targets, case.priority),
        }
    ]
    mapping: dict[str, Any] = {
        "calendars": {"case": case.calendar, **case.calendars},
        "policies": policies,
    }
    cfg = parse_config(mapping)
    doc: dict[str, Any] = {"id": "T-1", "type": "support", "priority": case.priority}
    doc |= case.doc
    doc["events"] = [{"id": f"e{i:02d}", **e} for i, e in enumerate(case.events, start=1)]
    return evaluation_json(evaluate(parse_ticket(doc, cfg), cfg, instant(case.now)))


def _utc(text: str | None) -> datetime | None:
    return None if text is None else instant(text).astimezone(UTC)


def check(case: Case) -> None:
    got = clocks_of(run(case))
    assert sorted(got) == sorted(case.clocks), "the clocks reported"
    for key, w in case.clocks.items():
        c = got[key]
        pairs = [
            ("state", c["state"], w.state),
            ("due_at", _utc(c["due_at"]), w.due if w.due is ANY else _utc(w.due)),
            ("elapsed_seconds", c["elapsed_seconds"], w.elapsed),
            ("started_at", _utc(c["started_at"]), w.start if w.start is ANY else _utc(w.start)),
            ("stopped_at", _utc(c["stopped_at"]), w.stop if w.stop is ANY else _utc(w.stop)),
            (
                "breached_at",
                _utc(c["breached_at"]),
                w.breached if w.breached is ANY else _utc(w.breached),
            ),
        ]
        actual = {name: a for name, a, e in pairs if e is not ANY}
        expected = {name: e for name, a, e in pairs if e is not ANY}
        assert actual == expected, key


def table(rows: dict[str, Case]) -> list[Any]:
    return [pytest.param(row, id=name) for name, row in rows.items()]


# Calendars of the cases below (Europe/Berlin is +01:00 in winter, +02:00 in summer).
MON_FRI_9_17 = berlin(WEEKDAYS, "09:00-17:00")
MON_FRI_8_18 = berlin(WEEKDAYS, "08:00-18:00")
DAILY_8_17 = berlin(ALL_DAYS, "08:00-17:00")
DAILY_9_18 = berlin(ALL_DAYS, "09:00-18:00")
MON_FRI_8_20_HOLIDAY = berlin(WEEKDAYS, "08:00-20:00", holidays={"dates": ["2016-11-01"]})


def z(day: str, hm: str) -> str:
    """A UTC instant."""
    return f"{day}T{hm}Z"


# ---------------------------------------------------------------------------------------
# Deadlines from creation, in business hours and time zones
# ---------------------------------------------------------------------------------------

# fmt: off
DEADLINES = {
    # Thu 2013-03-21 09:30Z is 10:30 in Berlin: 1h and 4h from there, same day.
    "created in hours, winter": Case(
        MON_FRI_9_17, {FR: "1h", RES: "4h"},
        (ev("created", z("2013-03-21", "09:30:00")),),
        now=z("2013-03-21", "09:30:00"),
        clocks={
            (FR, 1): Want("running", z("2013-03-21", "10:30:00"), 0,
                          start=z("2013-03-21", "09:30:00")),
            (RES, 1): Want("running", z("2013-03-21", "13:30:00"), 0),
        },
    ),
    # A longer target for the new priority is counted from the original start.
    "priority change recomputes from the start": Case(
        MON_FRI_9_17,
        {FR: {"P3": "1h", "P2": "2h"}, RES: {"P3": "4h", "P2": "4h"}},
        (ev("created", z("2013-03-21", "09:30:00")),
         ev("priority", z("2013-03-21", "09:45:00"), priority="P2")),
        now=z("2013-03-21", "10:00:00"),
        clocks={
            (FR, 1): Want("running", z("2013-03-21", "11:30:00"), m(30)),
            (RES, 1): Want("running", z("2013-03-21", "13:30:00"), m(30)),
        },
    ),
    # The new priority has no target in the policy: the clocks are not reported.
    "priority without a target": Case(
        MON_FRI_9_17, {FR: "1h", RES: "4h"},
        (ev("created", z("2013-03-21", "09:30:00")),
         ev("priority", z("2013-03-21", "09:45:00"), priority="P4")),
        now=z("2013-03-21", "10:00:00"),
        clocks={},
    ),
    # Open every day 08:00-17:00 Berlin; winter (+01:00) and summer (+02:00).
    "daily hours, winter": Case(
        DAILY_8_17, {FR: "2h", RES: "4h"},
        (ev("created", z("2013-03-21", "09:30:00")),),
        now=z("2013-03-21", "09:30:00"),
        clocks={
            (FR, 1): Want("running", z("2013-03-21", "11:30:00"), 0),
            (RES, 1): Want("running", z("2013-03-21", "13:30:00"), 0),
        },
    ),
    "daily hours, summer": Case(
        DAILY_8_17, {FR: "2h", RES: "4h"},
        (ev("created", z("2013-10-21", "09:30:00")),),
        now=z("2013-10-21", "10:30:00"),
        clocks={
            (FR, 1): Want("running", z("2013-10-21", "11:30:00"), m(60)),
            (RES, 1): Want("running", z("2013-10-21", "13:30:00"), m(60)),
        },
    ),
    # 05:30Z is 07:30 in Berlin, before the 08:00 opening; started_at stays 05:30Z.
    "created before opening": Case(
        DAILY_8_17, {FR: "2h", RES: "4h"},
        (ev("created", z("2013-10-21", "05:30:00")),),
        now=z("2013-10-21", "06:00:00"),
        clocks={
            (FR, 1): Want("running", z("2013-10-21", "08:00:00"), 0,
                          start=z("2013-10-21", "05:30:00")),
            (RES, 1): Want("running", z("2013-10-21", "10:00:00"), 0),
        },
    ),
    # Mon 16:30 (+02:00): 30 minutes on Monday, Tuesday closed, the rest on Wednesday.
    "closed date in between": Case(
        berlin(ALL_DAYS, "08:00-17:00", holidays={"dates": ["2015-09-22"]}),
        {FR: "2h", RES: "4h"},
        (ev("created", z("2015-09-21", "14:30:00")),),
        now=z("2015-09-23", "07:00:00"),
        clocks={
            (FR, 1): Want("running", z("2015-09-23", "07:30:00"), m(90)),
            (RES, 1): Want("running", z("2015-09-23", "09:30:00"), m(90)),
        },
    ),
    # Created on a closed date (a holiday) in the afternoon: counting starts at the
    # next opening, Wed 08:00 (+01:00) = 07:00Z.
    "created on a holiday": Case(
        MON_FRI_8_20_HOLIDAY, {FR: "2h"},
        (ev("created", z("2016-11-01", "13:56:21")),),
        now=z("2016-11-02", "07:00:00"),
        clocks={(FR, 1): Want("running", z("2016-11-02", "09:00:00"), 0)},
    ),
    "created on a holiday, earlier opening": Case(
        berlin(WEEKDAYS, "04:00-20:00", holidays={"dates": ["2016-11-01"]}), {FR: "1h"},
        (ev("created", z("2016-11-01", "13:56:21")),),
        now=z("2016-11-01", "14:00:00"),
        clocks={(FR, 1): Want("running", z("2016-11-02", "04:00:00"), 0)},
    ),
    # Opening hours of the policy's zone: Mon-Fri 09:00-18:00, 2h of business time.
    # 22:00Z on Monday is 17:00 in New York: 1h that day, 1h on Tuesday.
    "new york evening": Case(
        {"timezone": "America/New_York", "hours": hours(WEEKDAYS, "09:00-18:00")},
        {RES: "2h"},
        (ev("created", z("2007-01-01", "22:00:00")),),
        now=z("2007-01-01", "22:00:00"),
        clocks={(RES, 1): Want("running", z("2007-01-02", "15:00:00"), 0,
                               start=z("2007-01-01", "22:00:00"))},
    ),
    # The same instant is 01:00 on Tuesday in Moscow (+03:00 in 2007): counting starts
    # at 09:00 (06:00Z). started_at stays the event's instant.
    "moscow night": Case(
        {"timezone": "Europe/Moscow", "hours": hours(WEEKDAYS, "09:00-18:00")},
        {RES: "2h"},
        (ev("created", z("2007-01-01", "22:00:00")),),
        now=z("2007-01-02", "07:00:00"),
        clocks={(RES, 1): Want("running", z("2007-01-02", "08:00:00"), m(60),
                               start=z("2007-01-01", "22:00:00"))},
    ),
    # A calendar open only on Sundays: created on a Monday, due the next Sunday 10:00.
    "sunday-only calendar": Case(
        {"timezone": "UTC", "hours": {"sun": ["09:00-17:00"]}}, {RES: "1h"},
        (ev("created", z("2007-01-01", "00:00:00")),),
        now=z("2007-01-06", "12:00:00"),
        clocks={(RES, 1): Want("running", z("2007-01-07", "10:00:00"), 0,
                               start=z("2007-01-01", "00:00:00"))},
    ),
    # Moving the ticket to a policy on another calendar recomputes the deadline from the
    # original start on the new calendar.
    "policy on another calendar": Case(
        {"timezone": "UTC", "hours": {"sun": ["09:00-17:00"]}}, {},
        (ev("created", z("2007-01-01", "00:00:00")),
         ev("field", z("2007-01-01", "00:30:00"), name="level", value="monday")),
        now=z("2007-01-01", "09:30:00"),
        calendars={"monday": {"timezone": "UTC", "hours": {"mon": ["09:00-17:00"]}}},
        policies=[
            {"name": "monday", "match": {"level": "monday"}, "calendar": "monday",
             "targets": {RES: {"P3": "1h"}}},
            {"name": "sunday", "calendar": "case", "targets": {RES: {"P3": "1h"}}},
        ],
        doc={"custom_fields": {"level": "sunday"}},
        clocks={(RES, 1): Want("running", z("2007-01-01", "10:00:00"), m(30))},
    ),
    # A month written in hours on a 24x7 calendar (30 days).
    "thirty days around the clock": Case(
        UTC_24X7, {FR: "720h", RES: "1440h"},
        (ev("created", z("2026-01-15", "10:00:00")),),
        now=z("2026-01-15", "10:00:00"),
        clocks={
            (FR, 1): Want("running", z("2026-02-14", "10:00:00"), 0),
            (RES, 1): Want("running", z("2026-03-16", "10:00:00"), 0),
        },
    ),
}
# fmt: on


@pytest.mark.parametrize("case", table(DEADLINES))
def test_deadlines(case: Case) -> None:
    check(case)


# ---------------------------------------------------------------------------------------
# Replies: first response, next response, periodic updates
# ---------------------------------------------------------------------------------------

_SPRING = "2013-03-21"

# fmt: off
REPLIES = {
    # Mon-Fri 08:00-18:00 Berlin; created Thu 10:30 local (09:30Z).
    "first response in time": Case(
        MON_FRI_8_18, {FR: "1h", RES: "3h"},
        (ev("created", z(_SPRING, "09:30:00")), ev("agent_reply", z(_SPRING, "10:00:00"))),
        now=z(_SPRING, "10:00:00"),
        clocks={
            (FR, 1): Want("met", z(_SPRING, "10:30:00"), m(30), stop=z(_SPRING, "10:00:00"),
                          breached=None),
            (RES, 1): Want("running", z(_SPRING, "12:30:00"), m(30)),
        },
    ),
    "first response late, resolution overdue": Case(
        MON_FRI_8_18, {FR: "1h", RES: "3h"},
        (ev("created", z(_SPRING, "09:30:00")), ev("agent_reply", z(_SPRING, "14:00:00"))),
        now=z(_SPRING, "14:00:00"),
        clocks={
            (FR, 1): Want("breached_met", z(_SPRING, "10:30:00"), m(270),
                          breached=z(_SPRING, "10:30:00")),
            (RES, 1): Want("breached", z(_SPRING, "12:30:00"), m(270),
                           breached=z(_SPRING, "12:30:00")),
        },
    ),
    "resolved in time": Case(
        MON_FRI_8_18, {FR: "1h", RES: "3h"},
        (ev("created", z(_SPRING, "09:30:00")), ev("agent_reply", z(_SPRING, "10:00:00")),
         ev("resolved", z(_SPRING, "11:30:00"))),
        now=z(_SPRING, "15:00:00"),
        clocks={
            (FR, 1): Want("met", z(_SPRING, "10:30:00"), m(30)),
            (RES, 1): Want("met", z(_SPRING, "12:30:00"), m(120), stop=z(_SPRING, "11:30:00")),
        },
    ),
    "resolved late": Case(
        MON_FRI_8_18, {FR: "1h", RES: "3h"},
        (ev("created", z(_SPRING, "09:30:00")), ev("agent_reply", z(_SPRING, "10:00:00")),
         ev("resolved", z(_SPRING, "13:00:00"))),
        now=z(_SPRING, "15:00:00"),
        clocks={
            (FR, 1): Want("met", z(_SPRING, "10:30:00"), m(30)),
            (RES, 1): Want("breached_met", z(_SPRING, "12:30:00"), m(210),
                           stop=z(_SPRING, "13:00:00"), breached=z(_SPRING, "12:30:00")),
        },
    ),
    # Agent updates every 2h, a customer question answered 5 minutes later. At exactly
    # the resolution deadline the clock is still running.
    "updates and a customer question": Case(
        MON_FRI_8_18, {FR: "1h", NR: "2h", PU: "2h", RES: "3h"},
        (
            ev("created", z(_SPRING, "09:30:00")),
            ev("agent_reply", z(_SPRING, "10:00:00")),
            ev("agent_reply", z(_SPRING, "11:00:00")),
            ev("agent_reply", z(_SPRING, "12:00:00")),
            ev("customer_reply", z(_SPRING, "12:05:00")),
            ev("agent_reply", z(_SPRING, "12:10:00")),
        ),
        now=z(_SPRING, "12:30:00"),
        clocks={
            (FR, 1): Want("met", z(_SPRING, "10:30:00"), m(30)),
            (PU, 1): Want("met", z(_SPRING, "12:00:00"), m(60), stop=z(_SPRING, "11:00:00")),
            (PU, 2): Want("met", z(_SPRING, "13:00:00"), m(60), stop=z(_SPRING, "12:00:00")),
            (PU, 3): Want("met", z(_SPRING, "14:00:00"), m(10), stop=z(_SPRING, "12:10:00")),
            (PU, 4): Want("running", z(_SPRING, "14:10:00"), m(20),
                          start=z(_SPRING, "12:10:00")),
            (NR, 1): Want("met", z(_SPRING, "14:05:00"), m(5), start=z(_SPRING, "12:05:00"),
                          stop=z(_SPRING, "12:10:00")),
            (RES, 1): Want("running", z(_SPRING, "12:30:00"), m(180), breached=None),
        },
    ),
    "updates, then closed late": Case(
        MON_FRI_8_18, {FR: "1h", PU: "2h", RES: "3h"},
        (
            ev("created", z(_SPRING, "09:30:00")),
            ev("agent_reply", z(_SPRING, "10:00:00")),
            ev("agent_reply", z(_SPRING, "12:10:00")),
            ev("closed", z(_SPRING, "13:00:00")),
        ),
        now=z(_SPRING, "16:00:00"),
        clocks={
            (FR, 1): Want("met", z(_SPRING, "10:30:00"), m(30)),
            (PU, 1): Want("breached_met", z(_SPRING, "12:00:00"), m(130),
                          breached=z(_SPRING, "12:00:00")),
            (PU, 2): Want("met", z(_SPRING, "14:10:00"), m(50), stop=z(_SPRING, "13:00:00")),
            (RES, 1): Want("breached_met", z(_SPRING, "12:30:00"), m(210)),
        },
    ),
    # Created at night (00:49 Berlin) by a customer message; the reply 3 seconds after
    # the 08:00 opening. The customer's message starts no next_response cycle.
    "reply seconds after opening": Case(
        MON_FRI_8_18, {FR: "1h", NR: "2h"},
        (ev("created", z("2013-03-28", "23:49:00")),
         ev("customer_reply", z("2013-03-28", "23:49:00")),
         ev("agent_reply", z("2013-03-29", "07:00:03"))),
        now=z("2013-03-29", "08:00:00"),
        clocks={(FR, 1): Want("met", z("2013-03-29", "08:00:00"), 3)},
    ),
    # A note is not a response, whatever the channel; the phone call back is.
    "note then phone reply at night": Case(
        MON_FRI_8_18, {FR: "1h"},
        (ev("created", z("2013-03-28", "23:49:00")),
         ev("customer_reply", z("2013-03-28", "23:49:00")),
         ev("internal_note", z("2013-03-28", "23:52:00")),
         ev("agent_reply", z("2013-03-28", "23:55:00"))),
        now=z("2013-03-29", "08:00:00"),
        clocks={(FR, 1): Want("met", z("2013-03-29", "08:00:00"), 0,
                              stop=z("2013-03-28", "23:55:00"))},
    ),
    # Mon-Fri 08:00-20:00 Berlin, Tue 1 Nov a holiday. The first reply is sent with the
    # ticket set to pending; the customer answers, the ticket goes back to pending, and
    # a week later the customer writes again. The waiting next_response cycle was paused
    # all week (a second customer message starts no second cycle); the reply an hour
    # later meets it and starts the next update cycle.
    "pending over a holiday week": Case(
        MON_FRI_8_20_HOLIDAY, {FR: "2h", NR: "20h", PU: "20h"},
        (
            ev("created", z("2016-11-01", "13:56:21")),
            ev("customer_reply", z("2016-11-01", "13:56:21")),
            ev("status", z("2016-11-01", "15:25:40"), status="pending"),
            ev("agent_reply", z("2016-11-01", "15:25:40")),
            ev("status", z("2016-11-01", "15:59:14"), status="open"),
            ev("customer_reply", z("2016-11-01", "15:59:14")),
            ev("status", z("2016-11-01", "15:59:58"), status="pending"),
            ev("status", z("2016-11-07", "13:26:36"), status="open"),
            ev("customer_reply", z("2016-11-07", "13:26:36")),
        ),
        now=z("2016-11-07", "14:00:00"),
        clocks={
            (FR, 1): Want("met", z("2016-11-02", "09:00:00"), 0,
                          stop=z("2016-11-01", "15:25:40")),
            (NR, 1): Want("running", z("2016-11-09", "09:26:36"), m(33) + 24,
                          start=z("2016-11-01", "15:59:14")),
            (PU, 1): Want("running", z("2016-11-09", "09:26:36"), m(33) + 24,
                          start=z("2016-11-01", "15:25:40")),
        },
    ),
    "pending over a holiday week, answered": Case(
        MON_FRI_8_20_HOLIDAY, {FR: "2h", NR: "20h", PU: "20h"},
        (
            ev("created", z("2016-11-01", "13:56:21")),
            ev("customer_reply", z("2016-11-01", "13:56:21")),
            ev("status", z("2016-11-01", "15:25:40"), status="pending"),
            ev("agent_reply", z("2016-11-01", "15:25:40")),
            ev("status", z("2016-11-01", "15:59:14"), status="open"),
            ev("customer_reply", z("2016-11-01", "15:59:14")),
            ev("status", z("2016-11-01", "15:59:58"), status="pending"),
            ev("status", z("2016-11-07", "13:26:36"), status="open"),
            ev("customer_reply", z("2016-11-07", "13:26:36")),
            ev("agent_reply", z("2016-11-07", "14:26:36")),
        ),
        now=z("2016-11-07", "14:26:36"),
        clocks={
            (FR, 1): Want("met", z("2016-11-02", "09:00:00"), 0),
            (NR, 1): Want("met", z("2016-11-09", "09:26:36"), m(60),
                          stop=z("2016-11-07", "14:26:36")),
            (PU, 1): Want("met", z("2016-11-09", "09:26:36"), m(60)),
            (PU, 2): Want("running", z("2016-11-09", "10:26:36"), 0,
                          start=z("2016-11-07", "14:26:36")),
        },
    ),
    # The first reply a week late: breached since the first opening hour after the
    # holiday; 3 days of 12h plus Monday 08:00-14:26:36.
    "first reply a week late": Case(
        MON_FRI_8_20_HOLIDAY, {FR: "1h", PU: "2h"},
        (ev("created", z("2016-11-01", "13:56:21")),
         ev("customer_reply", z("2016-11-01", "13:56:21")),
         ev("agent_reply", z("2016-11-07", "13:26:36"))),
        now=z("2016-11-07", "13:26:36"),
        clocks={
            (FR, 1): Want("breached_met", z("2016-11-02", "08:00:00"),
                          m(36 * 60 + 6 * 60 + 26) + 36, breached=z("2016-11-02", "08:00:00")),
            (PU, 1): Want("running", z("2016-11-07", "15:26:36"), 0),
        },
    ),
}
# fmt: on


@pytest.mark.parametrize("case", table(REPLIES))
def test_replies(case: Case) -> None:
    check(case)


# ---------------------------------------------------------------------------------------
# Pending, on hold, closing and reopening
# ---------------------------------------------------------------------------------------

_JUNE = "2013-06-04"  # a Tuesday; Berlin is +02:00, so 09:00-18:00 is 07:00-16:00Z

# fmt: off
PAUSES = {
    # 24x7, resolution 2h: created 08:00, pending 09:00-10:05, so due 11:05.
    "pending moves the deadline": Case(
        UTC_24X7, {RES: "2h"},
        (ev("created", z("2026-11-23", "08:00:00")),
         ev("status", z("2026-11-23", "09:00:00"), status="pending"),
         ev("status", z("2026-11-23", "10:05:00"), status="open")),
        now=z("2026-11-23", "11:05:00"),
        clocks={(RES, 1): Want("running", z("2026-11-23", "11:05:00"), m(120), breached=None)},
    ),
    "pending moves the deadline: a second later": Case(
        UTC_24X7, {RES: "2h"},
        (ev("created", z("2026-11-23", "08:00:00")),
         ev("status", z("2026-11-23", "09:00:00"), status="pending"),
         ev("status", z("2026-11-23", "10:05:00"), status="open")),
        now=z("2026-11-23", "11:05:01"),
        clocks={(RES, 1): Want("breached", z("2026-11-23", "11:05:00"), m(120) + 1,
                               breached=z("2026-11-23", "11:05:00"))},
    ),
    "while pending: no deadline": Case(
        UTC_24X7, {RES: "2h"},
        (ev("created", z("2026-11-23", "08:00:00")),
         ev("status", z("2026-11-23", "09:00:00"), status="pending")),
        now=z("2026-11-23", "10:00:00"),
        clocks={(RES, 1): Want("paused", None, m(60))},
    ),
    # 09:00-18:00 every day (Berlin summer). Pending 10:00Z-15:00Z: 1h used, 1h left.
    "pending for five hours": Case(
        DAILY_9_18, {FR: "2h"},
        (ev("created", z(_JUNE, "09:00:00")),
         ev("status", z(_JUNE, "10:00:00"), status="pending"),
         ev("status", z(_JUNE, "15:00:00"), status="open")),
        now=z(_JUNE, "15:00:00"),
        clocks={(FR, 1): Want("running", z(_JUNE, "16:00:00"), m(60))},
    ),
    # Pending 10:00-10:30, replied 10:45, closed 12:00: 75 minutes to the reply (due
    # 11:30), 150 minutes to the close (due 13:40 with a 250-minute target).
    "pending, reply, close": Case(
        DAILY_9_18, {FR: "2h", RES: "4h10m"},
        (ev("created", z(_JUNE, "09:00:00")),
         ev("status", z(_JUNE, "10:00:00"), status="pending"),
         ev("status", z(_JUNE, "10:30:00"), status="open"),
         ev("agent_reply", z(_JUNE, "10:45:00")),
         ev("closed", z(_JUNE, "12:00:00"))),
        now=z(_JUNE, "13:00:00"),
        clocks={
            (FR, 1): Want("met", z(_JUNE, "11:30:00"), m(75), stop=z(_JUNE, "10:45:00")),
            (RES, 1): Want("met", z(_JUNE, "13:40:00"), m(150), stop=z(_JUNE, "12:00:00")),
        },
    ),
    # Pending 09:30-09:45, closed 10:00, reopened 10:30. The close stops first_response
    # (met, 45 minutes); reopening resumes resolution only: 45 of 250 minutes used, the
    # rest from 10:30, due 13:55.
    "pending, closed and reopened": Case(
        DAILY_9_18, {FR: "2h", RES: "4h10m"},
        (ev("created", z(_JUNE, "09:00:00"), status="open"),
         ev("status", z(_JUNE, "09:30:00"), status="pending"),
         ev("status", z(_JUNE, "09:45:00"), status="open"),
         ev("closed", z(_JUNE, "10:00:00")),
         ev("status", z(_JUNE, "10:30:00"), status="open")),
        now=z(_JUNE, "11:00:00"),
        clocks={
            (FR, 1): Want("met", z(_JUNE, "11:15:00"), m(45), stop=z(_JUNE, "10:00:00")),
            (RES, 1): Want("running", z(_JUNE, "13:55:00"), m(75), stop=None),
        },
    ),
    # Created pending and closed without ever being open: nothing counted.
    "created pending, closed": Case(
        DAILY_9_18, {FR: "2h", RES: "4h"},
        (ev("created", z(_JUNE, "09:00:00"), status="pending"),
         ev("closed", z(_JUNE, "12:00:00"))),
        now=z(_JUNE, "13:00:00"),
        clocks={
            (FR, 1): Want("met", None, 0, stop=z(_JUNE, "12:00:00"), breached=None),
            (RES, 1): Want("met", None, 0, stop=z(_JUNE, "12:00:00"), breached=None),
        },
    ),
    "created pending, open, pending, closed": Case(
        DAILY_9_18, {RES: "4h"},
        (ev("created", z(_JUNE, "09:00:00"), status="pending"),
         ev("status", z(_JUNE, "10:30:00"), status="open"),
         ev("status", z(_JUNE, "11:00:00"), status="pending"),
         ev("closed", z(_JUNE, "12:00:00"))),
        now=z(_JUNE, "13:00:00"),
        clocks={(RES, 1): Want("met", None, m(30), stop=z(_JUNE, "12:00:00"))},
    ),
    # Open when closed: the due instant in force at the close, 11:30 + 3h.
    "created pending, open twice, closed": Case(
        DAILY_9_18, {RES: "4h"},
        (ev("created", z(_JUNE, "09:00:00"), status="pending"),
         ev("status", z(_JUNE, "10:30:00"), status="open"),
         ev("status", z(_JUNE, "11:00:00"), status="pending"),
         ev("status", z(_JUNE, "11:30:00"), status="open"),
         ev("closed", z(_JUNE, "12:00:00"))),
        now=z(_JUNE, "13:00:00"),
        clocks={(RES, 1): Want("met", z(_JUNE, "15:00:00"), m(60), stop=z(_JUNE, "12:00:00"))},
    ),
    # A waiting status that does not stop the response clock (`pause: false`): the
    # deadline stays where it was. With the default, it moves by the time waited.
    "on hold does not stop a response clock that never pauses": Case(
        UTC_24X7, {},
        (ev("created", z("2026-11-23", "10:00:00")),
         ev("status", z("2026-11-23", "10:30:00"), status="on_hold"),
         ev("status", z("2026-11-23", "11:00:00"), status="open")),
        now=z("2026-11-23", "11:00:00"),
        policies=[{"name": "case", "calendar": "case",
                   "targets": {FR: {"P3": "2h", "pause": False}}}],
        clocks={(FR, 1): Want("running", z("2026-11-23", "12:00:00"), m(60))},
    ),
    "on hold stops a response clock": Case(
        UTC_24X7, {FR: "2h"},
        (ev("created", z("2026-11-23", "10:00:00")),
         ev("status", z("2026-11-23", "10:30:00"), status="on_hold"),
         ev("status", z("2026-11-23", "11:00:00"), status="open")),
        now=z("2026-11-23", "11:00:00"),
        clocks={(FR, 1): Want("running", z("2026-11-23", "12:30:00"), m(30))},
    ),
    # A calendar open only on Tuesdays 09:00-19:00. Created on Monday and waiting until
    # Tuesday 10:00: one open hour was spent waiting, so 4h are due at 14:00, not 13:00.
    "waiting into the only working day": Case(
        {"timezone": "UTC", "hours": {"tue": ["09:00-19:00"]}}, {RES: "4h"},
        (ev("created", z("2026-11-23", "15:00:00")),
         ev("status", z("2026-11-23", "15:00:10"), status="pending"),
         ev("status", z("2026-11-24", "10:00:00"), status="open")),
        now=z("2026-11-24", "10:00:00"),
        clocks={(RES, 1): Want("running", z("2026-11-24", "14:00:00"), 0)},
    ),
    "working day without waiting": Case(
        {"timezone": "UTC", "hours": {"tue": ["09:00-19:00"]}}, {RES: "4h"},
        (ev("created", z("2026-11-23", "15:00:00")),),
        now=z("2026-11-24", "10:00:00"),
        clocks={(RES, 1): Want("running", z("2026-11-24", "13:00:00"), m(60))},
    ),
}
# fmt: on


@pytest.mark.parametrize("case", table(PAUSES))
def test_pauses_and_reopening(case: Case) -> None:
    check(case)


# ---------------------------------------------------------------------------------------
# Warnings, pause conditions, restarts, milestones and callbacks
# ---------------------------------------------------------------------------------------

_D = "2026-11-23"


def policy(targets: dict[str, Any], **options: Any) -> list[dict[str, Any]]:
    return [{"name": "case", "calendar": "case", "targets": targets, **options}]


# fmt: off
MORE = {
    # 4h with warnings at 50%, 75% and 30 minutes before, pending 01:00-03:00: the
    # warnings move with the pause; the 75% one is crossed exactly at `now`.
    "warnings move with a pause": Case(
        UTC_24X7, {},
        (ev("created", z(_D, "00:00:00")),
         ev("status", z(_D, "01:00:00"), status="pending"),
         ev("status", z(_D, "03:00:00"), status="open")),
        now=z(_D, "05:00:00"),
        policies=policy({FR: {"P3": "4h"}}, warnings=["50%", "75%", "30m before"]),
        clocks={(FR, 1): Want("running", z(_D, "06:00:00"), m(180))},
    ),
    # Only on_hold stops the response clock (its own pause condition); pending stops
    # resolution only.
    "response clock paused by on_hold only": Case(
        UTC_24X7, {},
        (ev("created", z(_D, "00:00:00")),
         ev("status", z(_D, "01:00:00"), status="pending"),
         ev("status", z(_D, "02:00:00"), status="open"),
         ev("status", z(_D, "03:00:00"), status="on_hold"),
         ev("status", z(_D, "04:00:00"), status="open")),
        now=z(_D, "05:00:00"),
        policies=policy({FR: {"P3": "2h", "pause": {"status": ["on_hold"]}},
                         RES: {"P3": "8h"}}),
        clocks={
            (FR, 1): Want("breached", z(_D, "02:00:00"), m(240), breached=z(_D, "02:00:00")),
            (RES, 1): Want("running", z(_D, "10:00:00"), m(180)),
        },
    ),
    # A priority change restarts the clocks while the ticket waits: the new cycles start
    # paused and count from the end of the wait.
    "restart while pending": Case(
        UTC_24X7, {},
        (ev("created", z(_D, "00:00:00")),
         ev("status", z(_D, "01:00:00"), status="pending"),
         ev("priority", z(_D, "02:00:00"), priority="P2"),
         ev("status", z(_D, "03:00:00"), status="open")),
        now=z(_D, "04:00:00"),
        policies=policy({FR: {"P3": "4h", "P2": "2h"}, RES: {"P3": "8h", "P2": "4h"}},
                        on_change="restart"),
        clocks={
            (FR, 1): Want("cancelled", None, m(60), stop=z(_D, "02:00:00")),
            (FR, 2): Want("running", z(_D, "05:00:00"), m(60), start=z(_D, "02:00:00")),
            (RES, 1): Want("cancelled", None, m(60), stop=z(_D, "02:00:00")),
            (RES, 2): Want("running", z(_D, "07:00:00"), m(60), start=z(_D, "02:00:00")),
        },
    ),
    # The priority changed while solved; reopening resumes resolution under the target
    # of the ticket's priority now: 2h used before the reopening, 2h left from 04:00.
    "priority changed while solved, then reopened": Case(
        UTC_24X7, {},
        (ev("created", z(_D, "00:00:00")),
         ev("agent_reply", z(_D, "00:10:00")),
         ev("resolved", z(_D, "02:00:00")),
         ev("priority", z(_D, "03:00:00"), priority="P2"),
         ev("reopened", z(_D, "04:00:00"))),
        now=z(_D, "05:00:00"),
        policies=policy({FR: {"P3": "4h", "P2": "2h"}, RES: {"P3": "8h", "P2": "4h"}}),
        clocks={
            (FR, 1): Want("met", z(_D, "04:00:00"), m(10)),
            (RES, 1): Want("running", z(_D, "06:00:00"), m(180), stop=None),
        },
    ),
    # Time in "open" as a milestone of its own: a new cycle each time the ticket is open
    # again; waiting ends a cycle.
    "time open, in cycles": Case(
        UTC_24X7, {},
        (ev("created", z(_D, "00:00:00")),
         ev("status", z(_D, "00:30:00"), status="open"),
         ev("status", z(_D, "01:00:00"), status="pending"),
         ev("status", z(_D, "02:00:00"), status="open")),
        now=z(_D, "03:30:00"),
        policies=policy({"time_open": {"start": {"status": ["open"]},
                                       "stop": {"status": ["pending"]},
                                       "targets": {"P3": "1h"}}}),
        clocks={
            ("time_open", 1): Want("met", z(_D, "01:30:00"), m(30), start=z(_D, "00:30:00"),
                                   stop=z(_D, "01:00:00")),
            ("time_open", 2): Want("breached", z(_D, "03:00:00"), m(90),
                                   start=z(_D, "02:00:00"), breached=z(_D, "03:00:00")),
        },
    ),
    # A callback request paused by pending: 30 + 45 minutes, 15 past the hour.
    "callback across a wait": Case(
        UTC_24X7, {CB: "1h"},
        (ev("created", z(_D, "00:00:00")),
         ev("callback_requested", z(_D, "00:30:00")),
         ev("status", z(_D, "01:00:00"), status="pending"),
         ev("status", z(_D, "02:00:00"), status="open"),
         ev("callback_made", z(_D, "02:45:00"))),
        now=z(_D, "03:00:00"),
        clocks={(CB, 1): Want("breached_met", z(_D, "02:30:00"), m(75),
                              breached=z(_D, "02:30:00"), stop=z(_D, "02:45:00"))},
    ),
    # Paused exactly at the due instant: not breached then; once counting resumes the
    # clock is past due at once.
    "paused exactly at due, then resumed": Case(
        UTC_24X7, {FR: "1h"},
        (ev("created", z(_D, "00:00:00")),
         ev("status", z(_D, "01:00:00"), status="pending"),
         ev("status", z(_D, "02:00:00"), status="open")),
        now=z(_D, "02:30:00"),
        clocks={(FR, 1): Want("breached", z(_D, "02:00:00"), m(90),
                              breached=z(_D, "02:00:00"))},
    ),
    # The same at a closing time (Berlin, Mon-Fri 09:00-17:00): due at Monday's 17:00
    # closing, waiting from 17:00 until Tuesday 10:00; past due from 10:00 on.
    "paused at a closing-time deadline, resumed next morning": Case(
        MON_FRI_9_17, {FR: "1h"},
        (ev("created", z(_D, "15:00:00")),
         ev("status", z(_D, "16:00:00"), status="pending"),
         ev("status", z("2026-11-24", "09:00:00"), status="open")),
        now=z("2026-11-24", "09:30:00"),
        clocks={(FR, 1): Want("breached", z("2026-11-24", "09:00:00"), m(90),
                              breached=z("2026-11-24", "09:00:00"))},
    ),
    "paused exactly at due, still waiting": Case(
        UTC_24X7, {FR: "1h"},
        (ev("created", z(_D, "00:00:00")),
         ev("status", z(_D, "01:00:00"), status="pending")),
        now=z(_D, "02:30:00"),
        clocks={(FR, 1): Want("paused", None, m(60), breached=None)},
    ),
}
# fmt: on


@pytest.mark.parametrize("case", table(MORE))
def test_more_rules(case: Case) -> None:
    check(case)
