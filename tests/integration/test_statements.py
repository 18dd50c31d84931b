"""`insert_many`: the same rows stored, skipped and returned on both databases, whichever
way each writes them (PostgreSQL: arrays unnested by the server)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from slaguard.app.services import Services
from slaguard.db.statements import insert_many
from slaguard.db.tables import OutboxRow, TenantRow

_OUTBOX = OutboxRow.__table__


def row(tenant_id: int, delivery_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "delivery_id": delivery_id,
        "tenant_id": tenant_id,
        "ticket_id": None,
        "escalation_id": extra.get("escalation_id"),
        "channel": extra.get("channel"),
        "person": "ana@example.com",
        "channel_type": "email",
        "kind": "level",
        "priority": extra.get("priority"),
        "payload": extra.get("payload", {}),
        "state": "pending",
        "attempts": 0,
        "next_us": extra.get("next_us", 1),
        "created_us": 1,
    }


def test_rows_are_stored_as_given_and_stored_keys_are_skipped(
    services: Services, acme: Any
) -> None:
    with services.writing() as s:
        tenant_id = s.scalar(select(TenantRow.id).where(TenantRow.name == "acme"))
        payload = {"text": "Level 1 — “P1” breached", "n": [1, 2.5, None], "nested": {"a": True}}
        first = insert_many(
            s,
            _OUTBOX,
            [
                row(tenant_id, "d-1", payload=payload, priority="P1", next_us=2**53 + 1),
                row(tenant_id, "d-2", escalation_id=9_000_000_000, channel="ops-slack"),
            ],
            skip_stored=["delivery_id"],
            returning=["id", "delivery_id"],
        )
        assert sorted(d for _, d in first) == ["d-1", "d-2"]
        # a key already stored, and one twice in the same call: each written once
        again = insert_many(
            s,
            _OUTBOX,
            [row(tenant_id, "d-2"), row(tenant_id, "d-3"), row(tenant_id, "d-3")],
            skip_stored=["delivery_id"],
            returning=["delivery_id"],
        )
        assert [tuple(r) for r in again] == [("d-3",)]
        assert insert_many(s, _OUTBOX, [], skip_stored=["delivery_id"], returning=["id"]) == []
    with services.reading() as s:
        stored = {
            r.delivery_id: r
            for r in s.scalars(select(OutboxRow).where(OutboxRow.tenant_id == tenant_id))
        }
    assert sorted(stored) == ["d-1", "d-2", "d-3"]
    d1, d2 = stored["d-1"], stored["d-2"]
    assert dict(first)[d1.id] == "d-1"
    assert d1.payload == payload
    assert (d1.priority, d1.next_us, d1.escalation_id, d1.channel) == ("P1", 2**53 + 1, None, None)
    assert (d2.escalation_id, d2.channel, d2.priority, d2.payload) == (
        9_000_000_000,
        "ops-slack",
        None,
        {},
    )


def test_without_returning_nothing_is_returned_and_all_is_written(
    services: Services, acme: Any
) -> None:
    with services.writing() as s:
        tenant_id = s.scalar(select(TenantRow.id).where(TenantRow.name == "acme"))
        rows = [row(tenant_id, f"m-{n}", next_us=n) for n in range(300)]
        assert insert_many(s, _OUTBOX, rows) == []
    with services.reading() as s:
        got = s.execute(
            select(OutboxRow.delivery_id, OutboxRow.next_us).where(OutboxRow.tenant_id == tenant_id)
        ).all()
    assert sorted(got, key=lambda r: r[1]) == [(f"m-{n}", n) for n in range(300)]


def test_rows_must_have_the_same_columns(services: Services, acme: Any) -> None:
    with services.writing() as s:
        tenant_id = s.scalar(select(TenantRow.id).where(TenantRow.name == "acme"))
        other = {**row(tenant_id, "x-2"), "digest_id": "d"}
        del other["priority"]
        with pytest.raises(ValueError, match="same columns"):
            insert_many(s, _OUTBOX, [row(tenant_id, "x-1"), other])
