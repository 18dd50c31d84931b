"""How soon the worker acts on due timers: real `slaguard worker` processes, PostgreSQL,
deliveries to a webhook receiver on loopback that notes when each one arrives.

One tenant: a 24x7 calendar, first_response targets of 2h (P1) and 720h (P4), one webhook
channel, one team, and a ladder with one level (`when: "50%"`, notify the webhook). A
throwaway database gets
  - `--tickets` open background tickets (P4, created over the last day), whose level
    timers fall due in about two weeks: the workers' `fire_due` reads a timers table
    of that size;
then, with `--workers` worker processes running (default settings; the poll interval
from `--poll`, logs at warning level),
  - a stream: `--rate` levels falling due a second for `--seconds` (P1 tickets created an
    hour before their level is due);
  - once the stream has arrived, a burst ("Monday opening"): `--burst` levels falling due
    within one second.
Tickets go in with COPY, each as `create_ticket` would have stored it and long ago: the
ticket, its created event, clocks and clock log from the engine's evaluation, the level
timer that `plan_timers` plans, and its audit records, sealed (a self-check compares a
generated ticket with one stored by `create_ticket`).

Prints, per phase, the delay from each level's due instant to its arrival (p50, p99,
max; split at the instant the worker fired it, which the payload's `at` carries), the
time until all of it arrived, the firing rate, and who used the CPU meanwhile (the
workers, this database's PostgreSQL processes, everything else on the machine); then
each worker's peak resident memory (VmHWM). Targets on a 2-core machine: stream p99
< 1 s; the burst all delivered within 10 s of its second; each worker <= 250 MB.

    .venv/bin/python bench/timers.py [--tickets 1000000] [--rate 200] [--seconds 30]
        [--burst 20000] [--workers 2] [--poll 0.5] [--postgres URL] [--quick]
        [--py-spy DIR]    # sample the workers with py-spy (on PATH); print where they were
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import multiprocessing as mp
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from aiohttp import web
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy.engine import make_url

from ingest import PG_ADMIN, percentile  # the ingest benchmark's server and percentile
from slaguard.app import audit, imports
from slaguard.app.configs import apply_config, sla_config
from slaguard.app.services import Services, system_clock
from slaguard.app.tenants import Principal, Role, create_tenant, tenant_named
from slaguard.app.tickets import create_ticket
from slaguard.app.timers import LEVEL, level_key
from slaguard.bootstrap import instance_secret
from slaguard.db.engine import make_engine, writer
from slaguard.db.migrate import upgrade
from slaguard.db.tables import Base
from slaguard.domain.calendar import from_us, to_us
from slaguard.domain.engine import evaluate_us
from slaguard.domain.escalation import plan_levels
from slaguard.domain.policy import SlaConfig
from slaguard.schemas.ticket import parse_ticket

HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US
CHUNK = 10_000  # tickets generated and copied per transaction
# The columns each generated row fills, in the tables' own order (ids of tickets only:
# they are drawn from the sequence first, so the other rows can refer to them).
COLUMNS = {
    table: tuple(c.name for c in Base.metadata.tables[table].columns if c.name != "id" or own)
    for table, own in (
        ("tickets", True),
        ("events", False),
        ("clocks", False),
        ("clock_log", False),
        ("timers", False),
        ("audit_log", False),
    )
}
ACTOR = "admin of bench"  # who create_ticket records as having created a ticket
# Every ticket has a team, as in most help desks (the worker's hourly backlog sample
# counts open tickets by team).
TEAM = "tier1"


def config(hook: str) -> dict[str, Any]:
    return {
        "calendars": {"always": {"timezone": "UTC", "always_open": True}},
        "policies": [
            {
                "name": "bench",
                "calendar": "always",
                "targets": {"first_response": {"P1": "2h", "P4": "720h"}},
            }
        ],
        "channels": {"hook": {"type": "webhook", "url": hook, "secret": "bench"}},
        "escalations": [{"name": "bench", "levels": [{"when": "50%", "notify": ["hook"]}]}],
    }


# ---------------------------------------------------------------------------------------
# the rows of a ticket, as create_ticket and plan_timers write them
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """Tickets to generate: names, priority and created instant of each, evaluated at now."""

    tenant_id: int
    version: int
    ids: list[int]
    names: list[str]
    priority: str
    created: list[int]
    now: int


Rows = dict[str, list[tuple[Any, ...]]]
_CONFIG: SlaConfig | None = None  # set before the generating processes fork


def generate(spec: Spec) -> tuple[Rows, list[int]]:
    """The rows of each ticket, and the instant its level timer fires."""
    assert _CONFIG is not None
    cfg, now, tenant, dumps = _CONFIG, spec.now, spec.tenant_id, json.dumps
    rows: Rows = {table: [] for table in COLUMNS}
    fire: list[int] = []
    for pk, name, created in zip(spec.ids, spec.names, spec.created, strict=True):
        fields = {"id": name, "priority": spec.priority, "team": TEAM}
        event = {"id": f"{name}-c", "type": "created", "at": from_us(created).isoformat()}
        ticket = parse_ticket({**fields, "events": [event]}, cfg)
        ev = evaluate_us(ticket, cfg, now)
        # the rows `slaguard import` writes for the ticket: what `create_ticket` stores
        row, events, clocks, log, _ = imports.ticket_rows(fields, [event], ticket, ev, now)
        values = {
            **row,
            "id": pk,
            "tenant_id": tenant,
            "source": "api",
            "document": dumps(row["document"]),
            "config_version": spec.version,
        }
        rows["tickets"].append(tuple(values[c] for c in COLUMNS["tickets"]))
        for table, part in (("events", events), ("clocks", clocks), ("clock_log", log)):
            rows[table].extend((tenant, pk, *r) for r in part)
        [plan] = plan_levels(ev, cfg.escalation.ladders)  # one ladder, one level, one clock
        key = level_key(plan.ladder, plan.level, plan.metric, plan.cycle)
        rows["timers"].append((tenant, pk, LEVEL, key, plan.at))
        fire.append(plan.at)
        for kind, actor, data in (
            ("ticket.created", ACTOR, {"fields": fields}),
            ("ticket.event", "", event),
        ):  # unsealed: `Chain` seals them
            digest = audit.content_hash(tenant, now, kind, name, actor, data)
            stored = dumps(data, sort_keys=True)  # as hashed (canonical key order)
            rows["audit_log"].append((tenant, now, kind, name, actor, stored, digest))
    return rows, fire


@dataclass
class Chain:
    """The head of the tenant's audit chain. The tickets of a database that has been
    running are long sealed, so their records go in sealed, as the worker seals them."""

    seq: int
    hash: str

    def seal(self, rows: Rows) -> Rows:
        sealed = []
        for row in rows["audit_log"]:
            self.seq += 1
            prev, self.hash = self.hash, audit.chain_hash(self.seq, self.hash, row[-1])
            sealed.append((*row, self.seq, prev, self.hash))
        return {**rows, "audit_log": sealed}

    @classmethod
    def head(cls, conn: psycopg.Connection[Any], tenant_id: int) -> Chain:
        row = conn.execute(
            "SELECT seq, hash FROM audit_log WHERE tenant_id = %s AND seq IS NOT NULL"
            " ORDER BY seq DESC LIMIT 1",
            [tenant_id],
        ).fetchone()
        return cls(row[0], row[1]) if row is not None else cls(0, audit.GENESIS)


def copy_rows(conn: psycopg.Connection[Any], rows: Rows) -> None:
    """COPY the rows in one transaction (the way `slaguard import` writes PostgreSQL)."""
    with conn.cursor() as cur:
        for table, cols in COLUMNS.items():
            if rows[table]:
                with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
                    for row in rows[table]:
                        cp.write_row(row)
    conn.commit()


def new_ids(conn: psycopg.Connection[Any], n: int) -> list[int]:
    cur = conn.execute(
        "SELECT nextval(pg_get_serial_sequence('tickets', 'id')) FROM generate_series(1, %s)", [n]
    )
    ids = [r[0] for r in cur]
    conn.commit()
    return ids


def specs(
    conn: psycopg.Connection[Any], base: Spec, names: list[str], created: list[int]
) -> Iterator[Spec]:
    for i in range(0, len(names), CHUNK):
        part = names[i : i + CHUNK]
        yield dataclasses.replace(
            base, ids=new_ids(conn, len(part)), names=part, created=created[i : i + CHUNK]
        )


def store(
    pool: Any,
    conn: psycopg.Connection[Any],
    chain: Chain,
    base: Spec,
    names: list[str],
    created: list[int],
) -> Iterator[list[int]]:
    """Generate (in the pool) and COPY tickets chunk by chunk; each chunk's fire instants."""
    for rows, fire in pool.imap(generate, specs(conn, base, names, created)):
        copy_rows(conn, chain.seal(rows))
        yield fire


