"""Calendar configuration: what is accepted, and errors that name the offending field."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from slaguard import BusinessCalendar
from slaguard.domain.errors import ConfigError

WEEKDAY_HOURS = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}

EXAMPLE_YAML = """
timezone: Europe/Berlin
hours:
  mon: ["09:00-12:00", "13:00-17:00"]
  tue: ["09:00-17:00"]
  wed: ["22:00-24:00"]
  thu: ["00:00-06:00"]
  sun: ["00:00-24:00"]
holidays:
  country: DE
  subdivision: BE
  dates: ["2026-12-24"]
special_hours:
  "2026-12-31": ["09:00-12:00"]
  "2026-12-30": []
"""


def base(**changes: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"timezone": "UTC", "hours": copy.deepcopy(WEEKDAY_HOURS)}
    config.update(changes)
    return config


def with_hours(day: str, ranges: list[str]) -> dict[str, Any]:
    config = base()
    config["hours"][day] = ranges
    return config


# ---------------------------------------------------------------------------------------------
# accepted configurations
# ---------------------------------------------------------------------------------------------


def test_example_yaml_is_accepted() -> None:
    cal = BusinessCalendar.from_config(yaml.safe_load(EXAMPLE_YAML))
    # Tuesday 2026-06-16 10:00 CEST is open; the Monday lunch break is not.
    assert cal.is_open(datetime(2026, 6, 16, 8, tzinfo=UTC))
    assert not cal.is_open(datetime(2026, 6, 15, 10, 30, tzinfo=UTC))


@pytest.mark.parametrize(
    "config",
    [
        pytest.param({"timezone": "UTC", "always_open": True}, id="24x7"),
        pytest.param(
            {"timezone": "America/New_York", "always_open": True, "holidays": {"country": "US"}},
            id="24x7-holidays",
        ),
        pytest.param(base(), id="weekdays"),
        pytest.param(base(hours={"sat": ["00:00-24:00"]}), id="one-day"),
        pytest.param(base(hours={"mon": ["09:00-12:00", "12:00-13:00"]}), id="touching-ranges"),
        pytest.param(base(hours={"mon": ["13:00-17:00", "09:00-12:00"]}), id="unsorted-ranges"),
        pytest.param(base(hours={"mon": ["22:00-24:00"], "tue": ["00:00-06:00"]}), id="overnight"),
        pytest.param(base(holidays={"country": "DE"}), id="country"),
        pytest.param(base(holidays={"country": "DE", "subdivision": "BY"}), id="subdivision"),
        pytest.param(base(holidays={"dates": ["2026-12-24", "2026-12-31"]}), id="dates-only"),
        pytest.param(base(special_hours={"2026-12-24": []}), id="special-closed"),
        pytest.param(base(timezone="Australia/Lord_Howe"), id="half-hour-dst"),
        pytest.param(base(timezone="Asia/Kolkata"), id="half-hour-offset"),
    ],
)
def test_valid_configs_are_accepted(config: dict[str, Any]) -> None:
    cal = BusinessCalendar.from_config(config)
    start = datetime(2026, 6, 15, 12, tzinfo=UTC)
    assert cal.elapsed(start, cal.add(start, timedelta(hours=1))) == timedelta(hours=1)


def test_from_config_does_not_modify_its_input() -> None:
    config = yaml.safe_load(EXAMPLE_YAML)
    before = copy.deepcopy(config)
    BusinessCalendar.from_config(config)
    assert config == before


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------

ERROR_CASES = [
    # time zone
    pytest.param(base(timezone="Mars/Olympus_Mons"), "timezone", id="unknown-timezone"),
    pytest.param(base(timezone="CEST+2"), "timezone", id="garbage-timezone"),
    pytest.param(
        {"timezone": "Nowhere/Special", "always_open": True}, "timezone", id="unknown-tz-24x7"
    ),
    # bad ranges
    pytest.param(with_hours("mon", ["17:00-09:00"]), "hours.mon[0]", id="reversed-range"),
    pytest.param(with_hours("mon", ["9-5"]), "hours.mon[0]", id="no-minutes"),
    pytest.param(with_hours("mon", ["25:00-26:00"]), "hours.mon[0]", id="hour-25"),
    pytest.param(with_hours("mon", ["09:00"]), "hours.mon[0]", id="no-end"),
    pytest.param(with_hours("mon", ["nonsense"]), "hours.mon[0]", id="nonsense"),
    pytest.param(with_hours("tue", ["09:00-12:00", "14:00-13:00"]), "hours.tue[1]", id="second"),
    pytest.param(with_hours("sun", ["22:00-06:00"]), "hours.sun[0]", id="crosses-midnight"),
    # overlapping ranges on one day
    pytest.param(with_hours("mon", ["09:00-12:00", "11:00-13:00"]), "hours.mon", id="overlap"),
    pytest.param(with_hours("wed", ["11:00-13:00", "09:00-12:00"]), "hours.wed", id="overlap-rev"),
    pytest.param(with_hours("fri", ["09:00-17:00", "10:00-11:00"]), "hours.fri", id="contained"),
    pytest.param(with_hours("thu", ["09:00-17:00", "09:00-17:00"]), "hours.thu", id="duplicate"),
    # unknown weekday keys
    pytest.param(with_hours("monday", ["09:00-17:00"]), "hours.monday", id="monday"),
    pytest.param(with_hours("xyz", ["09:00-17:00"]), "hours.xyz", id="xyz"),
    # holidays
    pytest.param(base(holidays={"country": "XX"}), "holidays.country", id="unknown-country"),
    pytest.param(base(holidays={"country": "Germany"}), "holidays.country", id="country-name"),
    pytest.param(
        base(holidays={"country": "DE", "subdivision": "ZZ"}),
        "holidays.subdivision",
        id="unknown-subdivision",
    ),
    pytest.param(base(holidays={"dates": ["2026-02-30"]}), "holidays.dates[0]", id="no-such-date"),
    pytest.param(base(holidays={"dates": ["not-a-date"]}), "holidays.dates[0]", id="not-a-date"),
    pytest.param(
        base(holidays={"country": "DE", "dates": ["2026-12-24", "31.12.2026"]}),
        "holidays.dates[1]",
        id="second-date",
    ),
    # special hours
    pytest.param(
        base(special_hours={"2026-12-31": ["12:00-09:00"]}), "special_hours", id="special-range"
    ),
    pytest.param(base(special_hours={"31/12/2026": []}), "special_hours", id="special-date"),
    # unknown top-level keys
    pytest.param(base(opening_hours={"mon": ["09:00-17:00"]}), "opening_hours", id="unknown-key"),
    pytest.param(base(timezon="UTC"), "timezon", id="misspelt-key"),
]


@pytest.mark.parametrize(("config", "path"), ERROR_CASES)
def test_config_error_names_the_field(config: dict[str, Any], path: str) -> None:
    with pytest.raises(ConfigError) as caught:
        BusinessCalendar.from_config(config)
    assert path in str(caught.value)


@pytest.mark.parametrize(
    "config",
    [
        pytest.param({"timezone": "UTC"}, id="no-hours"),
        pytest.param({"timezone": "UTC", "hours": {}}, id="empty-hours"),
        pytest.param({"timezone": "UTC", "hours": {"mon": [], "sun": []}}, id="all-days-empty"),
        pytest.param({"timezone": "UTC", "always_open": False}, id="always-open-false"),
        pytest.param(
            {"timezone": "Europe/Berlin", "holidays": {"country": "DE"}}, id="holidays-only"
        ),
    ],
)
def test_calendar_without_open_hours_is_an_error(config: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        BusinessCalendar.from_config(config)


def test_config_error_is_a_value_error() -> None:
    assert issubclass(ConfigError, ValueError)
    with pytest.raises(ValueError, match="timezone"):
        BusinessCalendar.from_config(base(timezone="Mars/Olympus_Mons"))
