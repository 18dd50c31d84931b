"""Hand-computed cases for BusinessCalendar: add, elapsed, is_open, next_open and the batch forms.

Every expected value below was worked out by hand from the calendar definitions in this file.
Instants are compared in UTC: two aware datetimes sharing a ZoneInfo compare by wall time and
ignore ``fold``, which would hide mistakes around a fall-back hour.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from calendar_oracle import EPOCH, Oracle, to_epoch_us

from slaguard import BusinessCalendar

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
H = timedelta(hours=1)
M = timedelta(minutes=1)
US = timedelta(microseconds=1)
WORKDAYS = ("mon", "tue", "wed", "thu", "fri")

CALENDARS: dict[str, dict[str, Any]] = {
    # Mon-Fri 09:00-17:00 UTC, no holidays: 40 hours a week.
    "utc_9_17": {"timezone": "UTC", "hours": {day: ["09:00-17:00"] for day in WORKDAYS}},
    # Mon-Fri 09:00-17:00 in Berlin, no holidays.
    "berlin_9_17": {"timezone": "Europe/Berlin", "hours": {d: ["09:00-17:00"] for d in WORKDAYS}},
    # Split shift with a lunch break: 7 hours a day.
    "berlin_split": {
        "timezone": "Europe/Berlin",
        "hours": {day: ["09:00-12:00", "13:00-17:00"] for day in WORKDAYS},
    },
    # Night shift: Monday 22:00 until Saturday 06:00, closed 06:00-22:00; 8 hours a night.
    "utc_night": {
        "timezone": "UTC",
        "hours": {
            "mon": ["22:00-24:00"],
            "tue": ["00:00-06:00", "22:00-24:00"],
            "wed": ["00:00-06:00", "22:00-24:00"],
            "thu": ["00:00-06:00", "22:00-24:00"],
            "fri": ["00:00-06:00", "22:00-24:00"],
            "sat": ["00:00-06:00"],
        },
    },
    # Weekend night shift (Friday 22:00 - Saturday 06:00 and Saturday 22:00 - Sunday 06:00).
    "berlin_weekend_night": {
        "timezone": "Europe/Berlin",
        "hours": {
            "fri": ["22:00-24:00"],
            "sat": ["00:00-06:00", "22:00-24:00"],
            "sun": ["00:00-06:00"],
        },
    },
    "new_york_weekend_night": {
        "timezone": "America/New_York",
        "hours": {
            "fri": ["22:00-24:00"],
            "sat": ["00:00-06:00", "22:00-24:00"],
            "sun": ["00:00-06:00"],
        },
    },
    # Berlin office with Berlin public holidays, Christmas Eve closed, short New Year's Eve and a
    # Labour Day opening that overrides the public holiday.
    "berlin_office": {
        "timezone": "Europe/Berlin",
        "hours": {day: ["09:00-17:00"] for day in WORKDAYS},
        "holidays": {"country": "DE", "subdivision": "BE", "dates": ["2026-12-24"]},
        "special_hours": {"2026-12-31": ["09:00-12:00"], "2026-05-01": ["10:00-14:00"]},
    },
    # Same office with nationwide German holidays only (no Berlin-only days).
    "germany_office": {
        "timezone": "Europe/Berlin",
        "hours": {day: ["09:00-17:00"] for day in WORKDAYS},
        "holidays": {"country": "DE"},
    },
    "berlin_holidays_only": {
        "timezone": "Europe/Berlin",
        "hours": {day: ["09:00-17:00"] for day in WORKDAYS},
        "holidays": {"country": "DE", "subdivision": "BE"},
    },
    "us_office": {
        "timezone": "America/New_York",
        "hours": {day: ["09:00-17:00"] for day in WORKDAYS},
        "holidays": {"country": "US"},
    },
    # Open all Sunday (00:00-24:00) and nothing else.
    "berlin_sundays": {"timezone": "Europe/Berlin", "hours": {"sun": ["00:00-24:00"]}},
    # Sunday ranges that touch the DST hours of Berlin (02:00-03:00 local on both change days).
    "berlin_sun_1_4": {"timezone": "Europe/Berlin", "hours": {"sun": ["01:00-04:00"]}},
    "berlin_sun_0230_0500": {"timezone": "Europe/Berlin", "hours": {"sun": ["02:30-05:00"]}},
    "berlin_sun_0230_0330": {"timezone": "Europe/Berlin", "hours": {"sun": ["02:30-03:30"]}},
    "berlin_sun_0000_0230": {"timezone": "Europe/Berlin", "hours": {"sun": ["00:00-02:30"]}},
    "berlin_sun_gap_only": {
        "timezone": "Europe/Berlin",
        "hours": {"sun": ["02:00-02:30"], "mon": ["09:00-10:00"]},
    },
    "new_york_sun_1_3": {"timezone": "America/New_York", "hours": {"sun": ["01:00-03:00"]}},
    # Weekdays plus Sunday mornings, with the last Sunday of March 2026 (a DST change) closed.
    "berlin_sunday_holiday": {
        "timezone": "Europe/Berlin",
        "hours": {**{day: ["09:00-17:00"] for day in WORKDAYS}, "sun": ["08:00-12:00"]},
        "holidays": {"dates": ["2026-03-29"]},
    },
    "berlin_sunday_open": {
        "timezone": "Europe/Berlin",
        "hours": {**{day: ["09:00-17:00"] for day in WORKDAYS}, "sun": ["08:00-12:00"]},
    },
    # 24x7 calendars.
    "utc_24x7": {"timezone": "UTC", "always_open": True},
    "berlin_24x7": {"timezone": "Europe/Berlin", "always_open": True},
    "new_york_24x7": {"timezone": "America/New_York", "always_open": True},
    "berlin_24x7_holidays": {
        "timezone": "Europe/Berlin",
        "always_open": True,
        "holidays": {"country": "DE", "subdivision": "BE"},
    },
    "berlin_24x7_spring_closed": {
        "timezone": "Europe/Berlin",
        "always_open": True,
        "holidays": {"dates": ["2026-03-29"]},
    },
    "berlin_24x7_autumn_closed": {
        "timezone": "Europe/Berlin",
        "always_open": True,
        "holidays": {"dates": ["2026-10-25"]},
    },
}

_CACHE: dict[str, BusinessCalendar] = {}


def calendar(name: str) -> BusinessCalendar:
    if name not in _CACHE:
        _CACHE[name] = BusinessCalendar.from_config(CALENDARS[name])
    return _CACHE[name]


def utc(t: datetime) -> datetime:
    assert t.tzinfo is not None, "expected an aware datetime"
    return t.astimezone(UTC)


def b(*args: int, fold: int = 0) -> datetime:
    """A Berlin wall time."""
    return datetime(*args, tzinfo=BERLIN, fold=fold)


def ny(*args: int, fold: int = 0) -> datetime:
    """A New York wall time."""
    return datetime(*args, tzinfo=NEW_YORK, fold=fold)


def z(*args: int) -> datetime:
    """A UTC time."""
    return datetime(*args, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# add
# ---------------------------------------------------------------------------------------------

ADD_CASES = [
    # Split shift (week of Monday 2026-06-15, CEST).
    pytest.param("berlin_split", b(2026, 6, 15, 9), 1 * H, b(2026, 6, 15, 10), id="split-plain"),
    pytest.param("berlin_split", b(2026, 6, 15, 11), 2 * H, b(2026, 6, 15, 14), id="split-lunch"),
    pytest.param("berlin_split", b(2026, 6, 15, 11), 1 * H, b(2026, 6, 15, 12), id="split-ends-12"),
    pytest.param(
        "berlin_split", b(2026, 6, 15, 12), 1 * H, b(2026, 6, 15, 14), id="split-at-lunch"
    ),
    pytest.param(
        "berlin_split", b(2026, 6, 15, 12, 30), 30 * M, b(2026, 6, 15, 13, 30), id="split-in-lunch"
    ),
    pytest.param(
        "berlin_split", b(2026, 6, 15, 16), 1 * H, b(2026, 6, 15, 17), id="split-to-close"
    ),
    pytest.param(
        "berlin_split", b(2026, 6, 15, 16), 2 * H, b(2026, 6, 16, 10), id="split-next-day"
    ),
    pytest.param("berlin_split", b(2026, 6, 15, 7), 1 * H, b(2026, 6, 15, 10), id="split-early"),
    pytest.param("berlin_split", b(2026, 6, 15, 18), 1 * H, b(2026, 6, 16, 10), id="split-late"),
    pytest.param(
        "berlin_split", b(2026, 6, 20, 10), 1 * H, b(2026, 6, 22, 10), id="split-saturday"
    ),
    pytest.param(
        "berlin_split",
        b(2026, 6, 19, 16, 30),
        1 * H,
        b(2026, 6, 22, 9, 30),
        id="split-over-weekend",
    ),
    pytest.param("berlin_split", b(2026, 6, 15, 9), 7 * H, b(2026, 6, 15, 17), id="split-full-day"),
    pytest.param("berlin_split", b(2026, 6, 15, 9), 35 * H, b(2026, 6, 19, 17), id="split-week"),
    pytest.param(
        "berlin_split", b(2026, 6, 15, 9), 35 * H + M, b(2026, 6, 22, 9, 1), id="split-week-plus-1"
    ),
    pytest.param(
        "berlin_split", b(2026, 6, 14, 23, 59), 1 * M, b(2026, 6, 15, 9, 1), id="split-sunday-night"
    ),
    pytest.param(
        "berlin_split",
        b(2026, 6, 15, 11, 59, 59, 999_999),
        2 * US,
        b(2026, 6, 15, 13, 0, 0, 1),
        id="split-microseconds",
    ),
    pytest.param(
        "berlin_split",
        b(2026, 6, 15, 12, 0, 0, 1),
        1 * US,
        b(2026, 6, 15, 13, 0, 0, 1),
        id="us-lunch",
    ),
    # Night shift across midnight (UTC, week of Monday 2026-06-15).
    pytest.param("utc_night", z(2026, 6, 15, 22), 1 * H, z(2026, 6, 15, 23), id="night-plain"),
    pytest.param("utc_night", z(2026, 6, 15, 23), 2 * H, z(2026, 6, 16, 1), id="night-midnight"),
    pytest.param("utc_night", z(2026, 6, 15, 23, 30), 30 * M, z(2026, 6, 16), id="night-to-24"),
    pytest.param("utc_night", z(2026, 6, 15, 22), 8 * H, z(2026, 6, 16, 6), id="night-to-close"),
    pytest.param("utc_night", z(2026, 6, 15, 22), 9 * H, z(2026, 6, 16, 23), id="night-two-nights"),
    pytest.param("utc_night", z(2026, 6, 16, 12), 3 * H, z(2026, 6, 17, 1), id="night-day-start"),
    pytest.param("utc_night", z(2026, 6, 15, 6), 1 * H, z(2026, 6, 15, 23), id="night-monday-am"),
    pytest.param("utc_night", z(2026, 6, 20, 5), 2 * H, z(2026, 6, 22, 23), id="night-weekend"),
    pytest.param("utc_night", z(2026, 6, 15, 22), 40 * H, z(2026, 6, 20, 6), id="night-week"),
    # Public holidays, closed dates and special hours (Berlin office).
    pytest.param(
        "berlin_office", b(2026, 12, 23, 16), 2 * H, b(2026, 12, 28, 10), id="christmas-closed"
    ),
    pytest.param(
        "berlin_office", b(2026, 12, 30, 16), 2 * H, b(2026, 12, 31, 10), id="new-years-eve-short"
    ),
    pytest.param(
        "berlin_office", b(2026, 12, 30, 16), 4 * H, b(2026, 12, 31, 12), id="new-years-eve-close"
    ),
    pytest.param(
        "berlin_office", b(2026, 12, 30, 16), 5 * H, b(2027, 1, 4, 10), id="new-year-holiday"
    ),
    pytest.param(
        "berlin_office", b(2026, 12, 31, 12), 1 * H, b(2027, 1, 4, 10), id="after-special-close"
    ),
    pytest.param(
        "berlin_office", b(2026, 12, 31, 8), 1 * H, b(2026, 12, 31, 10), id="before-special-open"
    ),
    pytest.param(
        "berlin_office", b(2026, 4, 30, 16), 2 * H, b(2026, 5, 1, 11), id="special-beats-holiday"
    ),
    pytest.param(
        "berlin_office", b(2026, 5, 1, 13), 2 * H, b(2026, 5, 4, 10), id="special-then-weekend"
    ),
    # 8 March is a public holiday in Berlin only (2024-03-08 was a Friday).
    pytest.param(
        "berlin_holidays_only", b(2024, 3, 7, 16), 2 * H, b(2024, 3, 11, 10), id="womens-day-be"
    ),
    pytest.param(
        "germany_office", b(2024, 3, 7, 16), 2 * H, b(2024, 3, 8, 10), id="womens-day-not-de"
    ),
    pytest.param(
        "germany_office", b(2026, 12, 24, 16), 2 * H, b(2026, 12, 28, 10), id="de-christmas"
    ),
    # US: Thanksgiving (Thursday 2026-11-26) closed, the Friday after is a working day.
    pytest.param("us_office", ny(2026, 11, 25, 16), 2 * H, ny(2026, 11, 27, 10), id="thanksgiving"),
    # US: 2026-07-04 is a Saturday, observed on Friday 2026-07-03.
    pytest.param("us_office", ny(2026, 7, 2, 16), 2 * H, ny(2026, 7, 6, 10), id="july-4-observed"),
    # Weekends across a DST change: the office hours are local, the weekend is skipped.
    pytest.param(
        "berlin_9_17", b(2026, 3, 27, 16), 2 * H, b(2026, 3, 30, 10), id="weekend-spring-forward"
    ),
    pytest.param(
        "berlin_9_17", b(2026, 10, 23, 16), 2 * H, b(2026, 10, 26, 10), id="weekend-fall-back"
    ),
    # A whole Sunday is 23 real hours in spring and 25 in autumn.
    pytest.param(
        "berlin_sundays", b(2026, 3, 28, 12), 23 * H, b(2026, 3, 30, 0), id="sunday-23h-closes"
    ),
    pytest.param(
        "berlin_sundays", b(2026, 3, 28, 12), 24 * H, b(2026, 4, 5, 1), id="sunday-23h-overflow"
    ),
    pytest.param("berlin_sundays", b(2026, 3, 29, 0), 2 * H, b(2026, 3, 29, 3), id="sunday-gap"),
    pytest.param(
        "berlin_sundays", b(2026, 10, 24, 12), 25 * H, b(2026, 10, 26, 0), id="sunday-25h-closes"
    ),
    pytest.param(
        "berlin_sundays", b(2026, 10, 25, 0), 3 * H, b(2026, 10, 25, 2, fold=1), id="sunday-repeat"
    ),
    pytest.param("berlin_sun_1_4", b(2026, 3, 28, 12), 90 * M, b(2026, 3, 29, 3, 30), id="1-4-gap"),
    pytest.param(
        "berlin_sun_1_4", b(2026, 3, 28, 12), 2 * H + M, b(2026, 4, 5, 1, 1), id="1-4-gap-overflow"
    ),
    pytest.param(
        "berlin_sun_1_4", b(2026, 10, 24, 12), 4 * H, b(2026, 10, 25, 4), id="1-4-repeat-full"
    ),
    pytest.param(
        "berlin_sun_1_4",
        b(2026, 10, 24, 12),
        2 * H,
        b(2026, 10, 25, 2, fold=1),
        id="1-4-repeat-second-2am",
    ),
    # A range starting inside the spring gap opens at the moment the clock jumps (03:00 CEST).
    pytest.param(
        "berlin_sun_0230_0500", b(2026, 3, 29, 0), 1 * H, b(2026, 3, 29, 4), id="gap-start-range"
    ),
    pytest.param(
        "berlin_sun_0230_0330", b(2026, 10, 24, 12), 2 * H, b(2026, 10, 25, 3, 30), id="repeat-2h"
    ),
    pytest.param(
        "berlin_sun_0000_0230", b(2026, 10, 25, 1), 90 * M, b(2026, 10, 25, 2, 30), id="first-0230"
    ),
    # The second 02:00-02:30 of the fall-back night is after the range has closed.
    pytest.param(
        "berlin_sun_0000_0230", b(2026, 10, 25, 1), 91 * M, b(2026, 11, 1, 0, 1), id="not-second"
    ),
    pytest.param(
        "berlin_sun_gap_only", b(2026, 3, 28, 12), 30 * M, b(2026, 3, 30, 9, 30), id="empty-in-gap"
    ),
    pytest.param(
        "berlin_sun_gap_only", b(2026, 3, 21, 12), 30 * M, b(2026, 3, 22, 2, 30), id="normal-sunday"
    ),
    pytest.param(
        "new_york_sun_1_3", ny(2026, 3, 7, 12), 1 * H, ny(2026, 3, 8, 3), id="ny-spring-1h"
    ),
    pytest.param(
        "new_york_sun_1_3", ny(2026, 10, 31, 12), 3 * H, ny(2026, 11, 1, 3), id="ny-fall-3h"
    ),
    pytest.param(
        "new_york_sun_1_3",
        ny(2026, 10, 31, 12),
        1 * H,
        ny(2026, 11, 1, 1, fold=1),
        id="ny-fall-second-1am",
    ),
    # Night shift spanning the DST change (Saturday night into Sunday).
    pytest.param(
        "berlin_weekend_night", b(2026, 3, 28, 22), 7 * H, b(2026, 3, 29, 6), id="night-spring-7h"
    ),
    pytest.param(
        "berlin_weekend_night", b(2026, 3, 28, 23), 3 * H, b(2026, 3, 29, 3), id="night-spring-jump"
    ),
    pytest.param(
        "berlin_weekend_night",
        b(2026, 3, 28, 22),
        7 * H + M,
        b(2026, 4, 3, 22, 1),
        id="night-spring-overflow",
    ),
    pytest.param(
        "berlin_weekend_night", b(2026, 10, 24, 22), 9 * H, b(2026, 10, 25, 6), id="night-fall-9h"
    ),
    pytest.param(
        "berlin_weekend_night", b(2026, 10, 24, 23), 3 * H, b(2026, 10, 25, 2), id="night-fall-2am"
    ),
    pytest.param(
        "berlin_weekend_night",
        b(2026, 10, 24, 23),
        4 * H,
        b(2026, 10, 25, 2, fold=1),
        id="night-fall-2am-again",
    ),
    pytest.param(
        "berlin_weekend_night",
        b(2026, 10, 23, 22),
        8 * H + 9 * H,
        b(2026, 10, 25, 6),
        id="night-fall-two-nights",
    ),
    pytest.param(
        "new_york_weekend_night",
        ny(2026, 3, 7, 22),
        7 * H,
        ny(2026, 3, 8, 6),
        id="ny-night-spring-7h",
    ),
    pytest.param(
        "new_york_weekend_night",
        ny(2026, 3, 7, 23),
        3 * H,
        ny(2026, 3, 8, 3),
        id="ny-night-spring-jump",
    ),
    pytest.param(
        "new_york_weekend_night",
        ny(2026, 10, 31, 22),
        9 * H,
        ny(2026, 11, 1, 6),
        id="ny-night-fall-9h",
    ),
    pytest.param(
        "new_york_weekend_night",
        ny(2026, 10, 31, 22),
        4 * H,
        ny(2026, 11, 1, 1, fold=1),
        id="ny-night-fall-1am-again",
    ),
    # A closed date that falls on a DST change day.
    pytest.param(
        "berlin_sunday_holiday", b(2026, 3, 28, 12), 1 * H, b(2026, 3, 30, 10), id="dst-day-closed"
    ),
    pytest.param(
        "berlin_sunday_open", b(2026, 3, 28, 12), 1 * H, b(2026, 3, 29, 9), id="dst-day-open"
    ),
    pytest.param(
        "berlin_24x7_spring_closed",
        b(2026, 3, 28, 23, 30),
        1 * H,
        b(2026, 3, 30, 0, 30),
        id="24x7-dst-day-closed",
    ),
    pytest.param(
        "berlin_24x7_autumn_closed",
        b(2026, 10, 24, 23),
        2 * H,
        b(2026, 10, 26, 1),
        id="24x7-fall-day-closed",
    ),
    # 24x7 counts real time, also across DST.
    pytest.param("utc_24x7", z(2026, 6, 20, 10), 50 * H, z(2026, 6, 22, 12), id="24x7-utc"),
    pytest.param("berlin_24x7", b(2026, 3, 28, 12), 24 * H, b(2026, 3, 29, 13), id="24x7-spring"),
    pytest.param("berlin_24x7", b(2026, 10, 24, 12), 24 * H, b(2026, 10, 25, 11), id="24x7-fall"),
    pytest.param(
        "berlin_24x7", b(2026, 10, 25, 1, 30), 1 * H, b(2026, 10, 25, 2, 30), id="24x7-fall-first"
    ),
    pytest.param(
        "berlin_24x7",
        b(2026, 10, 25, 1, 30),
        2 * H,
        b(2026, 10, 25, 2, 30, fold=1),
        id="24x7-fall-second",
    ),
    pytest.param("new_york_24x7", ny(2026, 3, 7, 12), 24 * H, ny(2026, 3, 8, 13), id="24x7-ny"),
    pytest.param(
        "berlin_24x7_holidays", b(2026, 12, 24, 12), 24 * H, b(2026, 12, 27, 12), id="24x7-xmas"
    ),
    # Long durations.
    pytest.param("utc_9_17", z(2026, 1, 5, 9), 2000 * H, z(2026, 12, 18, 17), id="2000h-50-weeks"),
    pytest.param(
        "utc_9_17", z(2026, 1, 5, 9), 2000 * H + M, z(2026, 12, 21, 9, 1), id="2000h-plus-1"
    ),
    pytest.param(
        "berlin_9_17", b(2026, 1, 5, 9), 2000 * H, b(2026, 12, 18, 17), id="2000h-berlin-dst"
    ),
    pytest.param(
        "utc_9_17", z(2026, 1, 5, 9), 20_000 * H, z(2035, 8, 3, 17), id="20000h-500-weeks"
    ),
    pytest.param("utc_9_17", z(2026, 1, 5, 9), 240 * H, z(2026, 2, 13, 17), id="240h-6-weeks"),
    pytest.param(
        "berlin_holidays_only",
        b(2026, 1, 1, 0),
        2032 * H,
        b(2026, 12, 31, 17),
        id="berlin-year-2032h",
    ),
]


@pytest.mark.parametrize(("name", "start", "duration", "expected"), ADD_CASES)
def test_add(name: str, start: datetime, duration: timedelta, expected: datetime) -> None:
    got = calendar(name).add(start, duration)
    assert utc(got) == utc(expected)
    assert got.tzinfo == start.tzinfo


@pytest.mark.parametrize(("name", "start", "duration", "expected"), ADD_CASES)
def test_elapsed_inverts_add(
    name: str, start: datetime, duration: timedelta, expected: datetime
) -> None:
    assert calendar(name).elapsed(start, expected) == duration


def _on_minute_grid(*values: datetime | timedelta) -> bool:
    return all((v - EPOCH if isinstance(v, datetime) else v) % M == timedelta(0) for v in values)


# The oracle walks whole minutes and is kept to walks of up to about a year.
ORACLE_ADD_CASES = [
    case
    for case in ADD_CASES
    if _on_minute_grid(case.values[1], case.values[2]) and case.values[2] < 3000 * H
]


@pytest.mark.parametrize(("name", "start", "duration", "expected"), ORACLE_ADD_CASES)
def test_oracle_agrees_with_hand_computed_add(
    name: str, start: datetime, duration: timedelta, expected: datetime
) -> None:
    """Checks the reference model used by the property tests against the hand-written table."""
    got = Oracle(CALENDARS[name]).add(utc(start), duration // M)
    assert utc(got) == utc(expected)


# ---------------------------------------------------------------------------------------------
# zero durations, exact closing times and returned time zones
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "start"),
    [
        ("berlin_split", b(2026, 6, 15, 10)),  # open
        ("berlin_split", b(2026, 6, 15, 12, 30)),  # lunch
        ("berlin_split", b(2026, 6, 15, 17)),  # exactly at closing
        ("berlin_split", b(2026, 6, 20, 10)),  # Saturday
        ("berlin_office", b(2026, 12, 25, 10)),  # public holiday
        ("berlin_sundays", b(2026, 3, 29, 3)),  # right after the spring jump
        ("berlin_sundays", b(2026, 10, 25, 2, 30, fold=1)),  # second 02:30 of the fall-back day
        ("utc_24x7", z(2026, 6, 20, 10, 11, 12, 13)),
    ],
)
def test_zero_duration_returns_start_unchanged(name: str, start: datetime) -> None:
    got = calendar(name).add(start, timedelta(0))
    assert utc(got) == utc(start)
    assert got.tzinfo == start.tzinfo
    assert got.fold == start.fold


def test_deadline_on_closing_time_stays_at_closing_time() -> None:
    cal = calendar("utc_9_17")
    got = cal.add(z(2026, 6, 15, 16), 1 * H)
    assert got == z(2026, 6, 15, 17)
    assert got != z(2026, 6, 16, 9)
    # One microsecond more rolls over to the next opening.
    assert cal.add(z(2026, 6, 15, 16), 1 * H + US) == z(2026, 6, 16, 9, 0, 0, 1)


@pytest.mark.parametrize(
    "start_zone",
    [UTC, BERLIN, NEW_YORK, TOKYO, timezone(timedelta(hours=5, minutes=30))],
    ids=["utc", "berlin", "new-york", "tokyo", "fixed-offset"],
)
def test_result_is_in_the_start_time_zone(start_zone: Any) -> None:
    cal = calendar("berlin_9_17")
    start = b(2026, 6, 15, 16).astimezone(start_zone)  # Monday 16:00 in Berlin
    got = cal.add(start, 2 * H)
    assert got.tzinfo == start_zone
    assert utc(got) == utc(b(2026, 6, 16, 10))
    # The local fields are the proper wall time in the start's zone.
    assert got == b(2026, 6, 16, 10).astimezone(start_zone)


def test_result_in_start_zone_across_its_own_fall_back() -> None:
    """The result carries the right ``fold`` in the start's zone."""
    cal = calendar("utc_24x7")
    start = ny(2026, 11, 1, 0, 30)  # EDT, 04:30 UTC
    got = cal.add(start, 2 * H)  # 06:30 UTC = 01:30 EST, the second 01:30 in New York
    assert got.tzinfo == NEW_YORK
    assert utc(got) == z(2026, 11, 1, 6, 30)
    assert (got.hour, got.minute, got.fold) == (1, 30, 1)


