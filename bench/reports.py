"""Reports and the audit chain over one large tenant on PostgreSQL.

A throwaway database (dropped afterwards unless `--keep`) is migrated and given a tenant
with the configuration in examples/slaguard.yaml, then filled with COPY, each table as
the service would have stored it:
  - `--tickets` tickets created over the 90 days before END, mostly on weekdays in
    business hours: 10 teams of uneven size and pace, 3 queues each, 200 assignees (4%
    unassigned), 5 channels, 15 categories, 12 products, 5,000 accounts of Zipf-like
    volume whose tier and region the tickets inherit, P1-P4 (3/17/55/25%), 6% of type
    implementation; `document` holds the fields as received;
  - three clock instances per ticket: first_response, resolution, and periodic_update
    (P1), next_response (from the first customer reply) or provisioning_time
    (implementation), with the policy, target, calendar and warnings the configuration
    gives them, and due, stop and warning instants from its calendars (`add_many`); the
    business time each took is drawn per metric and team (about 15% breach), so the
    newest tickets are still running, paused or breached at END;
  - a breach row per breached instance (a suggested reason with evidence, a third of
    them confirmed), and escalations for some breaches and warnings;
  - the clock log (start, stop, warning, breach, and pause/resume of the resolution clock
    of ~18% of the tickets, 1% paused three times or more) and the events behind it
    (created, first reply, customer replies, status changes, solved), with customer
    replies during some pauses, a third of which stay paused for hours after the reply;
  - `--audit` audit records of the tenant: all but the last `--seal` written sealed (by
    `audit.content_hash` and `audit.chain_hash`), the rest unsealed.
Then VACUUM ANALYZE (the state autovacuum keeps a live database in), and measured:
  - every report of `run_report` over the 90 days, without a group and with each of
    `--groups`: best and median of `--repeat` runs, and the rows returned;
  - `audit.seal` as the worker calls it (5,000 records a round) over the unsealed records;
  - `audit.verify` over the whole chain.
Targets on a 2-core machine: each report under 2 s; verifying 1,000,000 records under 20 s.
With `--explain`, the slowest statement of each report over its target is run again under
EXPLAIN (ANALYZE, BUFFERS): its plan, and the nodes that took the most time.

    .venv/bin/python bench/reports.py [--tickets 1000000] [--audit 1000000] [--seal 100000]
        [--groups team,queue] [--repeat 3] [--explain] [--postgres URL] [--keep]
        [--reuse URL]   # measure a database kept by an earlier --keep run, without loading
        [--quick]       # 20,000 tickets and audit records: a smoke run
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import secrets
import statistics
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
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
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

from slaguard.app import audit
from slaguard.app.configs import apply_config, sla_config
from slaguard.app.reports import REPORTS, run_report
from slaguard.app.services import Services
from slaguard.app.tenants import Principal, Role, create_tenant, tenant_named
from slaguard.config.files import load_mapping
from slaguard.db import rollups
from slaguard.db.engine import make_engine, writer
from slaguard.db.migrate import upgrade
from slaguard.domain.calendar import BusinessCalendar, to_us
from slaguard.domain.policy import DEFAULT_BREACH_REASONS, SlaConfig

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = os.environ.get("SLAGUARD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TENANT = "bench"
MINUTE, HOUR, DAY = 60_000_000, 3_600_000_000, 86_400_000_000
END = to_us(datetime(2026, 11, 20, 17, 0, tzinfo=UTC))  # the benchmark's "now"
START = END - 90 * DAY  # the window of every report
REPORT_TARGET_S = 2.0
VERIFY_TARGET_S = 20.0  # per 1,000,000 records
CHUNK = 25_000  # tickets (or audit records) per COPY round

TEAMS = ("tier1", "tier2", "billing", "platform", "integrations", "mobile", "onboarding")
TEAMS += ("security", "data", "partners")
TEAM_SHARE = (0.22, 0.14, 0.12, 0.10, 0.09, 0.08, 0.08, 0.06, 0.06, 0.05)
TEAM_PACE = (0.0, 0.25, -0.15, 0.35, 0.1, 0.2, -0.25, 0.05, 0.3, -0.1)  # log(time taken) shift
QUEUES, QUEUE_SHARE = ("general", "escalations", "vip"), (0.62, 0.28, 0.10)
ASSIGNEES_PER_TEAM = 20
CHANNELS = ("email", "chat", "phone", "portal", "web")
CHANNEL_SHARE = (0.38, 0.25, 0.12, 0.15, 0.1)
CATEGORIES = ("question", "incident", "bug", "feature_request", "billing", "access", "outage")
CATEGORIES += ("order", "configuration", "data_request", "integration", "account")
CATEGORIES += ("performance", "security", "other")
PRODUCTS = ("core", "api", "mobile-app", "web-app", "reporting", "billing", "sso", "storage")
PRODUCTS += ("search", "notifications", "integrations-hub", "analytics")
PRIORITIES, PRIORITY_SHARE = ("P1", "P2", "P3", "P4"), (0.03, 0.17, 0.55, 0.25)
TIERS, REGIONS = ("enterprise", "business", "standard"), ("amer", "emea", "apac")
SOURCES, SOURCE_SHARE = ("api", "zendesk", "jira", "freshdesk"), (0.55, 0.3, 0.1, 0.05)
ACCOUNTS = 5_000
METRICS = ("first_response", "resolution", "next_response", "periodic_update", "provisioning_time")
FR, RES, NR, PU, PROV = range(5)
METRIC_PACE = np.log([0.35, 0.45, 0.4, 0.5, 0.5])  # median business time taken / target
SPREAD = 0.75
SUGGESTED = ("misrouting", "unclear_ownership", "dependency_delay", "backlog", "other")
SUGGESTED_SHARE = (0.12, 0.10, 0.08, 0.30, 0.40)
EVIDENCE = (  # as domain/reasons.py words it, by SUGGESTED
    '["with 2 teams before the breach: {team} -> tier2"]',
    '["unassigned for {part}m of business time, more than a quarter of the {m}m target"]',
    '["waited on a third party (on_hold) for {part}m, more than a quarter of the {m}m target"]',
    '["{backlog} open tickets of {team} at the breach, above its normal level {normal}"]',
    "[]",
)
SEVERITY = ("breached", "running", "paused", "breached_met", "met")  # app.tickets._SEVERITY
NULL = "\\N"

TABLES = {  # the columns each table is copied with (src/slaguard/db/tables.py)
    "tickets": "id tenant_id external_id source document type status priority team assignee "
    "queue category product channel tier account policy sla_state config_version created_us "
    "updated_us",
    "clocks": "id tenant_id ticket_id metric cycle state policy target_us started_us due_us "
    "stopped_us breached_us elapsed_us warnings next_us",
    "events": "id tenant_id ticket_id key kind occurred_us data received_us",
    "clock_log": "id tenant_id ticket_id at_us metric cycle action detail cause",
    "breaches": "id tenant_id ticket_id metric cycle breached_us suggested evidence reason "
    "confirmed_by confirmed_us note",
    "escalations": "id tenant_id ticket_id ladder level metric cycle kind when planned_us "
    "fired_us due_us repeats acked_us acked_by note",
    "audit_log": "id tenant_id at_us kind subject actor data content_hash seq prev_hash hash",
}


# ---------------------------------------------------------------------------------------
# rows as COPY text
# ---------------------------------------------------------------------------------------


Column = str | np.ndarray | Sequence[str]  # a constant, an array, or strings


def strs(a: np.ndarray) -> list[str]:
    values = a.tolist()
    return values if a.dtype.kind == "U" else list(map(str, values))


# The example configuration's implementation workflow names its statuses differently.
IMPLEMENTATION_STATUS = {
    "new": "received",
    "open": "provisioning",
    "pending": "pending_approval",
    "solved": "completed",
    "closed": "completed",
}


def _implementation(words: np.ndarray) -> np.ndarray:
    """Support statuses -> the implementation workflow's statuses of the same category."""
    return np.vectorize(IMPLEMENTATION_STATUS.__getitem__, otypes=[object])(words)