def stored_rows(conn: psycopg.Connection[Any], name: str) -> dict[str, list[Any]]:
    """What the database holds of one ticket, in the generated tables, without row ids
    (and the content hash, which covers the ticket's name)."""
    [pk] = conn.execute("SELECT id FROM tickets WHERE external_id = %s", [name]).fetchone() or [0]
    out = {}
    for table, cols in COLUMNS.items():
        keep = ", ".join(c for c in cols if c not in ("id", "ticket_id", "content_hash"))
        of, key = {"tickets": ("id", pk), "audit_log": ("subject", name)}.get(
            table, ("ticket_id", pk)
        )
        sql = f"SELECT {keep} FROM {table} WHERE {of} = %s ORDER BY id"  # noqa: S608 - ours
        out[table] = conn.execute(sql, [key]).fetchall()
    return out


def check_generator(svc: Services, principal: Principal, base: Spec, dsn: str) -> None:
    """A generated ticket is stored exactly as `create_ticket` stores the same ticket."""
    created = base.now - HOUR_US
    fixed = dataclasses.replace(svc, clock=lambda: base.now)
    event = {"id": "CHECK-A-c", "type": "created", "at": from_us(created).isoformat()}
    doc = {"id": "CHECK-A", "priority": "P1", "team": TEAM, "events": [event]}
    create_ticket(fixed, principal=principal, document=doc)
    unsealed = (None, None, None)
    with psycopg.connect(dsn) as conn:
        [pk] = new_ids(conn, 1)
        spec = dataclasses.replace(base, ids=[pk], names=["CHECK-B"], created=[created])
        rows = generate(spec)[0]
        copy_rows(conn, {**rows, "audit_log": [(*r, *unsealed) for r in rows["audit_log"]]})
        found = {
            name: repr(stored_rows(conn, name)).replace(name, "CHECK")
            for name in ("CHECK-A", "CHECK-B")
        }
        conn.execute("DELETE FROM tickets WHERE external_id IN ('CHECK-A', 'CHECK-B')")
    if found["CHECK-A"] != found["CHECK-B"]:
        raise SystemExit(f"generated rows differ from create_ticket's:\n{found}")


