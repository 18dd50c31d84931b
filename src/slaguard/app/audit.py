"""The audit trail: an append-only, hash-chained log per tenant.

Every change (ticket events, configuration versions, escalations fired and
acknowledged, breach reasons) is recorded in the transaction that makes it, with the
SHA-256 of its content. Chaining happens afterwards, in one place: the worker's sealer
takes a tenant's unsealed records in id order and gives each its place (`seq`, 1, 2,
...), the hash of the record before it and its own chain hash:

    content_hash = sha256(canonical JSON of tenant, at, kind, subject, actor, data)
    hash         = sha256(f"{seq}:{prev_hash}:{content_hash}")      (prev_hash of seq 1: 64 zeros)

Why seal afterwards rather than chain at write time: chaining at write time makes every
writer of a tenant wait for the previous one (the head of the chain is one row), which
would serialise all ingestion of a tenant; sealing keeps writers independent, and a
record is sealed within a worker round of being written.

`verify` walks a tenant's sealed records in `seq` order and recomputes both hashes: a
changed record breaks its content hash, a removed one leaves a gap in `seq` (and breaks
the next record's `prev_hash`), two swapped records break the chain at the first of them.
`data` is stored as its canonical JSON text, so verify hashes the stored text as it is
(read as text, never parsed): were the text changed, the hash would differ. A record
whose text does not hash right (tampered, or written before data was stored canonically)
is parsed and hashed again from its value before it is judged broken; a record whose
fields cannot be read or hashed at all (not JSON, not text, not UTF-8) is a break too.
On PostgreSQL triggers refuse UPDATE and DELETE of sealed records (and of the content
of unsealed ones) and TRUNCATE of the table to every user but the table's owner and
superusers, who can disable triggers (docs/audit.md: run the service as another role).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any

from sqlalchemy import (
    ColumnElement,
    LargeBinary,
    Text,
    bindparam,
    cast,
    func,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from slaguard.app.services import Services
from slaguard.db.statements import insert_many
from slaguard.db.tables import AuditRow
from slaguard.domain.calendar import from_us

__all__ = [
    "GENESIS",
    "Break",
    "chain_hash",
    "content_hash",
    "export",
    "record",
    "record_many",
    "seal",
    "sealed_count",
    "unsealed_count",
    "verify",
]

GENESIS = "0" * 64
_AUDIT = AuditRow.metadata.tables[AuditRow.__tablename__]
_SEAL_LOCK_BASE = 0x5_1A_A0D1_0000
_SEAL = (
    update(_AUDIT)
    .where(_AUDIT.c.id == bindparam("rid"))
    .values(seq=bindparam("seq"), prev_hash=bindparam("prev_hash"), hash=bindparam("hash"))
)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(tenant_id: int, at_us: int, kind: str, subject: str, actor: str, data: Any) -> str:
    body = _canonical([tenant_id, at_us, kind, subject, actor, data])
    return hashlib.sha256(body.encode()).hexdigest()


_string = encode_basestring  # JSON string literal as `_canonical` writes it (no ASCII escaping)


def _content_hash_text(
    tenant_id: int, at_us: int, kind: str, subject: str, actor: str, data_text: str
) -> str:
    """`content_hash` with `data` given as its canonical JSON text: the same string is
    hashed (a list's canonical JSON is its items' joined by commas), without parsing or
    serialising `data`."""
    body = f"[{tenant_id},{at_us},{_string(kind)},{_string(subject)},{_string(actor)},{data_text}]"
    return hashlib.sha256(body.encode()).hexdigest()


def chain_hash(seq: int, prev_hash: str, content: str) -> str:
    return hashlib.sha256(f"{seq}:{prev_hash}:{content}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Entry:
    kind: str  # ticket.created, ticket.event, config.applied, escalation.fired, ...
    subject: str  # what it is about: a ticket id, a config version, ...
    data: Mapping[str, Any]
    actor: str = ""


def record_many(s: Session, tenant_id: int, entries: Sequence[Entry], *, now: int) -> None:
    """Append records in the caller's transaction (unsealed)."""
    if not entries:
        return
    rows = []
    for e in entries:
        body = _canonical(e.data)  # stored exactly as it is hashed
        subject, actor = e.subject[:200], e.actor[:200]
        rows.append(
            {
                "tenant_id": tenant_id,
                "at_us": now,
                "kind": e.kind,
                "subject": subject,
                "actor": actor,
                "data": body,
                "content_hash": _content_hash_text(tenant_id, now, e.kind, subject, actor, body),
            }
        )
    # The table, not the mapped class: the ORM's bulk insert costs more than the rest of
    # this on every event written.
    insert_many(s, _AUDIT, rows, json_text=["data"])


