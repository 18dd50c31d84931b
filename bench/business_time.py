"""Throughput of business-time arithmetic: slaguard's BusinessCalendar and businesstimedelta.

Calendar: Europe/Berlin, Monday to Friday 09:00-12:00 and 13:00-17:00, German public
holidays. Workload (fixed seed): starts uniformly random over 2026 (local year, with
microseconds), durations uniformly random from 1 s to 200 business hours (whole seconds).
Every measurement below runs on this one workload: the scalar runs on its first pairs,
the businesstimedelta run on a smaller prefix of those.

    .venv/bin/python bench/business_time.py            # full sizes, about 30 s
    .venv/bin/python bench/business_time.py --quick    # sizes / 10, a smoke test

Targets are printed beside the figures; nothing is asserted.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as wall
from typing import Any
from zoneinfo import ZoneInfo

import businesstimedelta as btd
import holidays
import numpy as np
import pytz
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from slaguard import BusinessCalendar

SEED = 20260101
ZONE = "Europe/Berlin"
BERLIN = ZoneInfo(ZONE)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
CONFIG: dict[str, Any] = {
    "timezone": ZONE,
    "hours": {day: ["09:00-12:00", "13:00-17:00"] for day in WEEKDAYS},
    "holidays": {"country": "DE"},
}
MAX_DURATION_S = 200 * 3600

# Full sizes; --quick divides them by 10. businesstimedelta manages about a hundred
# additions a second on this workload, so its prefix is kept small enough for the whole
# script to finish in well under a minute.
N_MANY = 1_000_000
N_SCALAR = 200_000
N_BTD = 2_000

TARGET_MANY_S = 0.25
TARGET_SCALAR_OPS = 300_000
TARGET_RATIO = 50


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """The fastest of `repeat` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def workload(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(starts as UTC epoch microseconds, durations in seconds), both int64."""
    rng = np.random.default_rng(SEED)
    lo = (datetime(2026, 1, 1, tzinfo=BERLIN) - EPOCH) // timedelta(microseconds=1)
    hi = (datetime(2027, 1, 1, tzinfo=BERLIN) - EPOCH) // timedelta(microseconds=1)
    starts = rng.integers(lo, hi, size=n, dtype=np.int64)
    durations = rng.integers(1, MAX_DURATION_S, size=n, dtype=np.int64, endpoint=True)
    return starts, durations


def btd_rules() -> Any:
    """The same calendar for businesstimedelta: two WorkDayRules make the split shift."""
    tz = pytz.timezone(ZONE)
    weekdays = [0, 1, 2, 3, 4]
    # Its HolidayRule takes any container of dates; a set is its fastest form.
    closed = frozenset(holidays.country_holidays("DE", years=range(2025, 2032)))
    return btd.Rules(
        [
            btd.WorkDayRule(start_time=wall(9), end_time=wall(12), working_days=weekdays, tz=tz),
            btd.WorkDayRule(start_time=wall(13), end_time=wall(17), working_days=weekdays, tz=tz),
            btd.HolidayRule(closed, tz=tz),
        ]
    )


def to_us(t: datetime) -> int:
    return (t - EPOCH) // timedelta(microseconds=1)


def verdict(ok: bool) -> str:
    return "[green]yes[/green]" if ok else "[red]no[/red]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes / 10, for a smoke test")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    n_many, n_scalar, n_btd = N_MANY // scale, N_SCALAR // scale, N_BTD // scale

    console = Console(width=max(104, Console().width))
    console.print(
        f"[bold]Business-time arithmetic[/bold]  Python {platform.python_version()}, "
        f"numpy {np.__version__}, {platform.machine()}"
    )
    console.print(f"calendar {ZONE}, Mon-Fri 09:00-12:00 + 13:00-17:00, DE public holidays")
    console.print(
        f"workload: seed {SEED}, starts uniform over 2026 (microseconds), durations 1 s .. 200 h"
    )

    starts_us, durations_s = workload(n_many)
    starts64 = starts_us.view("datetime64[us]")
    durations64 = durations_s.astype("timedelta64[s]")

    # A first call on a fresh calendar builds its interval table (the year 2026).
    fresh = BusinessCalendar.from_config(CONFIG, name="bench")
    t0 = time.perf_counter()
    fresh.add(datetime(2026, 6, 1, 10, tzinfo=BERLIN), timedelta(hours=1))
    cold_s = time.perf_counter() - t0

    cal = BusinessCalendar.from_config(CONFIG, name="bench")

    # -- batch ---------------------------------------------------------------------
    due64 = cal.add_many(starts64, durations64)  # also widens the table past every deadline
    many_s = best_of(lambda: cal.add_many(starts64, durations64))
    elapsed64 = cal.elapsed_many(starts64, due64)
    elapsed_s = best_of(lambda: cal.elapsed_many(starts64, due64))
    round_trip = bool((elapsed64 == durations64).all())

    # -- scalar --------------------------------------------------------------------
    utc_starts = [EPOCH + timedelta(microseconds=int(us)) for us in starts_us[:n_scalar]]
    berlin_starts = [t.astimezone(BERLIN) for t in utc_starts]
    durations = [timedelta(seconds=int(s)) for s in durations_s[:n_scalar]]
    add = cal.add

    def scalar(starts: list[datetime]) -> list[datetime]:
        return [add(s, d) for s, d in zip(starts, durations, strict=True)]

    utc_s = best_of(lambda: scalar(utc_starts))
    berlin_s = best_of(lambda: scalar(berlin_starts))
    utc_ops = n_scalar / utc_s
    berlin_ops = n_scalar / berlin_s
    batch_us = due64[:n_scalar].view(np.int64)
    scalar_due = scalar(berlin_starts)
    scalar_vs_batch = sum(
        to_us(t) != int(b) for t, b in zip(scalar_due, batch_us.tolist(), strict=True)
    )

    # -- businesstimedelta -----------------------------------------------------------
    rules = btd_rules()
    deltas = [btd.BusinessTimeDelta(rules, timedelta=d) for d in durations[:n_btd]]
    t0 = time.perf_counter()
    theirs = [s + d for s, d in zip(utc_starts[:n_btd], deltas, strict=True)]
    btd_s = time.perf_counter() - t0
    btd_ops = n_btd / btd_s
    ratio = utc_ops / btd_ops
    ours = batch_us[:n_btd].tolist()
    differ = [i for i, t in enumerate(theirs) if to_us(t) != ours[i]]

    # -- report --------------------------------------------------------------------
    table = Table(title="slaguard BusinessCalendar vs businesstimedelta", title_justify="left")
    table.add_column("measurement")
    table.add_column("pairs", justify="right")
    table.add_column("figure", justify="right")
    table.add_column("target", justify="right")
    table.add_column("met", justify="center")
    table.add_row(
        escape("add_many, datetime64[us] + timedelta64[s], best of 3"),
        f"{n_many:,}",
        f"{many_s:.3f} s",
        f"< {TARGET_MANY_S} s",
        verdict(many_s < TARGET_MANY_S),
    )
    table.add_row("elapsed_many on the same pairs, best of 3", f"{n_many:,}", f"{elapsed_s:.3f} s")
    table.add_row(
        "scalar add, UTC-aware starts, best of 3",
        f"{n_scalar:,}",
        f"{utc_ops:,.0f} ops/s",
        f">= {TARGET_SCALAR_OPS:,}",
        verdict(utc_ops >= TARGET_SCALAR_OPS),
    )
    table.add_row(
        f"scalar add, {ZONE}-aware starts, best of 3",
        f"{n_scalar:,}",
        f"{berlin_ops:,.0f} ops/s",
        f">= {TARGET_SCALAR_OPS:,}",
        verdict(berlin_ops >= TARGET_SCALAR_OPS),
    )
    table.add_row(
        "businesstimedelta add, UTC-aware starts, one run",
        f"{n_btd:,}",
        f"{btd_ops:,.0f} ops/s",
    )
    table.add_row(
        "ratio slaguard scalar (UTC) / businesstimedelta",
        "",
        f"{ratio:,.0f}x",
        f">= {TARGET_RATIO}x",
        verdict(ratio >= TARGET_RATIO),
    )
    table.add_row("first call on a fresh calendar (builds 2026)", "1", f"{cold_s * 1e3:.1f} ms")
    console.print(table)

    console.print("[bold]Checks[/bold] (reported, not asserted)")
    console.print(
        f"  elapsed_many(starts, add_many(starts, d)) == d for all {n_many:,} pairs: "
        f"{'yes' if round_trip else 'NO'}"
    )
    console.print(
        f"  scalar add ({ZONE} starts) differing from add_many: {scalar_vs_batch} of {n_scalar:,}"
    )
    console.print(
        f"  businesstimedelta answers differing from slaguard: {len(differ)} of {n_btd:,}"
    )
    for i in differ[:5]:
        console.print(
            f"    start {berlin_starts[i].isoformat()} + {durations[i]}: "
            f"slaguard {scalar_due[i].isoformat()}, "
            f"businesstimedelta {theirs[i].astimezone(BERLIN).isoformat()}"
        )
    if not differ:
        console.print("    (this calendar has no night hours and no holiday on a DST change day;")
        console.print(
            "    bench/businesstimedelta_errors.py shows where businesstimedelta goes wrong)"
        )


if __name__ == "__main__":
    main()
