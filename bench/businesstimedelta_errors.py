"""Where businesstimedelta goes wrong, next to slaguard and a hand-computed answer.

Two families of cases, each with control cases where businesstimedelta is right:

(a) an overnight shift 22:00-06:00 (in slaguard written as 22:00-24:00 on one day and
    00:00-06:00 on the next), given to businesstimedelta both in its own overnight form
    (one WorkDayRule whose end is before its start) and split at midnight;
(b) a closed date on a day when the clocks change (Europe/Berlin: Sunday 2026-03-29,
    02:00 -> 03:00, a 23-hour day; Sunday 2026-10-25, 03:00 -> 02:00, a 25-hour day),
    in calendars that are open on Sundays.

    .venv/bin/python bench/businesstimedelta_errors.py

businesstimedelta runs under a time limit: in one case below it never returns.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as wall
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

import businesstimedelta as btd
import holidays
import pytz
from rich.console import Console
from rich.table import Table

from slaguard import BusinessCalendar

TIME_LIMIT_S = 3.0
ALL_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")

Answer = datetime | timedelta


@dataclass(frozen=True)
class Case:
    label: str
    why: str  # how the expected answer is worked out by hand
    a: datetime
    b: timedelta | datetime  # a duration to add, or the end of an elapsed time
    expected: Answer


class _TimedOut(Exception):
    pass


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise _TimedOut


def limited(fn: Callable[[], Answer]) -> Answer | str:
    """fn() under TIME_LIMIT_S; a message instead of an answer when it fails."""
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT_S)
    try:
        return fn()
    except _TimedOut:
        return f"no answer in {TIME_LIMIT_S:g} s"
    except Exception as exc:  # a crash in the other library is a result to show
        return f"{type(exc).__name__}: {exc}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_slaguard(cal: BusinessCalendar, case: Case) -> Answer | str:
    a, b = case.a, case.b
    if isinstance(b, timedelta):
        return limited(lambda: cal.add(a, b))
    return limited(lambda: cal.elapsed(a, b))


def run_btd(rules: Any, case: Case) -> Answer | str:
    a, b = case.a, case.b
    if isinstance(b, timedelta):
        return limited(lambda: a + btd.BusinessTimeDelta(rules, timedelta=b))
    return limited(lambda: rules.difference(a, b).timedelta)


def show(value: Answer | str, expected: Answer, tz: ZoneInfo) -> tuple[str, bool]:
    if isinstance(value, str):
        return f"[red]{value}[/red]", False
    ok = value == expected  # aware datetimes compare as instants
    text = value.astimezone(tz).isoformat(" ") if isinstance(value, datetime) else str(value)
    return (text if ok else f"[red]{text}  WRONG[/red]"), ok


def report(
    console: Console,
    title: str,
    cal: BusinessCalendar,
    variants: dict[str, Any],
    cases: list[Case],
    tally: dict[str, list[int]],
) -> None:
    table = Table(title=title, title_justify="left", show_lines=True)
    table.add_column("case")
    table.add_column("expected (by hand)")
    table.add_column("slaguard")
    for name in variants:
        table.add_column(name)
    for case in cases:
        expected = (
            case.expected.astimezone(cal.tz).isoformat(" ")
            if isinstance(case.expected, datetime)
            else str(case.expected)
        )
        ours, ours_ok = show(run_slaguard(cal, case), case.expected, cal.tz)
        tally.setdefault("slaguard", [0, 0])[0 if ours_ok else 1] += 1
        cells = []
        for name, rules in variants.items():
            text, ok = show(run_btd(rules, case), case.expected, cal.tz)
            tally.setdefault(name.replace("\n", " "), [0, 0])[0 if ok else 1] += 1
            cells.append(text)
        table.add_row(f"{case.label}\n[dim]{case.why}[/dim]", expected, ours, *cells)
    console.print(table)


def overnight(console: Console, tally: dict[str, list[int]]) -> None:
    cal = BusinessCalendar.from_config(
        {
            "timezone": "America/New_York",
            "hours": {
                "mon": ["22:00-24:00"],
                "tue": ["00:00-06:00", "22:00-24:00"],
                "wed": ["00:00-06:00", "22:00-24:00"],
                "thu": ["00:00-06:00", "22:00-24:00"],
                "fri": ["00:00-06:00"],
            },
        }
    )
    tz = pytz.timezone("America/New_York")
    variants = {
        "businesstimedelta\n(overnight rule)": btd.Rules(
            [btd.WorkDayRule(wall(22), wall(6), [0, 1, 2, 3], tz=tz)]
        ),
        "businesstimedelta\n(split at midnight)": btd.Rules(
            [
                btd.WorkDayRule(wall(22), wall(0), [0, 1, 2, 3], tz=tz),
                btd.WorkDayRule(wall(0), wall(6), [1, 2, 3, 4], tz=tz),
            ]
        ),
    }

    def at(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 11, day, hour, minute, tzinfo=NEW_YORK)  # 16 Nov is a Monday

    cases = [
        Case(
            "Tue 02:00 + 1h",
            "inside Monday night's shift: 02:00-03:00",
            at(17, 2),
            timedelta(hours=1),
            at(17, 3),
        ),
        Case(
            "Tue 23:00 + 30m",
            "inside Tuesday night's shift: 23:00-23:30",
            at(17, 23),
            timedelta(minutes=30),
            at(17, 23, 30),
        ),
        Case(
            "Mon 23:00 + 3h",
            "Mon 23:00-24:00 (1h), Tue 00:00-02:00 (2h)",
            at(16, 23),
            timedelta(hours=3),
            at(17, 2),
        ),
        Case(
            "Mon 21:00 + 3h (control)",
            "Mon 22:00-24:00 (2h), Tue 00:00-01:00 (1h)",
            at(16, 21),
            timedelta(hours=3),
            at(17, 1),
        ),
        Case(
            "elapsed Tue 03:00 -> Tue 07:00",
            "Tue 03:00-06:00",
            at(17, 3),
            at(17, 7),
            timedelta(hours=3),
        ),
        Case(
            "elapsed Wed 23:00 -> Thu 07:00",
            "Wed 23:00-24:00, Thu 00:00-06:00",
            at(18, 23),
            at(19, 7),
            timedelta(hours=7),
        ),
        Case(
            "elapsed Mon 20:00 -> Tue 07:00 (control)",
            "Mon 22:00-24:00, Tue 00:00-06:00",
            at(16, 20),
            at(17, 7),
            timedelta(hours=8),
        ),
    ]
    report(
        console,
        "(a) Overnight shift, America/New_York, week of Mon 2026-11-16: Mon-Thu nights 22:00-06:00",
        cal,
        variants,
        cases,
        tally,
    )


def dst_holidays(console: Console, tally: dict[str, list[int]]) -> None:
    tz = pytz.timezone("Europe/Berlin")

    def calendars(hours: str, closed: str) -> tuple[BusinessCalendar, dict[str, Any]]:
        cal = BusinessCalendar.from_config(
            {
                "timezone": "Europe/Berlin",
                "hours": {day: [hours] for day in ALL_DAYS},
                "holidays": {"country": "DE", "dates": [closed]},
            }
        )
        a, b = (wall.fromisoformat(x) for x in hours.split("-"))
        # Its HolidayRule looks ahead for the next closed date, so it is given the German
        # public holidays too (with only one date it fails once that date is behind it).
        dates = set(holidays.country_holidays("DE", years=range(2026, 2032)))
        dates.add(date.fromisoformat(closed))
        rules = btd.Rules(
            [btd.WorkDayRule(a, b, list(range(7)), tz=tz), btd.HolidayRule(dates, tz=tz)]
        )
        return cal, {"businesstimedelta\n(DST cases)": rules}

    def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)

    cal, variants = calendars("00:00-06:00", "2026-03-29")
    report(
        console,
        "(b1) Europe/Berlin, open daily 00:00-06:00, closed Sunday 2026-03-29 "
        "(clocks 02:00 -> 03:00)",
        cal,
        variants,
        [
            Case(
                "Sat 28 Mar 05:00 + 2h",
                "Sat 05:00-06:00 (1h), Sunday closed, Mon 00:00-01:00 (1h)",
                at(3, 28, 5),
                timedelta(hours=2),
                at(3, 30, 1),
            ),
            Case(
                "elapsed Sat 28 Mar 12:00 -> Mon 30 Mar 12:00",
                "Sunday closed, Mon 00:00-06:00",
                at(3, 28, 12),
                at(3, 30, 12),
                timedelta(hours=6),
            ),
        ],
        tally,
    )

    cal, variants = calendars("22:00-23:30", "2026-10-25")
    report(
        console,
        "(b2) Europe/Berlin, open daily 22:00-23:30, closed Sunday 2026-10-25 "
        "(clocks 03:00 -> 02:00)",
        cal,
        variants,
        [
            Case(
                "Sat 24 Oct 23:00 + 1h",
                "Sat 23:00-23:30 (30m), Sunday closed, Mon 22:00-22:30 (30m)",
                at(10, 24, 23),
                timedelta(hours=1),
                at(10, 26, 22, 30),
            ),
            Case(
                "elapsed Sat 24 Oct 12:00 -> Mon 26 Oct 12:00",
                "Sat 22:00-23:30, Sunday closed",
                at(10, 24, 12),
                at(10, 26, 12),
                timedelta(hours=1, minutes=30),
            ),
            Case(
                "Sat 24 Oct 21:00 + 1h (control)",
                "Sat 22:00-23:00",
                at(10, 24, 21),
                timedelta(hours=1),
                at(10, 24, 23),
            ),
        ],
        tally,
    )

    cal, variants = calendars("09:00-17:00", "2026-03-29")
    report(
        console,
        "(b3, control) Europe/Berlin, open daily 09:00-17:00, closed Sunday 2026-03-29",
        cal,
        variants,
        [
            Case(
                "Sat 28 Mar 16:00 + 2h",
                "Sat 16:00-17:00 (1h), Sunday closed, Mon 09:00-10:00 (1h)",
                at(3, 28, 16),
                timedelta(hours=2),
                at(3, 30, 10),
            ),
        ],
        tally,
    )


def main() -> None:
    console = Console(width=max(120, Console().width))
    tally: dict[str, list[int]] = {}
    overnight(console, tally)
    dst_holidays(console, tally)
    console.print("[bold]Summary[/bold] (answers equal to the hand-computed ones / not equal)")
    for name, (right, wrong) in tally.items():
        console.print(f"  {name}: {right} right, {wrong} wrong or no answer")
    console.print(
        "Why, from its source (businesstimedelta 1.0.1):\n"
        "- WorkDayRule.next() keeps the query's own date only while the local time is before\n"
        "  max(start, end), 22:00 for both 22:00-06:00 and 22:00-00:00, and never looks at a\n"
        "  shift that began the day before. An instant in the 22:00-24:00 part therefore skips\n"
        "  to the next night, and with the overnight rule an instant in the 00:00-06:00 part\n"
        "  skips to the shift starting that evening.\n"
        "- HolidayRule closes local midnight + 24 real hours. On a 23-hour day that also closes\n"
        "  00:00-01:00 of the next day; on a 25-hour day it leaves 23:00-24:00 open, and Rules\n"
        "  then cuts the open period 22:00-23:30 at the holiday's start (00:00), a period that\n"
        "  ends before it starts: the addition subtracts its negative length and never ends."
    )


if __name__ == "__main__":
    main()
