"""Public holidays by country and subdivision, from the `holidays` package.

`holidays` is a pure, deterministic table of dates (no I/O, no clock), so the domain
may read it the way it reads numpy. Its tables change between releases; the service
therefore stores each calendar version's expanded dates, and a calendar built from
stored dates (`closed_dates`) never moves when the package is upgraded. The package is
imported on first use: a process that only judges stored versions never needs it.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from types import ModuleType

from slaguard.domain.errors import ConfigError

__all__ = ["CountryHolidays", "supported_countries"]


def _package() -> ModuleType:
    import holidays

    return holidays


@cache
def supported_countries() -> dict[str, tuple[str, ...]]:
    """Country code -> its subdivision codes."""
    return {c: tuple(s) for c, s in _package().list_supported_countries().items()}


class CountryHolidays:
    """A HolidaySource: the public holidays of one country (and subdivision) by year."""

    def __init__(self, country: str, subdivision: str | None = None) -> None:
        countries = supported_countries()
        if country not in countries:
            raise ConfigError(f"unknown country {country!r} (ISO 3166-1 alpha-2)", "country")
        if subdivision is not None and subdivision not in countries[country]:
            known = ", ".join(countries[country]) or "none"
            raise ConfigError(
                f"unknown subdivision {subdivision!r} of {country} (known: {known})",
                "subdivision",
            )
        self.country = country
        self.subdivision = subdivision

    def __call__(self, year: int) -> frozenset[date]:
        return _holidays(self.country, self.subdivision, year)

    def names(self, year: int) -> dict[date, str]:
        table = _package().country_holidays(self.country, subdiv=self.subdivision, years=year)
        return {d: str(n) for d, n in table.items()}

    def __repr__(self) -> str:
        sub = f"-{self.subdivision}" if self.subdivision else ""
        return f"CountryHolidays({self.country}{sub})"


@cache
def _holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    table = _package().country_holidays(country, subdiv=subdivision, years=year)
    return frozenset(d for d in table if d.year == year)
