"""Bulk import (`slaguard import`) on SQLite and PostgreSQL.

The fixtures in tests/fixtures/imports hold the same tickets as JSON lines and as CSV:
the good ones of `tickets.json` (written every way the formats allow: whole ticket
documents, events spread over the file, an event-only ticket, a repeated event, links
to earlier and to later tickets) and bad ones that must be left out whole and reported
with their line numbers. Imported tickets must be stored exactly as the use cases store
them (`create_ticket`): same fields, events, clocks, clock log and evaluation.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from apihelpers import Tenant
from sqlalchemy import func, select

from slaguard.app import audit, configs, reports, tenants
from slaguard.app.imports import BatchReport, ImportSummary, import_file
from slaguard.app.services import Services
from slaguard.app.tenants import Principal, Role
from slaguard.app.tickets import create_ticket, evaluate_ticket
from slaguard.config.files import load_mapping
from slaguard.db import rollups
from slaguard.db.tables import (
    AuditRow,
    BreachRow,
    ClockLogRow,
    ClockRollupRow,
    ClockRow,
    EventRow,
    LinkRow,
    TicketRow,
)
from slaguard.domain.calendar import to_us
from slaguard.domain.errors import ConfigError
from slaguard.domain.explain import evaluation_json

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "imports"
CONFIG = ROOT / "examples" / "slaguard.yaml"
GOOD = json.loads((FIXTURES / "tickets.json").read_text(encoding="utf-8"))

# ticket -> (reason, all its lines, [(line of the problem, path)])
REJECTED_JSONL: dict[str | None, tuple[str, list[int], list[tuple[list[int], str]]]] = {
    "T-900": ("invalid", [4, 8, 15], [([15], "events[2].at")]),
    "T-901": ("invalid", [13], [([13], "events[0].status")]),
    "T-902": ("invalid", [18], [([18], "events[2].id")]),
    "T-903": ("invalid", [23], [([23], "events[1].cause")]),
    "T-904": ("conflict", [26], [([26], "events[1].id")]),
}
MALFORMED_JSONL = [6, 9, 19]
REJECTED_CSV: dict[str | None, tuple[str, list[int], list[tuple[list[int], str]]]] = {
    "T-900": ("invalid", [17, 18, 24], [([24], "events[2].at")]),
    "T-901": ("invalid", [25, 26], [([25], "events[0].status")]),
    "T-902": ("invalid", [33, 34, 35], [([35], "events[2].id")]),
    "T-903": ("invalid", [45, 46], [([46], "events[1].cause")]),
    "T-904": ("conflict", [47, 48], [([48], "events[1].id")]),
    "T-905": ("invalid", [51, 52], [([52], "")]),
}
MALFORMED_CSV = [19]
CASES = {
    "jsonl": ("tickets.jsonl", REJECTED_JSONL, MALFORMED_JSONL),
    "csv": ("tickets.csv", REJECTED_CSV, MALFORMED_CSV),
}


def make_tenant(svc: Services, name: str) -> Principal:
    tenants.create_tenant(svc, name=name)
    tenant_id = tenants.tenant_named(svc, name)
    configs.apply_config(svc, tenant_id=tenant_id, document=load_mapping(CONFIG))
    return Principal(tenant_id=tenant_id, tenant=name, role=Role.AGENT)


@pytest.fixture
def acme(services: Services) -> Principal:
    return make_tenant(services, "acme")


def run(svc: Services, who: Principal, path: Path, **kw: Any) -> ImportSummary:
    return import_file(svc, principal=who, path=path, **{"workers": 0, **kw})


def stored(svc: Services, tenant_id: int, ticket: str) -> dict[str, Any] | None:
    """Everything stored for one ticket, without surrogate keys."""
    with svc.reading() as s:
        row = s.scalars(
            select(TicketRow).where(
                TicketRow.tenant_id == tenant_id, TicketRow.external_id == ticket
            )
        ).first()
        if row is None:
            return None
        events = s.execute(
            select(
                EventRow.key,
                EventRow.kind,
                EventRow.occurred_us,
                EventRow.data,
                EventRow.received_us,
            )
            .where(EventRow.ticket_id == row.id)
            .order_by(EventRow.key)
        ).all()
        clocks = s.execute(
            select(
                ClockRow.metric,
                ClockRow.cycle,
                ClockRow.state,
                ClockRow.policy,
                ClockRow.target_us,
                ClockRow.started_us,
                ClockRow.due_us,
                ClockRow.stopped_us,
                ClockRow.breached_us,
                ClockRow.elapsed_us,
                ClockRow.warnings,
                ClockRow.next_us,
            )
            .where(ClockRow.ticket_id == row.id)
            .order_by(ClockRow.metric, ClockRow.cycle)
        ).all()
        log = s.execute(
            select(
                ClockLogRow.at_us,
                ClockLogRow.metric,
                ClockLogRow.cycle,
                ClockLogRow.action,
                ClockLogRow.detail,
                ClockLogRow.cause,
            )
            .where(ClockLogRow.ticket_id == row.id)
            .order_by(ClockLogRow.id)
        ).all()
        links = s.execute(
            select(LinkRow.kind, LinkRow.other)
            .where(LinkRow.tenant_id == tenant_id, LinkRow.ticket == ticket)
            .order_by(LinkRow.kind, LinkRow.other)
        ).all()
        breaches = s.execute(
            select(
                BreachRow.metric,
                BreachRow.cycle,
                BreachRow.breached_us,
                BreachRow.suggested,
                BreachRow.evidence,
                BreachRow.reason,
                BreachRow.note,
            )
            .where(BreachRow.ticket_id == row.id)
            .order_by(BreachRow.metric, BreachRow.cycle)
        ).all()
        # the actor of `ticket.created` names the tenant ("agent of acme"): compared apart
        records = s.execute(
            select(AuditRow.at_us, AuditRow.kind, AuditRow.data)
            .where(AuditRow.tenant_id == tenant_id, AuditRow.subject == ticket)
            .order_by(AuditRow.id)
        ).all()
    columns = ("type", "status", "priority", "team", "assignee", "policy", "sla_state")
    return {
        "row": {c: getattr(row, c) for c in columns},
        "times": (row.config_version, row.created_us, row.updated_us),
        "document": row.document,
        "events": [tuple(e) for e in events],
        "clocks": [tuple(c) for c in clocks],
        "log": [tuple(x) for x in log],
        "links": [tuple(x) for x in links],
        "breaches": [tuple(x) for x in breaches],
        "audit": [tuple(x) for x in records],
    }


def everything(svc: Services, tenant_id: int) -> dict[str, Any]:
    with svc.reading() as s:
        ids = list(s.scalars(select(TicketRow.external_id).where(TicketRow.tenant_id == tenant_id)))
        counts = {
            table.__tablename__: s.scalar(
                select(func.count()).select_from(table).where(table.tenant_id == tenant_id)
            )
            for table in (TicketRow, EventRow, ClockRow, ClockLogRow, LinkRow)
        }
    return {"counts": counts, "tickets": {t: stored(svc, tenant_id, t) for t in sorted(ids)}}


def rejections(summary: ImportSummary) -> dict[str | None, Any]:
    return {
        r.ticket: (r.reason, list(r.lines), [(list(p.lines), p.path) for p in r.problems])
        for r in summary.rejections
        if r.ticket is not None
    }


def malformed(summary: ImportSummary) -> list[int]:
    return sorted(line for r in summary.rejections if r.ticket is None for line in r.lines)


# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_good_tickets_go_in_as_the_use_cases_store_them_and_bad_ones_are_reported(
    services: Services, acme: Principal, fmt: str
) -> None:
    name, rejected, bad_lines = CASES[fmt]
    summary = run(services, acme, FIXTURES / name)

    assert rejections(summary) == rejected
    assert malformed(summary) == bad_lines
    assert summary.imported == len(GOOD)
    assert summary.events_imported == sum(len(t["events"]) for t in GOOD)
    assert summary.already_imported == 0
    assert not summary.complete
    for ticket in rejected:
        assert ticket is not None
        assert stored(services, acme.tenant_id, ticket) is None  # nothing of it went in

    # The same tickets through the use case, in another tenant with the same configuration.
    ref = make_tenant(services, "reference")
    for doc in GOOD:
        create_ticket(services, principal=ref, document=doc)
    for doc in GOOD:
        mine = stored(services, acme.tenant_id, doc["id"])
        theirs = stored(services, ref.tenant_id, doc["id"])
        assert mine is not None and theirs is not None
        assert mine == theirs, doc["id"]
        ours, _ = evaluate_ticket(services, principal=acme, ticket_id=doc["id"])
        expected, _ = evaluate_ticket(services, principal=ref, ticket_id=doc["id"])
        assert evaluation_json(ours) == evaluation_json(expected)


def test_rejections_read_as_lines_of_the_file(services: Services, acme: Principal) -> None:
    summary = run(services, acme, FIXTURES / "tickets.jsonl")
    text = [line for r in summary.rejections for line in r.text()]
    assert (
        "line 15 (ticket T-900, events[2].at): 2026-11-24T10:00:00 has no time zone offset: "
        "an offset is required (e.g. +01:00 or Z)"
    ) in text
    assert "line 6: not valid JSON: Expecting ',' delimiter at the end of the line" in text
    assert "line 23 (ticket T-903, events[1].cause): no ticket 'T-404' in this tenant" in text
    document = summary.as_json()
    t900 = next(r for r in document["rejections"] if r["ticket"] == "T-900")
    assert t900["lines"] == [4, 8, 15]
    assert t900["errors"][0]["lines"] == [15]
    assert document["malformed_lines"] == 3
    assert document["rejected"] == 5
    assert document["conflicts"] == 1


def test_a_second_run_skips_everything_and_changes_nothing(
    services: Services, acme: Principal
) -> None:
    first = run(services, acme, FIXTURES / "tickets.jsonl")
    before = everything(services, acme.tenant_id)

    again = run(services, acme, FIXTURES / "tickets.jsonl")
    assert again.imported == 0
    assert again.events_imported == 0
    assert again.already_imported == len(GOOD)
    assert rejections(again) == rejections(first)
    # The CSV holds the same tickets: nothing to add either.
    csv = run(services, acme, FIXTURES / "tickets.csv")
    assert (csv.imported, csv.already_imported) == (0, len(GOOD))
    assert everything(services, acme.tenant_id) == before


def test_a_ticket_stored_with_other_events_is_a_conflict_and_is_not_merged(
    services: Services, acme: Principal
) -> None:
    t100 = next(t for t in GOOD if t["id"] == "T-100")
    create_ticket(services, principal=acme, document={**t100, "events": t100["events"][:3]})
    before = stored(services, acme.tenant_id, "T-100")

    summary = run(services, acme, FIXTURES / "tickets.jsonl")
    reason, lines, problems = rejections(summary)["T-100"]
    assert (reason, lines) == ("conflict", [1])
    assert [p for _, p in problems] == [f"events[{i}]" for i in range(3, 11)]
    assert stored(services, acme.tenant_id, "T-100") == before
    # T-104 is caused by T-100, which exists: it goes in.
    assert stored(services, acme.tenant_id, "T-104") is not None
    # T-904 reuses a key of the stored T-100.
    assert rejections(summary)["T-904"][0] == "conflict"
    assert summary.imported == len(GOOD) - 1


def generated(path: Path, n: int) -> int:
    """n valid tickets as JSON lines (half whole documents, half event lines); events."""
    lines: list[str] = []
    events = 0
    for i in range(n):
        evs = [
            {"id": f"G-{i}-1", "type": "created", "at": "2026-11-24T09:00:00Z", "status": "new"},
            {"type": "customer_reply", "at": f"2026-11-24T09:{10 + i % 40}:00Z"},
            {"id": f"G-{i}-3", "type": "agent_reply", "at": "2026-11-24T10:00:00Z"},
        ]
        events += len(evs)
        doc = {"id": f"G-{i}", "priority": "P2", "subject": f"generated {i}"}
        if i % 2:
            lines.append(json.dumps({**doc, "events": evs}))
        else:
            lines.append(json.dumps({**doc, "events": evs[:1]}))
            lines.extend(json.dumps({"ticket": doc["id"], **e}) for e in evs[1:])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return events


class Crash(Exception):
    pass


def crash_after(batches: int) -> Callable[[BatchReport], None]:
    seen: list[int] = []

    def hook(report: BatchReport) -> None:
        seen.append(report.number)
        if len(seen) >= batches:
            raise Crash(f"after batch {report.number}")

    return hook


@pytest.mark.parametrize("workers", [0, 2])
def test_a_crash_between_batches_then_a_rerun_completes_without_duplicates(
    services: Services, acme: Principal, tmp_path: Path, workers: int
) -> None:
    path = tmp_path / "many.jsonl"
    events = generated(path, 24)
    with pytest.raises(Crash):
        run(services, acme, path, batch=4, workers=workers, after_batch=crash_after(1))
    partial = everything(services, acme.tenant_id)
    committed = len(partial["tickets"])
    assert committed >= 4  # the first batch; in parallel, those in flight may commit too
    assert committed % 4 == 0 or workers  # whole batches only
    for ticket in partial["tickets"].values():
        assert len(ticket["events"]) == 3  # never half a ticket

    summary = run(services, acme, path, batch=4, workers=workers)
    assert summary.complete
    assert summary.already_imported == committed
    assert summary.imported == 24 - committed
    after = everything(services, acme.tenant_id)
    assert after["counts"]["tickets"] == 24
    assert after["counts"]["events"] == events
    with services.reading() as s:
        keys = s.scalar(
            select(func.count(func.distinct(EventRow.key))).where(
                EventRow.tenant_id == acme.tenant_id
            )
        )
    assert keys == events


@pytest.mark.parametrize("workers", [0, 2])
def test_ctrl_c_stops_cleanly_and_the_summary_counts_what_committed(
    services: Services, acme: Principal, tmp_path: Path, workers: int
) -> None:
    path = tmp_path / "many.jsonl"
    generated(path, 24)
    calls: list[int] = []

    def interrupt(report: BatchReport) -> None:
        calls.append(report.number)
        if len(calls) == 1:
            raise KeyboardInterrupt

    summary = run(services, acme, path, batch=4, workers=workers, after_batch=interrupt)
    assert summary.interrupted
    assert not summary.complete
    assert 4 <= summary.imported < 24
    assert everything(services, acme.tenant_id)["counts"]["tickets"] == summary.imported
    rest = run(services, acme, path, batch=4, workers=workers)
    assert (rest.already_imported, rest.imported) == (summary.imported, 24 - summary.imported)


def test_parallel_workers_store_what_one_process_stores(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    generated(path, 40)
    one = make_tenant(services, "one")
    two = make_tenant(services, "two")
    a = run(services, one, path, batch=5, workers=0)
    b = run(services, two, path, batch=5, workers=2)
    assert (a.imported, b.imported, b.workers) == (40, 40, 2)
    assert (
        everything(services, one.tenant_id)["tickets"]
        == (everything(services, two.tenant_id)["tickets"])
    )


def test_a_link_given_twice_is_stored_once(
    services: Services, acme: Principal, tmp_path: Path
) -> None:
    path = tmp_path / "links.jsonl"
    events = [
        {"id": "L-1", "type": "created", "at": "2026-11-24T09:00:00Z"},
        {"id": "L-2", "type": "caused_by", "at": "2026-11-24T09:10:00Z", "cause": "C-1"},
        {"id": "L-3", "type": "caused_by", "at": "2026-11-24T09:20:00Z", "cause": "C-1"},
    ]
    lines = [
        {"id": "E-1", "priority": "P3", "events": events},
        {"id": "C-1", "priority": "P3", "created_at": "2026-11-24T08:00:00Z"},
    ]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    summary = run(services, acme, path)
    assert (summary.imported, summary.rejections) == (2, [])
    ticket = stored(services, acme.tenant_id, "E-1")
    assert ticket is not None
    assert ticket["links"] == [("caused_by", "C-1")]


def test_usage_errors_stop_before_anything_is_written(
    services: Services, acme: Principal, tmp_path: Path
) -> None:
    odd = tmp_path / "tickets.txt"
    odd.write_text("{}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="--format"):
        run(services, acme, odd)
    bad_header = tmp_path / "bad.csv"
    bad_header.write_text("ticket,event,at,colour\nT-1,created,2026-11-24T09:00:00Z,red\n")
    with pytest.raises(ConfigError, match="unknown column 'colour'"):
        run(services, acme, bad_header)
    no_at = tmp_path / "no_at.csv"
    no_at.write_text("ticket,event\nT-1,created\n")
    with pytest.raises(ConfigError, match="required column"):
        run(services, acme, no_at)
    assert everything(services, acme.tenant_id)["counts"]["tickets"] == 0


# ---------------------------------------------------------------------------------------
# the command, as people run it: a real process on a temporary SQLite file


@pytest.fixture(scope="module")
def cli_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with tenant acme and its configuration, made once by the CLI itself."""
    path = tmp_path_factory.mktemp("cli") / "template.db"
    env = _env(path)
    for args in (
        ["migrate"],
        ["tenants", "create", "acme"],
        ["config", "apply", str(CONFIG), "--tenant", "acme"],
    ):
        done = slaguard(env, *args)
        assert done.returncode == 0, done.stderr
    return path