def event_json(key: str, kind: str, when: str, extra: str) -> str:
    """An event document (every value a plain word: no escaping needed)."""
    return f'{{"id":"{key}","type":"{kind}","at":"{when}"' + (f",{extra}}}" if extra else "}")


def nullable(a: np.ndarray, null: np.ndarray) -> list[str]:
    return [NULL if n else v for v, n in zip(strs(a), null.tolist(), strict=True)]


class Rows:
    """One table's rows of a chunk as COPY text, with ids following the table's last."""

    def __init__(self, table: str, ids: dict[str, int]) -> None:
        self.table, self.ids, self.count = table, ids, 0
        self.parts: list[str] = []

    def add(self, n: int, *columns: Column) -> None:
        if n == 0:
            return
        first = self.ids[self.table]
        self.ids[self.table] = first + n
        cols: list[Iterable[str]] = [map(str, range(first, first + n))]
        for c in columns:
            if isinstance(c, str):
                cols.append(itertools.repeat(c))
            elif isinstance(c, np.ndarray):
                cols.append(strs(c))
            else:
                cols.append(c)
        self.parts.append("\n".join(map("\t".join, zip(*cols, strict=False))) + "\n")
        self.count += n

    def data(self) -> bytes:
        return "".join(self.parts).encode()


def copy(conn: psycopg.Connection[Any], rows: Rows) -> None:
    columns = ", ".join(f'"{c}"' for c in TABLES[rows.table].split())
    with conn.cursor() as cur, cur.copy(f"COPY {rows.table} ({columns}) FROM STDIN") as cp:
        cp.write(rows.data())


def iso(us: np.ndarray) -> list[str]:
    return np.datetime_as_string(us.astype("datetime64[us]"), unit="s", timezone="UTC").tolist()


# ---------------------------------------------------------------------------------------
# the population
# ---------------------------------------------------------------------------------------


