"""Durations as written in configuration and on the command line: '4h', '30m', '1h30m', '45s'.

Days and weeks are deliberately not accepted: in business time "a day" is ambiguous
(24 hours? one business day of the calendar?), so targets are written in hours.

A duration is at most MAX_DURATION, 87600h (ten years of 24 hours a day): far beyond any
SLA target, escalation or reminder, and short enough that counting it on a calendar open
40 hours a week (about 44 years) stays within the years the calendars compute (about
200) from any instant the service stores.
"""

from __future__ import annotations

import re
from datetime import timedelta

from slaguard.domain.errors import ConfigError

__all__ = ["MAX_DURATION", "MAX_HOURS", "format_duration", "parse_duration"]

_PART = re.compile(r"(\d+(?:\.\d+)?)(h|m|s)")
_UNITS = {"h": 3600, "m": 60, "s": 1}

MAX_HOURS = 87_600  # ten years of 365 days
MAX_DURATION = timedelta(hours=MAX_HOURS)


def _short(text: str, limit: int = 40) -> str:
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 4] + "...'"


def parse_duration(text: object, path: str = "") -> timedelta:
    """'1h30m' -> timedelta(hours=1, minutes=30). Numbers alone are refused (no unit)."""
    if isinstance(text, timedelta):
        return text
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"expected a duration such as '4h', '30m' or '1h30m', got {text!r}", path)
    s = text.strip().replace(" ", "")
    pos = 0
    seconds = 0.0
    units_seen: list[str] = []
    for m in _PART.finditer(s):
        if m.start() != pos or m.group(2) in units_seen:
            break
        units_seen.append(m.group(2))
        seconds += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(s) or not units_seen:
        raise ConfigError(
            "expected a duration such as '4h', '30m' or '1h30m' (units h, m, s), "
            f"got {_short(text)}",
            path,
        )
    if not seconds <= MAX_DURATION.total_seconds():
        raise ConfigError(f"at most {MAX_HOURS}h (ten years), got {_short(text)}", path)
    return timedelta(seconds=seconds)


def format_duration(d: timedelta | int | float) -> str:
    """Seconds or a timedelta as '2h 5m 3s' (negative with a leading '-')."""
    total = d.total_seconds() if isinstance(d, timedelta) else float(d)
    sign = "-" if total < 0 else ""
    total = abs(total)
    h, rest = divmod(int(total), 3600)
    m, s = divmod(rest, 60)
    frac = total - int(total)
    parts = []
    if h:
        parts.append(f"{h}h")
    if m:
        parts.append(f"{m}m")
    if s or frac or not parts:
        parts.append(f"{s + frac:g}s")
    return sign + " ".join(parts)
