"""Property tests: BusinessCalendar against the brute-force oracle, and its own invariants.

Calendars are random: a time zone (including 30-minute DST and a half-hour offset), 0-3 ranges per
weekday on whole minutes, sometimes 24x7, sometimes public holidays, closed dates and special hours
near the start.  Starts are biased towards the DST changes of the chosen zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holidays_package
import numpy as np
from calendar_oracle import (
    MICROSECOND,
    MINUTE,
    WEEKDAYS,
    Oracle,
    from_epoch_minutes,
    parse_range,
    to_epoch_minutes,
    to_epoch_us,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from slaguard import BusinessCalendar

TIMEZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
# Zones a caller might hand in, unrelated to the calendar's own zone.
CALLER_ZONES = ["UTC", "own", "Asia/Tokyo", "America/Los_Angeles"]
HOLIDAYS: list[dict[str, Any]] = [
    {},
    {},
    {"country": "DE", "subdivision": "BE"},
    {"country": "DE"},
    {"country": "US"},
]
# Wall times around the DST changes of the zones above, midnight and ordinary office times.
INTERESTING_MINUTES = [0, 60, 90, 120, 130, 150, 170, 180, 210, 240, 540, 720, 1020, 1320, 1440]

US_PER_MINUTE = 60_000_000
DAY_MINUTES = 24 * 60
WEEK_MINUTES = 7 * DAY_MINUTES
FIRST_START = to_epoch_minutes(datetime(2024, 1, 1, tzinfo=UTC))
LAST_START = to_epoch_minutes(datetime(2027, 12, 1, tzinfo=UTC))

PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _local_midnight(zone_name: str, day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone_name)).astimezone(UTC)


def _dst_change_dates(zone_name: str) -> list[date]:
    """The local dates in 2024-2027 that are not 24 real hours long."""
    found = []
    day = date(2024, 1, 1)
    while day.year < 2028:
        after = day + timedelta(days=1)
        length = _local_midnight(zone_name, after) - _local_midnight(zone_name, day)
        if length != timedelta(hours=24):
            found.append(day)
        day = after
    return found


DST_CHANGES = {name: _dst_change_dates(name) for name in TIMEZONES}


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def day_ranges(draw: st.DrawFn, min_ranges: int = 0, early: bool = False) -> list[str]:
    """0-3 non-overlapping, non-touching ranges on whole minutes, as "HH:MM-HH:MM" strings.

    ``early`` draws the boundaries mostly from 00:00-05:00, where the DST changes happen.
    """
    count = draw(st.integers(min_ranges, 3))
    point = st.one_of(st.sampled_from(INTERESTING_MINUTES), st.integers(0, DAY_MINUTES))
    if early:
        point = st.one_of(st.integers(0, 300), st.sampled_from([0, DAY_MINUTES]))
    points = sorted(draw(st.lists(point, min_size=2 * count, max_size=2 * count, unique=True)))
    ranges = [f"{_hhmm(points[i])}-{_hhmm(points[i + 1])}" for i in range(0, len(points), 2)]
    if len(ranges) > 1 and draw(st.booleans()):
        ranges.reverse()  # the order of ranges in a day should not matter
    return ranges


def _nominal_minutes(ranges: list[str]) -> int:
    return sum(end - start for start, end in map(parse_range, ranges))


@st.composite
def weekly_hours(draw: st.DrawFn) -> dict[str, list[str]]:
    hours = {}
    for day in WEEKDAYS:
        ranges = draw(day_ranges())
        if ranges or draw(st.booleans()):  # an empty day is either left out or listed as []
            hours[day] = ranges
    assume(any(hours.values()))
    return hours


@dataclass(frozen=True)
class Scenario:
    config: dict[str, Any]
    start: datetime  # UTC, on the minute grid
    minutes: int  # a duration, at most about three weeks of this calendar's business time
    span: int  # a signed distance in minutes from start, at most three weeks
    caller_zone: str

    def caller_start(self) -> datetime:
        return self.start.astimezone(self.caller_tz())

    def caller_tz(self) -> Any:
        name = self.config["timezone"] if self.caller_zone == "own" else self.caller_zone
        return UTC if name == "UTC" else ZoneInfo(name)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    zone_name = draw(st.sampled_from(TIMEZONES))
    changes = DST_CHANGES[zone_name]
    change_day = None
    if changes and draw(st.booleans()):
        # Start up to three days before a local date that has a DST change.
        change_day = draw(st.sampled_from(changes))
        before = draw(st.integers(0, 3 * DAY_MINUTES))
        start_minute = to_epoch_minutes(_local_midnight(zone_name, change_day)) - before
    else:
        start_minute = draw(st.integers(FIRST_START, LAST_START))
    start = from_epoch_minutes(start_minute)
    local_day = start.astimezone(ZoneInfo(zone_name)).date()

    def near_start(offset: int) -> str:
        return (local_day + timedelta(days=offset)).isoformat()

    config: dict[str, Any] = {"timezone": zone_name}
    always_open = draw(st.sampled_from([False, False, False, False, False, True]))
    if always_open:
        config["always_open"] = True
        weekly = WEEK_MINUTES
    else:
        config["hours"] = draw(weekly_hours())
        weekly = sum(_nominal_minutes(r) for r in config["hours"].values())

    holidays = dict(draw(st.sampled_from(HOLIDAYS)))
    closed = draw(st.lists(st.integers(-3, 25), max_size=4, unique=True))
    closed_days = [near_start(k) for k in closed]
    if closed:
        holidays["dates"] = closed_days
    if holidays:
        config["holidays"] = holidays
    if not always_open:
        special_days = draw(
            st.lists(st.integers(-3, 25).filter(lambda k: k not in closed), max_size=3, unique=True)
        )
        special = {near_start(k): draw(day_ranges()) for k in special_days}
        if "country" in holidays and draw(st.booleans()):
            # Special hours on a public holiday win over the holiday.
            public = holidays_package.country_holidays(
                holidays["country"], subdiv=holidays.get("subdivision")
            )
            near = [local_day + timedelta(days=k) for k in range(-3, 26)]
            on_holidays = [d for d in near if d in public and d.isoformat() not in closed_days]
            if on_holidays:
                special[draw(st.sampled_from(on_holidays)).isoformat()] = draw(day_ranges())
        if change_day is not None and draw(st.booleans()):
            # Ranges starting or ending around the moment the clock changes.
            change_ranges = draw(day_ranges(min_ranges=1, early=True))
            special[change_day.isoformat()] = change_ranges
            weekly += _nominal_minutes(change_ranges)
            if "holidays" in config and "dates" in config["holidays"]:
                dates = config["holidays"]["dates"]
                dates[:] = [d for d in dates if d != change_day.isoformat()]
                if not dates:
                    del config["holidays"]["dates"]
                if not config["holidays"]:
                    del config["holidays"]
        if special:
            config["special_hours"] = special

    limit = min(3 * weekly, 3 * WEEK_MINUTES)
    minutes = draw(
        st.one_of(
            st.integers(0, min(limit, 180)),
            st.integers(1, limit),
            st.integers(limit // 3, limit),
        )
    )
    span = draw(st.integers(-3 * WEEK_MINUTES, 3 * WEEK_MINUTES))
    caller_zone = draw(st.sampled_from(CALLER_ZONES))
    return Scenario(config, start, minutes, span, caller_zone)


def utc(t: datetime) -> datetime:
    assert t.tzinfo is not None
    return t.astimezone(UTC)


# ---------------------------------------------------------------------------------------------
# against the oracle
# ---------------------------------------------------------------------------------------------


@PROPERTY
@given(scenarios())
def test_add_agrees_with_oracle(sc: Scenario) -> None:
    cal = BusinessCalendar.from_config(sc.config)
    start = sc.caller_start()
    oracle = Oracle(sc.config)
    got = cal.add(start, sc.minutes * MINUTE)
    assert got.tzinfo == start.tzinfo
    expected = oracle.add(sc.start, sc.minutes)
    assert utc(got) == utc(expected)
    if sc.minutes > 0:
        # Stretch the duration so that the deadline lands exactly on the next closing time.
        closing = to_epoch_minutes(expected)
        limit = closing + WEEK_MINUTES
        while closing < limit and oracle.minute_is_open(closing):
            closing += 1
        if closing < limit:  # a 24x7 calendar may not close within a week
            longer = sc.minutes + closing - to_epoch_minutes(expected)
            assert utc(cal.add(start, longer * MINUTE)) == from_epoch_minutes(closing)


@PROPERTY
@given(scenarios())
def test_elapsed_agrees_with_oracle(sc: Scenario) -> None:
    cal = BusinessCalendar.from_config(sc.config)
    end = from_epoch_minutes(to_epoch_minutes(sc.start) + sc.span)
    expected = Oracle(sc.config).elapsed_minutes(sc.start, end) * MINUTE
    assert cal.elapsed(sc.caller_start(), end) == expected
    assert cal.elapsed(end, sc.caller_start()) == -expected


@PROPERTY
@given(scenarios(), st.lists(st.integers(0, 3 * WEEK_MINUTES * US_PER_MINUTE), max_size=4))
def test_is_open_and_next_open_agree_with_oracle(sc: Scenario, offsets_us: list[int]) -> None:
    cal = BusinessCalendar.from_config(sc.config)
    oracle = Oracle(sc.config)
    start_us = to_epoch_us(sc.start)
    local_day = sc.start.astimezone(oracle.zone).date()
    probes = [start_us + offset for offset in offsets_us]
    # Every range boundary of the start's local date and the next two, and the microseconds around.
    for day in (local_day, local_day + timedelta(days=1), local_day + timedelta(days=2)):
        for a, b in oracle.intervals_on(day):
            for edge in (a, b):
                probes.extend(edge * US_PER_MINUTE + d for d in (-1, 0, 1))
    caller_tz = sc.caller_tz()
    for probe in probes:
        t = (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=probe)).astimezone(caller_tz)
        assert cal.is_open(t) is oracle.is_open(t), t
        got = cal.next_open(t)
        assert utc(got) == utc(oracle.next_open(t)), t


@PROPERTY
@given(scenarios(), st.lists(st.integers(0, 3 * WEEK_MINUTES), min_size=1, max_size=20))
def test_oracle_minute_walk_agrees_with_its_is_open(sc: Scenario, offsets: list[int]) -> None:
    """The oracle's minute flags and its direct is_open describe the same open set."""
    oracle = Oracle(sc.config)
    for offset in offsets:
        minute = to_epoch_minutes(sc.start) + offset
        assert oracle.minute_is_open(minute) is oracle.is_open(from_epoch_minutes(minute))


