"""A clock as a timeline: segments touch, never overlap, and tell running time inside
business hours from time outside them and from paused time; marks sit where they happen."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from slaguard.app.timeline import WIDTH, timeline
from slaguard.domain.calendar import BusinessCalendar, to_us
from slaguard.domain.engine import Clock
from slaguard.domain.states import ClockState

H = 3_600_000_000
# Monday-Friday 09:00-12:00 and 13:00-17:00 UTC
CAL = BusinessCalendar(timezone="UTC", weekly={d: [(540, 720), (780, 1020)] for d in range(5)})
MON = to_us(datetime(2026, 11, 23, tzinfo=UTC))


def clock(**kw: object) -> Clock:
    values: dict[str, object] = {
        "metric": "first_response",
        "cycle": 1,
        "state": ClockState.RUNNING,
        "target_us": 4 * H,
        "started_at": MON + 9 * H,
        "due_at": None,
        "stopped_at": None,
        "breached_at": None,
        "elapsed_us": 0,
        "warnings": (),
        "calendar": CAL,
        "spans": (),
        "policy": "standard",
    }
    values.update(kw)
    return Clock(**values)  # type: ignore[arg-type]


def kinds(tl: object) -> list[tuple[str, int, int]]:
    return [(s.kind, s.start, s.end) for s in tl.segments]  # type: ignore[attr-defined]


def test_running_paused_outside_and_remaining() -> None:
    c = clock(
        spans=((MON + 9 * H, MON + 10 * H), (MON + 11 * H, None)),
        due_at=MON + 15 * H,
        elapsed_us=3 * H,
        warnings=(("50%", MON + 11 * H),),
    )
    tl = timeline(c, MON + 14 * H)
    assert kinds(tl) == [
        ("running", MON + 9 * H, MON + 10 * H),
        ("paused", MON + 10 * H, MON + 11 * H),
        ("running", MON + 11 * H, MON + 12 * H),
        ("outside", MON + 12 * H, MON + 13 * H),
        ("running", MON + 13 * H, MON + 14 * H),
        ("remaining", MON + 14 * H, MON + 15 * H),
    ]
    # the segments cover the drawing exactly, in order
    assert tl.segments[0].x == 0
    assert sum(s.width for s in tl.segments) == pytest.approx(WIDTH)
    assert [(m.kind, m.at) for m in tl.marks] == [
        ("start", MON + 9 * H),
        ("warning", MON + 11 * H),
        ("now", MON + 14 * H),
        ("due", MON + 15 * H),
    ]
    assert [(p.kind, p.counted_us, p.outside_us, p.ongoing) for p in tl.phases] == [
        ("running", H, 0, False),
        ("paused", 0, 0, False),
        ("running", 2 * H, H, True),
    ]


def test_a_stopped_clock_paused_at_its_stop_and_a_breach() -> None:
    c = clock(
        state=ClockState.BREACHED_MET,
        spans=((MON + 9 * H, MON + 14 * H),),
        breached_at=MON + 14 * H - H // 2,
        due_at=MON + 14 * H - H // 2,
        stopped_at=MON + 15 * H,
        elapsed_us=4 * H,
    )
    tl = timeline(c, MON + 20 * H)
    assert [k for k, _, _ in kinds(tl)] == ["running", "outside", "running", "paused"]
    assert [m.kind for m in tl.marks] == ["start", "breach", "stop"]
    assert tl.phases[-1].kind == "paused" and not tl.phases[-1].ongoing


def test_a_very_long_clock_is_drawn_simplified() -> None:
    start = MON + 9 * H
    c = clock(spans=((start, None),), due_at=None, state=ClockState.BREACHED)
    tl = timeline(c, start + 3 * 365 * 24 * H)
    assert tl.simplified
    assert len(tl.segments) <= 2 * 600 + 2


def test_a_clock_that_just_started_still_has_a_width() -> None:
    c = clock(spans=((MON + 9 * H, None),))
    tl = timeline(c, MON + 9 * H)
    assert tl.end > tl.start
    assert tl.segments == ()
