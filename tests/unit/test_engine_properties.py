"""Property tests of the clock engine on random tickets under one fixed configuration.

Tickets are random sequences of every event kind at random minutes over three weeks in
March-April 2026 (across the Berlin DST change and Easter), with random priorities, tiers,
types and ties at the same instant, written with random UTC offsets. The configuration is
the one of `tests/builders.py` on the Berlin split-shift calendar.

The properties: arrival order and repeated delivery never change the result; the result
as of `now` is the result of the events up to `now`; an inserted pause never brings a
deadline forward; elapsed time never exceeds wall time and equals the open time between
start and end minus the open time spent outside active statuses (worked out here from the
generated statuses, not from the engine); and every clock's state agrees with its instants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from builders import clocks_of, config, explain, instant, ticket_doc

CALENDAR = "berlin"
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WINDOW_START = datetime(2026, 3, 16, tzinfo=ZoneInfo("Europe/Berlin"))  # a Monday
WINDOW_MINUTES = 21 * 24 * 60
ZONES = [UTC, ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")]

# Status categories, written here independently of the engine's workflow tables.
ACTIVE, PAUSED, DONE = "active", "paused", "done"
STATUSES: dict[str, dict[str, str]] = {
    "support": {
        "new": ACTIVE,
        "open": ACTIVE,
        "pending": PAUSED,
        "on_hold": PAUSED,
        "solved": DONE,
        "closed": DONE,
    },
    "implementation": {
        "received": ACTIVE,
        "pending_approval": PAUSED,
        "provisioning": ACTIVE,
        "testing": ACTIVE,
        "handover": ACTIVE,
        "completed": DONE,
    },
}
# The status each convenience event of the ticket format sets.
CONVENIENCE: dict[str, dict[str, str]] = {
    "support": {"resolved": "solved", "closed": "closed", "reopened": "open"},
    "implementation": {
        "resolved": "completed",
        "closed": "completed",
        "reopened": "provisioning",
    },
}
STATUS_EVENTS = ("status", "resolved", "closed", "reopened")

KINDS = (
    *("status",) * 4,
    "resolved",
    "closed",
    "reopened",
    *("priority", "tier", "assigned", "field"),
    *("agent_reply",) * 4,
    "internal_note",
    *("customer_reply",) * 3,
    *("callback_requested", "callback_requested", "callback_made", "callback_made"),
    "csat",
    "caused_by",
)


@dataclass(frozen=True)
class Case:
    doc: dict[str, Any]
    now: str
    type: str


def _at(minute: int) -> datetime:
    return (WINDOW_START.astimezone(UTC) + timedelta(minutes=minute)).astimezone(UTC)


def _iso(minute: int, zone: Any) -> str:
    return _at(minute).astimezone(zone).isoformat()


@st.composite
def cases(draw: st.DrawFn, *, support_only: bool = False) -> Case:
    kind_of_ticket = (
        "support"
        if support_only
        else draw(st.sampled_from(["support", "support", "implementation"]))
    )
    statuses = STATUSES[kind_of_ticket]
    zone = st.sampled_from(ZONES)
    created = draw(st.integers(0, 5 * 24 * 60))
    minute = st.integers(created, WINDOW_MINUTES)
    events: list[dict[str, Any]] = []
    created_event: dict[str, Any] = {"type": "created", "at": _iso(created, draw(zone))}
    if draw(st.booleans()):
        created_event["status"] = draw(
            st.sampled_from([s for s, c in statuses.items() if c != DONE])
        )
    events.append(created_event)
    used = [created]
    for _ in range(draw(st.integers(0, 24))):
        at = draw(st.one_of(minute, minute, minute, st.sampled_from(used)))
        used.append(at)
        kind = draw(st.sampled_from(KINDS))
        e: dict[str, Any] = {"type": kind, "at": _iso(at, draw(zone))}
        if kind == "status":
            e["status"] = draw(st.sampled_from(list(statuses)))
        elif kind == "priority":
            e["priority"] = draw(st.sampled_from(["P1", "P2", "P3", "P4", "critical", "low"]))
        elif kind == "tier":
            e["tier"] = draw(st.sampled_from(["standard", "business", "enterprise"]))
        elif kind == "assigned":
            e["team"] = draw(st.sampled_from(["tier1", "tier2"]))
        elif kind == "field":
            e["name"], e["value"] = "region", draw(st.sampled_from(["emea", "apac"]))
        elif kind == "agent_reply":
            e["public"] = draw(st.sampled_from([True, True, True, False]))
        elif kind == "csat":
            e["score"] = draw(st.integers(1, 5))
        elif kind == "caused_by":
            e["cause"] = "T-5"
        events.append(e)
    if draw(st.integers(0, 9)) == 0:  # now and then a duplicate
        events.append(
            {"type": "duplicate_of", "at": _iso(draw(minute), draw(zone)), "original": "T-0"}
        )
    for i, e in enumerate(events):
        e["id"] = f"e{i:03d}"
    now = draw(st.one_of(st.integers(created, WINDOW_MINUTES + 24 * 60), st.sampled_from(used)))
    fields: dict[str, Any] = {"type": kind_of_ticket}
    tier = draw(st.sampled_from([None, "standard", "enterprise"]))
    if tier is not None:
        fields["tier"] = tier
    doc = ticket_doc(*events, priority=draw(st.sampled_from(["P1", "P2", "P3", "P4"])), **fields)
    return Case(doc, _iso(now, UTC), kind_of_ticket)


def result_of(doc: dict[str, Any], now: str) -> dict[str, Any]:
    return explain(doc, config(CALENDAR), now)


def _t(text: str | None) -> datetime | None:
    return None if text is None else instant(text)


def _seconds(d: timedelta) -> float:
    return d.total_seconds()


# -- the status timeline, worked out from the generated events ------------------------------


def status_changes(case: Case) -> list[tuple[datetime, str]]:
    """(instant, status) in the order they apply: created first, then by instant and id."""
    statuses = STATUSES[case.type]
    changes: list[tuple[datetime, int, str, str]] = []
    for e in case.doc["events"]:
        at = instant(e["at"])
        if e["type"] == "created":
            changes.append((at, 0, e["id"], e.get("status") or next(iter(statuses))))
        elif e["type"] == "status":
            changes.append((at, 1, e["id"], e["status"]))
        elif e["type"] in CONVENIENCE[case.type]:
            changes.append((at, 1, e["id"], CONVENIENCE[case.type][e["type"]]))
    changes.sort(key=lambda c: (c[0], c[1], c[2]))
    return [(at, status) for at, _, _, status in changes]


def inactive_intervals(case: Case) -> list[tuple[datetime, datetime | None]]:
    """Where the ticket's status is not active (paused or done): no clock counts there."""
    statuses = STATUSES[case.type]
    out: list[tuple[datetime, datetime | None]] = []
    since: datetime | None = None
    for at, status in status_changes(case):
        active = statuses[status] == ACTIVE
        if not active and since is None:
            since = at
        elif active and since is not None:
            out.append((since, at))
            since = None
    if since is not None:
        out.append((since, None))
    return out