# ---------------------------------------------------------------------------------------------
# invariants at microsecond resolution
# ---------------------------------------------------------------------------------------------


@st.composite
def microsecond_cases(draw: st.DrawFn) -> tuple[Scenario, datetime, timedelta, timedelta]:
    sc = draw(scenarios())
    # Shift in UTC (wall-clock arithmetic in the caller's zone would not be real time).
    shift = timedelta(microseconds=draw(st.integers(0, US_PER_MINUTE - 1)))
    start = (sc.start + shift).astimezone(sc.caller_tz())
    limit = max(sc.minutes, 1) * US_PER_MINUTE
    first = timedelta(microseconds=draw(st.integers(0, limit)))
    second = timedelta(microseconds=draw(st.integers(0, limit)))
    return sc, start, first, second


@PROPERTY
@given(microsecond_cases())
def test_elapsed_undoes_add(case: tuple[Scenario, datetime, timedelta, timedelta]) -> None:
    sc, start, first, second = case
    cal = BusinessCalendar.from_config(sc.config)
    for duration in (first, second, first + second):
        assert cal.elapsed(start, cal.add(start, duration)) == duration


@PROPERTY
@given(microsecond_cases())
def test_add_is_strictly_monotonic_and_additive(
    case: tuple[Scenario, datetime, timedelta, timedelta],
) -> None:
    sc, start, first, second = case
    cal = BusinessCalendar.from_config(sc.config)
    short, long = sorted((first, second))
    a, b = cal.add(start, short), cal.add(start, long)
    assert utc(a) <= utc(b)
    if short < long:
        assert utc(a) < utc(b)
    # Adding in two steps lands where adding at once does.
    assert utc(cal.add(cal.add(start, first), second)) == utc(cal.add(start, first + second))
    # A deadline is never inside a closed stretch: the instant just before it was open.
    if long > timedelta(0):
        assert cal.is_open(utc(b) - timedelta(microseconds=1))
        assert utc(b) > utc(start)


