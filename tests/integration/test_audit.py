"""The audit trail on both databases: what is recorded, the chain, and tampering made
directly in the database (changed, removed and swapped records), found by verify; on
PostgreSQL the service's user cannot change or delete audit records at all."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from apihelpers import Tenant, ticket_doc
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

import slaguard
from slaguard.app import audit
from slaguard.app.services import Services
from slaguard.db.tables import AuditRow


@pytest.fixture
def trail(acme: Tenant, services: Services) -> Tenant:
    """acme's configuration, two tickets and an event, sealed into the chain."""
    assert acme.post("/api/v1/tickets", ticket_doc("T-1")).status_code == 201
    assert acme.post("/api/v1/tickets", ticket_doc("T-2")).status_code == 201
    r = acme.post(
        "/api/v1/tickets/T-1/events",
        {"id": "reply", "type": "agent_reply", "at": "2026-11-25T10:00:00+00:00"},
    )
    assert r.status_code in (200, 201)
    assert audit.seal(services) > 0
    return acme


def kinds(services: Services, tenant_id: int) -> list[tuple[str, str]]:
    with services.reading() as s:
        return [
            (r.kind, r.subject)
            for r in s.execute(
                select(AuditRow.kind, AuditRow.subject)
                .where(AuditRow.tenant_id == tenant_id)
                .order_by(AuditRow.seq)
            )
        ]


def test_changes_are_recorded_in_order_and_the_chain_verifies(
    trail: Tenant, services: Services
) -> None:
    recorded = kinds(services, trail.tenant_id)
    assert recorded[0] == ("config.applied", "version 1")
    assert ("ticket.created", "T-1") in recorded and ("ticket.created", "T-2") in recorded
    assert recorded[-1] == ("ticket.event", "T-1")
    checked, broken = audit.verify(services, tenant_id=trail.tenant_id)
    assert broken is None and checked == len(recorded)
    # new records continue the same chain
    trail.post("/api/v1/tickets", ticket_doc("T-3"))
    audit.seal(services)
    checked, broken = audit.verify(services, tenant_id=trail.tenant_id)
    assert broken is None and checked == len(recorded) + 2


def test_verify_reports_its_progress_batch_by_batch(trail: Tenant, services: Services) -> None:
    total = audit.sealed_count(services, tenant_id=trail.tenant_id)
    assert total == len(kinds(services, trail.tenant_id)) and total > 3
    assert audit.unsealed_count(services, tenant_id=trail.tenant_id) == 0
    told: list[int] = []
    checked, broken = audit.verify(
        services, tenant_id=trail.tenant_id, batch=2, progress=told.append
    )
    assert broken is None and checked == total
    assert told == [min(n, total) for n in range(2, total + 2, 2)]


def test_tenants_have_chains_of_their_own(
    trail: Tenant, globex: Tenant, services: Services
) -> None:
    globex.post("/api/v1/tickets", ticket_doc("G-1"))
    audit.seal(services)
    assert all(subject != "G-1" for _, subject in kinds(services, trail.tenant_id))
    for tenant in (trail, globex):
        _, broken = audit.verify(services, tenant_id=tenant.tenant_id)
        assert broken is None


def tamper(services: Services, sql: str, **params: Any) -> None:
    """Change the database behind the service's back (on PostgreSQL bypassing the
    append-only trigger, as only a superuser could)."""
    with services.write_engine.begin() as conn:
        if not services.is_sqlite:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(sql), params)


def test_data_is_stored_as_the_text_hashed(trail: Tenant, services: Services) -> None:
    with services.reading() as s:
        rows = s.execute(
            text(
                "SELECT tenant_id, at_us, kind, subject, actor, CAST(data AS TEXT), content_hash "
                "FROM audit_log WHERE tenant_id = :t"
            ),
            {"t": trail.tenant_id},
        ).all()
    assert rows
    for tenant_id, at_us, kind, subject, actor, data, stored in rows:
        value = json.loads(data)
        assert data == json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert audit.content_hash(tenant_id, at_us, kind, subject, actor, value) == stored


def test_records_stored_as_other_json_text_still_verify(trail: Tenant, services: Services) -> None:
    # as written before data was stored canonically: same value, other spacing
    with services.reading() as s:
        row = s.execute(
            select(AuditRow).where(AuditRow.tenant_id == trail.tenant_id, AuditRow.seq == 2)
        ).scalar_one()
        value = row.data
    spaced = json.dumps(value, indent=1)  # the same value as other JSON text
    tamper(
        services,
        "UPDATE audit_log SET data = :d WHERE tenant_id = :t AND seq = 2",
        d=spaced,
        t=trail.tenant_id,
    )
    checked, broken = audit.verify(services, tenant_id=trail.tenant_id)
    assert broken is None and checked > 2


