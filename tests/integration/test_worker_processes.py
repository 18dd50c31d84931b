"""Real `slaguard worker` processes on the real clock: stopped abruptly (like kill -9)
inside claim, send and mark, then restarted; and three workers against one PostgreSQL
database. Every level fires exactly once; every notification arrives, and a repeat
arrives only under its same delivery id."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from receivers import HttpReceiver
from slaguard.app import configs, tenants, tickets
from slaguard.app.services import Services
from slaguard.config.files import parse_text
from slaguard.db.engine import is_sqlite, make_engine, writer
from slaguard.db.migrate import upgrade
from slaguard.db.tables import EscalationRow, OutboxRow
from slaguard.domain.calendar import from_us

LEVELS = 2  # L1 at 50% of 2s, L2 at breach


def config_text(hook: str) -> str:
    return f"""
calendars:
  always: {{timezone: UTC, always_open: true}}
policies:
  - name: standard
    calendar: always
    targets:
      first_response: {{P1: 2s, P2: 2s, P3: 2s, P4: 2s}}
channels:
  hook: {{type: webhook, url: "{hook}/hook", secret: s}}
escalations:
  - name: ladder
    levels:
      - {{when: "50%", notify: [hook]}}
      - {{when: breach, notify: [hook]}}
"""


@pytest.fixture
def svc(database_url: str) -> Iterator[Services]:
    engine = make_engine(database_url, pool_size=2, max_overflow=2)
    services = Services(
        engine=engine, write_engine=writer(engine), is_sqlite=is_sqlite(database_url)
    )
    upgrade(services.write_engine)
    try:
        yield services
    finally:
        engine.dispose()


def start_worker(
    database_url: str, tmp_path: Path, crash_at: str | None = None, lease: float = 1
) -> Any:
    env = {
        **os.environ,
        "SLAGUARD_DATABASE_URL": database_url,
        "SLAGUARD_WORKER_POLL_SECONDS": "0.1",
        "SLAGUARD_DELIVERY_LEASE_SECONDS": str(lease),
        "SLAGUARD_DELIVERY_BACKOFF_SECONDS": "0.2",
        "SLAGUARD_LOG_LEVEL": "warning",
    }
    env.pop("SLAGUARD_CRASH_AT", None)
    if crash_at is not None:
        env["SLAGUARD_CRASH_AT"] = crash_at
    log = tmp_path / f"worker-{len(list(tmp_path.glob('worker-*.log')))}.log"
    with log.open("wb") as out:  # the child keeps its own descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "slaguard", "worker"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=out,
        )
    proc.log = log  # type: ignore[attr-defined]
    return proc


def make_tickets(svc: Services, hook: str, count: int) -> None:
    _, key = tenants.create_tenant(svc, name="acme")
    principal = tenants.authenticate(svc, key)
    configs.apply_config(svc, tenant_id=principal.tenant_id, document=parse_text(config_text(hook)))
    created = from_us(svc.clock()).isoformat()
    for n in range(count):
        tickets.create_ticket(
            svc,
            principal=principal,
            document={
                "id": f"T-{n}",
                "priority": "P1",
                "events": [{"id": f"c-{n}", "type": "created", "at": created}],
            },
        )


def wait_for_deliveries(
    svc: Services, receiver: HttpReceiver, expected: int, timeout: float = 30
) -> None:
    """Until `expected` distinct deliveries arrived and the outbox holds them all as sent."""
    deadline = time.monotonic() + timeout
    ids: set[str] = set()
    while time.monotonic() < deadline:
        ids = {r.headers["X-Slaguard-Delivery"] for r in receiver.requests_to("/hook")}
        with svc.reading() as s:
            sent = s.scalar(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.state == "sent")
            )
        if len(ids) >= expected and sent == expected:
            return
        time.sleep(0.05)
    raise AssertionError(f"{len(ids)} of {expected} deliveries arrived")


def check_exactly_once(svc: Services, receiver: HttpReceiver, tickets_made: int) -> None:
    with svc.reading() as s:
        fired = s.execute(
            select(EscalationRow.ticket_id, EscalationRow.level, func.count()).group_by(
                EscalationRow.ticket_id, EscalationRow.level
            )
        ).all()
        states = Counter(s.scalars(select(OutboxRow.state)))
    assert len(fired) == tickets_made * LEVELS
    assert all(count == 1 for *_, count in fired)
    assert states == {"sent": tickets_made * LEVELS}
    bodies: dict[str, bytes] = {}
    for r in receiver.requests_to("/hook"):
        delivery = r.headers["X-Slaguard-Delivery"]
        assert r.json()["delivery"] == delivery
        assert bodies.setdefault(delivery, r.body) == r.body  # a repeat is the same message


def stop(proc: Any) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("crash_at", ["fired", "claimed", "sent"])
def test_a_worker_killed_mid_way_loses_nothing_and_fires_nothing_twice(
    svc: Services, database_url: str, receiver: HttpReceiver, tmp_path: Path, crash_at: str
) -> None:
    count = 5
    make_tickets(svc, receiver.url(""), count)
    crashing = start_worker(database_url, tmp_path, crash_at)
    try:
        code = crashing.wait(timeout=30)
    finally:
        stop(crashing)
    assert code == 137, crashing.log.read_text()[-2000:]
    if crash_at == "fired":
        with svc.reading() as s:  # the transaction that decided died with the process
            assert s.scalar(select(func.count()).select_from(EscalationRow)) == 0
    worker = start_worker(database_url, tmp_path)
    try:
        wait_for_deliveries(svc, receiver, count * LEVELS)
        time.sleep(0.5)  # anything sent twice would arrive by now
    finally:
        stop(worker)
    check_exactly_once(svc, receiver, count)
    if crash_at == "sent":
        # delivered before the crash, not marked: sent again after the lease, same ids
        repeats = Counter(r.headers["X-Slaguard-Delivery"] for r in receiver.requests_to("/hook"))
        assert max(repeats.values()) == 2


def test_three_workers_against_one_postgresql_fire_each_level_once(
    svc: Services, database_url: str, receiver: HttpReceiver, tmp_path: Path
) -> None:
    if svc.is_sqlite:
        pytest.skip("several workers coordinate through PostgreSQL; SQLite runs one")
    count = 40
    # a lease longer than the test: any repeat would be two workers sending one row
    workers = [start_worker(database_url, tmp_path, lease=60) for _ in range(3)]
    try:
        make_tickets(svc, receiver.url(""), count)
        wait_for_deliveries(svc, receiver, count * LEVELS)
        time.sleep(0.5)
    finally:
        for w in workers:
            stop(w)
    check_exactly_once(svc, receiver, count)
    sent = Counter(r.headers["X-Slaguard-Delivery"] for r in receiver.requests_to("/hook"))
    assert set(sent.values()) == {1}  # no crash, no lease ran out: each sent once