# ---------------------------------------------------------------------------------------
# the receiver and the workers
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Arrival:
    at_us: int  # when the body had arrived (wall clock, UTC epoch microseconds)
    delivery: str
    ticket: str
    fired_us: int  # the payload's `at`: when the worker fired the level


class Receiver:
    """An aiohttp server in a thread of its own on a loopback port; notes every POST."""

    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/hook"
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="receiver", daemon=True)

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        at_us = time.time_ns() // 1000
        doc = json.loads(body)
        fired = to_us(datetime.fromisoformat(doc["at"]))
        delivery = request.headers.get("X-Slaguard-Delivery", "")
        self.arrivals.append(Arrival(at_us, delivery, doc["ticket"], fired))
        return web.Response()

    def _run(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(runner.setup())
        site = web.SockSite(runner, self._sock, backlog=1024)
        self._loop.run_until_complete(site.start())
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


def proc_status_mb(pid: int, name: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_workers(n: int, url: str, args: argparse.Namespace, tmp: Path) -> list[Any]:
    env = {
        **os.environ,
        "SLAGUARD_DATABASE_URL": url,
        "SLAGUARD_WORKER_POLL_SECONDS": str(args.poll),
        "SLAGUARD_LOG_LEVEL": "warning",
    }
    procs = []
    for i in range(n):
        with (tmp / f"worker-{i}.log").open("wb") as log:  # the child keeps its descriptor
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "slaguard", "worker"],
                    env=env,
                    cwd=tmp,  # no stray .env
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
            )
    return procs


