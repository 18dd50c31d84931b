"""Business calendars: exact, fast arithmetic on open time.

Theory of operation
-------------------
A calendar says, for every local date in its time zone, which wall-clock ranges are
open: the weekly hours of that weekday, unless the date has special hours (which win)
or is closed (a public holiday or an explicit closed date). Everything else follows
from one table, built lazily over a window of dates and widened when a query leaves it:

    starts[k], ends[k]   the k-th open interval, UTC epoch microseconds, sorted,
                         touching intervals merged (a night shift 22:00-24:00 followed
                         by 00:00-06:00 becomes one interval)
    cum[k]               open microseconds before interval k
    cum_end[k]           cum[k] + (ends[k] - starts[k])

The *position* of an instant t is the open time before it: with k the first interval
that ends after t, pos(t) = cum[k] + clamp(t - starts[k], 0, length k). Then

    elapsed(a, b) = pos(b) - pos(a)
    add(t, d)     = the instant whose position is pos(t) + d: the interval k with
                    cum[k] < target <= cum_end[k] (binary search), starts[k] + target - cum[k]

so both are two binary searches, scalar (``bisect`` on lists) or vectorised
(``numpy.searchsorted``) for whole populations. Integer microseconds keep every
answer exact. ``target <= cum_end`` is what keeps a deadline that lands exactly at a
closing time at that closing time rather than at the next opening.

Wall time to instant, in the calendar's own zone (the DST rules):
    - a wall time that exists once maps to that instant;
    - an ambiguous one (the repeated hour when clocks go back) to its first occurrence;
    - a nonexistent one (skipped when clocks go forward) to the transition instant.
A range [a, b) on date D is the real interval [instant(D, a), instant(D, b)); "24:00" is
midnight of D + 1. So "00:00-24:00" lasts 23 hours on a spring-forward day and 25 on a
fall-back day, and a 24x7 calendar counts real elapsed time across DST.

Why our own code: no maintained library offers exact business-time arithmetic with
split shifts, per-date overrides and DST in the calendar's zone, vectorised. The
``businesstimedelta`` package, the nearest, is two orders of magnitude slower and wrong
on overnight shifts and on holidays that fall on DST days (see the benchmark and tests).
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slaguard.domain.errors import CalendarRangeError, ConfigError, ErrorDetail

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

# numpy serves the batch operations only (`add_many`, `elapsed_many`, for populations of
# tickets): it is imported when one is first called, so that processes that never call
# them (the API, the worker) do not carry it.

__all__ = ["WEEKDAYS", "BusinessCalendar", "HolidaySource", "OpenRange"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 1440
US_PER_SECOND = 1_000_000
_US_PER_MINUTE = 60 * US_PER_SECOND
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_ONE_DAY = timedelta(days=1)
_RANGE_RE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
# A window wider than this without the open time a query needs means the calendar is
# (practically) never open; stop rather than search forever.
_MAX_WINDOW_DAYS = 366 * 200

OpenRange = tuple[int, int]
"""An open range of one local date, in minutes after local midnight, half-open [a, b)."""

HolidaySource = Callable[[int], Iterable[date]]
"""Closed dates of one calendar year (public holidays); called once per year needed."""


# ---------------------------------------------------------------------------------------
# Instants as integer microseconds
# ---------------------------------------------------------------------------------------


def to_us(t: datetime, field: str = "datetime") -> int:
    """UTC epoch microseconds of an aware datetime; naive datetimes are refused."""
    try:
        return (t - _EPOCH) // _ONE_US
    except TypeError:
        if isinstance(t, datetime):
            raise ValueError(
                f"{field}: naive datetime {t.isoformat()} (a time zone offset is required)"
            ) from None
        raise TypeError(f"{field}: expected a datetime, got {type(t).__name__}") from None


def from_us(us: int, tz: tzinfo | None = UTC) -> datetime:
    """The aware datetime of UTC epoch microseconds, in `tz` (UTC when None)."""
    sec, frac = divmod(us, US_PER_SECOND)
    t = datetime.fromtimestamp(sec, tz or UTC)
    return t.replace(microsecond=frac) if frac else t


def duration_us(d: timedelta) -> int:
    return d // _ONE_US


# ---------------------------------------------------------------------------------------
# The table of open intervals
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Table:
    first_day: date  # window of local dates [first_day, end_day)
    end_day: date
    lo: int  # instant of first_day 00:00 (us)
    hi: int  # instant of end_day 00:00 (us)
    starts: list[int]
    ends: list[int]
    cum: list[int]
    cum_end: list[int]
    n: int  # number of intervals
    total: int  # open microseconds in the window
    # The lists as numpy arrays, made by the first batch operation over this table.
    _arrays: list[_Arrays] = field(default_factory=list, compare=False, repr=False)

    def arrays(self) -> _Arrays:
        if not self._arrays:  # two threads may both make them: the same arrays
            import numpy as np

            self._arrays.append(
                _Arrays(
                    starts=np.asarray(self.starts, dtype=np.int64),
                    ends=np.asarray(self.ends, dtype=np.int64),
                    cum=np.asarray(self.cum, dtype=np.int64),
                    cum_end=np.asarray(self.cum_end, dtype=np.int64),
                )
            )
        return self._arrays[0]


@dataclass(frozen=True, slots=True)
class _Arrays:
    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]
    cum: npt.NDArray[np.int64]
    cum_end: npt.NDArray[np.int64]


class BusinessCalendar:
    """Opening hours in one IANA time zone, with holidays and per-date overrides.

    Build one with `from_config` (the configuration mapping documented in
    docs/calendars.md) or directly. Instances are immutable in meaning; the interval
    table is a cache that only grows, widened under a lock, so an instance may be
    shared by threads.
    """

    def __init__(
        self,
        *,
        timezone: str | ZoneInfo,
        weekly: Mapping[int, Sequence[OpenRange]] | None = None,
        always_open: bool = False,
        closed_dates: Iterable[date] = (),
        holidays: HolidaySource | None = None,
        special_hours: Mapping[date, Sequence[OpenRange]] | None = None,
        name: str = "",
    ) -> None:
        self.name = name
        self.tz = timezone if isinstance(timezone, ZoneInfo) else zone_named(timezone)
        full_day: tuple[OpenRange, ...] = ((0, MINUTES_PER_DAY),)
        self.always_open = always_open
        self.weekly: tuple[tuple[OpenRange, ...], ...] = tuple(
            full_day if always_open else _normalise((weekly or {}).get(day, ())) for day in range(7)
        )
        self.closed_dates = frozenset(closed_dates)
        self.special_hours = {d: _normalise(r) for d, r in (special_hours or {}).items()}
        self._holiday_source = holidays
        self._holiday_years: dict[int, frozenset[date]] = {}
        if not any(self.weekly) and not any(self.special_hours.values()):
            raise ConfigError("the calendar is never open (no opening hours)", "hours")
        # 24x7 with nothing closed: arithmetic is plain instant arithmetic.
        self._trivial = (
            always_open and holidays is None and not self.closed_dates and not self.special_hours
        )
        self._table: _Table | None = None
        self._lock = threading.Lock()  # guards widening the table, not reading it

    # -- construction from configuration --------------------------------------------

    @classmethod
    def from_config(cls, mapping: Mapping[str, Any], *, name: str = "") -> BusinessCalendar:
        """A calendar from its configuration mapping; ConfigError names every bad field."""
        from slaguard.domain.calendar_config import parse_calendar_config

        return parse_calendar_config(cls, mapping, name=name)

    # -- the rules for one date -------------------------------------------------------

    def ranges_on(self, day: date) -> tuple[OpenRange, ...]:
        """The open ranges of a local date, all rules applied."""
        special = self.special_hours.get(day)
        if special is not None:
            return special
        if day in self.closed_dates or day in self._holidays_of(day.year):
            return ()
        return self.weekly[day.weekday()]

    def is_holiday(self, day: date) -> bool:
        return day in self.closed_dates or day in self._holidays_of(day.year)

    def _holidays_of(self, year: int) -> frozenset[date]:
        if self._holiday_source is None:
            return frozenset()
        found = self._holiday_years.get(year)
        if found is None:
            found = frozenset(self._holiday_source(year))
            self._holiday_years[year] = found
        return found

    # -- scalar operations on datetimes ----------------------------------------------

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant when `duration` of open time has passed since `start`."""
        us = to_us(start, "start")
        d = duration // _ONE_US
        if d == 0:
            return start
        # The common case inlined (the table already covers `start` and the deadline):
        # this is the hot path of scalar evaluation.
        t = self._table
        if d > 0 and t is not None and t.lo <= us < t.hi:
            k = bisect_right(t.ends, us)
            if k < t.n:
                s = t.starts[k]
                target = t.cum[k] + (us - s if us > s else 0) + d
                if target <= t.total:
                    j = bisect_left(t.cum_end, target)
                    sec, frac = divmod(t.starts[j] + target - t.cum[j], US_PER_SECOND)
                    res = datetime.fromtimestamp(sec, start.tzinfo)
                    return res.replace(microsecond=frac) if frac else res
        return from_us(self.add_us(us, d), start.tzinfo)

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Open time between two instants (negative when `end` is before `start`)."""
        return timedelta(microseconds=self.elapsed_us(to_us(start, "start"), to_us(end, "end")))

    def is_open(self, t: datetime) -> bool:
        return self.is_open_us(to_us(t, "t"))

    def next_open(self, t: datetime) -> datetime:
        """`t` itself when open, else the next opening."""
        us = to_us(t, "t")
        nxt = self.next_open_us(us)
        return t if nxt == us else from_us(nxt, t.tzinfo)

    def open_intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The open parts of [start, end), in the calendar's zone: what counted and when."""
        return [
            (from_us(a, self.tz), from_us(b, self.tz))
            for a, b in self.open_intervals_us(to_us(start, "start"), to_us(end, "end"))
        ]

    # -- scalar operations on microseconds (what the clock engine uses) ---------------

    def add_us(self, start: int, duration: int) -> int:
        if duration < 0:
            raise ValueError(f"duration: must not be negative, got {duration / US_PER_SECOND}s")
        if duration == 0:
            return start
        if self._trivial:
            return start + duration
        t = self._covering(start)
        while True:
            k = bisect_right(t.ends, start)
            if k < len(t.starts):
                s = t.starts[k]
                target = t.cum[k] + (start - s if start > s else 0) + duration
                if target <= t.total:
                    j = bisect_left(t.cum_end, target)
                    return t.starts[j] + target - t.cum[j]
            t = self._widen(forward=True)

    def elapsed_us(self, start: int, end: int) -> int:
        if self._trivial:
            return end - start
        t = self._table
        if t is None or not (t.lo <= start < t.hi and t.lo <= end < t.hi):
            t = self._covering(start, end)
        # pos(end) - pos(start), inlined: this is the engine's hottest call.
        ends = t.ends
        k = bisect_right(ends, end)
        if k == t.n:
            p_end = t.total
        else:
            s = t.starts[k]
            p_end = t.cum[k] + (end - s if end > s else 0)
        k = bisect_right(ends, start)
        if k == t.n:
            return p_end - t.total
        s = t.starts[k]
        return p_end - t.cum[k] - (start - s if start > s else 0)

    def is_open_us(self, t: int) -> bool:
        if self._trivial:
            return True
        tab = self._covering(t)
        k = bisect_right(tab.ends, t)
        return k < len(tab.starts) and tab.starts[k] <= t

    def next_open_us(self, t: int) -> int:
        if self._trivial:
            return t
        tab = self._covering(t)
        while True:
            k = bisect_right(tab.ends, t)
            if k < len(tab.starts):
                return max(t, tab.starts[k])
            tab = self._widen(forward=True)

    def open_intervals_us(self, start: int, end: int) -> list[tuple[int, int]]:
        if end <= start:
            return []
        if self._trivial:
            return [(start, end)]
        t = self._covering(start, end)
        k = bisect_right(t.ends, start)
        out: list[tuple[int, int]] = []
        while k < len(t.starts) and t.starts[k] < end:
            out.append((max(start, t.starts[k]), min(end, t.ends[k])))
            k += 1
        return out

    # -- batch operations over numpy arrays -------------------------------------------

    def add_many(self, starts: npt.ArrayLike, durations: npt.ArrayLike) -> npt.NDArray[Any]:
        """`add` element by element over arrays.

        `starts` as datetime64 (UTC) with `durations` as timedelta64 gives datetime64[us];
        as epoch seconds, integers with integer-second durations give int64 epoch
        seconds and anything else float64.
        """
        import numpy as np

        s_arr, kind = _instants_in(starts, "starts")
        d_arr = _durations_in(durations, "durations")
        s_arr, d_arr = np.broadcast_arrays(s_arr, d_arr)
        if (d_arr < 0).any():
            raise ValueError("durations: must not be negative")
        out = s_arr + d_arr if self._trivial or s_arr.size == 0 else self._add_array(s_arr, d_arr)
        return _instants_out(out, kind, np.asarray(durations).dtype)

    def elapsed_many(self, starts: npt.ArrayLike, ends: npt.ArrayLike) -> npt.NDArray[Any]:
        """`elapsed` element by element: timedelta64[us] for datetime64 input, else seconds."""
        import numpy as np

        s_arr, kind = _instants_in(starts, "starts")
        e_arr, _ = _instants_in(ends, "ends")
        s_arr, e_arr = np.broadcast_arrays(s_arr, e_arr)
        if self._trivial or s_arr.size == 0:
            out = e_arr - s_arr
        else:
            t = self._covering(
                int(min(s_arr.min(), e_arr.min())), int(max(s_arr.max(), e_arr.max()))
            )
            out = self._pos_array(t, e_arr) - self._pos_array(t, s_arr)
        if kind == "datetime":
            return out.astype("timedelta64[us]")
        if kind == "int":
            return out // US_PER_SECOND
        return out / US_PER_SECOND

    def _add_array(
        self, starts: npt.NDArray[np.int64], durations: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.int64]:
        import numpy as np

        t = self._covering(int(starts.min()), int(starts.max()))
        while True:
            n = len(t.starts)
            a = t.arrays()
            k = np.searchsorted(a.ends, starts, side="right")
            if n and int(k.max()) < n:
                s = a.starts[k]
                target = a.cum[k] + np.maximum(starts - s, 0) + durations
                if int(target.max()) <= t.total:
                    j = np.searchsorted(a.cum_end, target, side="left")
                    out = a.starts[j] + (target - a.cum[j])
                    return np.where(durations == 0, starts, out)
            t = self._widen(forward=True)

    @staticmethod
    def _pos_array(t: _Table, us: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        import numpy as np

        n = len(t.starts)
        if n == 0:
            return np.zeros_like(us)
        a = t.arrays()
        k = np.searchsorted(a.ends, us, side="right")
        kk = np.minimum(k, n - 1)
        s = a.starts[kk]
        pos = a.cum[kk] + np.maximum(us - s, 0)
        return np.where(k == n, t.total, pos)

    # -- the lazily built table --------------------------------------------------------

    def _covering(self, a: int, b: int | None = None) -> _Table:
        """A table whose window contains both instants (in either order)."""
        lo, hi = (a, a) if b is None else (min(a, b), max(a, b))
        t = self._table
        if t is not None and t.lo <= lo and hi < t.hi:
            return t
        with self._lock:
            return self._cover(lo, hi)

    def _cover(self, lo: int, hi: int) -> _Table:
        # Under the lock: tables only ever grow, so a thread's answer never comes from a
        # table narrower than the one it checked.
        t = self._table
        if t is not None and t.lo <= lo and hi < t.hi:
            return t
        lo_day = from_us(lo, self.tz).date() - _ONE_DAY
        hi_day = from_us(hi, self.tz).date() + 2 * _ONE_DAY
        if t is None:
            first = date(lo_day.year, 1, 1)
            end = date(hi_day.year + 1, 1, 1)
        else:
            first = min(t.first_day, date(lo_day.year, 1, 1))
            end = max(t.end_day, date(hi_day.year + 1, 1, 1))
        return self._build(first, end)

    def _widen(self, *, forward: bool) -> _Table:
        with self._lock:
            t = self._table
            assert t is not None
            return self._widened(t, forward=forward)

    def _widened(self, t: _Table, *, forward: bool) -> _Table:
        span = t.end_day - t.first_day
        if span.days > _MAX_WINDOW_DAYS:
            raise CalendarRangeError(
                f"calendar {self.name or ''}: no open time within {_MAX_WINDOW_DAYS // 366} years",
                f"calendars.{self.name}" if self.name else "calendar",
            )
        if forward:
            return self._build(t.first_day, t.end_day + span)
        return self._build(t.first_day - span, t.end_day)

    def _build(self, first: date, end: date) -> _Table:
        starts: list[int] = []
        ends: list[int] = []
        day = first
        tz = self.tz
        instant = local_instant_us
        while day < end:
            for a, b in self.ranges_on(day):
                s, e = instant(tz, day, a), instant(tz, day, b)
                if e <= s:
                    continue  # a range wholly inside a skipped DST hour
                if ends and s <= ends[-1]:
                    ends[-1] = max(ends[-1], e)
                else:
                    starts.append(s)
                    ends.append(e)
            day += _ONE_DAY
        cum: list[int] = []
        cum_end: list[int] = []
        total = 0
        for s, e in zip(starts, ends, strict=True):
            cum.append(total)
            total += e - s
            cum_end.append(total)
        table = _Table(
            first_day=first,
            end_day=end,
            lo=instant(tz, first, 0),
            hi=instant(tz, end, 0),
            starts=starts,
            ends=ends,
            cum=cum,
            cum_end=cum_end,
            n=len(starts),
            total=total,
        )
        self._table = table
        return table

    def __repr__(self) -> str:
        return f"BusinessCalendar(name={self.name!r}, timezone={self.tz.key!r})"


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------


def local_instant_us(tz: tzinfo, day: date, minute: int) -> int:
    """The instant of the wall time `minute` after local midnight of `day` in `tz`, by the
    DST rules in the module docstring (`minute` 1440 is midnight of the next day)."""
    if minute >= MINUTES_PER_DAY:
        day += _ONE_DAY
        minute -= MINUTES_PER_DAY
    wall = datetime(day.year, day.month, day.day, minute // 60, minute % 60)  # noqa: DTZ001
    first = wall.replace(tzinfo=tz)  # fold=0: the first occurrence if ambiguous
    us = to_us(first)
    if from_us(us, tz).replace(tzinfo=None) == wall:
        return us
    # Nonexistent wall time: fold=0 read it with the offset from before the jump,
    # fold=1 with the offset after; the transition lies between. Find it by bisection
    # on whole seconds (zone transitions fall on whole seconds).
    lo = to_us(wall.replace(tzinfo=tz, fold=1)) // US_PER_SECOND
    hi = us // US_PER_SECOND
    lo, hi = min(lo, hi), max(lo, hi)
    before = from_us(lo * US_PER_SECOND, tz).utcoffset()
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if from_us(mid * US_PER_SECOND, tz).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return hi * US_PER_SECOND


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ConfigError(f"unknown time zone {name!r}", "timezone") from exc


def _normalise(ranges: Iterable[OpenRange]) -> tuple[OpenRange, ...]:
    """Sorted ranges with touching ones merged; overlaps are refused by the parser."""
    out: list[OpenRange] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return tuple(out)


def parse_range(text: object, path: str) -> OpenRange:
    """'09:00-17:00' -> (540, 1020). 24:00 is allowed as an end only."""
    if not isinstance(text, str):
        raise ConfigError([ErrorDetail(path, f"expected 'HH:MM-HH:MM', got {text!r}")])
    m = _RANGE_RE.match(text.strip())
    if not m:
        raise ConfigError([ErrorDetail(path, f"expected 'HH:MM-HH:MM', got {text!r}")])
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
        raise ConfigError([ErrorDetail(path, f"{text!r} is not a valid time range")])
    a, b = h1 * 60 + m1, h2 * 60 + m2
    if b <= a:
        raise ConfigError(
            [
                ErrorDetail(
                    path,
                    f"{text!r} ends before it starts; a range may not cross midnight "
                    "(write '22:00-24:00' on one day and '00:00-06:00' on the next)",
                )
            ]
        )
    return a, b


def format_range(r: OpenRange) -> str:
    return f"{r[0] // 60:02d}:{r[0] % 60:02d}-{r[1] // 60:02d}:{r[1] % 60:02d}"


def _instants_in(values: npt.ArrayLike, field: str) -> tuple[npt.NDArray[np.int64], str]:
    import numpy as np

    arr = np.asarray(values)
    if np.issubdtype(arr.dtype, np.datetime64):
        us = arr.astype("datetime64[us]")
        if np.isnat(us).any():
            raise ValueError(f"{field}: NaT is not an instant")
        return us.view(np.int64), "datetime"
    if np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.int64) * US_PER_SECOND, "int"
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all():
            raise ValueError(f"{field}: not a finite number of epoch seconds")
        return np.round(arr * US_PER_SECOND).astype(np.int64), "float"
    raise ValueError(f"{field}: expected datetime64 or epoch seconds, got dtype {arr.dtype}")


def _durations_in(values: npt.ArrayLike, field: str) -> npt.NDArray[np.int64]:
    import numpy as np

    arr = np.asarray(values)
    if np.issubdtype(arr.dtype, np.timedelta64):
        us = arr.astype("timedelta64[us]")
        if np.isnat(us).any():
            raise ValueError(f"{field}: NaT is not a duration")
        return us.view(np.int64)
    if np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.int64) * US_PER_SECOND
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all():
            raise ValueError(f"{field}: not a finite number of seconds")
        return np.round(arr * US_PER_SECOND).astype(np.int64)
    raise ValueError(f"{field}: expected timedelta64 or seconds, got dtype {arr.dtype}")


def _instants_out(
    out: npt.NDArray[np.int64], kind: str, d_dtype: np.dtype[Any]
) -> npt.NDArray[Any]:
    import numpy as np

    if kind == "datetime":
        return out.astype(np.int64).view("datetime64[us]")
    if kind == "int" and np.issubdtype(d_dtype, np.integer):
        return out // US_PER_SECOND
    return out / US_PER_SECOND