# ---------------------------------------------------------------------------------------------
# elapsed
# ---------------------------------------------------------------------------------------------

ELAPSED_CASES = [
    pytest.param("utc_9_17", z(2026, 6, 19, 16), z(2026, 6, 22, 10), 2 * H, id="over-weekend"),
    pytest.param("utc_9_17", z(2026, 6, 20, 0), z(2026, 6, 21, 23), timedelta(0), id="weekend"),
    pytest.param("utc_9_17", z(2026, 6, 15, 9), z(2026, 6, 15, 9), timedelta(0), id="empty"),
    pytest.param("utc_9_17", z(2026, 6, 15, 8), z(2026, 6, 15, 18), 8 * H, id="whole-day"),
    pytest.param("utc_9_17", z(2026, 6, 15, 17), z(2026, 6, 16, 9), timedelta(0), id="night"),
    pytest.param("utc_9_17", z(2026, 1, 5, 9), z(2027, 1, 4, 9), 2080 * H, id="52-weeks"),
    pytest.param(
        "utc_9_17", z(2026, 6, 15, 16, 59, 59), z(2026, 6, 16, 9, 0, 1), 2 * timedelta(seconds=1)
    ),
    pytest.param("berlin_split", b(2026, 6, 15, 11), b(2026, 6, 15, 14), 2 * H, id="lunch"),
    pytest.param("berlin_split", b(2026, 6, 15, 0), b(2026, 6, 22, 0), 35 * H, id="split-week"),
    pytest.param("utc_night", z(2026, 6, 15, 20), z(2026, 6, 16, 8), 8 * H, id="night-shift"),
    pytest.param("utc_night", z(2026, 6, 15, 0), z(2026, 6, 22, 0), 40 * H, id="night-week"),
    pytest.param(
        "berlin_office", b(2026, 12, 23, 9), b(2027, 1, 4, 9), 35 * H, id="christmas-new-year"
    ),
    pytest.param("berlin_office", b(2026, 5, 1, 0), b(2026, 5, 2, 0), 4 * H, id="labour-day"),
    pytest.param("berlin_office", b(2026, 12, 25, 0), b(2026, 12, 26, 0), 0 * H, id="christmas"),
    pytest.param(
        "berlin_holidays_only", b(2024, 3, 8, 0), b(2024, 3, 9, 0), 0 * H, id="womens-day"
    ),
    pytest.param("germany_office", b(2024, 3, 8, 0), b(2024, 3, 9, 0), 8 * H, id="not-in-de"),
    pytest.param(
        "berlin_holidays_only", b(2026, 1, 1), b(2027, 1, 1), 2032 * H, id="berlin-year-2026"
    ),
    pytest.param("us_office", ny(2026, 11, 23), ny(2026, 11, 30), 32 * H, id="thanksgiving-week"),
    pytest.param("berlin_9_17", b(2026, 3, 27, 9), b(2026, 3, 30, 17), 16 * H, id="spring-weekend"),
    pytest.param("berlin_sundays", b(2026, 3, 29), b(2026, 3, 30), 23 * H, id="23h-sunday"),
    pytest.param("berlin_sundays", b(2026, 10, 25), b(2026, 10, 26), 25 * H, id="25h-sunday"),
    pytest.param("berlin_24x7", b(2026, 3, 29), b(2026, 3, 30), 23 * H, id="24x7-23h"),
    pytest.param("berlin_24x7", b(2026, 10, 25), b(2026, 10, 26), 25 * H, id="24x7-25h"),
    pytest.param("new_york_24x7", ny(2026, 3, 8), ny(2026, 3, 9), 23 * H, id="24x7-ny-23h"),
    pytest.param("new_york_24x7", ny(2026, 11, 1), ny(2026, 11, 2), 25 * H, id="24x7-ny-25h"),
    pytest.param("utc_24x7", z(2026, 1, 1), z(2027, 1, 1), 365 * 24 * H, id="24x7-year"),
    pytest.param("berlin_24x7", b(2026, 1, 1), b(2027, 1, 1), 365 * 24 * H, id="24x7-berlin-year"),
    pytest.param(
        "berlin_24x7_holidays", b(2026, 12, 24), b(2026, 12, 28), 48 * H, id="24x7-holidays"
    ),
    pytest.param("berlin_sun_1_4", b(2026, 3, 29), b(2026, 3, 30), 2 * H, id="1-4-spring"),
    pytest.param("berlin_sun_1_4", b(2026, 10, 25), b(2026, 10, 26), 4 * H, id="1-4-fall"),
    pytest.param("berlin_sun_1_4", b(2026, 6, 14), b(2026, 6, 15), 3 * H, id="1-4-summer"),
    pytest.param("berlin_sun_0230_0500", b(2026, 3, 29), b(2026, 3, 30), 2 * H, id="gap-start"),
    pytest.param("berlin_sun_0230_0330", b(2026, 10, 25), b(2026, 10, 26), 2 * H, id="repeat"),
    pytest.param("berlin_sun_0000_0230", b(2026, 10, 25), b(2026, 10, 26), 150 * M, id="to-0230"),
    pytest.param("berlin_sun_gap_only", b(2026, 3, 29), b(2026, 3, 30), 0 * H, id="gap-only"),
    pytest.param("berlin_sun_gap_only", b(2026, 10, 25), b(2026, 10, 26), 30 * M, id="gap-fall"),
    pytest.param("new_york_sun_1_3", ny(2026, 3, 8), ny(2026, 3, 9), 1 * H, id="ny-1-3-spring"),
    pytest.param("new_york_sun_1_3", ny(2026, 11, 1), ny(2026, 11, 2), 3 * H, id="ny-1-3-fall"),
    pytest.param(
        "berlin_weekend_night", b(2026, 3, 28, 12), b(2026, 3, 29, 12), 7 * H, id="night-spring"
    ),
    pytest.param(
        "berlin_weekend_night", b(2026, 10, 24, 12), b(2026, 10, 25, 12), 9 * H, id="night-fall"
    ),
    pytest.param(
        "new_york_weekend_night", ny(2026, 3, 7, 12), ny(2026, 3, 8, 12), 7 * H, id="ny-night-spr"
    ),
    pytest.param(
        "new_york_weekend_night",
        ny(2026, 10, 31, 12),
        ny(2026, 11, 1, 12),
        9 * H,
        id="ny-night-fall",
    ),
    pytest.param(
        "berlin_sunday_holiday", b(2026, 3, 28), b(2026, 3, 30, 12), 3 * H, id="dst-holiday"
    ),
    pytest.param(
        "berlin_sunday_open", b(2026, 3, 28), b(2026, 3, 30, 12), 7 * H, id="dst-no-holiday"
    ),
    pytest.param(
        "berlin_24x7_spring_closed",
        b(2026, 3, 28, 12),
        b(2026, 3, 30, 12),
        24 * H,
        id="24x7-spring-closed",
    ),
    pytest.param(
        "berlin_24x7_autumn_closed",
        b(2026, 10, 24),
        b(2026, 10, 27),
        48 * H,
        id="24x7-autumn-closed",
    ),
]