def wait_listening(dsn: str, procs: list[Any], tmp: Path, timeout: float = 120) -> None:
    """Until every worker runs its loop (each LISTENs for wake-ups once it does)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            alive(procs, tmp)
            listening = conn.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND query LIKE 'LISTEN %%'"
            ).fetchone()
            if listening is not None and listening[0] >= len(procs):
                return
            time.sleep(0.1)
    raise SystemExit("the workers did not start in time")


def alive(procs: list[Any], tmp: Path) -> None:
    for i, p in enumerate(procs):
        if p.poll() is not None:
            log = (tmp / f"worker-{i}.log").read_text(errors="replace")[-3000:]
            raise SystemExit(f"worker {i} exited with {p.returncode}:\n{log}")


# Sampling without stopping the process (--nonblocking), so it slows the workers little.
SPY = ("py-spy", "record", "--format", "raw", "--rate", "200", "--nonblocking")


def record(procs: list[Any], folder: Path | None) -> list[Any]:
    """py-spy (on PATH) sampling each worker, all threads, into collapsed stacks."""
    if folder is None:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(  # noqa: S603 - a profiler we were asked to run
            [*SPY, "--pid", str(p.pid), "-o", str(folder / f"worker-{i}.txt")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i, p in enumerate(procs)
    ]


def hot_frames(folder: Path, top: int = 20) -> None:
    """Per worker: where its busy samples were, as shares of them: slaguard's own frames
    (inclusive) and the share spent waiting for PostgreSQL to answer."""
    for path in sorted(folder.glob("worker-*.txt")):
        seen = Counter[str]()
        total = waiting = 0
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            frames, n = stack.split(";"), int(count)
            if not any("slaguard/" in f for f in frames):
                continue  # the event loop or a thread pool waiting for work
            total += n
            waiting += n if any("Connection.wait (psycopg" in f for f in frames) else 0
            for frame in {f for f in frames if "slaguard/" in f}:
                seen[frame] += n
        print(
            f"{path.name}: {total:,} samples in slaguard code, of them waiting for"
            f" PostgreSQL {100 * waiting / max(total, 1):.0f}%"
        )
        for frame, n in seen.most_common(top):
            print(f"  {100 * n / max(total, 1):5.1f}%  {frame[:140]}")


class ActiveQueries(threading.Thread):
    """Samples what this database's server processes are running, 50 times a second:
    where PostgreSQL's share of the time goes, by statement."""

    def __init__(self, url: str) -> None:
        super().__init__(name="pg-sampler", daemon=True)
        self.url, self.seen, self.samples = url, Counter[str](), 0
        self.stop = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.wait(0.02):
                rows = conn.execute(
                    "SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 110)"
                    " FROM pg_stat_activity WHERE datname = current_database()"
                    " AND state = 'active' AND pid <> pg_backend_pid()"
                ).fetchall()
                self.samples += 1
                self.seen.update(r[0] for r in rows)

    def print(self, top: int = 12) -> None:
        print(f"PostgreSQL: statements running, by share of {self.samples:,} samples")
        for query, n in self.seen.most_common(top):
            print(f"  {100 * n / max(self.samples, 1):5.1f}%  {query}")