def test_an_altered_record_is_named(trail: Tenant, services: Services) -> None:
    tamper(
        services,
        "UPDATE audit_log SET subject = 'T-9' WHERE tenant_id = :t AND seq = 3",
        t=trail.tenant_id,
    )
    _, broken = audit.verify(services, tenant_id=trail.tenant_id)
    assert broken is not None and broken.seq == 3 and "altered" in broken.reason


def test_a_record_whose_data_cannot_be_read_is_named(trail: Tenant, services: Services) -> None:
    # SQLite keeps any text; PostgreSQL's json type keeps a lone surrogate escape, which is
    # JSON but no Unicode text that can be hashed
    garbled = '{"at":' if services.is_sqlite else '["\\ud800"]'
    tamper(
        services,
        "UPDATE audit_log SET data = :d WHERE tenant_id = :t AND seq = 3",
        d=garbled,
        t=trail.tenant_id,
    )
    checked, broken = audit.verify(services, tenant_id=trail.tenant_id)
    assert broken is not None and broken.seq == 3 and "garbled" in broken.reason
    assert checked == 2
    exported_in_full(services, trail.tenant_id, garbled=3)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "garble",
    [
        "subject = CAST(x'ff41' AS TEXT)",  # not UTF-8: the driver cannot read the row
        "at_us = x'00ff'",  # bytes where a number belongs
        "kind = x'41'",
        "data = '[' || replace(hex(zeroblob(60000)), '00', '[') || ']'",  # nested too deep
    ],
)
def test_a_record_with_a_field_of_the_wrong_kind_is_named(
    trail: Tenant, services: Services, garble: str
) -> None:
    # a file's columns hold whatever was written into them
    tamper(
        services,
        f"UPDATE audit_log SET {garble} WHERE tenant_id = :t AND seq = 3",  # noqa: S608
        t=trail.tenant_id,
    )
    checked, broken = audit.verify(services, tenant_id=trail.tenant_id)
    assert broken is not None and broken.seq == 3 and checked == 2
    exported_in_full(services, trail.tenant_id, garbled=3)


def exported_in_full(services: Services, tenant_id: int, *, garbled: int) -> None:
    """The export holds every sealed record, the garbled one as stored, and the
    independent check passes up to that record and fails at it."""
    exported = list(audit.export(services, tenant_id=tenant_id))
    with services.reading() as s:
        sealed = s.scalar(
            select(func.count()).where(AuditRow.tenant_id == tenant_id, AuditRow.seq > 0)
        )
    assert len(exported) == sealed
    lines = [json.dumps(r, sort_keys=True) for r in exported]
    assert independent_verify(lines[: garbled - 1]) == garbled - 1
    with pytest.raises((AssertionError, UnicodeEncodeError)):
        independent_verify(lines[:garbled])


def test_a_removed_record_is_named(trail: Tenant, services: Services) -> None:
    tamper(services, "DELETE FROM audit_log WHERE tenant_id = :t AND seq = 2", t=trail.tenant_id)
    _, broken = audit.verify(services, tenant_id=trail.tenant_id)
    assert broken is not None and broken.seq == 2 and "removed" in broken.reason


def test_swapped_records_are_found(trail: Tenant, services: Services) -> None:
    tamper(
        services,
        "UPDATE audit_log SET seq = CASE seq WHEN 2 THEN -3 ELSE -2 END "
        "WHERE tenant_id = :t AND seq IN (2, 3)",
        t=trail.tenant_id,
    )
    tamper(
        services,
        "UPDATE audit_log SET seq = -seq WHERE tenant_id = :t AND seq < 0",
        t=trail.tenant_id,
    )
    _, broken = audit.verify(services, tenant_id=trail.tenant_id)
    assert broken is not None and broken.seq == 2