def record(
    s: Session,
    tenant_id: int,
    kind: str,
    subject: str,
    data: Mapping[str, Any],
    *,
    now: int,
    actor: str = "",
) -> None:
    record_many(s, tenant_id, [Entry(kind, subject, data, actor)], now=now)


def seal(svc: Services, *, limit: int = 5000) -> int:
    """Chain up to `limit` unsealed records (of every tenant); how many were sealed."""
    sealed = 0
    with svc.writing() as s:
        tenants = list(
            s.scalars(select(AuditRow.tenant_id).where(AuditRow.seq.is_(None)).distinct())
        )
        for tenant_id in tenants:
            if not svc.is_sqlite:
                # one sealer per tenant at a time; others skip it this round
                got = s.scalar(
                    text("SELECT pg_try_advisory_xact_lock(:k)"),
                    {"k": _SEAL_LOCK_BASE + tenant_id},
                )
                if not got:
                    continue
            head = s.execute(
                select(AuditRow.seq, AuditRow.hash)
                .where(AuditRow.tenant_id == tenant_id, AuditRow.seq.is_not(None))
                .order_by(AuditRow.seq.desc())
                .limit(1)
            ).first()
            seq, prev = (head.seq, head.hash) if head is not None else (0, GENESIS)
            rows = s.execute(
                select(AuditRow.id, AuditRow.content_hash)
                .where(AuditRow.tenant_id == tenant_id, AuditRow.seq.is_(None))
                .order_by(AuditRow.id)
                .limit(limit - sealed)
            ).all()
            params: list[dict[str, Any]] = []
            for rid, content in rows:
                seq += 1
                chained = chain_hash(seq, prev, content)
                params.append({"rid": rid, "seq": seq, "prev_hash": prev, "hash": chained})
                prev = chained
            if params:
                # one statement for the group (an executemany), not one ORM flush per row
                s.connection().execute(_SEAL, params)
                sealed += len(params)
            if sealed >= limit:
                break
    return sealed


@dataclass(frozen=True, slots=True)
class Break:
    """The first record where the chain does not hold, and why."""

    seq: int | None
    record_id: int | None
    reason: str


def verify(
    svc: Services,
    *,
    tenant_id: int,
    batch: int = 20_000,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, Break | None]:
    """Walk the tenant's sealed chain: (records checked, the first break or None).
    `progress` is told how many records are checked after each batch."""
    expected_seq, prev = 1, GENESIS
    checked = 0
    sha256 = hashlib.sha256
    for rows in _sealed_text(svc, tenant_id, batch):
        for rid, seq, at_us, kind, subject, actor, data, stored, prev_hash, chained in rows:
            if type(seq) is not int:
                return checked, Break(expected_seq, rid, f"its place in the chain is {_GARBLED}")
            if seq != expected_seq:
                missing = "removed" if seq > expected_seq else "duplicated or reordered"
                return checked, Break(
                    expected_seq, rid, f"record {expected_seq} is {missing} (found {seq})"
                )
            try:
                content = _content_hash_text(tenant_id, at_us, kind, subject, actor, data)
                if content != stored:
                    # the text as stored is not the canonical text hashed: judge the value
                    value = json.loads(data)
                    content = content_hash(tenant_id, at_us, kind, subject, actor, value)
                    if content != stored:
                        return checked, Break(seq, rid, "its content was altered")
            except (TypeError, ValueError, RecursionError):
                # not JSON, not text, not encodable, nested beyond parsing: not what was
                # written, so a break, never a crash of the walk
                return checked, Break(seq, rid, f"its content is {_GARBLED}")
            if prev_hash != prev:
                return checked, Break(seq, rid, "it does not follow the record before it")
            if sha256(f"{seq}:{prev}:{content}".encode()).hexdigest() != chained:
                return checked, Break(seq, rid, "its chain hash was altered")
            prev = chained
            expected_seq += 1
            checked += 1
        if progress is not None:
            progress(checked)
    return checked, None