@PROPERTY
@given(microsecond_cases(), st.integers(-3 * WEEK_MINUTES * US_PER_MINUTE, 0))
def test_elapsed_is_additive_and_add_never_overshoots(
    case: tuple[Scenario, datetime, timedelta, timedelta], back_us: int
) -> None:
    sc, start, first, _ = case
    cal = BusinessCalendar.from_config(sc.config)
    earlier = utc(start) + timedelta(microseconds=back_us)
    later = utc(start) + first
    assert cal.elapsed(earlier, later) == cal.elapsed(earlier, start) + cal.elapsed(start, later)
    assert cal.elapsed(earlier, later) >= timedelta(0)
    # Adding the open time between two instants reaches the last opening at or before the end.
    reached = cal.add(earlier, cal.elapsed(earlier, later))
    assert utc(reached) <= utc(later)
    assert cal.elapsed(reached, later) == timedelta(0)


# ---------------------------------------------------------------------------------------------
# batch forms agree with the scalar forms
# ---------------------------------------------------------------------------------------------

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)


Batch = tuple[Scenario, list[int], list[int | None], list[int]]


@st.composite
def batches(draw: st.DrawFn) -> Batch:
    """A calendar and per element a start, a duration and an end, in microseconds.

    A duration of None stands for the open time from the start to the end, so that the deadline
    lands exactly on the last closing time before the end.
    """
    sc = draw(scenarios())
    size = draw(st.integers(0, 6))
    base = to_epoch_us(sc.start)
    window = 3 * WEEK_MINUTES * US_PER_MINUTE
    limit = max(sc.minutes, 1) * US_PER_MINUTE
    starts = draw(st.lists(st.integers(base, base + window), min_size=size, max_size=size))
    duration = st.one_of(st.none(), st.integers(0, limit))
    durations = draw(st.lists(duration, min_size=size, max_size=size))
    ends = draw(st.lists(st.integers(base, base + window), min_size=size, max_size=size))
    return sc, starts, durations, ends