def stop_workers(procs: list[Any]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


# ---------------------------------------------------------------------------------------
# CPU accounting: who used the two cores while a phase ran
# ---------------------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def backends(database: str) -> list[int]:
    """The PostgreSQL server processes serving this database."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if cmd.startswith(b"postgres:") and f" {database} ".encode() in cmd:
                found.append(int(proc.name))
    return found


@dataclass(frozen=True)
class Cpu:
    wall: float
    workers: float
    postgres: float
    machine: float  # every process on the machine, ours and anyone else's

    @classmethod
    def now(cls, procs: list[Any], database: str) -> Cpu:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        busy = sum(fields[:8]) - fields[3] - fields[4]  # all but idle and iowait
        return cls(
            time.monotonic(),
            sum(cpu_s(p.pid) for p in procs),
            sum(cpu_s(pid) for pid in backends(database)),
            busy / TICK,
        )

    def since(self, start: Cpu, levels: int) -> str:
        wall, w = self.wall - start.wall, self.workers - start.workers
        pg = max(0.0, self.postgres - start.postgres)
        rest = max(0.0, self.machine - start.machine - w - pg)
        each = 1000 / max(levels, 1)
        return (
            f"CPU over {wall:.0f} s on {os.cpu_count()} cores: workers {w:.0f} s,"
            f" PostgreSQL (this database) {pg:.0f} s, everything else {rest:.0f} s;"
            f" per level: workers {w * each:.1f} ms, PostgreSQL {pg * each:.1f} ms"
        )


# ---------------------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    prefix: str  # of its tickets' names
    due: dict[str, int]  # ticket -> the instant its level fell due
    cpu: str = ""


def bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def prepare(url: str, hook: str) -> Spec:
    """Schema, tenant, configuration; the self-check. The spec of a background ticket."""
    global _CONFIG
    engine = make_engine(url, pool_size=2, max_overflow=2)
    try:
        upgrade(engine)
        svc = Services(engine=engine, write_engine=writer(engine))
        create_tenant(svc, name="bench")
        tenant_id = tenant_named(svc, "bench")
        version = apply_config(svc, tenant_id=tenant_id, document=config(hook))
        _CONFIG = sla_config(svc, tenant_id=tenant_id, version=version)
        base = Spec(tenant_id, version, [], [], "P4", [], system_clock())
        principal = Principal(tenant_id, "bench", Role.ADMIN)
        check_generator(svc, principal, dataclasses.replace(base, priority="P1"), url)
        audit.seal(svc)  # the configuration's and the check's records
        # The installation's signing key, made on first use: a database that has served
        # a million tickets has it. (Two workers starting at once on a database without
        # it race to create it, and the loser exits.)
        instance_secret(svc)
    finally:
        engine.dispose()  # before the generating processes fork
    return base


def populate(pool: Any, url: str, base: Spec, n: int, console: Console) -> float:
    """Store the background tickets; how many a second went in."""
    rng = random.Random(7)
    names = [f"B-{i}" for i in range(n)]
    created = [base.now - rng.randrange(DAY_US) for _ in range(n)]
    t0 = time.perf_counter()
    with psycopg.connect(url) as conn, bar(console) as progress:
        task = progress.add_task("background tickets", total=n)
        chain = Chain.head(conn, base.tenant_id)
        for fire in store(pool, conn, chain, base, names, created):
            progress.advance(task, len(fire))
    copied = time.perf_counter() - t0
    t0 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # as autovacuum would have, on tables this old
        conn.execute("CHECKPOINT")  # the load's dirty pages written before measuring
    console.print(
        f"{n:,} background tickets stored in {copied:.0f} s"
        f" (vacuum, analyze, checkpoint {time.perf_counter() - t0:.0f} s)"
    )
    return n / copied


def store_due(pool: Any, url: str, base: Spec, phase: Phase) -> None:
    """Store a phase's tickets: P1, created an hour before their level falls due."""
    names, due = list(phase.due), list(phase.due.values())
    spec = dataclasses.replace(base, priority="P1", now=system_clock())
    fire: list[int] = []
    with psycopg.connect(url) as conn:
        for _ in range(600):  # the workers seal new audit records; ours follow theirs
            row = conn.execute("SELECT count(*) FROM audit_log WHERE seq IS NULL").fetchone()
            conn.commit()
            if row is not None and row[0] == 0:
                break
            time.sleep(0.1)
        else:
            raise SystemExit("the workers did not seal the audit trail within a minute")
        chain = Chain.head(conn, base.tenant_id)
        for part in store(pool, conn, chain, spec, names, [d - HOUR_US for d in due]):
            fire.extend(part)
    if fire != due:  # planned by the engine (50% of 2h after creation), where we meant
        raise SystemExit("a level timer was not planned at the intended instant")
    if system_clock() > min(due) - 500_000:
        raise TooLate(f"{phase.name}: not measured, storing its tickets took past --lead")


class TooLate(Exception):
    """Some of a phase's levels fell due before all of them were stored."""


def watch(receiver: Receiver, phase: Phase, timeout: float, check: Any) -> None:
    """Until every level of the phase arrived, or `timeout` s after its last fell due."""
    end_by = max(phase.due.values()) + round(timeout * 1e6)
    seen: set[str] = set()
    done = 0
    with bar(Console()) as progress:
        task = progress.add_task(f"{phase.name} deliveries", total=len(phase.due))
        while len(seen) < len(phase.due) and system_clock() < end_by:
            arrivals = receiver.arrivals[done:]
            done += len(arrivals)
            fresh = {a.ticket for a in arrivals if a.ticket.startswith(phase.prefix)} - seen
            seen |= fresh
            progress.advance(task, len(fresh))
            check()
            time.sleep(0.2)
    time.sleep(1.0)  # a delivery sent twice would arrive by now


def ms(us: float) -> str:
    return f"{us / 1000:,.0f} ms" if us == us else "-"


def pair(values: list[int]) -> str:
    return f"{ms(percentile(values, 0.5))} / {ms(percentile(values, 0.99))}"


def verdict(ok: bool) -> str:
    return "[green]met[/green]" if ok else "[red]NOT MET[/red]"


def report(
    console: Console,
    receiver: Receiver,
    phases: list[Phase],
    rss: list[tuple[float, float]],
    db: tuple[int, Counter[str]],
) -> None:
    first: dict[str, Arrival] = {}
    for a in receiver.arrivals:
        first.setdefault(a.ticket, a)
    table = Table(title="worker timers")
    for col in ("", "measured", "target", ""):
        table.add_column(col, justify="right" if col else "left", no_wrap=True)
    for phase in phases:
        got = [first[t] for t in phase.due if t in first]
        total = [a.at_us - phase.due[a.ticket] for a in got]
        fired = [a.fired_us - phase.due[a.ticket] for a in got]
        sent = [a.at_us - a.fired_us for a in got]
        n, name, complete = len(phase.due), phase.name, len(got) == len(phase.due)
        p99, stream = percentile(total, 0.99), phase.prefix == "S"
        start, end = min(phase.due.values()), max(phase.due.values())
        whole = (max(a.at_us for a in got) - start) / 1e6 if complete else float("nan")
        rows = [
            ("delivered", f"{len(got):,} of {n:,}", "all", verdict(complete)),
            ("due -> arrival p50", ms(percentile(total, 0.5)), "", ""),
            (
                "due -> arrival p99",
                ms(p99),
                *(("< 1,000 ms", verdict(p99 < 1e6)) if stream else ("", "")),
            ),
            ("due -> arrival max", ms(max(total, default=float("nan"))), "", ""),
            ("  due -> fired p50 / p99", pair(fired), "", ""),
            ("  fired -> arrival p50 / p99", pair(sent), "", ""),
            (
                "all arrived after",
                f"{whole:,.1f} s" if complete else "-",
                f"({(end - start) / 1e6:,.0f} s of levels)" if stream else "<= 10 s",
                "" if stream else verdict(whole <= 10),
            ),
        ]
        if len(got) > 1:
            span = (max(a.fired_us for a in got) - min(a.fired_us for a in got)) / 1e6
            rows.append(("firing rate", f"{len(got) / max(span, 1e-3):,.0f} levels/s", "", ""))
        for label, *cells in rows:
            table.add_row(f"{name}: {label}", *cells)
        table.add_section()
    for i, (hwm, now) in enumerate(rss):
        mb = f"{hwm:,.0f} MB ({now:,.0f})"
        table.add_row(f"worker {i + 1}: peak RSS (now)", mb, "<= 250 MB", verdict(hwm <= 250))
    console.print(table)
    for phase in phases:
        console.print(f"{phase.name}: {phase.cpu}")
    escalations, states = db
    repeats = len(receiver.arrivals) - len({a.delivery for a in receiver.arrivals})
    console.print(
        f"levels fired {escalations:,}; outbox {dict(states)}; deliveries received"
        f" {len(receiver.arrivals):,} ({repeats} repeats of a delivery id)"
    )


def database_counts(url: str) -> tuple[int, Counter[str]]:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM escalations").fetchone()
        states = Counter(dict(conn.execute("SELECT state, count(*) FROM outbox GROUP BY state")))
    return (row[0] if row else 0), states


def measure(
    phase: Phase,
    pool: Any,
    url: str,
    base: Spec,
    procs: list[Any],
    args: argparse.Namespace,
    receiver: Receiver,
    tmp: Path,
    console: Console,
) -> None:
    start = min(phase.due.values())
    console.print(
        f"{phase.name}: {len(phase.due):,} levels due from {from_us(start).time()} UTC to"
        f" {from_us(max(phase.due.values())).time()}; load average {os.getloadavg()[0]:.2f}"
    )
    store_due(pool, url, base, phase)
    time.sleep(max(0.0, (start - system_clock()) / 1e6))
    database = make_url(url).database or ""
    cpu = Cpu.now(procs, database)
    watch(receiver, phase, args.timeout, lambda: alive(procs, tmp))
    phase.cpu = Cpu.now(procs, database).since(cpu, len(phase.due))


def run(args: argparse.Namespace, url: str, tmp: Path, receiver: Receiver) -> None:
    console = Console(width=max(100, Console().width))
    base = prepare(url, receiver.url)
    pool = mp.get_context("fork").Pool(os.cpu_count() or 2)
    procs: list[Any] = []
    phases: list[Phase] = []
    rss: list[tuple[float, float]] = []
    try:
        per_s = populate(pool, url, base, args.tickets, console)
        procs = start_workers(args.workers, url, args, tmp)
        wait_listening(url, procs, tmp)
        spies = record(procs, args.py_spy)
        active = ActiveQueries(url)
        if args.py_spy is not None:
            active.start()

        def first_due(n: int) -> int:  # time to store n tickets at a third of the pace above
            return system_clock() + round(max(args.lead, 5 + 3 * n / per_s) * 1e6)

        # the stream: `rate` levels a second; then the burst: `burst` within one second
        for name, prefix, n, step in (
            ("stream", "S", round(args.rate * args.seconds), 1e6 / args.rate),
            ("burst", "M", args.burst, 1e6 / args.burst),
        ):
            t0 = first_due(n)
            phase = Phase(name, prefix, {f"{prefix}-{i}": t0 + int(i * step) for i in range(n)})
            try:
                measure(phase, pool, url, base, procs, args, receiver, tmp, console)
                phases.append(phase)
            except TooLate as exc:
                console.print(f"[red]{exc}[/red]")
        rss = [(proc_status_mb(p.pid, "VmHWM"), proc_status_mb(p.pid, "VmRSS")) for p in procs]
        for spy in spies:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
        active.stop.set()
    finally:
        pool.terminate()
        stop_workers(procs)
    report(console, receiver, phases, rss, database_counts(url))
    if args.py_spy is not None:
        hot_frames(args.py_spy)
        active.print()


def revision() -> str:
    out = subprocess.run(  # noqa: S603 - git, to name what was measured
        ["git", "-C", str(Path(__file__).parent), "describe", "--always", "--dirty"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip() or "unknown"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tickets", type=int, default=1_000_000, help="open background tickets")
    ap.add_argument("--rate", type=float, default=200, help="levels due per second (stream)")
    ap.add_argument("--seconds", type=float, default=30, help="length of the stream")
    ap.add_argument("--burst", type=int, default=20_000, help="levels due in one second")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--poll", type=float, default=0.5, help="SLAGUARD_WORKER_POLL_SECONDS")
    ap.add_argument("--lead", type=float, default=10, help="seconds from storing to first due")
    ap.add_argument("--timeout", type=float, default=1200, help="wait after a phase's last level")
    ap.add_argument("--postgres", default=PG_ADMIN, help="server to create a database on")
    ap.add_argument(
        "--py-spy",
        type=Path,
        metavar="DIR",
        help="profile: the workers with py-spy (into DIR), PostgreSQL by its activity",
    )
    ap.add_argument("--keep", action="store_true", help="keep the database (URL printed)")
    ap.add_argument("--quick", action="store_true", help="a small, fast smoke run")
    args = ap.parse_args()
    if args.quick:
        args.tickets, args.rate, args.seconds, args.burst = 20_000, 50, 5, 1_000
        args.lead = 5
    cpus, load = os.cpu_count(), os.getloadavg()[0]
    print(
        f"worker timers ({revision()}): {args.tickets:,} open tickets, {args.rate:g} levels/s"
        f" for {args.seconds:g} s, a burst of {args.burst:,}, {args.workers} workers"
        f" (poll {args.poll:g} s); {cpus} CPUs, load average {load:.2f} at start"
    )
    admin = psycopg.connect(args.postgres, autocommit=True)
    name = f"slaguard_bench_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory(prefix="slaguard-timers-") as d, Receiver() as receiver:
            run(args, url, Path(d), receiver)
    finally:
        if args.keep:
            print(f"kept: {url}")
        else:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