@pytest.fixture
def cli_env(cli_template: Path, tmp_path: Path) -> dict[str, str]:
    """A copy of the template for this test (every connection to it is closed)."""
    path = tmp_path / "cli.db"
    shutil.copyfile(cli_template, path)
    return _env(path)


def _env(path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SLAGUARD_")}
    return {**clean, "SLAGUARD_DATABASE_URL": f"sqlite:///{path}"}


def slaguard(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own CLI with test arguments
        [sys.executable, "-m", "slaguard", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=120,
    )


def test_cli_reports_rejections_and_exits_1_then_skips_on_a_rerun(
    cli_env: dict[str, str],
) -> None:
    first = slaguard(
        cli_env, "import", str(FIXTURES / "tickets.jsonl"), "--tenant", "acme", "--json"
    )
    assert first.returncode == 1, first.stderr
    summary = json.loads(first.stdout)
    assert summary["imported"] == len(GOOD)
    assert summary["events_imported"] == sum(len(t["events"]) for t in GOOD)
    assert (summary["rejected"], summary["conflicts"], summary["malformed_lines"]) == (5, 1, 3)
    assert {r["ticket"] for r in summary["rejections"]} == {*REJECTED_JSONL, None}
    assert summary["format"] == "jsonl"
    assert summary["events_per_second"] > 0

    again = slaguard(
        cli_env, "import", str(FIXTURES / "tickets.csv"), "--tenant", "acme", "--batch", "3"
    )
    assert again.returncode == 1, again.stderr
    assert "already imported   8" in again.stdout
    assert "tickets imported   0" in again.stdout
    assert "line 24 (ticket T-900, events[2].at): " in again.stdout
    assert "line 52 (ticket T-905): expected 28 columns, found 3" in again.stdout


def test_cli_exits_0_when_everything_went_in(cli_env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "good.ndjson"
    generated(path, 10)
    done = slaguard(cli_env, "import", str(path), "--tenant", "acme", "--workers", "2")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "tickets imported   10" in done.stdout
    assert "events imported    30" in done.stdout
    rerun = slaguard(cli_env, "import", str(path), "--tenant", "acme", "--json")
    assert rerun.returncode == 0
    assert json.loads(rerun.stdout)["already_imported"] == 10


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tickets.txt", "--tenant", "acme"], "give --format csv|jsonl"),
        (["tickets.jsonl", "--tenant", "nobody"], "no tenant 'nobody'"),
        (["missing.jsonl", "--tenant", "acme"], "no such file"),
        (["bad.csv", "--tenant", "acme"], "unknown column 'colour'"),
        (["tickets.jsonl", "--tenant", "acme", "--batch", "0"], "--batch"),
    ],
)
def test_cli_usage_and_configuration_errors_exit_2(
    cli_env: dict[str, str], tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "tickets.txt").write_text("{}\n")
    (tmp_path / "tickets.jsonl").write_text("{}\n")
    (tmp_path / "bad.csv").write_text("ticket,event,at,colour\n")
    done = slaguard(cli_env, "import", str(tmp_path / args[0]), *args[1:])
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr


def test_imported_tickets_have_report_columns_and_rollups(
    services: Services, acme: Principal
) -> None:
    run(services, acme, FIXTURES / "tickets.jsonl")
    r = ClockRollupRow

    def kept() -> list[tuple[Any, ...]]:
        with services.reading() as s:
            rows = s.execute(
                select(r.dim, r.value, r.metric, r.e_day, r.b_day, r.warned, r.shard, r.n)
                .where(r.tenant_id == acme.tenant_id, r.n != 0)
                .order_by(r.dim, r.value, r.metric, r.e_day, r.b_day, r.warned, r.shard)
            ).all()
        return [tuple(x) for x in rows]

    before = kept()
    with services.writing() as s:
        rollups.rebuild(s.connection(), [acme.tenant_id])
        documents = s.execute(
            select(TicketRow.tier).where(TicketRow.tenant_id == acme.tenant_id)
        ).all()
    assert before and before == kept()
    # the ticket's current tier (set by its events), as the write path stores it
    assert {"enterprise", "standard"} <= {tier for (tier,) in documents}


def test_imported_breaches_get_suggested_reasons_and_the_tickets_audit_records_are_chained(
    services: Services, acme: Principal, client: Any
) -> None:
    summary = run(services, acme, FIXTURES / "tickets.jsonl")
    assert summary.imported == len(GOOD)
    viewer = Tenant(
        "acme",
        acme.tenant_id,
        {"viewer": tenants.create_key(services, tenant="acme", role="viewer")},
        client,
    )
    listed = {}
    for doc in GOOD:
        r = viewer.get(f"/api/v1/tickets/{doc['id']}/breaches")
        assert r.status_code == 200
        listed[doc["id"]] = r.json()
    breached = [b for found in listed.values() for b in found]
    assert breached and all(b["suggested_reason"] and b["evidence"] for b in breached)
    report = reports.run_report(
        services,
        principal=Principal(acme.tenant_id, "acme", Role.VIEWER),
        name="breach-reasons",
        start_us=to_us(datetime(2026, 1, 1, tzinfo=UTC)),
        end_us=to_us(datetime(2028, 1, 1, tzinfo=UTC)),
    )
    assert sum(row["suggested_only"] for row in report["rows"]) == len(breached)

    assert audit.seal(services) > 0
    checked, broken = audit.verify(services, tenant_id=acme.tenant_id)
    assert broken is None
    with services.reading() as s:
        chained = s.execute(
            select(AuditRow.kind, AuditRow.subject, AuditRow.actor).where(
                AuditRow.tenant_id == acme.tenant_id, AuditRow.seq.is_not(None)
            )
        ).all()
    assert checked == len(chained)
    for doc in GOOD:
        created = [a for k, t, a in chained if k == "ticket.created" and t == doc["id"]]
        assert created == ["agent of acme"]
        events = sum(1 for k, t, _ in chained if k == "ticket.event" and t == doc["id"])
        assert events == len(doc["events"])


# Each a line of JSON as written in the file (escapes included).
_CREATED = '{"type": "created", "at": "2026-11-20T09:00:00+01:00"}'
_AT = '"at": "2026-11-20T09:00:00+01:00"'
UNUSUAL_LINES = [
    '{"id": "U-1", "events": [' + _CREATED + "]}",
    '{"ticket": "U-2", "id": "u2e1", "type": "created", ' + _AT + "}",
    '{"ticket": "U-2", "id": "u2e2", "type": "agent_reply", "at": "0001-01-01T00:30:00+01:00"}',
    '{"id": "U-3", "created_at": "0001-01-01T00:00:00+01:00", "events": [' + _CREATED + "]}",
    '{"ticket": "U-4", "type": "created", ' + _AT + ', "team": "a\\ud800b"}',
    '{"ticket": "U-5", "type": "created", ' + _AT + ', "team": "a\\u0000b"}',
    '{"id": "U-6", "custom_fields": {"x\\ud800": 1}, "events": [' + _CREATED + "]}",
    '{"id": "U/7", "events": [' + _CREATED + "]}",
    '{"id": "U-8", "events": {}, "created_at": "2026-11-20T09:00:00+01:00"}',
    '{"ticket": "U-\\ud800", "type": "created", ' + _AT + "}",
    '{"id": "U-10", "\\udfff": 1, "events": [' + _CREATED + "]}",
    '{"id": "U-11", "events": [' + _CREATED + "]}",
]
UNUSUAL_REJECTED = {
    "U-2": ("invalid", [2, 3], [([3], "events[1].at")]),
    "U-3": ("invalid", [4], [([4], "created_at")]),
    "U-4": ("invalid", [5], [([5], "events[0].team")]),
    "U-5": ("invalid", [6], [([6], "events[0].team")]),
    "U-6": ("invalid", [7], [([7], "custom_fields.x\\ud800")]),
    "U/7": ("invalid", [8], [([], "id")]),
    "U-8": ("invalid", [9], [([9], "events")]),
    "U-10": ("invalid", [11], [([11], "\\udfff")]),
}


def test_one_bad_ticket_is_rejected_with_its_lines_and_the_others_go_in(
    services: Services, acme: Principal, tmp_path: Path
) -> None:
    """Instants without a date, text no column can hold (also in a key or the ticket's
    id), a '/' in an id, events that are not a list: that ticket alone is left out."""
    path = tmp_path / "unusual.jsonl"
    path.write_text("\n".join(UNUSUAL_LINES) + "\n", encoding="utf-8")
    summary = run(services, acme, path)
    assert rejections(summary) == UNUSUAL_REJECTED
    assert malformed(summary) == [10]
    assert summary.imported == 2
    assert stored(services, acme.tenant_id, "U-1") is not None
    assert stored(services, acme.tenant_id, "U-11") is not None
    text = [line for r in summary.rejections for line in r.text()]
    for line in text:
        line.encode("utf-8")  # printable as it is
    assert (
        "line 3 (ticket U-2, events[1].at): outside the years the service accepts (1990 to 2099)"
    ) in text
    assert (
        "line 7 (ticket U-6, custom_fields.x\\ud800): text may not contain unpaired surrogates"
    ) in text
    assert "line 10: \"ticket\": a ticket id is text that can be stored, got 'U-\\ud800'" in text


def test_cli_reports_unusual_tickets_and_imports_the_rest(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "unusual.jsonl"
    path.write_text("\n".join(UNUSUAL_LINES) + "\n", encoding="utf-8")
    done = slaguard(cli_env, "import", str(path), "--tenant", "acme")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "tickets imported   2" in done.stdout
    assert "rejected tickets   8" in done.stdout
    assert "line 6 (ticket U-5, events[0].team): text may not contain NUL" in done.stdout
    as_json = slaguard(cli_env, "import", str(path), "--tenant", "acme", "--json")
    assert as_json.returncode == 1, as_json.stderr
    assert json.loads(as_json.stdout)["already_imported"] == 2