def expected_elapsed(case: Case, start: datetime, end: datetime) -> timedelta:
    cal = config(CALENDAR).calendars[CALENDAR]
    total = cal.elapsed(start, end)
    for a, b in inactive_intervals(case):
        lo = max(a, start)
        hi = end if b is None else min(b, end)
        if lo < hi:
            total -= cal.elapsed(lo, hi)
    return total


# -- properties -------------------------------------------------------------------------------


@PROPERTY
@given(cases(), st.randoms(use_true_random=False))
def test_arrival_order_never_matters(case: Case, rnd: Any) -> None:
    shuffled = dict(case.doc)
    shuffled["events"] = list(case.doc["events"])
    rnd.shuffle(shuffled["events"])
    assert result_of(shuffled, case.now) == result_of(case.doc, case.now)


@PROPERTY
@given(cases(), st.data())
def test_events_delivered_twice_are_one_event(case: Case, data: st.DataObject) -> None:
    events = case.doc["events"]
    again = data.draw(st.lists(st.sampled_from(events), min_size=1, max_size=len(events)))
    twice = dict(case.doc)
    twice["events"] = data.draw(st.permutations([*events, *(dict(e) for e in again)]))
    assert result_of(twice, case.now) == result_of(case.doc, case.now)


@PROPERTY
@given(cases())
def test_as_of_now_is_the_history_up_to_now(case: Case) -> None:
    now = instant(case.now)
    known = dict(case.doc)
    known["events"] = [e for e in case.doc["events"] if instant(e["at"]) <= now]
    assert result_of(known, case.now) == result_of(case.doc, case.now)


@PROPERTY
@given(cases())
def test_elapsed_never_exceeds_wall_time(case: Case) -> None:
    now = instant(case.now)
    for c in result_of(case.doc, case.now)["clocks"]:
        start = instant(c["started_at"])
        end = _t(c["stopped_at"]) or now
        assert 0 <= c["elapsed_seconds"] <= _seconds(end - start), c


@PROPERTY
@given(cases())
def test_elapsed_is_open_time_outside_pauses(case: Case) -> None:
    now = instant(case.now)
    for c in result_of(case.doc, case.now)["clocks"]:
        start = instant(c["started_at"])
        end = _t(c["stopped_at"]) or now
        assert c["elapsed_seconds"] == _seconds(expected_elapsed(case, start, end)), c


