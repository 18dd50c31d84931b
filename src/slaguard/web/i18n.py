"""Languages of the dashboard: message catalogues, the viewer's locale and time zone, and
dates, numbers and durations written the way that locale writes them (Babel).

Catalogues are the `.po` files under `web/locale/<language>/`, read when first needed
(every file of a language is one catalogue, so each page keeps its messages in a file
of its own). English is the source language: its messages are the msgids themselves.

Which language: the user's own choice, else the best match of the browser's
`Accept-Language`, else English. Which time zone: the user's choice, else the one the
browser reports (a cookie set by `static/app.js`), else UTC.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Babel is imported by the first page rendered, not by every API and worker process
# (most serve no page): its locale data and pytz take a few MB each process keeps.
if TYPE_CHECKING:
    from babel.messages.catalog import Catalog
    from babel.support import NullTranslations

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "TZ_COOKIE",
    "Formatter",
    "choose_locale",
    "choose_timezone",
    "translations",
]

LOCALES = ("en", "sv")
DEFAULT_LOCALE = "en"
TZ_COOKIE = "slaguard_tz"
LOCALE_DIR = Path(__file__).parent / "locale"

_lock = threading.Lock()
_loaded: dict[str, NullTranslations] = {}


def catalogue(locale: str) -> Catalog:
    """Every message of `locale`, from all its `.po` files."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    merged = Catalog(locale=locale)
    for path in sorted((LOCALE_DIR / locale).glob("*.po")):
        with path.open("rb") as f:
            part = read_po(f, locale=locale)
        for message in part:
            if message.id and message.string:
                merged.add(message.id, message.string, context=message.context)
    return merged


def translations(locale: str) -> NullTranslations:
    """gettext/ngettext for `locale` (English and unknown locales: the msgids)."""
    from babel.messages.mofile import write_mo
    from babel.support import NullTranslations, Translations

    with _lock:
        found = _loaded.get(locale)
        if found is None:
            if locale == DEFAULT_LOCALE or locale not in LOCALES:
                found = NullTranslations()
            else:
                buffer = io.BytesIO()
                write_mo(buffer, catalogue(locale))
                buffer.seek(0)
                found = Translations(fp=buffer)
            _loaded[locale] = found
        return found


def choose_locale(preferred: str | None, accept_language: str | None) -> str:
    """The user's language if set, else the best of `Accept-Language` we have."""
    if preferred in LOCALES:
        return preferred
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        language = tag.strip().replace("_", "-").split("-")[0].lower()
        if language in LOCALES and q > 0:
            ranked.append((-q, i, language))
    return min(ranked)[2] if ranked else DEFAULT_LOCALE


def choose_timezone(preferred: str | None, reported: str | None) -> ZoneInfo:
    for name in (preferred, reported):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


@dataclass(frozen=True)
class Formatter:
    """Instants, numbers and durations for one viewer (locale and time zone)."""

    locale: str
    tz: ZoneInfo

    def local(self, us: int) -> datetime:
        return datetime.fromtimestamp(us / 1_000_000, UTC).astimezone(self.tz)

    def datetime(self, us: int | None, fmt: str = "medium") -> str:
        if us is None:
            return ""
        from babel import dates

        return dates.format_datetime(self.local(us), fmt, locale=self.locale)

    def date(self, us: int | None, fmt: str = "medium") -> str:
        if us is None:
            return ""
        from babel import dates

        return dates.format_date(self.local(us).date(), fmt, locale=self.locale)

    def weekday(self, index: int) -> str:
        """The name of a weekday (0 is Monday), as this locale writes it alone."""
        from babel import dates

        return str(dates.get_day_names("wide", "stand-alone", locale=self.locale)[index])

    def iso(self, us: int | None) -> str:
        """Machine-readable (for `<time datetime=...>`)."""
        return "" if us is None else self.local(us).isoformat()

    def duration(
        self,
        us: int,
        *,
        direction: bool = False,
        fmt: Literal["narrow", "short", "medium", "long"] = "short",
    ) -> str:
        """A rounded duration in words: '3 hours', 'in 45 min', '2 days ago'."""
        from babel import dates

        return dates.format_timedelta(
            timedelta(microseconds=us),
            threshold=1.5,
            add_direction=direction,
            format=fmt,
            locale=self.locale,
        )

    def clock(self, us: int) -> str:
        """An exact duration as h:mm (hours may exceed 24), with a sign when negative."""
        sign = "-" if us < 0 else ""
        minutes = abs(us) // 60_000_000
        return f"{sign}{minutes // 60}:{minutes % 60:02d}"

    def number(self, value: float | int) -> str:
        from babel import numbers

        return numbers.format_decimal(value, locale=self.locale)

    def percent(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return "\N{EN DASH}"
        from babel import numbers

        return numbers.format_percent(
            round(value, digits + 2), locale=self.locale, decimal_quantization=False
        )
