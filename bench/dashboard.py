"""The dashboard's pages over HTTP, from a real `slaguard serve` process, at size.

A throwaway database is filled by bench/reports.py's generator (COPY on PostgreSQL; on
SQLite the same rows inserted in batches) with `--tickets` tickets over the 90 days up to
now, `--open` of them still open: besides those the generator leaves open at the end, the
resolution clock of tickets drawn with a chance that halves every two weeks of age (a
backlog weighted towards recent tickets, some months old) never stopped, so they are
running, or breached once their due instant passed.
Then `slaguard serve` is started on it, a lead signs in through the form (a session
cookie, like a browser), and each page is asked for `--requests` times, one request at a
time after one warm-up request whose time is printed apart (`first`):
  - the SLA hub, `/`;
  - a ticket page, `/tickets/{id}`, of a random open ticket each time;
  - the reports page, `/reports` (its default window: the 30 days up to today).
Printed: status codes, first, p50, p95 and max per page, against the targets (p95 at most
150 ms on PostgreSQL, 300 ms on SQLite). The reports page remembers its figures for a few
minutes per process (`web/pages/reports.py`): `first` is the time of computing them.

    .venv/bin/python bench/dashboard.py [--backend postgres|sqlite|both] [--tickets 1000000]
        [--open 200000] [--sqlite-tickets 1000000] [--requests 200] [--postgres URL]
        [--keep] [--reuse-postgres URL] [--reuse-sqlite PATH]
        [--quick]   # 20,000 tickets (4,000 open), 40 requests a page: a smoke run
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psycopg
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reports as bulk  # bench/reports.py: the generator
from slaguard.app import users
from slaguard.app.configs import apply_config, sla_config
from slaguard.app.services import Services
from slaguard.app.tenants import create_tenant, tenant_named
from slaguard.config.files import load_mapping
from slaguard.db.migrate import upgrade

TARGET_MS = {"postgres": 150.0, "sqlite": 300.0}
EMAIL, PASSWORD = "lead@bench.example", "bench password 1234"
HALF_LIFE_DAYS = 14.0
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Backlog(bulk.Population):
    """bench/reports.py's population with `open_tickets` of its tickets open at END."""

    def __init__(self, config: Any, tenant_id: int, version: int, tickets: int, open_: int):
        super().__init__(config, tenant_id, version, tickets)
        age = (bulk.END - self.created) / bulk.DAY
        weight = 0.5 ** (age / HALF_LIFE_DAYS)
        lo, hi = 0.0, 1e9  # the scale that draws `open_` tickets on average
        for _ in range(100):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if np.minimum(1, mid * weight).sum() < open_ else (lo, mid)
        chance = np.minimum(1, hi * weight)
        self.keep_open = np.random.default_rng(20261122).random(tickets) < chance

    def instances(self, t: bulk.Tickets) -> tuple[bulk.Instances, bulk.Pauses]:
        inst, pauses = super().instances(t)
        n = t.ids.size
        res = np.arange(n) * 3 + 1
        chosen = res[self.keep_open[t.lo : t.lo + n] & inst.stopped[res]]
        late = inst.due[chosen] < bulk.END
        inst.stopped[chosen] = False
        inst.breached[chosen] = late
        inst.state[chosen] = np.where(late, "breached", "running")
        target = inst.target[chosen]
        inst.elapsed[chosen] = np.where(late, target + 1, np.minimum(inst.elapsed[chosen], target))
        inst.next_us[chosen] = inst.due[chosen] + 1
        return inst, pauses


def population(open_: int) -> Any:
    return functools.partial(Backlog, open_=open_)


# ---------------------------------------------------------------------------------------
# databases
# ---------------------------------------------------------------------------------------


def load_postgres(args: argparse.Namespace, console: Console) -> tuple[str, Any]:
    """A new database on the server, filled; its URL and a function dropping it."""
    admin = psycopg.connect(args.postgres, autocommit=True)
    name = f"slaguard_bench_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        if args.keep:
            console.print(f"kept: --reuse-postgres {url}")
        else:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    svc = bulk.services(url)
    try:
        console.print(f"PostgreSQL: {args.tickets:,} tickets ({args.open:,} open) into {name}")
        load = argparse.Namespace(tickets=args.tickets, audit=0, seal=0)
        bulk.load(url, svc, load, console, population(args.open))
        make_lead(svc)
    except BaseException:
        svc.engine.dispose()
        drop()
        raise
    svc.engine.dispose()
    return url, drop


