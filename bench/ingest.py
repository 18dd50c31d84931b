"""Events through the HTTP API into SQLite and PostgreSQL, with the server in its own process.

For each database: starts `slaguard serve` on a free loopback port, creates a tenant with
the example configuration and a set of tickets, then runs, for a fixed time each,
  - single events: 32 concurrent clients, each POSTing one event at a time to a ticket
    (every event committed with its clock update before the reply);
  - batches: 32 concurrent clients, each POSTing a new ticket with 500 events;
and prints events/s, p50 and p99 latency per request, and the server's resident memory.
Last, the same single-event load against endpoints that do nothing (`bench/noop_app.py`,
one plain `def`, one `async def`, under uvicorn as `serve` runs it): the most that any
endpoint on this HTTP stack can answer on the machine, for reading the figures above.
The load comes from aiohttp on one event loop: httpx's connection pool spends several
milliseconds of CPU per request with 32 connections, which capped the measurement near
200 requests/s whatever the server did.
Targets on a 2-core machine (single events): SQLite >= 2,500 events/s and PostgreSQL
>= 1,500 events/s, both with p99 <= 50 ms; API process <= 120 MB resident.

    .venv/bin/python bench/ingest.py [--seconds 10] [--clients 32] [--only sqlite|postgresql]
                                     [--workers N  (server processes on PostgreSQL)]
                                     [--floor  (with --only: the no-op endpoints too)]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("SLAGUARD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def slaguard(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "slaguard", *args], env=env, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(f"slaguard {' '.join(args)} failed: {out.stderr}")
    return out.stdout


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (the worker processes of `serve --workers`)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *(p for child in children for p in process_tree(int(child)))]


def memory_report(pid: int) -> str:
    sizes = [rss_mb(p) for p in process_tree(pid)]
    if len(sizes) == 1:
        return f"{sizes[0]:.0f} MB"
    return f"largest process {max(sizes):.0f} MB, {len(sizes)} processes {sum(sizes):.0f} MB"


def iso(t: datetime) -> str:
    return t.isoformat()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_single(
    base: str, key: str, tickets: list[str], seconds: float, clients: int, path: str = "/api/v1"
):
    latencies: list[float] = []
    events = 0
    counters = {t: 0 for t in tickets}
    deadline = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {key}"}

    async def client(n: int, http: aiohttp.ClientSession) -> None:
        nonlocal events
        rng = random.Random(n)
        mine = tickets[n::clients]
        while time.perf_counter() < deadline:
            t = rng.choice(mine)
            counters[t] += 1
            k = counters[t]
            kind = "agent_reply" if k % 2 else "customer_reply"
            event = {"id": f"{t}-{k}", "type": kind, "at": iso(T0 + timedelta(minutes=5 * k))}
            start = time.perf_counter()
            async with http.post(
                f"{base}{path}/tickets/{t}/events", json=event, headers=headers
            ) as r:
                body = await r.text()
            latencies.append(time.perf_counter() - start)
            if r.status not in (200, 201):
                raise SystemExit(f"unexpected {r.status}: {body[:300]}")
            events += 1

    async with session(clients, timeout=60) as http:
        t0 = time.perf_counter()
        await asyncio.gather(*(client(n, http) for n in range(clients)))
        wall = time.perf_counter() - t0
    return events / wall, latencies


def session(clients: int, timeout: float) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=clients),
        timeout=aiohttp.ClientTimeout(total=timeout),
    )


async def run_batches(base: str, key: str, seconds: float, clients: int, size: int):
    latencies: list[float] = []
    events = 0
    deadline = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {key}"}

    def ticket(tid: str) -> dict[str, object]:
        evs: list[dict[str, object]] = [{"id": f"{tid}-0", "type": "created", "at": iso(T0)}]
        for k in range(1, size):
            kind = "agent_reply" if k % 2 else "customer_reply"
            evs.append({"id": f"{tid}-{k}", "type": kind, "at": iso(T0 + timedelta(minutes=k))})
        return {"id": tid, "type": "support", "priority": "P2", "tier": "business", "events": evs}

    async def client(n: int, http: aiohttp.ClientSession) -> None:
        nonlocal events
        i = 0
        while time.perf_counter() < deadline:
            i += 1
            doc = ticket(f"B-{n}-{i}-{uuid.uuid4().hex[:6]}")
            start = time.perf_counter()
            async with http.post(f"{base}/api/v1/tickets", json=doc, headers=headers) as r:
                body = await r.text()
            latencies.append(time.perf_counter() - start)
            if r.status != 201:
                raise SystemExit(f"unexpected {r.status}: {body[:300]}")
            events += size

    async with session(clients, timeout=120) as http:
        t0 = time.perf_counter()
        await asyncio.gather(*(client(n, http) for n in range(clients)))
        wall = time.perf_counter() - t0
    return events / wall, latencies


def report(name: str, what: str, rate: float, lat: list[float]) -> None:
    p50 = 1e3 * statistics.median(lat)
    p99 = 1e3 * percentile(lat, 0.99)
    print(
        f"{name:10} {what:16} {rate:8,.0f} events/s   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms"
        f"   ({len(lat):,} requests)"
    )


def scenario(name: str, url: str, args: argparse.Namespace) -> None:
    env = {**os.environ, "SLAGUARD_DATABASE_URL": url, "SLAGUARD_LOG_LEVEL": "warning"}
    slaguard(env, "migrate")
    tenant = f"bench{uuid.uuid4().hex[:6]}"
    key = (
        slaguard(env, "tenants", "create", tenant, "--json").split('"api_key": "')[1].split('"')[0]
    )
    slaguard(env, "config", "apply", str(ROOT / "examples" / "slaguard.yaml"), "--tenant", tenant)
    workers = ["--workers", str(args.workers)] if name == "postgresql" else []
    command = [sys.executable, "-m", "slaguard", "serve", *workers]
    with serving(command, env, "/healthz") as (base, server):
        headers = {"Authorization": f"Bearer {key}"}
        tickets = [f"S-{i}" for i in range(args.tickets)]
        with httpx.Client(timeout=30) as http:
            for t in tickets:
                doc = {
                    "id": t,
                    "type": "support",
                    "priority": random.choice(["P1", "P2", "P3", "P4"]),
                    "tier": "business",
                    "events": [{"id": f"{t}-0", "type": "created", "at": iso(T0)}],
                }
                r = http.post(f"{base}/api/v1/tickets", json=doc, headers=headers)
                if r.status_code != 201:
                    raise SystemExit(r.text)
        rate, lat = asyncio.run(run_single(base, key, tickets, args.seconds, args.clients))
        report(name, "single events", rate, lat)
        rate, lat = asyncio.run(run_batches(base, key, args.seconds, args.clients, args.batch))
        report(name, f"batches of {args.batch}", rate, lat)
        print(f"{name:10} API resident memory: {memory_report(server.pid)}")


@contextmanager
def serving(
    command: list[str], env: dict[str, str] | None, ready: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`command --host 127.0.0.1 --port P` running (once `ready` answers 200): its base URL
    and process; stopped afterwards."""
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own server on loopback
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}{ready}", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=30)


