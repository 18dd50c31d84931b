"""Import throughput: generate N tickets (~12 events each) as JSON lines, import them into a
temporary SQLite file and into a throwaway PostgreSQL database, print events/s for each.

Half the tickets are whole ticket documents on one line; the other half are written as
one event per line, interleaved with their neighbours' events (as an export sorted by
time would). One event in five has no id (its key is then a content hash), and one
ticket in a hundred is caused by an earlier one (those are written last, alone).

    .venv/bin/python bench/import_bench.py [--tickets N] [--batch 500] [--workers W]
        [--only sqlite|postgresql] [--postgres URL] [--profile]

`--profile` imports the first 5,000 tickets into SQLite in this process under cProfile
and prints where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import secrets
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from clocks import CONFIG  # the clock benchmark's tenant configuration (bench/ is on sys.path)
from slaguard.app.configs import apply_config
from slaguard.app.imports import ImportSummary, import_file
from slaguard.app.services import Services
from slaguard.app.tenants import Principal, Role, create_tenant, tenant_named
from slaguard.db.engine import make_engine, writer
from slaguard.db.migrate import upgrade

POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
STEPS: tuple[tuple[str, dict[str, Any] | None], ...] = (
    ("customer_reply", {}),
    ("agent_reply", {"public": True}),
    ("agent_reply", {}),
    ("internal_note", {}),
    ("status", {"status": "pending"}),
    ("status", {"status": "open"}),
    ("status", {"status": "open"}),
    ("priority", None),
    ("callback_requested", {}),
    ("callback_made", {}),
    ("assigned", {"team": "tier2", "assignee": "ana"}),
)
PRIORITIES = ("P1", "P2", "P3", "P4")
TIERS = ("enterprise", "business", "standard", "standard")
CHANNELS = ("email", "phone", "chat", "portal")


def ticket(rng: random.Random, i: int) -> dict[str, Any]:
    t = datetime(2026, 1, 5, tzinfo=UTC) + timedelta(minutes=rng.randrange(300 * 24 * 60))
    events: list[dict[str, Any]] = [
        {"id": f"T-{i}-0", "type": "created", "at": t.isoformat(), "status": "new"}
    ]
    for k in range(1, 11):
        t += timedelta(minutes=rng.randrange(1, 8 * 60))
        kind, data = STEPS[rng.randrange(len(STEPS))]
        event = {"type": kind, "at": t.isoformat(), **(data or {})}
        if data is None:
            event["priority"] = PRIORITIES[rng.randrange(4)]
        if rng.random() >= 0.2:
            event["id"] = f"T-{i}-{k}"
        events.append(event)
    if i > 100 and rng.random() < 0.01:
        cause = f"T-{rng.randrange(i - 100)}"
        events.append({"id": f"T-{i}-l", "type": "caused_by", "at": t.isoformat(), "cause": cause})
    t += timedelta(minutes=rng.randrange(1, 8 * 60))
    events.append({"id": f"T-{i}-11", "type": "resolved", "at": t.isoformat()})
    return {
        "id": f"T-{i}",
        "type": "support",
        "priority": PRIORITIES[rng.randrange(4)],
        "tier": TIERS[rng.randrange(4)],
        "channel": CHANNELS[rng.randrange(4)],
        "team": "tier1",
        "tags": ["bench"],
        "subject": f"Generated ticket {i}",
        "events": events,
    }


def lines(n: int, seed: int = 7) -> Iterator[str]:
    rng = random.Random(seed)
    window: list[str] = []
    for i in range(n):
        doc = ticket(rng, i)
        if i % 2 == 0:
            yield json.dumps(doc)
            continue
        events = doc.pop("events")
        window.extend(json.dumps({"ticket": doc["id"], **e}) for e in events)
        if len(window) > 240:  # ~20 tickets' events, shuffled together
            rng.shuffle(window)
            yield from window
            window = []
    rng.shuffle(window)
    yield from window


def write_file(path: Path, n: int) -> tuple[int, int]:
    count = events = 0
    with path.open("w", encoding="utf-8") as f:
        for line in lines(n):
            f.write(line + "\n")
            count += 1
            events += line.count('"at":')
    return count, events


def prepare(url: str) -> tuple[Services, Principal]:
    engine = make_engine(url)
    upgrade(engine)
    svc = Services(engine=engine, write_engine=writer(engine), is_sqlite=url.startswith("sqlite"))
    create_tenant(svc, name="bench")
    tenant_id = tenant_named(svc, "bench")
    apply_config(svc, tenant_id=tenant_id, document=CONFIG)
    return svc, Principal(tenant_id, "bench", Role.ADMIN)


def run(url: str, path: Path, batch: int, workers: int | None) -> ImportSummary:
    svc, principal = prepare(url)
    try:
        return import_file(svc, principal=principal, path=path, batch=batch, workers=workers)
    finally:
        svc.engine.dispose()


def report(name: str, s: ImportSummary) -> None:
    print(
        f"{name:<11} {s.events_imported:>10,} events  {s.imported:>8,} tickets  "
        f"{s.elapsed:7.1f} s  {s.events_per_second:>9,.0f} events/s  "
        f"({s.workers} worker(s), {s.rejected} rejected)"
    )


def postgres(args: argparse.Namespace, path: Path) -> None:
    admin = psycopg.connect(args.postgres, autocommit=True)
    name = f"slaguard_bench_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
        report("postgresql", run(url, path, args.batch, args.workers))
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def profile(tmp: Path, batch: int) -> None:
    sample = tmp / "sample.jsonl"
    write_file(sample, 5_000)
    svc, principal = prepare(f"sqlite:///{tmp / 'profile.db'}")
    prof = cProfile.Profile()
    prof.enable()
    s = import_file(svc, principal=principal, path=sample, batch=batch, workers=0)
    prof.disable()
    report("profile", s)
    pstats.Stats(prof).sort_stats("tottime").print_stats(25)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--workers", type=int, default=None, help="default: one per CPU")
    ap.add_argument("--only", choices=("sqlite", "postgresql"))
    ap.add_argument("--postgres", default=POSTGRES, help="server to create a database on")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="slaguard-import-") as d:
        tmp = Path(d)
        path = tmp / "tickets.jsonl"
        t0 = time.perf_counter()
        count, events = write_file(path, args.tickets)
        size = path.stat().st_size / 1e6
        print(
            f"{args.tickets:,} tickets, {events:,} events, {count:,} lines, {size:,.0f} MB "
            f"(generated in {time.perf_counter() - t0:.1f} s)"
        )
        if args.profile:
            profile(tmp, args.batch)
            return
        if args.only in (None, "sqlite"):
            report("sqlite", run(f"sqlite:///{tmp / 'bench.db'}", path, args.batch, args.workers))
        if args.only in (None, "postgresql"):
            postgres(args, path)


if __name__ == "__main__":
    main()