def load_sqlite(args: argparse.Namespace, console: Console) -> tuple[str, Any]:
    """A new SQLite file, filled with the same generator (inserted in batches)."""
    path = Path(tempfile.gettempdir()) / f"slaguard_bench_{secrets.token_hex(4)}.db"
    url = f"sqlite:///{path}"

    def drop() -> None:
        if args.keep:
            console.print(f"kept: --reuse-sqlite {path}")
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    tickets, open_ = args.sqlite_tickets, args.open * args.sqlite_tickets // args.tickets
    console.print(f"SQLite: {tickets:,} tickets ({open_:,} open) into {path}")
    svc = bulk.services(url)
    try:
        upgrade(svc.engine)
        create_tenant(svc, name=bulk.TENANT)
        tenant_id = tenant_named(svc, bulk.TENANT)
        document = load_mapping(bulk.ROOT / "examples" / "slaguard.yaml")
        version = apply_config(svc, tenant_id=tenant_id, document=document)
        config = sla_config(svc, tenant_id=tenant_id, version=version)
        make_lead(svc)
    finally:
        svc.engine.dispose()
    pop = Backlog(config, tenant_id, version, tickets, open_)
    t0 = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA foreign_keys=OFF")  # consistent as generated (as COPY on replica)
    counts: Counter[str] = Counter()
    with bulk.progress(console) as bar:
        task = bar.add_task("tickets", total=tickets)
        for lo in range(0, tickets, bulk.CHUNK):
            hi = min(lo + bulk.CHUNK, tickets)
            for rows in pop.chunk(lo, hi):
                insert(conn, rows)
                counts[rows.table] += rows.count
            conn.commit()
            bar.advance(task, hi - lo)
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()
    took = time.perf_counter() - t0
    console.print(f"loaded in {took:.0f} s: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    return url, drop


def insert(conn: sqlite3.Connection, rows: bulk.Rows) -> None:
    columns = bulk.TABLES[rows.table].split()
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" * len(columns))
    values = (
        [None if v == bulk.NULL else v for v in line.split("\t")]
        for part in rows.parts
        for line in part.splitlines()
    )
    conn.executemany(f"INSERT INTO {rows.table} ({names}) VALUES ({marks})", values)  # noqa: S608


def make_lead(svc: Services) -> None:
    users.create_user(svc, tenant=bulk.TENANT, email=EMAIL, password=PASSWORD, role="lead")


def open_tickets(url: str, n: int) -> list[str]:
    """The external ids of `n` random open tickets."""
    query = (
        "SELECT external_id FROM tickets WHERE status NOT IN ('solved', 'closed') "
        "ORDER BY random() LIMIT ?"
    )
    if url.startswith("sqlite"):
        with sqlite3.connect(make_url(url).database or "") as conn:
            return [r[0] for r in conn.execute(query, (n,))]
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute(query.replace("?", "%s"), (n,))]


def count_open(url: str) -> tuple[int, int]:
    query = (
        "SELECT count(*), sum(CASE WHEN status IN ('solved', 'closed') THEN 0 ELSE 1 END) "
        "FROM tickets"
    )
    if url.startswith("sqlite"):
        with sqlite3.connect(make_url(url).database or "") as conn:
            row = conn.execute(query).fetchone()
    else:
        with psycopg.connect(url) as conn:
            row = conn.execute(query).fetchone()
    assert row is not None
    return int(row[0]), int(row[1] or 0)


# ---------------------------------------------------------------------------------------
# the server and the pages
# ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(url: str, tmp: Path) -> Iterator[str]:
    """`slaguard serve` on `url`; its base URL, until the block ends."""
    port = free_port()
    env = {**os.environ, "SLAGUARD_DATABASE_URL": url, "SLAGUARD_LOG_LEVEL": "warning"}
    log = (tmp / "serve.log").open("wb")
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "slaguard", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise SystemExit((tmp / "serve.log").read_text(errors="replace")[-3000:])
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("slaguard serve did not start in time")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def signed_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=120, follow_redirects=False)
    form = client.get("/signin")
    found = _CSRF.search(form.text)
    assert found is not None, form.text[:500]
    r = client.post(
        "/signin",
        data={
            "tenant": bulk.TENANT,
            "email": EMAIL,
            "password": PASSWORD,
            "csrf_token": found.group(1),
            "next": "/",
        },
    )
    if r.status_code != 303 or "slaguard_session" not in client.cookies:
        raise SystemExit(f"signing in failed: {r.status_code} {r.text[:300]}")
    return client