def http_floor(args: argparse.Namespace) -> None:
    """The single-event load against endpoints that do nothing (`noop_app.py`)."""
    command = [
        *(sys.executable, "-m", "uvicorn", "noop_app:app", "--app-dir", str(ROOT / "bench")),
        *("--log-level", "warning", "--no-access-log"),
    ]
    with serving(command, None, "/docs") as (base, _):
        tickets = [f"S-{i}" for i in range(args.tickets)]
        for kind in ("threaded", "awaited"):
            rate, lat = asyncio.run(
                run_single(base, "-", tickets, args.seconds, args.clients, path=f"/{kind}")
            )
            report("no-op", f"{kind} def" if kind == "threaded" else "async def", rate, lat)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--tickets", type=int, default=500)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--only", choices=["sqlite", "postgresql"])
    ap.add_argument(
        "--workers", type=int, default=1, help="server processes on PostgreSQL (serve --workers)"
    )
    ap.add_argument("--floor", action="store_true", help="with --only: the no-op endpoints too")
    args = ap.parse_args()
    print(f"ingest through the HTTP API: {args.clients} clients, {args.seconds:g} s per run")
    if args.only in (None, "sqlite"):
        tmp = Path(tempfile.mkdtemp(prefix="slaguard-bench-"))
        try:
            scenario("sqlite", f"sqlite:///{tmp}/bench.db", args)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.only in (None, "postgresql"):
        db = f"slaguard_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db}"')
        try:
            url = PG_ADMIN.rsplit("/", 1)[0] + f"/{db}"
            scenario("postgresql", url, args)
        finally:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    if args.only is None or args.floor:
        http_floor(args)


if __name__ == "__main__":
    main()
