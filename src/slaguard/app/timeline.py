"""A clock drawn as a timeline: what the ticket page shows of each clock.

Pure computation from one `Clock` of an evaluation (no I/O). The drawn range runs from
the clock's start to its stop (or the evaluation's `now`), widened to the due instant
when that lies later, and is cut into segments that touch and never overlap:

    running    the clock ran and the calendar was open: this time counted
    outside    the clock ran but the calendar was closed (outside business hours)
    paused     the clock did not run (waiting on the customer, a third party, ...)
    remaining  after `now`, up to the due instant, while the calendar is open
               (closed time after `now` is `outside` again)

Marks sit on top: the start, each warning crossed (with its threshold), the due
instant, the breach, the stop, and `now` while the clock is live. Positions are given
in the SVG's own units (0..WIDTH), so the page only writes numbers.

`phases` is the text alternative: each running or paused stretch with its times and,
for running ones, the business time it counted and the time outside hours.
"""

from __future__ import annotations

from dataclasses import dataclass

from slaguard.domain.calendar import BusinessCalendar
from slaguard.domain.engine import Clock
from slaguard.domain.states import ClockState

__all__ = ["WIDTH", "Mark", "Phase", "Segment", "Timeline", "timeline"]

WIDTH = 1000.0
# More open intervals than this in one drawing would only add rectangles narrower
# than a pixel: past it, running time is drawn without the closed hours cut out.
MAX_INTERVALS = 600
_MINUTE_US = 60_000_000


@dataclass(frozen=True, slots=True)
class Segment:
    kind: str  # running | outside | paused | remaining
    start: int
    end: int
    x: float
    width: float


@dataclass(frozen=True, slots=True)
class Mark:
    kind: str  # start | warning | due | breach | stop | now
    at: int
    x: float
    label: str = ""


@dataclass(frozen=True, slots=True)
class Phase:
    kind: str  # running | paused
    start: int
    end: int
    ongoing: bool  # still going at `now`
    counted_us: int = 0  # business time counted (running phases)
    outside_us: int = 0  # time outside business hours (running phases)


@dataclass(frozen=True, slots=True)
class Timeline:
    metric: str
    cycle: int
    state: ClockState
    start: int
    end: int
    segments: tuple[Segment, ...]
    marks: tuple[Mark, ...]
    phases: tuple[Phase, ...]
    simplified: bool  # closed hours not cut out everywhere (too many to draw)

    @property
    def kinds(self) -> frozenset[str]:
        """The kinds of segment drawn (for the legend)."""
        return frozenset(s.kind for s in self.segments)


def timeline(clock: Clock, now: int) -> Timeline:
    """`clock` (evaluated as of `now`) as segments, marks and phases."""
    t0 = clock.started_at
    live_end = clock.stopped_at if clock.stopped_at is not None else max(now, t0)
    t1 = max(live_end, clock.due_at or live_end)
    if t1 <= t0:
        t1 = t0 + _MINUTE_US
    scale = WIDTH / (t1 - t0)

    def x(at: int) -> float:
        return round(min(max(at - t0, 0), t1 - t0) * scale, 2)

    cal = clock.calendar
    budget = [MAX_INTERVALS]
    parts: list[tuple[str, int, int]] = []
    phases: list[Phase] = []
    cursor = t0
    for a, b in clock.spans:
        b_end = live_end if b is None else b
        if a > cursor:
            parts.append(("paused", cursor, a))
            phases.append(Phase("paused", cursor, a, ongoing=False))
        if b_end > a:
            split = _split(cal, a, b_end, "running", budget)
            parts.extend(split)
            outside = sum(e - s for k, s, e in split if k == "outside")
            phases.append(
                Phase(
                    "running",
                    a,
                    b_end,
                    ongoing=b is None and clock.stopped_at is None,
                    counted_us=cal.elapsed_us(a, b_end),
                    outside_us=outside,
                )
            )
        cursor = max(cursor, b_end)
    if cursor < live_end:
        # paused until the stop, or paused now
        parts.append(("paused", cursor, live_end))
        phases.append(Phase("paused", cursor, live_end, ongoing=clock.stopped_at is None))
    if clock.stopped_at is None and clock.due_at is not None and clock.due_at > live_end:
        parts.extend(_split(cal, live_end, clock.due_at, "remaining", budget))

    segments = tuple(
        Segment(kind, s, e, x(s), round(x(e) - x(s), 2)) for kind, s, e in parts if e > s
    )
    marks = [Mark("start", t0, 0.0)]
    marks.extend(Mark("warning", at, x(at), label) for label, at in clock.warnings)
    if clock.due_at is not None and clock.due_at != clock.breached_at:
        marks.append(Mark("due", clock.due_at, x(clock.due_at)))
    if clock.breached_at is not None:
        marks.append(Mark("breach", clock.breached_at, x(clock.breached_at)))
    if clock.stopped_at is not None:
        marks.append(Mark("stop", clock.stopped_at, x(clock.stopped_at)))
    elif t0 <= now <= t1:
        marks.append(Mark("now", now, x(now)))
    marks.sort(key=lambda m: (m.at, m.kind))
    return Timeline(
        metric=clock.metric,
        cycle=clock.cycle,
        state=clock.state,
        start=t0,
        end=t1,
        segments=segments,
        marks=tuple(marks),
        phases=tuple(phases),
        simplified=budget[0] < 0,
    )


def _split(
    cal: BusinessCalendar, a: int, b: int, open_kind: str, budget: list[int]
) -> list[tuple[str, int, int]]:
    """[a, b) cut into `open_kind` where the calendar is open and `outside` where it is
    closed; the whole of it as `open_kind` once the drawing's budget is spent."""
    if budget[0] <= 0:
        budget[0] = -1
        return [(open_kind, a, b)]
    intervals = cal.open_intervals_us(a, b)
    if len(intervals) > budget[0]:
        budget[0] = -1
        return [(open_kind, a, b)]
    budget[0] -= len(intervals)
    out: list[tuple[str, int, int]] = []
    cursor = a
    for oa, ob in intervals:
        if oa > cursor:
            out.append(("outside", cursor, oa))
        out.append((open_kind, oa, ob))
        cursor = ob
    if cursor < b:
        out.append(("outside", cursor, b))
    return out