@dataclass
class Measured:
    page: str
    first_ms: float
    times_ms: list[float]
    statuses: Counter[int]

    def pct(self, p: float) -> float:
        ordered = sorted(self.times_ms)
        return ordered[max(0, int(np.ceil(p * len(ordered))) - 1)]


def measure(client: httpx.Client, page: str, paths: list[str]) -> Measured:
    statuses: Counter[int] = Counter()
    t0 = time.perf_counter()
    statuses[client.get(paths[0]).status_code] += 1
    first = (time.perf_counter() - t0) * 1000
    times = []
    for path in paths[1:]:
        t0 = time.perf_counter()
        r = client.get(path)
        times.append((time.perf_counter() - t0) * 1000)
        statuses[r.status_code] += 1
    return Measured(page, first, times, statuses)


def run_pages(url: str, backend: str, args: argparse.Namespace, console: Console) -> None:
    total, open_ = count_open(url)
    ids = open_tickets(url, args.requests + 1)
    with tempfile.TemporaryDirectory() as tmp, serving(url, Path(tmp)) as base:
        client = signed_in(base)
        n = args.requests + 1
        results = [
            measure(client, "/", ["/"] * n),
            measure(client, "/tickets/{id}", [f"/tickets/{i}" for i in ids]),
            measure(client, "/reports", ["/reports"] * n),
        ]
        client.close()
    target = TARGET_MS[backend]
    load1, load5, _ = os.getloadavg()
    table = Table(
        title=f"{backend}: {total:,} tickets, {open_:,} open; {args.requests} requests a page",
        caption=f"{os.cpu_count()} CPUs; load average after: {load1:.1f} (1 min), "
        f"{load5:.1f} (5 min)",
    )
    for col in ("page", "status codes", "first ms", "p50 ms", "p95 ms", "max ms", "p95 target"):
        table.add_column(col, justify="left" if col in ("page", "status codes") else "right")
    for m in results:
        ok = m.pct(0.95) <= target and set(m.statuses) == {200}
        table.add_row(
            m.page,
            ", ".join(f"{code} x{k}" for code, k in sorted(m.statuses.items())),
            f"{m.first_ms:.0f}",
            f"{statistics.median(m.times_ms):.0f}",
            f"{m.pct(0.95):.0f}",
            f"{max(m.times_ms):.0f}",
            f"[green]≤ {target:.0f}: met[/]" if ok else f"[red]≤ {target:.0f}: NOT met[/]",
        )
    console.print(table)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--backend", choices=("postgres", "sqlite", "both"), default="both")
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--open", type=int, default=200_000)
    ap.add_argument("--sqlite-tickets", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--postgres", default=bulk.POSTGRES, help="server to create a database on")
    ap.add_argument("--keep", action="store_true", help="keep the databases (prints where)")
    ap.add_argument("--reuse-postgres", metavar="URL", help="a database kept by --keep")
    ap.add_argument("--reuse-sqlite", metavar="PATH", help="a file kept by --keep")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.tickets, args.open, args.sqlite_tickets, args.requests = 20_000, 4_000, 20_000, 40
    console = Console() if sys.stdout.isatty() else Console(width=120)
    # the data end now, so that the pages' default windows (up to today) hold them
    bulk.END = int(time.time() // 60 * 60) * 1_000_000
    bulk.START = bulk.END - 90 * bulk.DAY
    if args.backend in ("postgres", "both"):
        if args.reuse_postgres:
            url, drop = args.reuse_postgres, lambda: None
        else:
            url, drop = load_postgres(args, console)
        try:
            bulk.describe(url, console)
            run_pages(url, "postgres", args, console)
        finally:
            drop()
    if args.backend in ("sqlite", "both"):
        if args.reuse_sqlite:
            url, drop = f"sqlite:///{args.reuse_sqlite}", lambda: None
        else:
            url, drop = load_sqlite(args, console)
        try:
            run_pages(url, "sqlite", args, console)
        finally:
            drop()


if __name__ == "__main__":
    main()