@PROPERTY
@given(cases())
def test_state_agrees_with_the_instants(case: Case) -> None:
    now = instant(case.now)
    result = result_of(case.doc, case.now)
    got = clocks_of(result)
    assert len([k for k in got if k[0] == "first_response"]) <= 1
    assert len([k for k in got if k[0] == "resolution"]) <= 1
    for c in result["clocks"]:
        state = c["state"]
        start, due = instant(c["started_at"]), _t(c["due_at"])
        stop, breached = _t(c["stopped_at"]), _t(c["breached_at"])
        elapsed, target = c["elapsed_seconds"], c["target_seconds"]
        assert target > 0
        assert start <= now
        if stop is not None:
            assert start <= stop <= now, c
        if breached is not None:
            assert start <= breached, c
            if due is not None:
                assert breached == due, c
        if state == "running":
            assert stop is None and breached is None, c
            assert due is not None and due >= now, c
            assert elapsed <= target, c
        elif state == "paused":
            assert stop is None and breached is None and due is None, c
            assert elapsed <= target, c
        elif state == "breached":
            assert stop is None, c
            assert breached is not None and breached < now, c
            assert elapsed >= target, c
        elif state == "met":
            assert stop is not None and breached is None, c
            assert due is None or stop <= due, c
            assert elapsed <= target, c
        elif state == "breached_met":
            assert stop is not None and breached is not None and breached < stop, c
            assert elapsed >= target, c
        else:
            assert state == "cancelled", c
            assert stop is not None, c
        labels = [w["threshold"] for w in c["warnings"]]
        assert len(labels) == len(set(labels)) and set(labels) <= {"50%", "30m before"}, c
        end = stop or now
        for w in c["warnings"]:
            assert start <= instant(w["at"]) <= end, c


@st.composite
def paused_cases(draw: st.DrawFn) -> tuple[Case, Case]:
    """A support ticket, and the same ticket with a pending ... back-again pause inserted
    where the status is active and no other status change happens, before `now`."""
    case = draw(cases(support_only=True))
    now = instant(case.now)
    changes = [(at, s) for at, s in status_changes(case) if at <= now]
    windows: list[tuple[datetime, datetime, str]] = []
    for i, (at, status) in enumerate(changes):
        later = changes[i + 1][0] if i + 1 < len(changes) else now + timedelta(minutes=1)
        if STATUSES["support"][status] == ACTIVE:
            windows.append((at, min(later - timedelta(minutes=1), now), status))
    windows = [(a, b, s) for a, b, s in windows if b - a >= timedelta(minutes=2)]
    assume(windows)
    a, b, status = draw(st.sampled_from(windows))
    span = int((b - a) / timedelta(minutes=1))
    first = draw(st.integers(1, span - 1))
    last = draw(st.integers(first + 1, span))
    zone = draw(st.sampled_from(ZONES))
    pause = {
        "id": "zz-pause",
        "type": "status",
        "at": (a + timedelta(minutes=first)).astimezone(zone).isoformat(),
        "status": draw(st.sampled_from(["pending", "on_hold"])),
    }
    resume = {
        "id": "zz-resume",
        "type": "status",
        "at": (a + timedelta(minutes=last)).astimezone(zone).isoformat(),
        "status": status,
    }
    doc = dict(case.doc)
    doc["events"] = [*case.doc["events"], pause, resume]
    return case, Case(doc, case.now, case.type)


@PROPERTY
@given(paused_cases())
def test_a_pause_never_brings_a_deadline_forward(cases_: tuple[Case, Case]) -> None:
    base_case, paused_case = cases_
    base = clocks_of(result_of(base_case.doc, base_case.now))
    paused = clocks_of(result_of(paused_case.doc, paused_case.now))
    # Pausing changes when clocks count, never which cycles exist or when they start/stop.
    assert sorted(paused) == sorted(base)
    for key, b in base.items():
        p = paused[key]
        assert (p["started_at"], p["stopped_at"]) == (b["started_at"], b["stopped_at"]), key
        assert p["target_seconds"] == b["target_seconds"], key
        assert p["elapsed_seconds"] <= b["elapsed_seconds"], key
        if b["breached_at"] is None:
            assert p["breached_at"] is None, key
        elif p["breached_at"] is not None:
            assert instant(p["breached_at"]) >= instant(b["breached_at"]), key
        if b["due_at"] is not None and p["due_at"] is not None:
            assert instant(p["due_at"]) >= instant(b["due_at"]), key
        if b["state"] == "met":
            assert p["state"] == "met", key
        base_warnings = {w["threshold"]: instant(w["at"]) for w in b["warnings"]}
        for w in p["warnings"]:
            assert w["threshold"] in base_warnings, key
            assert instant(w["at"]) >= base_warnings[w["threshold"]], key
