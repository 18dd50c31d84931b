"""The calendar configuration mapping -> BusinessCalendar, with every error named by path.

    timezone: Europe/Berlin
    hours: {mon: ["09:00-12:00", "13:00-17:00"], tue: ["09:00-17:00"]}
    holidays: {country: DE, subdivision: BE, dates: ["2026-12-24"]}
    special_hours: {"2026-12-31": ["09:00-12:00"]}
    always_open: false

Written by hand rather than with pydantic because the domain stays free of it; the
whole-file configuration (slaguard.config) calls this for each calendar and prefixes
the paths with ``calendars.NAME``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from slaguard.domain.calendar import WEEKDAYS, OpenRange, parse_range, zone_named
from slaguard.domain.errors import ConfigError, ErrorDetail
from slaguard.domain.public_holidays import CountryHolidays

if TYPE_CHECKING:
    from slaguard.domain.calendar import BusinessCalendar

__all__ = ["parse_calendar_config", "parse_date"]

_KEYS = {"timezone", "hours", "holidays", "special_hours", "always_open", "description"}
_HOLIDAY_KEYS = {"country", "subdivision", "dates"}


def parse_date(value: object, path: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError([ErrorDetail(path, f"expected a date YYYY-MM-DD, got {value!r}")])


def _ranges(value: object, path: str, errors: list[ErrorDetail]) -> list[OpenRange]:
    if not isinstance(value, list | tuple):
        errors.append(ErrorDetail(path, f"expected a list of 'HH:MM-HH:MM' ranges, got {value!r}"))
        return []
    out: list[OpenRange] = []
    for i, text in enumerate(value):
        try:
            out.append(parse_range(text, f"{path}[{i}]"))
        except ConfigError as exc:
            errors.extend(exc.details)
    ordered = sorted(out)
    for (a1, b1), (a2, b2) in itertools.pairwise(ordered):
        if a2 < b1:
            errors.append(
                ErrorDetail(
                    path,
                    f"ranges overlap: {_fmt(a1, b1)} and {_fmt(a2, b2)}",
                )
            )
    return out


def _fmt(a: int, b: int) -> str:
    return f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}"


def parse_calendar_config(
    cls: type[BusinessCalendar], mapping: Mapping[str, Any], *, name: str = ""
) -> BusinessCalendar:
    if not isinstance(mapping, Mapping):
        raise ConfigError(f"expected a mapping, got {type(mapping).__name__}")
    errors: list[ErrorDetail] = [
        ErrorDetail(str(key), "unknown field") for key in mapping if key not in _KEYS
    ]

    tz_name = mapping.get("timezone")
    tz = None
    if tz_name is None:
        errors.append(ErrorDetail("timezone", "required (an IANA name such as Europe/Berlin)"))
    elif not isinstance(tz_name, str):
        errors.append(ErrorDetail("timezone", f"expected an IANA name, got {tz_name!r}"))
    else:
        try:
            tz = zone_named(tz_name)
        except ConfigError as exc:
            errors.extend(exc.details)

    always_open = mapping.get("always_open", False)
    if not isinstance(always_open, bool):
        errors.append(ErrorDetail("always_open", f"expected true or false, got {always_open!r}"))
        always_open = False

    weekly: dict[int, list[OpenRange]] = {}
    hours = mapping.get("hours")
    if hours is not None:
        if always_open:
            errors.append(ErrorDetail("hours", "not allowed with always_open: true"))
        elif not isinstance(hours, Mapping):
            errors.append(ErrorDetail("hours", "expected a mapping of weekday -> ranges"))
        else:
            for day, ranges in hours.items():
                key = str(day).lower()
                if key not in WEEKDAYS:
                    errors.append(
                        ErrorDetail(f"hours.{day}", f"unknown weekday (use {', '.join(WEEKDAYS)})")
                    )
                    continue
                weekly[WEEKDAYS.index(key)] = _ranges(ranges or [], f"hours.{day}", errors)

    closed: set[date] = set()
    source = None
    hol = mapping.get("holidays")
    if hol is not None:
        if not isinstance(hol, Mapping):
            errors.append(
                ErrorDetail("holidays", "expected a mapping (country, subdivision, dates)")
            )
        else:
            errors.extend(
                ErrorDetail(f"holidays.{k}", "unknown field") for k in hol if k not in _HOLIDAY_KEYS
            )
            country = hol.get("country")
            subdivision = hol.get("subdivision")
            if subdivision is not None and country is None:
                errors.append(ErrorDetail("holidays.subdivision", "needs holidays.country"))
            if country is not None:
                try:
                    source = CountryHolidays(
                        str(country), None if subdivision is None else str(subdivision)
                    )
                except ConfigError as exc:
                    errors.extend(exc.prefixed("holidays"))
            dates = hol.get("dates", [])
            if not isinstance(dates, list | tuple):
                errors.append(ErrorDetail("holidays.dates", "expected a list of dates"))
            else:
                for i, d in enumerate(dates):
                    try:
                        closed.add(parse_date(d, f"holidays.dates[{i}]"))
                    except ConfigError as exc:
                        errors.extend(exc.details)

    special: dict[date, list[OpenRange]] = {}
    sh = mapping.get("special_hours")
    if sh is not None:
        if not isinstance(sh, Mapping):
            errors.append(ErrorDetail("special_hours", "expected a mapping of date -> ranges"))
        else:
            for key, ranges in sh.items():
                path = f"special_hours.{key}"
                try:
                    d = parse_date(key, path)
                except ConfigError as exc:
                    errors.extend(exc.details)
                    continue
                if d in closed:
                    errors.append(ErrorDetail(path, "date is also listed in holidays.dates"))
                special[d] = _ranges(ranges or [], path, errors)

    if not errors and not always_open and not any(weekly.values()) and not any(special.values()):
        errors.append(ErrorDetail("hours", "the calendar is never open (no opening hours)"))
    if errors or tz is None:
        raise ConfigError(errors)
    return cls(
        timezone=tz,
        weekly=weekly,
        always_open=always_open,
        closed_dates=closed,
        holidays=source,
        special_hours=special,
        name=name,
    )
