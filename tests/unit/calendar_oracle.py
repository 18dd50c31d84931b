"""A deliberately naive reference model of a business calendar.

It shares no code with ``slaguard.domain.calendar`` and trades speed for being easy to check by
reading:

* ``instant(D, hh:mm)`` scans UTC minutes one by one and converts each to the calendar's zone with
  ``astimezone``.  The answer is the first UTC minute whose local wall time equals the wanted wall
  time (the first occurrence when the wall time is repeated); when no minute matches (the wall time
  falls in a spring-forward gap) it is the first minute whose wall time is later, which is the
  moment the clock jumps.
* An instant is open when some range of its local date, the day before or the day after contains
  it, where a date's ranges come from ``special_hours``, then closed ``dates`` and the ``holidays``
  package, then the weekly hours (or the whole day for a 24x7 calendar).
* ``add`` and ``elapsed`` walk minute by minute and count open minutes.

All open ranges start and end on whole minutes (every zone used by the tests has whole-minute
offsets), so a minute is either entirely open or entirely closed.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
MICROSECOND = timedelta(microseconds=1)
MINUTES_PER_DAY = 24 * 60

# The years the oracle may be asked about.  Offsets are sampled over them to bound the UTC scan.
FIRST_YEAR = 2000
LAST_YEAR = 2050


def parse_minute(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def parse_range(text: str) -> tuple[int, int]:
    start, end = text.split("-")
    return parse_minute(start), parse_minute(end)


def to_epoch_minutes(t: datetime) -> int:
    minutes, rest = divmod(t - EPOCH, MINUTE)
    assert rest == timedelta(0), f"{t} is not on the minute grid"
    return minutes


def from_epoch_minutes(minutes: int) -> datetime:
    return EPOCH + minutes * MINUTE


def to_epoch_us(t: datetime) -> int:
    return (t - EPOCH) // MICROSECOND


@functools.cache
def offset_bounds(zone_name: str) -> tuple[timedelta, timedelta]:
    """Smallest and largest UTC offset of the zone, sampled every six hours over the years used.

    An offset that lasted less than six hours could be missed; no zone the tests use has one.
    """
    zone = ZoneInfo(zone_name)
    t = datetime(FIRST_YEAR - 1, 12, 1, tzinfo=UTC)
    end = datetime(LAST_YEAR + 1, 2, 1, tzinfo=UTC)
    offsets = set()
    while t < end:
        offset = t.astimezone(zone).utcoffset()
        assert offset is not None
        offsets.add(offset)
        t += timedelta(hours=6)
    return min(offsets), max(offsets)


@functools.cache
def instant(zone_name: str, day: date, minute_of_day: int) -> int:
    """Epoch minute of wall time ``minute_of_day`` on local date ``day`` (1440 = next midnight)."""
    assert FIRST_YEAR <= day.year <= LAST_YEAR
    if minute_of_day == MINUTES_PER_DAY:
        return instant(zone_name, day + timedelta(days=1), 0)
    assert 0 <= minute_of_day < MINUTES_PER_DAY
    zone = ZoneInfo(zone_name)
    lowest, highest = offset_bounds(zone_name)
    # The wall time written as if it were UTC.  A UTC minute u shows wall time u + offset(u), so
    # every minute before ``wall - highest`` shows an earlier wall time and every minute from
    # ``wall - lowest`` on shows the same or a later one: the answer lies in that window.
    wall = datetime.combine(day, time(0), tzinfo=UTC) + minute_of_day * MINUTE
    wanted = (day, minute_of_day)
    u = wall - highest
    last = wall - lowest
    first_later = None
    while u <= last:
        local = u.astimezone(zone)
        shown = (local.date(), local.hour * 60 + local.minute)
        if shown == wanted:
            return to_epoch_minutes(u)
        if shown > wanted and first_later is None:
            first_later = u
        u += MINUTE
    assert first_later is not None
    return to_epoch_minutes(first_later)


class Oracle:
    """Brute-force answers for one calendar configuration (same mapping as ``from_config``)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.zone_name: str = config["timezone"]
        self.zone = ZoneInfo(self.zone_name)
        self.always_open = bool(config.get("always_open", False))
        hours = config.get("hours", {})
        self.weekly = {day: [parse_range(r) for r in hours.get(day, [])] for day in WEEKDAYS}
        holiday_config = config.get("holidays", {})
        self.country_holidays = None
        if "country" in holiday_config:
            self.country_holidays = holidays.country_holidays(
                holiday_config["country"], subdiv=holiday_config.get("subdivision")
            )
        self.closed_dates = {date.fromisoformat(d) for d in holiday_config.get("dates", [])}
        self.special = {
            date.fromisoformat(day): [parse_range(r) for r in ranges]
            for day, ranges in config.get("special_hours", {}).items()
        }
        self._flags: dict[int, bytearray] = {}

    # -- which wall-clock ranges apply on a local date ------------------------------------------

    def ranges_on(self, day: date) -> list[tuple[int, int]]:
        if day in self.special:
            return self.special[day]
        if day in self.closed_dates:
            return []
        if self.country_holidays is not None and day in self.country_holidays:
            return []
        if self.always_open:
            return [(0, MINUTES_PER_DAY)]
        return self.weekly[WEEKDAYS[day.weekday()]]

    def intervals_on(self, day: date) -> list[tuple[int, int]]:
        """The real-time intervals [start, end) in epoch minutes of the ranges of ``day``."""
        return [
            (instant(self.zone_name, day, a), instant(self.zone_name, day, b))
            for a, b in self.ranges_on(day)
        ]

    # -- single instants ------------------------------------------------------------------------

    def is_open(self, t: datetime) -> bool:
        assert t.tzinfo is not None
        t_us = to_epoch_us(t)
        local_day = t.astimezone(self.zone).date()
        for day in (local_day - timedelta(days=1), local_day, local_day + timedelta(days=1)):
            for a, b in self.intervals_on(day):
                if a * 60_000_000 <= t_us < b * 60_000_000:
                    return True
        return False

    def next_open(self, t: datetime) -> datetime:
        if self.is_open(t):
            return t
        # Ranges open on whole minutes, so the next opening is the first open whole minute >= t.
        minute = -(-to_epoch_us(t) // 60_000_000)
        for _ in range(400 * MINUTES_PER_DAY):
            if self.minute_is_open(minute):
                return from_epoch_minutes(minute)
            minute += 1
        raise AssertionError("no opening within 400 days")

    # -- minute walking ---------------------------------------------------------------------------

    def minute_is_open(self, minute: int) -> bool:
        """Whether the minute starting at epoch minute ``minute`` is open."""
        day_index, index = divmod(minute, MINUTES_PER_DAY)
        flags = self._flags.get(day_index)
        if flags is None:
            flags = self._utc_day_flags(day_index)
            self._flags[day_index] = flags
        return flags[index] == 1

    def _utc_day_flags(self, day_index: int) -> bytearray:
        """One flag per minute of a UTC day, set from the intervals of nearby local dates.

        Local dates differ from the UTC date by at most one day and their ranges reach at most to
        the next local midnight, so local dates within two days of the UTC date cover it.
        """
        flags = bytearray(MINUTES_PER_DAY)
        low = day_index * MINUTES_PER_DAY
        high = low + MINUTES_PER_DAY
        utc_day = (EPOCH + timedelta(days=day_index)).date()
        for shift in range(-2, 3):
            for a, b in self.intervals_on(utc_day + timedelta(days=shift)):
                start, end = max(a, low), min(b, high)
                for minute in range(start, end):
                    flags[minute - low] = 1
        return flags

    def add(self, start: datetime, minutes: int) -> datetime:
        """The end of the minute that completes ``minutes`` open minutes counted from ``start``."""
        assert minutes >= 0
        if minutes == 0:
            return start
        minute = to_epoch_minutes(start)
        counted = 0
        for _ in range(400 * MINUTES_PER_DAY):
            if self.minute_is_open(minute):
                counted += 1
                if counted == minutes:
                    return from_epoch_minutes(minute + 1)
            minute += 1
        raise AssertionError("walked 400 days without reaching the duration")

    def elapsed_minutes(self, start: datetime, end: datetime) -> int:
        """Open minutes in [start, end); negative when end is before start."""
        first, last = to_epoch_minutes(start), to_epoch_minutes(end)
        if last < first:
            return -self.elapsed_minutes(end, start)
        return sum(1 for minute in range(first, last) if self.minute_is_open(minute))
