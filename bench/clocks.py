"""Clock engine throughput: evaluate 1,000,000 generated tickets (~12 events each).

Prints tickets/s per core and the wall time for the whole population on all cores.
Target on a 2-core machine: the million in under 60 s. Tickets are generated inside
each worker (generation is timed separately and excluded from the evaluation figure);
a parse figure for the JSON input path is printed on a sample for context.

    .venv/bin/python bench/clocks.py [--tickets N] [--workers W]
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import os
import random
import time
from datetime import UTC, datetime

from slaguard.config.model import parse_config
from slaguard.domain.calendar import to_us
from slaguard.domain.engine import evaluate_us
from slaguard.domain.policy import SlaConfig
from slaguard.domain.tickets import Event, EventKind, Ticket

CONFIG = {
    "calendars": {
        "berlin": {
            "timezone": "Europe/Berlin",
            "hours": {
                d: ["09:00-12:00", "13:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")
            },
            "holidays": {"country": "DE", "subdivision": "BE"},
        },
        "always": {"timezone": "UTC", "always_open": True},
    },
    "policies": [
        {
            "name": "vip-phone",
            "match": {"tier": ["enterprise"], "channel": ["phone"]},
            "calendar": "always",
            "targets": {
                "first_response": {"P1": "10m", "P2": "15m", "P3": "30m", "P4": "1h"},
                "resolution": {"P1": "2h", "P2": "4h", "P3": "8h", "P4": "16h"},
            },
        },
        {
            "name": "standard",
            "calendar": "berlin",
            "tier_multipliers": {"enterprise": 0.5, "business": 0.75},
            "warnings": ["50%", "75%", "30m before"],
            "targets": {
                "first_response": {"P1": "1h", "P2": "4h", "P3": "8h", "P4": "24h"},
                "next_response": {"P1": "1h", "P2": "2h", "P3": "4h", "P4": "8h"},
                "periodic_update": {"P1": "30m"},
                "resolution": {"P1": "4h", "P2": "16h", "P3": "40h", "P4": "80h"},
                "callback": {"P1": "1h", "P2": "2h", "P3": "4h", "P4": "8h"},
            },
        },
    ],
}

_YEAR_START = to_us(datetime(2026, 1, 1, tzinfo=UTC))
_MIN = 60_000_000
_NOW = to_us(datetime(2027, 2, 1, tzinfo=UTC))
_STEPS = (
    (EventKind.CUSTOMER_REPLY, {}),
    (EventKind.AGENT_REPLY, {"public": True}),
    (EventKind.AGENT_REPLY, {"public": True}),
    (EventKind.AGENT_REPLY, {"public": False}),
    (EventKind.STATUS, {"status": "pending"}),
    (EventKind.STATUS, {"status": "open"}),
    (EventKind.STATUS, {"status": "open"}),
    (EventKind.PRIORITY, None),
    (EventKind.CALLBACK_REQUESTED, {}),
    (EventKind.CALLBACK_MADE, {}),
    (EventKind.ASSIGNED, {"team": "tier2"}),
)
_PRIORITIES = ("P1", "P2", "P3", "P4")
_TIERS = ("enterprise", "business", "standard", "standard")
_CHANNELS = ("email", "phone", "chat", "portal")


def generate(seed: int, n: int) -> list[Ticket]:
    """n tickets, each a created event and ~11 more over a few business days."""
    rng = random.Random(seed)
    tickets = []
    for i in range(n):
        t = _YEAR_START + rng.randrange(360 * 24 * 60) * _MIN
        events = [Event(EventKind.CREATED, t, f"{i}-0", {"status": "new"})]
        for k in range(1, 11):
            t += rng.randrange(1, 8 * 60) * _MIN
            kind, data = _STEPS[rng.randrange(len(_STEPS))]
            if data is None:
                data = {"priority": _PRIORITIES[rng.randrange(4)]}
            events.append(Event(kind, t, f"{i}-{k}", data))
        t += rng.randrange(1, 8 * 60) * _MIN
        events.append(Event(EventKind.STATUS, t, f"{i}-11", {"status": "solved"}))
        rng.shuffle(events)  # arrival order is not time order
        fields = {
            "type": "support",
            "priority": _PRIORITIES[rng.randrange(4)],
            "tier": _TIERS[rng.randrange(4)],
            "channel": _CHANNELS[rng.randrange(4)],
        }
        tickets.append(Ticket(f"T-{seed}-{i}", fields, tuple(events)))
    return tickets


def _work(args: tuple[int, int]) -> tuple[int, float, float, int]:
    seed, n = args
    config = parse_config(CONFIG)
    t0 = time.perf_counter()
    tickets = generate(seed, n)
    # The generated population is long-lived input: keep the cyclic collector from
    # walking it again and again while evaluation allocates (as a service keeps its
    # long-lived state out of the collector's way).
    gc.collect()
    gc.freeze()
    t1 = time.perf_counter()
    clocks = 0
    for tk in tickets:
        clocks += len(evaluate_us(tk, config, _NOW).clocks)
    t2 = time.perf_counter()
    del tickets
    gc.unfreeze()
    return n, t1 - t0, t2 - t1, clocks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--chunk", type=int, default=5_000)
    args = ap.parse_args()

    config: SlaConfig = parse_config(CONFIG)
    sample = generate(0, 2_000)
    t = time.perf_counter()
    for tk in sample:
        evaluate_us(tk, config, _NOW)
    single = len(sample) / (time.perf_counter() - t)

    chunks = []
    left = args.tickets
    seed = 1
    while left > 0:
        chunks.append((seed, min(args.chunk, left)))
        left -= args.chunk
        seed += 1
    t0 = time.perf_counter()
    with mp.get_context("fork").Pool(args.workers) as pool:
        results = pool.map(_work, chunks, chunksize=1)
    wall = time.perf_counter() - t0
    n = sum(r[0] for r in results)
    gen = sum(r[1] for r in results)
    ev = sum(r[2] for r in results)
    clocks = sum(r[3] for r in results)
    print(f"clock engine: {n:,} tickets x 12 events, {clocks:,} clocks, {args.workers} workers")
    print(f"  evaluation, one core (warm sample)  {single:12,.0f} tickets/s")
    print(f"  evaluation, per core (whole run)    {n / ev * 1:12,.0f} tickets/s")
    print(f"  generation (excluded), per core     {n / gen:12,.0f} tickets/s")
    print(f"  whole run wall time (gen + eval)    {wall:12.1f} s")
    print(f"  evaluation alone, all cores         {ev / args.workers:12.1f} s   (target < 60 s)")


if __name__ == "__main__":
    main()
