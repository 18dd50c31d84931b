"""Quiet hours: when a window holds a notification back, and the instant it ends.

The window's wall-clock times are read in its zone by the calendars' DST rules
(docs/calendars.md): an ambiguous time is its first occurrence, a time skipped when
the clocks go forward is the transition instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from slaguard.domain.calendar import to_us
from slaguard.domain.escalation import QuietHours

BERLIN = ZoneInfo("Europe/Berlin")


def us(text: str) -> int:
    return to_us(datetime.fromisoformat(text))


def release(quiet: QuietHours, at: str) -> datetime | None:
    found = quiet.release_at(us(at))
    return None if found is None else datetime.fromtimestamp(found / 1_000_000, UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


NIGHT = QuietHours(time(22), time(7), BERLIN)
EARLY = QuietHours(time(1), time(5), BERLIN)


@pytest.mark.parametrize(
    ("quiet", "at", "expected"),
    [
        (NIGHT, "2026-11-23T21:59:59+01:00", None),
        (NIGHT, "2026-11-23T22:00:00+01:00", "2026-11-24T07:00:00+01:00"),
        (NIGHT, "2026-11-24T03:00:00+01:00", "2026-11-24T07:00:00+01:00"),
        (NIGHT, "2026-11-24T07:00:00+01:00", None),
        (EARLY, "2026-11-24T00:59:00+01:00", None),
        (EARLY, "2026-11-24T01:00:00+01:00", "2026-11-24T05:00:00+01:00"),
        (EARLY, "2026-11-24T05:00:00+01:00", None),
        (QuietHours(time(9), time(9), BERLIN), "2026-11-24T09:00:00+01:00", None),
    ],
)
def test_window_and_release(quiet: QuietHours, at: str, expected: str | None) -> None:
    assert release(quiet, at) == (None if expected is None else utc(expected))


def test_end_skipped_by_spring_forward_releases_at_the_transition() -> None:
    # Berlin, Sunday 29 March 2026: 02:00 CET becomes 03:00 CEST; 02:30 does not exist.
    quiet = QuietHours(time(22), time(2, 30), BERLIN)
    assert release(quiet, "2026-03-28T23:00:00+01:00") == utc("2026-03-29T03:00:00+02:00")


def test_release_is_never_before_the_instant_asked_about() -> None:
    # Berlin, Sunday 25 October 2026: 03:00 CEST becomes 02:00 CET; 02:00-03:00 repeats.
    # The window ends at the first 02:30 (00:30 UTC); the repeated 02:10 is after it.
    quiet = QuietHours(time(22), time(2, 30), BERLIN)
    assert release(quiet, "2026-10-25T02:10:00+02:00") == utc("2026-10-25T00:30:00+00:00")
    assert release(quiet, "2026-10-25T02:10:00+01:00") is None
    for minute in range(0, 24 * 60, 5):
        at = us("2026-10-24T18:00:00+00:00") + minute * 60_000_000
        found = quiet.release_at(at)
        assert found is None or found > at, minute