@pytest.mark.parametrize(("name", "start", "end", "expected"), ELAPSED_CASES)
def test_elapsed(name: str, start: datetime, end: datetime, expected: timedelta) -> None:
    cal = calendar(name)
    assert cal.elapsed(start, end) == expected
    assert cal.elapsed(end, start) == -expected


ORACLE_ELAPSED_CASES = [
    case for case in ELAPSED_CASES if _on_minute_grid(case.values[1], case.values[2])
]


@pytest.mark.parametrize(("name", "start", "end", "expected"), ORACLE_ELAPSED_CASES)
def test_oracle_agrees_with_hand_computed_elapsed(
    name: str, start: datetime, end: datetime, expected: timedelta
) -> None:
    assert Oracle(CALENDARS[name]).elapsed_minutes(utc(start), utc(end)) * M == expected


def test_elapsed_backwards_past_the_years_already_computed() -> None:
    # A fresh calendar computes the years around its first query; a later query whose
    # end lies years before its start must still count every open hour between them.
    cal = BusinessCalendar.from_config(CALENDARS["utc_9_17"])
    assert cal.elapsed(z(2026, 11, 23, 12), z(2026, 11, 23, 13)) == H
    start, end = z(2026, 11, 23, 12), z(2020, 1, 6, 12)  # both Mondays: 359 whole weeks
    expected = 359 * 40 * H
    assert cal.elapsed(start, end) == -expected
    assert cal.elapsed(end, start) == expected