def _durations(
    cal: BusinessCalendar,
    starts: list[datetime],
    ends: list[datetime],
    drawn: list[timedelta | None],
) -> list[timedelta]:
    """The drawn durations, None replaced by the open time from start to end (0 if reversed)."""
    return [
        max(cal.elapsed(s, e), timedelta(0)) if d is None else d
        for s, e, d in zip(starts, ends, drawn, strict=True)
    ]


@PROPERTY
@given(batches())
def test_batch_datetime64_agrees_with_scalar(batch: Batch) -> None:
    sc, starts_us, drawn_us, ends_us = batch
    cal = BusinessCalendar.from_config(sc.config)
    starts = [EPOCH + s * MICROSECOND for s in starts_us]
    ends = [EPOCH + e * MICROSECOND for e in ends_us]
    drawn = [None if d is None else d * MICROSECOND for d in drawn_us]
    durations = _durations(cal, starts, ends, drawn)
    start_array = np.array(starts_us, dtype=np.int64).astype("datetime64[us]")
    duration_array = np.array([d // MICROSECOND for d in durations], dtype=np.int64)
    added = cal.add_many(start_array, duration_array.astype("timedelta64[us]"))
    assert added.dtype == np.dtype("datetime64[us]")
    assert added.astype(np.int64).tolist() == [
        to_epoch_us(cal.add(s, d)) for s, d in zip(starts, durations, strict=True)
    ]
    end_array = np.array(ends_us, dtype=np.int64).astype("datetime64[us]")
    elapsed = cal.elapsed_many(start_array, end_array)
    assert elapsed.dtype == np.dtype("timedelta64[us]")
    assert elapsed.astype(np.int64).tolist() == [
        cal.elapsed(s, e) // MICROSECOND for s, e in zip(starts, ends, strict=True)
    ]


@PROPERTY
@given(batches())
def test_batch_integer_seconds_agrees_with_scalar(batch: Batch) -> None:
    sc, starts_us, drawn_us, ends_us = batch
    cal = BusinessCalendar.from_config(sc.config)
    start_seconds = [s // 1_000_000 for s in starts_us]
    end_seconds = [e // 1_000_000 for e in ends_us]
    starts = [EPOCH + s * SECOND for s in start_seconds]
    ends = [EPOCH + e * SECOND for e in end_seconds]
    drawn = [None if d is None else (d // 1_000_000) * SECOND for d in drawn_us]
    durations = _durations(cal, starts, ends, drawn)
    duration_seconds = []
    for d in durations:
        seconds, rest = divmod(d, SECOND)
        assert rest == timedelta(0)
        duration_seconds.append(seconds)
    added = cal.add_many(
        np.array(start_seconds, dtype=np.int64), np.array(duration_seconds, dtype=np.int64)
    )
    assert added.dtype == np.dtype(np.int64)
    expected_added = []
    for s, d in zip(starts, durations, strict=True):
        seconds, rest = divmod(cal.add(s, d) - EPOCH, SECOND)
        assert rest == timedelta(0)
        expected_added.append(seconds)
    assert added.tolist() == expected_added
    elapsed = cal.elapsed_many(
        np.array(start_seconds, dtype=np.int64), np.array(end_seconds, dtype=np.int64)
    )
    assert elapsed.dtype.kind == "i"
    assert elapsed.tolist() == [
        cal.elapsed(s, e) // SECOND for s, e in zip(starts, ends, strict=True)
    ]


@PROPERTY
@given(batches())
def test_batch_float_seconds_agrees_with_scalar(batch: Batch) -> None:
    sc, starts_us, drawn_us, ends_us = batch
    cal = BusinessCalendar.from_config(sc.config)
    # Quarter seconds are exact in binary and in microseconds.
    start_seconds = [(s // 250_000) / 4 for s in starts_us]
    end_seconds = [(e // 250_000) / 4 for e in ends_us]
    starts = [EPOCH + s * SECOND for s in start_seconds]
    ends = [EPOCH + e * SECOND for e in end_seconds]
    drawn = [None if d is None else (d // 250_000) * SECOND / 4 for d in drawn_us]
    durations = _durations(cal, starts, ends, drawn)
    added = cal.add_many(np.array(start_seconds), np.array([d / SECOND for d in durations]))
    assert added.dtype == np.dtype(np.float64)
    expected_added = [
        (cal.add(s, d) - EPOCH) / SECOND for s, d in zip(starts, durations, strict=True)
    ]
    np.testing.assert_allclose(added, expected_added, rtol=0, atol=1e-6)
    elapsed = cal.elapsed_many(np.array(start_seconds), np.array(end_seconds))
    assert elapsed.dtype == np.dtype(np.float64)
    expected_elapsed = [cal.elapsed(s, e) / SECOND for s, e in zip(starts, ends, strict=True)]
    np.testing.assert_allclose(elapsed, expected_elapsed, rtol=0, atol=1e-6)


def test_dst_change_days_are_found() -> None:
    """The start bias relies on these; Berlin changes twice a year, Kolkata never."""
    assert len(DST_CHANGES["Europe/Berlin"]) == 8
    assert len(DST_CHANGES["America/New_York"]) == 8
    assert len(DST_CHANGES["Australia/Lord_Howe"]) == 8
    assert DST_CHANGES["Asia/Kolkata"] == []
    assert DST_CHANGES["UTC"] == []
    assert DST_CHANGES["Europe/Berlin"][:2] == [date(2024, 3, 31), date(2024, 10, 27)]