def test_a_recomputed_content_hash_still_breaks_the_chain(
    trail: Tenant, services: Services
) -> None:
    # a forger who changes a record and its content hash cannot fix the chain hash
    with services.reading() as s:
        row = s.execute(
            select(AuditRow).where(AuditRow.tenant_id == trail.tenant_id, AuditRow.seq == 2)
        ).scalar_one()
        forged = audit.content_hash(
            row.tenant_id, row.at_us, row.kind, "forged", row.actor, row.data
        )
    tamper(
        services,
        "UPDATE audit_log SET subject = 'forged', content_hash = :h "
        "WHERE tenant_id = :t AND seq = 2",
        h=forged,
        t=trail.tenant_id,
    )
    _, broken = audit.verify(services, tenant_id=trail.tenant_id)
    assert broken is not None and broken.seq == 2 and "chain" in broken.reason


def test_the_service_user_cannot_change_or_delete_audit_records(
    trail: Tenant, services: Services
) -> None:
    if services.is_sqlite:
        pytest.skip("an embedded SQLite file has no database users; its owner can do anything")
    for statement in (
        "UPDATE audit_log SET subject = 'x' WHERE tenant_id = :t",
        "DELETE FROM audit_log WHERE tenant_id = :t",
    ):
        with pytest.raises(DBAPIError, match="audit records cannot be"):  # noqa: SIM117
            with services.write_engine.begin() as conn:
                conn.execute(text(statement), {"t": trail.tenant_id})
    _, broken = audit.verify(services, tenant_id=trail.tenant_id)
    assert broken is None


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_service_user_cannot_truncate_the_audit_trail(
    trail: Tenant, services: Services
) -> None:
    before = kinds(services, trail.tenant_id)
    for statement in ("TRUNCATE audit_log", "TRUNCATE tenants CASCADE"):
        with pytest.raises(DBAPIError, match="audit records cannot be deleted"):  # noqa: SIM117
            with services.write_engine.begin() as conn:
                conn.execute(text(statement))
    assert kinds(services, trail.tenant_id) == before
    checked, broken = audit.verify(services, tenant_id=trail.tenant_id)
    assert broken is None and checked == len(before)


def independent_verify(lines: list[str]) -> int:
    """The procedure of docs/audit.md, written from the document, not from the code."""
    prev = "0" * 64
    for n, line in enumerate(lines, start=1):
        r = json.loads(line)
        assert r["seq"] == n
        body = json.dumps(
            [r["tenant_id"], r["at_us"], r["kind"], r["subject"], r["actor"], r["data"]],
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        content = hashlib.sha256(body.encode()).hexdigest()
        assert content == r["content_hash"]
        assert r["prev_hash"] == prev
        assert hashlib.sha256(f"{n}:{prev}:{content}".encode()).hexdigest() == r["hash"]
        prev = r["hash"]
    return len(lines)


def test_cli_export_verifies_independently_and_verify_exits_1_on_a_break(
    trail: Tenant, services: Services, database_url: str, tmp_path: Path
) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own CLI
            [sys.executable, "-m", "slaguard", *args],
            capture_output=True,
            text=True,
            check=False,
            env={
                "SLAGUARD_DATABASE_URL": database_url,
                "PATH": "/usr/bin:/bin",
                "PYTHONPATH": str(Path(slaguard.__file__).parents[1]),  # the code under test
            },
        )

    ok = cli("audit", "verify", "--tenant", "acme")
    assert ok.returncode == 0, ok.stderr
    out = tmp_path / "audit.jsonl"
    done = cli("audit", "export", "--tenant", "acme", "--output", str(out))
    assert done.returncode == 0, done.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert independent_verify(lines) == len(kinds(services, trail.tenant_id))

    tamper(services, "DELETE FROM audit_log WHERE tenant_id = :t AND seq = 4", t=trail.tenant_id)
    bad = cli("audit", "verify", "--tenant", "acme")
    assert bad.returncode == 1
    assert "record 4" in bad.stderr

    tamper(
        services,
        "UPDATE audit_log SET data = :d WHERE tenant_id = :t AND seq = 2",
        d='{"at":' if services.is_sqlite else '["\\udfff"]',
        t=trail.tenant_id,
    )
    garbled = cli("audit", "verify", "--tenant", "acme")
    assert garbled.returncode == 1
    assert "record 2" in garbled.stderr and "garbled" in garbled.stderr
    # the export still holds every record, for the auditor to find the same
    again = cli("audit", "export", "--tenant", "acme", "--output", str(out))
    assert again.returncode == 0, again.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(kinds(services, trail.tenant_id))
    assert independent_verify(lines[:1]) == 1
    with pytest.raises((AssertionError, UnicodeEncodeError)):
        independent_verify(lines[:2])
    assert cli("audit", "export", "--tenant", "acme").stdout.splitlines() == lines