def test_elapsed_accepts_mixed_time_zones() -> None:
    cal = calendar("utc_9_17")
    start = z(2026, 6, 15, 9).astimezone(TOKYO)
    end = z(2026, 6, 15, 13).astimezone(NEW_YORK)
    assert cal.elapsed(start, end) == 4 * H


# ---------------------------------------------------------------------------------------------
# is_open and next_open
# ---------------------------------------------------------------------------------------------

IS_OPEN_CASES = [
    pytest.param("berlin_split", b(2026, 6, 15, 9), True, id="opening"),
    pytest.param("berlin_split", b(2026, 6, 15, 8, 59, 59, 999_999), False, id="before-opening"),
    pytest.param("berlin_split", b(2026, 6, 15, 11, 59, 59, 999_999), True, id="before-lunch"),
    pytest.param("berlin_split", b(2026, 6, 15, 12), False, id="lunch-starts"),
    pytest.param("berlin_split", b(2026, 6, 15, 13), True, id="lunch-ends"),
    pytest.param("berlin_split", b(2026, 6, 15, 17), False, id="closing"),
    pytest.param("berlin_split", b(2026, 6, 20, 10), False, id="saturday"),
    pytest.param("berlin_split", z(2026, 6, 15, 7, 30), True, id="utc-input"),  # 09:30 CEST
    pytest.param("utc_night", z(2026, 6, 15, 21, 59), False, id="night-before"),
    pytest.param("utc_night", z(2026, 6, 15, 22), True, id="night-starts"),
    pytest.param("utc_night", z(2026, 6, 16, 0), True, id="night-midnight"),
    pytest.param("utc_night", z(2026, 6, 16, 5, 59), True, id="night-last-minute"),
    pytest.param("utc_night", z(2026, 6, 16, 6), False, id="night-ends"),
    pytest.param("utc_night", z(2026, 6, 15, 3), False, id="monday-early"),
    pytest.param("utc_night", z(2026, 6, 20, 3), True, id="saturday-early"),
    pytest.param("berlin_office", b(2026, 12, 24, 10), False, id="closed-date"),
    pytest.param("berlin_office", b(2026, 12, 25, 10), False, id="christmas"),
    pytest.param("berlin_office", b(2026, 12, 31, 11), True, id="special-open"),
    pytest.param("berlin_office", b(2026, 12, 31, 13), False, id="special-closed"),
    pytest.param("berlin_office", b(2026, 5, 1, 12), True, id="labour-day-special"),
    pytest.param("berlin_office", b(2026, 5, 1, 9, 30), False, id="labour-day-before-special"),
    pytest.param("berlin_holidays_only", b(2024, 3, 8, 10), False, id="womens-day-be"),
    pytest.param("germany_office", b(2024, 3, 8, 10), True, id="womens-day-de"),
    pytest.param("us_office", ny(2026, 11, 26, 10), False, id="thanksgiving"),
    pytest.param("us_office", ny(2026, 11, 27, 10), True, id="black-friday"),
    pytest.param("berlin_sun_0230_0500", z(2026, 3, 29, 0, 59), False, id="before-jump"),
    pytest.param("berlin_sun_0230_0500", z(2026, 3, 29, 1), True, id="at-jump"),
    pytest.param("berlin_sun_0000_0230", b(2026, 10, 25, 2, 15), True, id="first-0215"),
    pytest.param("berlin_sun_0000_0230", b(2026, 10, 25, 2, 15, fold=1), False, id="second-0215"),
    pytest.param("berlin_sun_0230_0330", b(2026, 10, 25, 2, 45, fold=1), True, id="repeat-open"),
    pytest.param("berlin_sun_0230_0330", z(2026, 10, 25, 0, 20), False, id="repeat-before"),
    pytest.param("berlin_sun_gap_only", z(2026, 3, 29, 1), False, id="gap-range-empty"),
    pytest.param("berlin_sunday_holiday", b(2026, 3, 29, 10), False, id="dst-holiday"),
    pytest.param("berlin_sunday_open", b(2026, 3, 29, 10), True, id="dst-no-holiday"),
    # The closed date is the local date: 23:00 UTC on Saturday is already Sunday in Berlin, and
    # 22:00 UTC on Sunday is already Monday (CEST).
    pytest.param("berlin_24x7_spring_closed", z(2026, 3, 28, 22, 30), True, id="sat-2330-cet"),
    pytest.param("berlin_24x7_spring_closed", z(2026, 3, 28, 23, 30), False, id="sun-0030-cet"),
    pytest.param("berlin_24x7_spring_closed", z(2026, 3, 29, 21, 30), False, id="sun-2330-cest"),
    pytest.param("berlin_24x7_spring_closed", z(2026, 3, 29, 22, 30), True, id="mon-0030-cest"),
    pytest.param("berlin_24x7_holidays", b(2026, 12, 25, 12), False, id="24x7-christmas"),
    pytest.param("berlin_24x7_holidays", b(2026, 12, 27, 12), True, id="24x7-sunday"),
    pytest.param("utc_24x7", z(2026, 12, 25, 12), True, id="24x7"),
]