_GARBLED = "garbled (a stored field cannot be read as written)"


def _sealed_text(svc: Services, tenant_id: int, batch: int) -> Iterator[Sequence[Any]]:
    """The sealed records in `seq` order, in batches of plain tuples, `data` as the stored
    text (Core: no ORM rows, no JSON parsing).

    SQLite hands back whatever bytes a column holds and the driver fails a whole read
    on text that is not UTF-8; such a batch is read again with the text columns as
    bytes, decoded so that the bytes that are not UTF-8 cannot be hashed (lone
    surrogates), which `verify` reports as the garbled record it is."""
    a = _AUDIT.c
    data = cast(a.data, Text) if not svc.is_sqlite else type_coerce(a.data, Text)
    keys = (a.id, a.seq, a.at_us)
    texts = (a.kind, a.subject, a.actor, data, a.content_hash, a.prev_hash, a.hash)
    where = (a.tenant_id == tenant_id, a.seq.is_not(None), a.seq > bindparam("after"))
    q = select(*keys, *texts).where(*where).order_by(a.seq).limit(batch)
    as_bytes = (
        select(*keys, *(cast(c, LargeBinary) for c in texts))
        .where(*where)
        .order_by(a.seq)
        .limit(batch)
    )
    after = 0
    rows: Sequence[Any]
    while True:
        try:
            with svc.reading() as s:
                rows = s.connection().execute(q, {"after": after}).all()
        except OperationalError:
            if not svc.is_sqlite:
                raise
            with svc.reading() as s:
                rows = [
                    (*r[:3], *(_decoded(v) for v in r[3:]))
                    for r in s.connection().execute(as_bytes, {"after": after})
                ]
        if not rows:
            return
        yield rows
        after = rows[-1][1]


def _decoded(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return value


def unsealed_count(svc: Services, *, tenant_id: int) -> int:
    return _count(svc, tenant_id, AuditRow.seq.is_(None))


def sealed_count(svc: Services, *, tenant_id: int) -> int:
    return _count(svc, tenant_id, AuditRow.seq.is_not(None))


def _count(svc: Services, tenant_id: int, which: ColumnElement[bool]) -> int:
    with svc.reading() as s:
        q = select(func.count()).select_from(AuditRow).where(AuditRow.tenant_id == tenant_id)
        return int(s.scalar(q.where(which)) or 0)


def export(svc: Services, *, tenant_id: int) -> Iterator[dict[str, Any]]:
    """The sealed records as JSON-ready objects, in chain order, with their hashes.

    Read as `verify` reads them, so that a record it names as garbled is exported too,
    as stored, rather than ending the export: `data` that is not JSON as its text, bytes
    where text or a number belongs as `\\x` and their hex, `at` null when `at_us` is no
    instant. The auditor's check then fails at that record, as `verify` does."""
    for rows in _sealed_text(svc, tenant_id, 10_000):
        for _rid, seq, at_us, kind, subject, actor, data, content, prev_hash, chained in rows:
            yield {
                "seq": _as_stored(seq),
                "tenant_id": tenant_id,
                "at_us": _as_stored(at_us),
                "at": _instant(at_us),
                "kind": _as_stored(kind),
                "subject": _as_stored(subject),
                "actor": _as_stored(actor),
                "data": _data(data),
                "content_hash": _as_stored(content),
                "prev_hash": _as_stored(prev_hash),
                "hash": _as_stored(chained),
            }


def _as_stored(value: Any) -> Any:
    return "\\x" + value.hex() if isinstance(value, bytes) else value


def _instant(at_us: Any) -> str | None:
    if type(at_us) is not int:
        return None
    try:
        return from_us(at_us).isoformat()
    except (ValueError, OverflowError, OSError):
        return None


def _data(text: Any) -> Any:
    if not isinstance(text, str):
        return _as_stored(text)
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text