def created_instants(rng: np.random.Generator, n: int) -> np.ndarray:
    """n instants in [START, END), sorted: weekdays 07-18 UTC busiest, weekends quiet."""
    out: list[np.ndarray] = []
    got = 0
    while got < n:
        cand = rng.integers(START, END, size=2 * n + 1000)
        hours = cand // HOUR
        weekday = (hours // 24 + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
        hour = hours % 24
        weight = np.where(weekday >= 5, 0.12, np.where((hour >= 7) & (hour < 18), 1.0, 0.25))
        keep = cand[rng.random(cand.size) < weight]
        out.append(keep)
        got += keep.size
    return np.sort(np.concatenate(out)[:n])


@dataclass(frozen=True)
class Shape:
    """One (policy, metric): its calendar and warnings as (label, fraction, before_us)."""

    calendar: BusinessCalendar
    warnings: tuple[tuple[str, float | None, int | None], ...]


def cal_add(cal: BusinessCalendar, starts: np.ndarray, durations: np.ndarray) -> np.ndarray:
    out = cal.add_many(starts.astype("datetime64[us]"), durations.astype("timedelta64[us]"))
    return out.astype("datetime64[us]").astype(np.int64)


def cal_elapsed(cal: BusinessCalendar, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    out = cal.elapsed_many(starts.astype("datetime64[us]"), ends.astype("datetime64[us]"))
    return out.astype("timedelta64[us]").astype(np.int64)


@dataclass
class Tickets:
    """The tickets of one chunk, as arrays (index i is ticket id lo + i + 1)."""

    lo: int
    ids: np.ndarray
    created: np.ndarray
    team: np.ndarray
    queue: np.ndarray
    assignee: np.ndarray
    unassigned: np.ndarray
    account: np.ndarray
    tier: np.ndarray
    region: np.ndarray
    prio: np.ndarray
    implementation: np.ndarray
    policy: np.ndarray
    category: np.ndarray
    product: np.ndarray
    channel: np.ndarray


@dataclass
class Pauses:
    """Pauses of the resolution clock, per ticket of a chunk, and the rows behind them."""

    total: np.ndarray  # calendar time paused up to END
    before_due: np.ndarray  # ... of it before the (unpaused) due instant
    open: np.ndarray  # still paused at END
    rows: list[tuple[int, int, str, str, str]]  # ticket index, at, action, status, event key
    replies: list[tuple[int, int, str]]  # customer replies during a pause: index, at, key


@dataclass
class Instances:
    """The chunk's clock instances, ticket-major (three per ticket; k = ticket index)."""

    k: np.ndarray
    metric: np.ndarray
    pair: np.ndarray  # policy * len(METRICS) + metric: what sets calendar and warnings
    target: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    due: np.ndarray
    elapsed: np.ndarray
    next_us: np.ndarray
    state: np.ndarray
    stopped: np.ndarray
    breached: np.ndarray
    paused: np.ndarray
    crossed: np.ndarray  # (instances, 3): warning j crossed
    warn_at: np.ndarray  # (instances, 3): when (or would be)


class Population:
    """The tenant's rows, chunk by chunk: numpy for the arithmetic and the
    configuration's own calendars for business time; deterministic."""

    def __init__(self, config: SlaConfig, tenant_id: int, version: int, tickets: int) -> None:
        self.rng = rng = np.random.default_rng(20261120)
        self.tenant, self.version = str(tenant_id), str(version)
        self.created = created_instants(rng, tickets)
        self.ids = dict.fromkeys(TABLES, 1)
        # accounts: volume ~ 1/(rank + 20); the biggest are enterprise, then business
        rank = np.arange(ACCOUNTS)
        weight = 1.0 / (rank + 20)
        self.account_p = weight / weight.sum()
        self.account_tier = np.where(rank < 120, 0, np.where(rank < 900, 1, 2))
        self.account_region = rng.choice(3, size=ACCOUNTS, p=(0.45, 0.4, 0.15))
        policies = config.policies.policies
        self.policy_names = np.array([p.name for p in policies])
        # the policy of each (tier, region, type), as the configuration's rules choose it
        self.policy_of = np.zeros((3, 3, 2), dtype=np.int64)
        for t, r, y in itertools.product(range(3), range(3), range(2)):
            fields = {"tier": TIERS[t], "region": REGIONS[r]}
            chosen = config.policies.select({**fields, "type": ("support", "implementation")[y]})
            assert chosen is not None
            self.policy_of[t, r, y] = policies.index(chosen)
        self.target = np.zeros((len(policies), len(METRICS), 4, 3), dtype=np.int64)
        self.labels = np.full((len(policies) * len(METRICS), 3), "", dtype=object)
        self.shapes: dict[int, Shape] = {}
        for p, policy in enumerate(policies):
            for m, metric in enumerate(METRICS):
                target = policy.targets.get(metric)
                if target is None:
                    continue
                specs = tuple((w.label, w.fraction, w.before_us) for w in target.warnings)
                self.shapes[p * len(METRICS) + m] = Shape(config.calendars[target.calendar], specs)
                for j, spec in enumerate(specs):
                    self.labels[p * len(METRICS) + m, j] = spec[0]
                for pr, tier in itertools.product(range(4), range(3)):
                    us = policy.target_us(metric, PRIORITIES[pr], TIERS[tier])
                    self.target[p, m, pr, tier] = us or 0
        self.has_prov = self.target[:, PROV].max(axis=(1, 2)) > 0
        self.has_pu = self.target[:, PU, 0].max(axis=1) > 0  # a P1 periodic update

    def chunk(self, lo: int, hi: int) -> list[Rows]:
        t = self.tickets(lo, hi)
        inst, pauses = self.instances(t)
        out = {name: Rows(name, self.ids) for name in TABLES if name != "audit_log"}
        self.write_tickets(out["tickets"], t, inst, pauses)
        self.write_clocks(out["clocks"], t, inst)
        self.write_log(out["clock_log"], t, inst, pauses)
        self.write_events(out["events"], t, inst, pauses)
        self.write_breaches(out["breaches"], out["escalations"], t, inst)
        return list(out.values())

    def tickets(self, lo: int, hi: int) -> Tickets:
        rng, n = self.rng, hi - lo
        team = rng.choice(len(TEAMS), size=n, p=TEAM_SHARE)
        account = rng.choice(ACCOUNTS, size=n, p=self.account_p)
        tier, region = self.account_tier[account], self.account_region[account]
        implementation = rng.random(n) < 0.06
        return Tickets(
            lo=lo,
            ids=np.arange(lo + 1, hi + 1),
            created=self.created[lo:hi],
            team=team,
            queue=rng.choice(3, size=n, p=QUEUE_SHARE),
            assignee=team * ASSIGNEES_PER_TEAM + rng.integers(0, ASSIGNEES_PER_TEAM, size=n),
            unassigned=rng.random(n) < 0.04,
            account=account,
            tier=tier,
            region=region,
            prio=rng.choice(4, size=n, p=PRIORITY_SHARE),
            implementation=implementation,
            policy=self.policy_of[tier, region, implementation.astype(np.int64)],
            category=rng.integers(0, len(CATEGORIES), size=n),
            product=rng.integers(0, len(PRODUCTS), size=n),
            channel=rng.choice(len(CHANNELS), size=n, p=CHANNEL_SHARE),
        )

    def instances(self, t: Tickets) -> tuple[Instances, Pauses]:
        rng, n = self.rng, t.ids.size
        third = np.where(
            self.has_prov[t.policy],
            PROV,
            np.where((t.prio == 0) & self.has_pu[t.policy], PU, NR),
        )
        k = np.repeat(np.arange(n), 3)
        metric = np.stack([np.full(n, FR), np.full(n, RES), third], axis=1).ravel()
        pol = t.policy[k]
        pair = pol * len(METRICS) + metric
        target = self.target[pol, metric, t.prio[k], t.tier[k]]
        assert (target > 0).all()
        start = t.created[k].copy()
        nr = metric == NR  # starts at the customer's first reply
        gap = np.exp(rng.normal(math.log(3 * HOUR), 1.2, size=nr.sum())).astype(np.int64)
        start[nr] = np.minimum(start[nr] + gap, END - MINUTE)
        pace = METRIC_PACE[metric] + np.asarray(TEAM_PACE)[t.team[k]] + 0.3 * (t.prio[k] == 0)
        ratio = np.exp(pace + rng.normal(0, SPREAD, size=3 * n))
        work = np.maximum(np.round(ratio * target), MINUTE).astype(np.int64)
        stop, due = np.empty_like(start), np.empty_like(start)
        thr = np.full((3 * n, 3), -1, dtype=np.int64)
        warn_at = np.full((3 * n, 3), -1, dtype=np.int64)
        for key in np.unique(pair).tolist():
            sel = pair == key
            shape = self.shapes[key]
            cal, st, tg = shape.calendar, start[sel], target[sel]
            stop[sel] = cal_add(cal, st, work[sel])
            due[sel] = cal_add(cal, st, tg)
            for j, (_, fraction, before) in enumerate(shape.warnings):
                at = np.round(tg * fraction) if fraction is not None else tg - (before or 0)
                thr[sel, j] = np.maximum(at, 0).astype(np.int64)
                warn_at[sel, j] = cal_add(cal, st, thr[sel, j])

        res = np.arange(n) * 3 + 1
        # pauses come after the customer's first reply (which would resume the clock)
        third_start = start[res + 1]
        after = np.where(metric[res + 1] == NR, third_start + 30 * MINUTE, start[res])
        pauses = self.pauses(t, start[res], stop[res], due[res], after)
        shift = np.zeros(3 * n, dtype=np.int64)
        shift[res] = pauses.before_due
        due += shift
        warn_at = np.where(warn_at >= 0, warn_at + shift[:, None], -1)
        stop[res] += pauses.total
        stopped = stop < END
        stopped[res[pauses.open]] = False
        elapsed = work.copy()
        open_ = ~stopped
        # business time so far of what is open at END (the resolution clock's pauses out)
        run_end = np.full(3 * n, END)
        run_end[res] -= pauses.total
        for key in np.unique(pair[open_]).tolist():
            sel = open_ & (pair == key)
            cal = self.shapes[key].calendar
            elapsed[sel] = cal_elapsed(cal, start[sel], np.maximum(start[sel], run_end[sel]))
        late = open_ & (due < END)
        elapsed[late] = np.maximum(elapsed[late], target[late] + 1)
        on_time = open_ & ~late
        elapsed[on_time] = np.minimum(elapsed[on_time], target[on_time])
        paused = on_time & np.repeat(pauses.open, 3) & (metric == RES)
        breached = (stopped & (ratio > 1)) | late
        state = np.where(
            stopped,
            np.where(breached, "breached_met", "met"),
            np.where(late, "breached", np.where(paused, "paused", "running")),
        )
        crossed = (thr >= 0) & (elapsed[:, None] >= thr)
        upcoming = np.where((thr >= 0) & ~crossed, warn_at, np.iinfo(np.int64).max)
        inst = Instances(
            k=k,
            metric=metric,
            pair=pair,
            target=target,
            start=start,
            stop=stop,
            due=due,
            elapsed=elapsed,
            next_us=np.minimum(upcoming.min(axis=1), due + 1),
            state=state,
            stopped=stopped,
            breached=breached,
            paused=paused,
            crossed=crossed,
            warn_at=warn_at,
        )
        return inst, pauses

    def pauses(
        self, t: Tickets, start: np.ndarray, run_end: np.ndarray, due: np.ndarray, after: np.ndarray
    ) -> Pauses:
        """~18% of the tickets go pending (waiting on the customer) once or more while
        their resolution clock runs; a fifth of those get the customer's reply during the
        first pause, and a third of those stay paused for hours after it."""
        rng, n = self.rng, t.ids.size
        out = Pauses(np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, bool), [], [])
        pausing = np.flatnonzero(rng.random(n) < 0.18)
        times = rng.choice(5, size=pausing.size, p=(0.88, 0.065, 0.03, 0.015, 0.01)) + 1
        replied = rng.random(pausing.size) < 0.2
        kept = rng.random(pausing.size) < 0.33
        lengths = np.clip(
            np.exp(rng.normal(math.log(6 * HOUR), 1.0, size=(pausing.size, 5))),
            10 * MINUTE,
            10 * DAY,
        )
        spots = np.sort(rng.uniform(0.05, 0.95, size=(pausing.size, 5)), axis=1)
        reply_at = rng.uniform(0.05, 0.5, size=pausing.size)
        resume_after = rng.uniform(5, 50, size=pausing.size) * MINUTE
        for row, i in enumerate(pausing.tolist()):
            s0, span, due_off = int(start[i]), int(run_end[i] - start[i]), int(due[i] - start[i])
            lead = int(after[i] - s0)
            if lead >= span:
                continue
            key = f"T-{t.lo + i + 1}"
            shift = 0
            for j in range(int(times[row])):
                offset = lead + int(spots[row, j] * (span - lead))
                ps = s0 + offset + shift
                if ps >= END:
                    break
                length = int(lengths[row, j])
                out.rows.append((i, ps, "pause", "pending", f"{key}-p{j}"))
                if j == 0 and replied[row]:
                    at = ps + int(length * reply_at[row])
                    if at < END:
                        out.replies.append((i, at, f"{key}-c{j}"))
                        if not kept[row]:  # resumed soon after the customer's reply
                            length = at - ps + int(resume_after[row])
                if ps + length >= END:
                    out.open[i] = True
                    out.total[i] += END - ps
                    break
                out.rows.append((i, ps + length, "resume", "open", f"{key}-r{j}"))
                out.total[i] += length
                if offset < due_off:
                    out.before_due[i] += length
                shift += length
        return out

    # -- rows ---------------------------------------------------------------------------

    def write_tickets(self, rows: Rows, t: Tickets, inst: Instances, p: Pauses) -> None:
        n = t.ids.size
        rank = {s: r for r, s in enumerate(SEVERITY)}
        worst = np.vectorize(rank.__getitem__)(inst.state).reshape(n, 3).min(axis=1)
        res = np.arange(n) * 3 + 1
        fr = res - 1
        status = np.where(
            inst.stopped[res],
            np.where(inst.stop[res] < END - 7 * DAY, "closed", "solved"),
            np.where(p.open, "pending", np.where(inst.stopped[fr], "open", "new")),
        )
        status = np.where(t.implementation, _implementation(status), status)
        updated = np.where(inst.stopped[res], inst.stop[res], t.created)
        updated = np.maximum(updated, np.where(inst.stopped[fr], inst.stop[fr], 0))
        ptype = np.where(t.implementation, "implementation", "support")
        source = self.rng.choice(len(SOURCES), size=n, p=SOURCE_SHARE)
        team = np.array(TEAMS)[t.team]
        assignee = [f"agent{a:03d}" for a in t.assignee.tolist()]
        category, product = np.array(CATEGORIES)[t.category], np.array(PRODUCTS)[t.product]
        fields = zip(
            t.ids.tolist(),
            ptype.tolist(),
            np.array(PRIORITIES)[t.prio].tolist(),
            team.tolist(),
            np.array(QUEUES)[t.queue].tolist(),
            category.tolist(),
            product.tolist(),
            np.array(CHANNELS)[t.channel].tolist(),
            np.array(TIERS)[t.tier].tolist(),
            t.account.tolist(),
            np.array(REGIONS)[t.region].tolist(),
            nullable(np.array(assignee), t.unassigned),
            strict=True,
        )
        docs = [  # the fields as received (every value a plain word: no escaping needed)
            f'{{"id":"T-{i}","type":"{ty}","priority":"{pr}","team":"{tm}",'
            f'"queue":"{tm}-{q}","category":"{c}","product":"{pd}","channel":"{ch}",'
            f'"tier":"{ti}","account":"acct-{ac:04d}","custom_fields":{{"region":"{rg}"}},'
            f'"subject":"{c} in {pd}"' + (f',"assignee":"{a}"}}' if a != NULL else "}")
            for i, ty, pr, tm, q, c, pd, ch, ti, ac, rg, a in fields
        ]
        rows.add(
            n,
            self.tenant,
            [f"T-{i}" for i in t.ids.tolist()],
            np.array(SOURCES)[source],
            docs,
            ptype,
            status,
            np.array(PRIORITIES)[t.prio],
            team,
            nullable(np.array(assignee), t.unassigned),
            np.char.add(np.char.add(team, "-"), np.array(QUEUES)[t.queue]),
            category,
            product,
            np.array(CHANNELS)[t.channel],
            np.array(TIERS)[t.tier],
            [f"acct-{ac:04d}" for ac in t.account.tolist()],
            self.policy_names[t.policy],
            np.array(SEVERITY)[worst],
            self.version,
            t.created,
            updated,
        )

    def write_clocks(self, rows: Rows, t: Tickets, inst: Instances) -> None:
        warnings = ["[]"] * inst.k.size
        labels = self.labels[inst.pair]
        some = np.flatnonzero(inst.crossed.any(axis=1))
        for x, c, at, lab in zip(
            some.tolist(),
            inst.crossed[some].tolist(),
            inst.warn_at[some].tolist(),
            labels[some].tolist(),
            strict=True,
        ):
            warnings[x] = "[" + ",".join(f'["{lab[j]}",{at[j]}]' for j in range(3) if c[j]) + "]"
        running = inst.state == "running"
        rows.add(
            inst.k.size,
            self.tenant,
            t.ids[inst.k],
            np.array(METRICS)[inst.metric],
            "1",
            inst.state,
            self.policy_names[inst.pair // len(METRICS)],
            inst.target,
            inst.start,
            nullable(inst.due, inst.paused),
            nullable(inst.stop, ~inst.stopped),
            nullable(inst.due + 1, ~inst.breached),
            inst.elapsed,
            warnings,
            nullable(inst.next_us, ~running),
        )

    def write_log(self, rows: Rows, t: Tickets, inst: Instances, p: Pauses) -> None:
        ticket, metric = t.ids[inst.k], np.array(METRICS)[inst.metric]
        ext = np.char.add("T-", ticket.astype(str))
        nr = inst.metric == NR
        rows.add(
            inst.k.size,
            self.tenant,
            ticket,
            inst.start,
            metric,
            "1",
            "start",
            "",
            np.char.add(ext, np.where(nr, "-2", "-0")),
        )
        s = inst.stopped
        cause = np.char.add(ext[s], np.where(inst.metric[s] == RES, "-9", "-1"))
        rows.add(
            int(s.sum()), self.tenant, ticket[s], inst.stop[s], metric[s], "1", "stop", "", cause
        )
        labels = self.labels[inst.pair]
        for j in range(3):
            c = inst.crossed[:, j]
            rows.add(
                int(c.sum()),
                self.tenant,
                ticket[c],
                inst.warn_at[c, j],
                metric[c],
                "1",
                "warning",
                labels[c, j].astype(str),
                NULL,
            )
        b = inst.breached
        rows.add(
            int(b.sum()),
            self.tenant,
            ticket[b],
            inst.due[b] + 1,
            metric[b],
            "1",
            "breach",
            "",
            NULL,
        )
        rows.add(
            len(p.rows),
            self.tenant,
            [str(t.lo + r[0] + 1) for r in p.rows],
            [str(r[1]) for r in p.rows],
            "resolution",
            "1",
            [r[2] for r in p.rows],
            [r[3] for r in p.rows],
            [r[4] for r in p.rows],
        )

    def write_events(self, rows: Rows, t: Tickets, inst: Instances, p: Pauses) -> None:
        """created, the first agent reply, the customer's first reply, pending/open while
        paused, customer replies during pauses, solved."""
        n = t.ids.size
        fr, res = np.arange(n) * 3, np.arange(n) * 3 + 1
        nr = np.flatnonzero(inst.metric == NR)
        replied = fr[inst.stopped[fr]]
        solved = res[inst.stopped[res]]

        def status_of(word: str, idx: np.ndarray) -> list[str]:
            words = np.where(t.implementation[idx], _implementation(np.array([word])), word)
            return [f'"status":"{w}"' for w in words.tolist()]

        def same(extra: str, idx: np.ndarray) -> list[str]:
            return [extra] * idx.size

        everyone, solved_k = np.arange(n), inst.k[solved]
        parts: list[tuple[np.ndarray, np.ndarray, str, str, list[str]]] = [
            (everyone, t.created, "created", "0", status_of("new", everyone)),
            (
                inst.k[replied],
                inst.stop[replied],
                "agent_reply",
                "1",
                same('"public":true', inst.k[replied]),
            ),
            (inst.k[nr], inst.start[nr], "customer_reply", "2", same("", inst.k[nr])),
            (solved_k, inst.stop[solved], "status", "9", status_of("solved", solved_k)),
        ]
        for idx, at, kind, suffix, extras in parts:
            keys = [f"T-{t.lo + i + 1}-{suffix}" for i in idx.tolist()]
            data = [
                event_json(key, kind, when, extra)
                for key, when, extra in zip(keys, iso(at), extras, strict=True)
            ]
            rows.add(idx.size, self.tenant, t.ids[idx], keys, kind, at, data, at + 2_000_000)
        status = [
            (
                i,
                at,
                "status",
                key,
                f'"status":"{IMPLEMENTATION_STATUS[st] if t.implementation[i] else st}"',
            )
            for i, at, _, st, key in p.rows
        ]
        reply = [(i, at, "customer_reply", key, "") for i, at, key in p.replies]
        for group in (status, reply):
            if not group:
                continue
            at = np.array([g[1] for g in group], dtype=np.int64)
            data = [
                event_json(g[3], g[2], when, g[4]) for g, when in zip(group, iso(at), strict=True)
            ]
            rows.add(
                len(group),
                self.tenant,
                [str(t.lo + g[0] + 1) for g in group],
                [g[3] for g in group],
                group[0][2],
                at,
                data,
                at + 2_000_000,
            )

    def write_breaches(self, rows: Rows, esc: Rows, t: Tickets, inst: Instances) -> None:
        rng = self.rng
        b = np.flatnonzero(inst.breached)
        at = inst.due[b] + 1
        team = np.array(TEAMS)[t.team[inst.k[b]]]
        suggested = rng.choice(len(SUGGESTED), size=b.size, p=SUGGESTED_SHARE)
        backlog = rng.integers(200, 600, size=b.size)
        minutes = inst.target[b] // MINUTE
        evidence = [
            EVIDENCE[s].format(team=tm, backlog=bl, normal=bl * 4 // 5, m=m, part=m // 3)
            for s, tm, bl, m in zip(
                suggested.tolist(), team.tolist(), backlog.tolist(), minutes.tolist(), strict=True
            )
        ]
        confirmed = rng.random(b.size) < 0.33
        agree = rng.random(b.size) < 0.7
        other = rng.choice(np.array(DEFAULT_BREACH_REASONS), size=b.size)
        reason = np.where(agree, np.array(SUGGESTED)[suggested], other)
        when = np.minimum(at + rng.integers(HOUR, 3 * DAY, size=b.size), END - 1)
        rows.add(
            b.size,
            self.tenant,
            t.ids[inst.k[b]],
            np.array(METRICS)[inst.metric[b]],
            "1",
            at,
            np.array(SUGGESTED)[suggested],
            evidence,
            nullable(reason, ~confirmed),
            nullable(np.char.add("lead.", np.char.add(team, "@example.com")), ~confirmed),
            nullable(when, ~confirmed),
            "",
        )
        # escalations of the standard ladder: some breaches, a few 50% warnings
        ladder = "standard-ladder"
        watched = (self.policy_names[inst.pair // len(METRICS)] == "standard") & np.isin(
            inst.metric, (FR, RES)
        )
        lvl2 = np.flatnonzero(watched & inst.breached & (rng.random(inst.k.size) < 0.10))
        lvl1 = np.flatnonzero(watched & inst.crossed[:, 0] & (rng.random(inst.k.size) < 0.01))
        for idx, level, kind, when_, planned in (
            (lvl2, "2", "breach", "breach", inst.due[lvl2] + 1),
            (lvl1, "1", "warning", "50%", inst.warn_at[lvl1, 0]),
        ):
            fired = planned + rng.integers(200_000, 5_000_000, size=idx.size)
            acked = rng.random(idx.size) < 0.6
            rows_ack = np.minimum(
                fired + rng.integers(5 * MINUTE, 4 * HOUR, size=idx.size), END - 1
            )
            esc.add(
                idx.size,
                self.tenant,
                t.ids[inst.k[idx]],
                ladder,
                level,
                np.array(METRICS)[inst.metric[idx]],
                "1",
                kind,
                when_,
                planned,
                fired,
                inst.due[idx],
                "0",
                nullable(rows_ack, ~acked),
                nullable(np.array(TEAMS)[t.team[inst.k[idx]]], ~acked),
                "",
            )


def audit_chunk(
    tenant_id: int, ids: dict[str, int], bounds: tuple[int, int, int], sealed: int, head: list[Any]
) -> Rows:
    """Audit records lo..hi-1 of `total` of the tenant (a quarter ticket.created, the rest
    ticket.event), evenly over the 90 days; those below `sealed` chained onto `head`
    ([seq, hash], advanced), the rest unsealed, as `audit.record_many` writes them."""
    rows = Rows("audit_log", ids)
    cols: list[list[str]] = [[] for _ in range(9)]
    lo, hi, total = bounds
    step = (END - START) // total
    kinds = ("agent_reply", "customer_reply", "status")
    for x in range(lo, hi):
        at = START + x * step
        subject = f"T-{x // 4 + 1}"
        if x % 4 == 0:
            kind, actor = "ticket.created", "agent of bench"
            team = TEAMS[x % len(TEAMS)]
            data: dict[str, Any] = {
                "fields": {"id": subject, "type": "support", "priority": PRIORITIES[x % 4]}
                | {"team": team, "queue": f"{team}-general", "channel": CHANNELS[x % 5]}
            }
        else:
            kind, actor = "ticket.event", f"agent{x % 200:03d}"
            when = datetime.fromtimestamp(at / 1e6, UTC).isoformat()
            data = {"id": f"{subject}-{x % 4}", "type": kinds[x % 3], "at": when, "actor": actor}
        body = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        content = audit.content_hash(tenant_id, at, kind, subject, actor, data)
        if x < sealed:
            head[0] += 1
            prev, head[1] = head[1], audit.chain_hash(head[0], head[1], content)
            chain = [str(head[0]), prev, head[1]]
        else:
            chain = [NULL, NULL, NULL]
        for c, v in zip(cols, [str(at), kind, subject, actor, body, content, *chain], strict=True):
            c.append(v)
    rows.add(hi - lo, str(tenant_id), *cols)
    return rows


# ---------------------------------------------------------------------------------------
# setup and load
# ---------------------------------------------------------------------------------------


def services(url: str) -> Services:
    engine = make_engine(url)
    return Services(engine=engine, write_engine=writer(engine), clock=lambda: END)


def progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def load(
    url: str,
    svc: Services,
    args: argparse.Namespace,
    console: Console,
    population: type[Population] | Any = Population,  # or a callable making one
) -> Principal:
    upgrade(svc.engine)
    create_tenant(svc, name=TENANT)
    tenant_id = tenant_named(svc, TENANT)
    document = load_mapping(ROOT / "examples" / "slaguard.yaml")
    version = apply_config(svc, tenant_id=tenant_id, document=document)
    config = sla_config(svc, tenant_id=tenant_id, version=version)
    pop = population(config, tenant_id, version, args.tickets)
    counts = dict.fromkeys(TABLES, 0)
    t0 = time.perf_counter()
    with (
        # as a replica: no foreign-key check (a trigger) per row copied; the rows are
        # consistent as generated
        psycopg.connect(url, options="-c session_replication_role=replica") as conn,
        progress(console) as bar,
        ThreadPoolExecutor(1) as pool,  # generates the next chunk while this one is copied
    ):
        bounds = [(lo, min(lo + CHUNK, args.tickets)) for lo in range(0, args.tickets, CHUNK)]
        task = bar.add_task("tickets", total=args.tickets)
        for lo, hi, rows in pipelined(pool, pop.chunk, bounds):
            for r in rows:
                copy(conn, r)
                counts[r.table] += r.count
            conn.commit()
            bar.advance(task, hi - lo)

        # the records written so far (configuration) sealed, the bench's chained on
        audit.seal(svc)
        head_row = conn.execute(
            "SELECT seq, hash FROM audit_log WHERE tenant_id = %s AND seq IS NOT NULL "
            "ORDER BY seq DESC LIMIT 1",
            (tenant_id,),
        ).fetchone()
        head: list[Any] = list(head_row) if head_row else [0, audit.GENESIS]
        ids = {"audit_log": conn.execute("SELECT max(id) + 1 FROM audit_log").fetchone()[0]}
        sealed = args.audit - args.seal
        task = bar.add_task("audit records", total=args.audit)
        bounds = [(lo, min(lo + CHUNK, args.audit)) for lo in range(0, args.audit, CHUNK)]

        def one(lo: int, hi: int) -> list[Rows]:
            return [audit_chunk(tenant_id, ids, (lo, hi, args.audit), sealed, head)]

        for lo, hi, rows in pipelined(pool, one, bounds):
            copy(conn, rows[0])
            conn.commit()
            counts["audit_log"] += rows[0].count
            bar.advance(task, hi - lo)
        for table in TABLES:
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        conn.commit()
    loaded = time.perf_counter() - t0
    console.print(
        f"loaded in {loaded:.0f} s: " + ", ".join(f"{t} {n:,}" for t, n in counts.items())
    )
    t0 = time.perf_counter()
    with svc.write_engine.begin() as sa_conn:  # as `slaguard report rebuild-rollups` does
        rollups.rebuild(sa_conn, [tenant_id])
        n = sa_conn.exec_driver_sql("SELECT count(*) FROM clock_rollups").scalar()
    console.print(f"daily rollups rebuilt in {time.perf_counter() - t0:.1f} s: {n:,} rows")
    t0 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    console.print(f"VACUUM ANALYZE in {time.perf_counter() - t0:.0f} s")
    return Principal(tenant_id, TENANT, Role.VIEWER)


def pipelined(
    pool: ThreadPoolExecutor, make: Any, bounds: list[tuple[int, int]]
) -> Iterator[tuple[int, int, list[Rows]]]:
    """make(lo, hi) for each bound, the next one being made while the caller uses one."""
    ahead: Future[list[Rows]] | None = pool.submit(make, *bounds[0]) if bounds else None
    for i, (lo, hi) in enumerate(bounds):
        assert ahead is not None
        rows = ahead.result()
        ahead = pool.submit(make, *bounds[i + 1]) if i + 1 < len(bounds) else None
        yield lo, hi, rows


def describe(url: str, console: Console) -> None:
    with psycopg.connect(url) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        settings = ", ".join(
            f"{name} {conn.execute(f'SHOW {name}').fetchone()[0]}"
            for name in (
                "shared_buffers",
                "work_mem",
                "effective_cache_size",
                "max_parallel_workers_per_gather",
                "jit",
            )
        )
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        sizes = conn.execute(
            "SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) FROM pg_class "
            "WHERE relname = ANY(%s) ORDER BY pg_total_relation_size(oid) DESC",
            ([*TABLES, "clock_rollups"],),
        ).fetchall()
        console.print(
            f"PostgreSQL {version} ({settings}); database {size.fetchone()[0]}: "
            + ", ".join(f"{n} {s}" for n, s in sizes)
        )
    load1, load5, _ = os.getloadavg()
    console.print(f"{os.cpu_count()} CPUs, load average {load1:.1f} (1 min) {load5:.1f} (5 min)")


# ---------------------------------------------------------------------------------------
# measuring
# ---------------------------------------------------------------------------------------


@contextmanager
def statements(engine: Engine) -> Iterator[list[tuple[float, str, Any]]]:
    """The statements run on `engine` meanwhile, with their time (execute to result)."""
    seen: list[tuple[float, str, Any]] = []

    def before(conn: Any, _cur: Any, _stmt: str, _params: Any, _ctx: Any, _many: bool) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    def after(conn: Any, _cur: Any, stmt: str, params: Any, _ctx: Any, _many: bool) -> None:
        seen.append((time.perf_counter() - conn.info.pop("bench_t0"), stmt, params))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


@dataclass
class Measured:
    report: str
    group: str | None
    times: list[float]
    rows: int
    slowest: tuple[float, str, Any]  # of the best run's statements
    statements: int

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def measure_reports(
    svc: Services, principal: Principal, groups: Sequence[str], repeat: int, console: Console
) -> list[Measured]:
    out = []
    with progress(console) as bar:
        task = bar.add_task("reports", total=len(REPORTS) * (1 + len(groups)))
        for name in REPORTS:
            for group in (None, *groups):
                times, best, rows = [], (math.inf, []), 0
                for _ in range(repeat):
                    with statements(svc.engine) as seen:
                        t0 = time.perf_counter()
                        result = run_report(
                            svc,
                            principal=principal,
                            name=name,
                            start_us=START,
                            end_us=END,
                            group_by=group,
                        )
                        times.append(time.perf_counter() - t0)
                    rows = len(result["rows"])
                    if times[-1] < best[0]:
                        best = (times[-1], list(seen))
                slowest = max(best[1], key=lambda s: s[0])
                out.append(Measured(name, group, times, rows, slowest, len(best[1])))
                bar.advance(task)
    return out


def print_reports(results: list[Measured], console: Console) -> None:
    end = datetime.fromtimestamp(END / 1e6, UTC).isoformat()
    load1, load5, _ = os.getloadavg()
    table = Table(
        title=f"reports over the {(END - START) // DAY} days before {end}",
        caption=f"load average after: {load1:.1f} (1 min), {load5:.1f} (5 min)",
    )
    for col in ("report", "group_by", "best s", "median s", "statements", "rows", "< 2 s"):
        table.add_column(col, justify="left" if col in ("report", "group_by") else "right")
    for m in results:
        ok = m.best < REPORT_TARGET_S
        table.add_row(
            m.report,
            m.group or "-",
            f"{m.best:.2f}",
            f"{m.median:.2f}",
            str(m.statements),
            f"{m.rows:,}",
            "[green]met[/]" if ok else "[red]NOT met[/]",
        )
    console.print(table)


NOTED = ("Sort Method", "Sort Space Used", "Sort Space Type", "Hash Batches", "Workers Launched")
NOTED += ("Shared Read Blocks", "Temp Read Blocks", "Temp Written Blocks")


def explain(svc: Services, m: Measured, console: Console) -> None:
    """The slowest statement of a report under EXPLAIN ANALYZE: the plan as a tree, and
    the nodes with the most time of their own (children excluded)."""
    _, statement, params = m.slowest
    with svc.engine.connect() as conn:
        raw = conn.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, params
        ).scalar()
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
    nodes: list[tuple[float, str]] = []

    def walk(node: dict[str, Any], depth: int) -> None:
        loops = node.get("Actual Loops", 1)
        total = node["Actual Total Time"] * loops
        children = node.get("Plans", [])
        own = total - sum(c["Actual Total Time"] * c.get("Actual Loops", 1) for c in children)
        what = node["Node Type"]
        if "Relation Name" in node:
            what += f" on {node['Relation Name']}"
        if "Index Name" in node:
            what += f" using {node['Index Name']}"
        extra = [f"rows {node['Actual Rows'] * loops:,}", f"loops {loops}"]
        extra += [f"{key.lower()} {node[key]}" for key in NOTED if node.get(key)]
        if "Filter" in node:
            extra.append(f"filter {node['Filter'][:120]}")
        line = f"{'  ' * depth}{what} ({node['Actual Total Time']:.0f} ms; {', '.join(extra)})"
        nodes.append((max(own, 0.0), line.strip()))
        console.print(line, markup=False, highlight=False, soft_wrap=True)
        for c in children:
            walk(c, depth + 1)

    console.print(
        f"\n[bold]{m.report} ({m.group or 'no group'}): slowest of {m.statements} "
        f"statement(s), {m.slowest[0]:.2f} s; planning {plan['Planning Time']:.0f} ms, "
        f"execution {plan['Execution Time']:.0f} ms[/]"
    )
    walk(plan["Plan"], 1)
    console.print("  most time of their own (summed over parallel workers):")
    for own, line in sorted(nodes, reverse=True)[:3]:
        console.print(f"    {own:8.0f} ms  {line}", markup=False, highlight=False, soft_wrap=True)


def measure_audit(svc: Services, tenant_id: int, console: Console) -> None:
    pending = audit.unsealed_count(svc, tenant_id=tenant_id)
    t0 = time.perf_counter()
    sealed = rounds = 0
    while got := audit.seal(svc):
        sealed += got
        rounds += 1
    took = time.perf_counter() - t0
    if sealed:
        console.print(
            f"audit.seal: {sealed:,} of {pending:,} unsealed records in {rounds} rounds, "
            f"{took:.1f} s ({sealed / took:,.0f} records/s, {took / rounds * 1000:.0f} ms a round)"
        )
    t0 = time.perf_counter()
    checked, broken = audit.verify(svc, tenant_id=tenant_id)
    took = time.perf_counter() - t0
    target = VERIFY_TARGET_S * checked / 1e6
    verdict = "met" if took < target else "NOT met"
    console.print(
        f"audit.verify: {checked:,} records in {took:.1f} s ({checked / took:,.0f} records/s; "
        f"target {target:.1f} s: {verdict}); chain {'intact' if broken is None else broken}"
    )
    if broken is not None:
        raise SystemExit("the generated chain does not verify")


# ---------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--audit", type=int, default=1_000_000)
    ap.add_argument("--seal", type=int, default=100_000, help="audit records left to audit.seal")
    ap.add_argument("--groups", default="team,queue", help="group_by values besides none")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--explain", action="store_true")
    ap.add_argument("--postgres", default=POSTGRES, help="server to create a database on")
    ap.add_argument("--keep", action="store_true", help="keep the database (prints its URL)")
    ap.add_argument("--reuse", metavar="URL", help="measure a database kept by --keep")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.tickets, args.audit, args.seal = 20_000, 20_000, 5_000
    args.seal = min(args.seal, args.audit)
    groups = [g for g in args.groups.split(",") if g]
    console = Console()
    if not console.is_terminal:  # a log file: wide enough for the table
        console = Console(width=110)

    admin = None
    name = None
    if args.reuse:
        url = args.reuse
        svc = services(url)
        principal = Principal(tenant_named(svc, TENANT), TENANT, Role.VIEWER)
    else:
        admin = psycopg.connect(args.postgres, autocommit=True)
        name = f"slaguard_bench_{secrets.token_hex(4)}"
        admin.execute(f'CREATE DATABASE "{name}"')
        url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
        svc = services(url)
    try:
        if not args.reuse:
            console.print(
                f"{args.tickets:,} tickets, {args.audit:,} audit records "
                f"({args.seal:,} left unsealed) into {name}"
            )
            principal = load(url, svc, args, console)
        describe(url, console)
        results = measure_reports(svc, principal, groups, args.repeat, console)
        print_reports(results, console)
        if args.explain:
            for m in results:
                if m.best >= REPORT_TARGET_S:
                    explain(svc, m, console)
        measure_audit(svc, principal.tenant_id, console)
    finally:
        svc.engine.dispose()
        if admin is not None:
            if args.keep:
                console.print(f"kept: --reuse {url}")
            else:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()


if __name__ == "__main__":
    main()