@pytest.mark.parametrize(("name", "t", "expected"), IS_OPEN_CASES)
def test_is_open(name: str, t: datetime, expected: bool) -> None:
    assert calendar(name).is_open(t) is expected


@pytest.mark.parametrize(("name", "t", "expected"), IS_OPEN_CASES)
def test_oracle_agrees_with_hand_computed_is_open(name: str, t: datetime, expected: bool) -> None:
    assert Oracle(CALENDARS[name]).is_open(t) is expected


NEXT_OPEN_CASES = [
    pytest.param("berlin_split", b(2026, 6, 15, 10), b(2026, 6, 15, 10), id="open-itself"),
    pytest.param("berlin_split", b(2026, 6, 15, 12, 15), b(2026, 6, 15, 13), id="lunch"),
    pytest.param("berlin_split", b(2026, 6, 15, 17), b(2026, 6, 16, 9), id="closing"),
    pytest.param("berlin_split", b(2026, 6, 15, 8, 59, 59), b(2026, 6, 15, 9), id="early"),
    pytest.param("berlin_split", b(2026, 6, 19, 18), b(2026, 6, 22, 9), id="friday-evening"),
    pytest.param("utc_night", z(2026, 6, 16, 6), z(2026, 6, 16, 22), id="night"),
    pytest.param("utc_night", z(2026, 6, 20, 6), z(2026, 6, 22, 22), id="night-weekend"),
    pytest.param("berlin_office", b(2026, 12, 23, 17), b(2026, 12, 28, 9), id="christmas"),
    pytest.param("berlin_office", b(2026, 12, 31, 12), b(2027, 1, 4, 9), id="new-year"),
    pytest.param("berlin_office", b(2026, 5, 1, 9), b(2026, 5, 1, 10), id="special-hours"),
    pytest.param("berlin_sun_0230_0500", b(2026, 3, 29, 0), z(2026, 3, 29, 1), id="at-jump"),
    pytest.param("berlin_sun_gap_only", b(2026, 3, 29, 0), b(2026, 3, 30, 9), id="gap-empty"),
    pytest.param("berlin_sunday_holiday", b(2026, 3, 28), b(2026, 3, 30, 9), id="dst-holiday"),
    pytest.param(
        "berlin_24x7_spring_closed", z(2026, 3, 28, 23, 30), z(2026, 3, 29, 22), id="24x7-closed"
    ),
    pytest.param(
        "berlin_24x7", b(2026, 10, 25, 2, 30, fold=1), z(2026, 10, 25, 1, 30), id="24x7-itself"
    ),
]


