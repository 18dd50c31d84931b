"""The SLA hub's pure rules: lane severity, breach windows, work next, the review date,
and the `hub:` configuration section."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from slaguard.config.model import parse_config
from slaguard.domain.calendar import to_us
from slaguard.domain.errors import ConfigError
from slaguard.domain.hub import (
    HubSettings,
    LaneFigures,
    ReviewCadence,
    Severity,
    WindowKind,
    breach_window,
    lane_severity,
    next_review,
    work_next,
)

S = HubSettings()


@pytest.mark.parametrize(
    ("figures", "severity", "window"),
    [
        (LaneFigures("sla_breached", 0), Severity.OK, (WindowKind.WITHIN, 0)),
        (LaneFigures("sla_breached", 2, overdue=2), Severity.CRITICAL, (WindowKind.BREACHED, 2)),
        (
            LaneFigures("first_response_due", 5, due_soon=3, soonest_us=10),
            Severity.WARNING,
            (WindowKind.DUE, 3),
        ),
        (LaneFigures("first_response_due", 5), Severity.OK, (WindowKind.WITHIN, 0)),
        (LaneFigures("reopen_risk", 1), Severity.WARNING, (WindowKind.WITHIN, 0)),
        (LaneFigures("csat_followup", 0), Severity.OK, (WindowKind.WITHIN, 0)),
        (LaneFigures("queue_pressure", 9, normal=None), Severity.OK, (WindowKind.WITHIN, 0)),
        (LaneFigures("queue_pressure", 6, normal=6), Severity.OK, (WindowKind.WITHIN, 0)),
        (
            LaneFigures("queue_pressure", 7, normal=6),
            Severity.WARNING,
            (WindowKind.ABOVE_NORMAL, 1),
        ),
        (
            LaneFigures("queue_pressure", 8, normal=6),
            Severity.CRITICAL,
            (WindowKind.ABOVE_NORMAL, 2),
        ),
    ],
)
def test_severity_and_window(
    figures: LaneFigures, severity: Severity, window: tuple[WindowKind, int]
) -> None:
    assert lane_severity(figures, S) is severity
    assert breach_window(figures) == window


def test_work_next_takes_the_first_lane_that_needs_work() -> None:
    lanes = [
        LaneFigures("csat_followup", 3),
        LaneFigures("first_response_due", 4, due_soon=1, soonest_us=5),
        LaneFigures("sla_breached", 0),
        LaneFigures("queue_pressure", 100, normal=None),
    ]
    chosen = work_next(lanes, S)
    assert chosen is not None
    assert (chosen[0].lane, chosen[1]) == ("first_response_due", Severity.WARNING)
    assert work_next([LaneFigures("sla_breached", 0), LaneFigures("queue_pressure", 3)], S) is None


def test_next_review_in_its_own_time_zone() -> None:
    cadence = ReviewCadence(weekday=0, start=time(9, 0), timezone="Europe/Stockholm")
    wednesday = to_us(datetime(2026, 11, 25, 14, 0, tzinfo=UTC))
    assert next_review(cadence, wednesday).isoformat() == "2026-11-30T09:00:00+01:00"
    # Monday 08:30 UTC is 09:30 in Stockholm: this week's has begun, so next week's
    monday = to_us(datetime(2026, 11, 30, 8, 30, tzinfo=UTC))
    assert next_review(cadence, monday).isoformat() == "2026-12-07T09:00:00+01:00"
    # across the change to summer time the wall-clock time stays 09:00
    march = to_us(datetime(2027, 3, 24, 12, 0, tzinfo=UTC))
    assert next_review(cadence, march).isoformat() == "2027-03-29T09:00:00+02:00"


def test_next_review_at_a_wall_time_the_clocks_skip_or_repeat() -> None:
    # Stockholm: 2027-03-28 (a Sunday) skips 02:00-03:00; 2026-10-25 (a Sunday) has
    # 02:00-03:00 twice
    skipped = ReviewCadence(weekday=6, start=time(2, 30), timezone="Europe/Stockholm")
    friday = to_us(datetime(2027, 3, 26, 12, 0, tzinfo=UTC))
    start = next_review(skipped, friday)
    assert to_us(start) == to_us(datetime(2027, 3, 28, 1, 0, tzinfo=UTC))  # the change
    assert start.utcoffset() == timedelta(hours=2)

    repeated = ReviewCadence(weekday=6, start=time(2, 30), timezone="Europe/Stockholm")
    first = to_us(datetime(2026, 10, 25, 0, 30, tzinfo=UTC))  # 02:30 CEST, the first time
    assert to_us(next_review(repeated, first)) == first  # at the start: this one
    # 02:10 the second time (CET) is after the first 02:30: it has begun, next week's
    second = to_us(datetime(2026, 10, 25, 1, 10, tzinfo=UTC))
    assert next_review(repeated, second).isoformat() == "2026-11-01T02:30:00+01:00"
    # 02:10 the first time (CEST) is before it
    before = to_us(datetime(2026, 10, 25, 0, 10, tzinfo=UTC))
    assert to_us(next_review(repeated, before)) == first


_BASE: dict[str, Any] = {
    "calendars": {"always": {"timezone": "UTC", "always_open": True}},
    "policies": [{"name": "p", "calendar": "always", "targets": {"resolution": {"P1": "4h"}}}],
}


def test_the_hub_section() -> None:
    config = parse_config(
        {
            **_BASE,
            "hub": {
                "lanes": {"callback_overdue": {"owner": "Callback ops"}},
                "critical_within": "30m",
                "urgent_priorities": ["critical", "high"],
                "review": {"day": "Thu", "time": "14:30", "timezone": "Europe/Berlin"},
            },
        }
    )
    hub = config.hub
    assert hub.owner("callback_overdue") == "Callback ops"
    assert hub.owner("sla_breached") == "Support lead"
    assert hub.critical_within_us == 30 * 60_000_000
    assert hub.urgent_priorities == {"P1", "P2"}
    assert (hub.review.weekday, hub.review.start) == (3, time(14, 30))
    assert parse_config(_BASE).hub == HubSettings()


def test_the_hub_section_names_each_problem() -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config(
            {
                **_BASE,
                "hub": {
                    "lanes": {"nope": {"owner": "x"}},
                    "waiting_customer": ["waiting"],
                    "urgent_priorities": ["P9"],
                    "review": {"day": "someday", "time": "25:00", "timezone": "Mars/Base"},
                },
            }
        )
    paths = {d.path for d in exc.value.details}
    assert paths == {
        "hub.lanes.nope",
        "hub.waiting_customer[0]",
        "hub.urgent_priorities[0]",
        "hub.review.day",
        "hub.review.time",
        "hub.review.timezone",
    }