@pytest.mark.parametrize(("name", "t", "expected"), NEXT_OPEN_CASES)
def test_next_open(name: str, t: datetime, expected: datetime) -> None:
    got = calendar(name).next_open(t)
    assert got.tzinfo is not None
    assert utc(got) == utc(expected)


@pytest.mark.parametrize(("name", "t", "expected"), NEXT_OPEN_CASES)
def test_oracle_agrees_with_hand_computed_next_open(
    name: str, t: datetime, expected: datetime
) -> None:
    assert utc(Oracle(CALENDARS[name]).next_open(t)) == utc(expected)


# ---------------------------------------------------------------------------------------------
# errors on use
# ---------------------------------------------------------------------------------------------

NAIVE = datetime(2026, 6, 15, 10)  # noqa: DTZ001 - deliberately naive
AWARE = z(2026, 6, 15, 10)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda cal: cal.add(NAIVE, H), id="add"),
        pytest.param(lambda cal: cal.add(NAIVE, timedelta(0)), id="add-zero"),
        pytest.param(lambda cal: cal.elapsed(NAIVE, AWARE), id="elapsed-start"),
        pytest.param(lambda cal: cal.elapsed(AWARE, NAIVE), id="elapsed-end"),
        pytest.param(lambda cal: cal.is_open(NAIVE), id="is-open"),
        pytest.param(lambda cal: cal.next_open(NAIVE), id="next-open"),
    ],
)
@pytest.mark.parametrize("name", ["utc_9_17", "berlin_24x7"])
def test_naive_datetimes_are_rejected(name: str, call: Any) -> None:
    with pytest.raises(ValueError):
        call(calendar(name))


@pytest.mark.parametrize("duration", [-US, -H, timedelta(days=-30)])
@pytest.mark.parametrize("name", ["utc_9_17", "berlin_24x7"])
def test_negative_duration_is_rejected(name: str, duration: timedelta) -> None:
    with pytest.raises(ValueError):
        calendar(name).add(AWARE, duration)


# ---------------------------------------------------------------------------------------------
# batch forms
# ---------------------------------------------------------------------------------------------

BATCH_STARTS = [
    z(2026, 6, 15, 8),
    z(2026, 6, 15, 16, 30),
    z(2026, 6, 19, 16),
    z(2026, 6, 20, 12),
    z(2026, 6, 15, 10),
    z(2026, 6, 15, 16),
]
BATCH_DURATIONS = [1 * H, 1 * H, 2 * H, 30 * M, timedelta(0), 1 * H]
BATCH_EXPECTED = [
    z(2026, 6, 15, 10),
    z(2026, 6, 16, 9, 30),
    z(2026, 6, 22, 10),
    z(2026, 6, 22, 9, 30),
    z(2026, 6, 15, 10),
    z(2026, 6, 15, 17),  # exactly at closing
]


def _us(values: list[datetime]) -> list[int]:
    return [to_epoch_us(v) for v in values]


def test_add_many_datetime64() -> None:
    starts = np.array(_us(BATCH_STARTS), dtype=np.int64).astype("datetime64[us]")
    durations = np.array([d // US for d in BATCH_DURATIONS], dtype=np.int64).astype(
        "timedelta64[us]"
    )
    got = calendar("utc_9_17").add_many(starts, durations)
    assert got.dtype == np.dtype("datetime64[us]")
    assert got.shape == starts.shape
    assert got.astype(np.int64).tolist() == _us(BATCH_EXPECTED)


def test_add_many_datetime64_other_units() -> None:
    starts = (np.array(_us(BATCH_STARTS), dtype=np.int64) // 1_000_000).astype("datetime64[s]")
    durations = np.array([d // M for d in BATCH_DURATIONS], dtype=np.int64).astype("timedelta64[m]")
    got = calendar("utc_9_17").add_many(starts, durations)
    assert got.dtype == np.dtype("datetime64[us]")
    assert got.astype(np.int64).tolist() == _us(BATCH_EXPECTED)


def test_add_many_integer_seconds() -> None:
    starts = np.array([u // 1_000_000 for u in _us(BATCH_STARTS)], dtype=np.int64)
    durations = np.array([d // timedelta(seconds=1) for d in BATCH_DURATIONS], dtype=np.int64)
    got = calendar("utc_9_17").add_many(starts, durations)
    assert got.dtype == np.dtype(np.int64)
    assert got.tolist() == [u // 1_000_000 for u in _us(BATCH_EXPECTED)]


def test_add_many_float_seconds() -> None:
    starts = np.array([u / 1e6 for u in _us(BATCH_STARTS)], dtype=np.float64) + 0.25
    durations = np.array([d / timedelta(seconds=1) for d in BATCH_DURATIONS], dtype=np.float64)
    got = calendar("utc_9_17").add_many(starts, durations)
    assert got.dtype == np.dtype(np.float64)
    # Every start moves by 0.25 s: the ones that were open keep the quarter second, the ones that
    # were closed still start at the next opening (the zero-duration one stays where it is).
    expected = [
        z(2026, 6, 15, 10),
        z(2026, 6, 16, 9, 30, 0, 250_000),
        z(2026, 6, 22, 10, 0, 0, 250_000),
        z(2026, 6, 22, 9, 30),
        z(2026, 6, 15, 10, 0, 0, 250_000),
        z(2026, 6, 16, 9, 0, 0, 250_000),
    ]
    np.testing.assert_allclose(got, [u / 1e6 for u in _us(expected)], rtol=0, atol=1e-6)


def test_elapsed_many_datetime64() -> None:
    starts = np.array(_us(BATCH_STARTS), dtype=np.int64).astype("datetime64[us]")
    ends = np.array(_us(BATCH_EXPECTED), dtype=np.int64).astype("datetime64[us]")
    got = calendar("utc_9_17").elapsed_many(starts, ends)
    assert got.dtype == np.dtype("timedelta64[us]")
    assert got.astype(np.int64).tolist() == [d // US for d in BATCH_DURATIONS]
    back = calendar("utc_9_17").elapsed_many(ends, starts)
    assert back.astype(np.int64).tolist() == [-(d // US) for d in BATCH_DURATIONS]


def test_elapsed_many_integer_seconds() -> None:
    starts = np.array([u // 1_000_000 for u in _us(BATCH_STARTS)], dtype=np.int64)
    ends = np.array([u // 1_000_000 for u in _us(BATCH_EXPECTED)], dtype=np.int64)
    got = calendar("utc_9_17").elapsed_many(starts, ends)
    assert got.dtype.kind == "i"
    assert got.tolist() == [d // timedelta(seconds=1) for d in BATCH_DURATIONS]


def test_elapsed_many_float_seconds() -> None:
    starts = np.array([u / 1e6 for u in _us(BATCH_STARTS)], dtype=np.float64)
    ends = np.array([u / 1e6 for u in _us(BATCH_EXPECTED)], dtype=np.float64)
    got = calendar("utc_9_17").elapsed_many(starts, ends)
    assert got.dtype == np.dtype(np.float64)
    expected = [d / timedelta(seconds=1) for d in BATCH_DURATIONS]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_batch_forms_over_dst_in_a_local_calendar() -> None:
    cal = calendar("berlin_weekend_night")
    starts = [b(2026, 3, 28, 22), b(2026, 10, 24, 23), b(2026, 10, 24, 23)]
    durations = [7 * H, 3 * H, 4 * H]
    expected = [b(2026, 3, 29, 6), b(2026, 10, 25, 2), b(2026, 10, 25, 2, fold=1)]
    got = cal.add_many(
        np.array(_us(starts), dtype=np.int64).astype("datetime64[us]"),
        np.array([d // US for d in durations], dtype=np.int64).astype("timedelta64[us]"),
    )
    assert got.astype(np.int64).tolist() == _us(expected)
