"""Webhooks from other help desks: authenticate, map, then create or append.

A request is authenticated either by an API key (agent role) of the tenant, or by the
signature its source puts on it with the secret registered for the tenant
(`slaguard sources set`). An unknown tenant and a source without a secret get the same
401 as a bad signature, so the endpoint tells nobody which tenants exist.
"""

from __future__ import annotations

import secrets as secrets_mod
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from slaguard.app import tickets
from slaguard.app.services import Services
from slaguard.app.tenants import Principal, Role, require
from slaguard.db.tables import IngestSourceRow, TenantRow
from slaguard.domain.calendar import from_us
from slaguard.domain.errors import AuthenticationError, ConfigError, ConflictError, NotFoundError
from slaguard.ingest import SOURCES, UnknownSourceError, parse_webhook, verify_signature

__all__ = ["IngestResult", "ingest_webhook", "set_source"]


@dataclass(frozen=True, slots=True)
class IngestResult:
    ticket_created: bool
    result: tickets.AppendResult


def set_source(svc: Services, *, tenant: str, source: str, secret: str | None = None) -> str:
    """Register (or rotate) the webhook secret of `source` for `tenant`; returns it."""
    if source not in SOURCES:
        raise ConfigError(f"unknown source {source!r} (one of {', '.join(SOURCES)})", "source")
    if secret is not None and len(secret) < 16:
        raise ConfigError("a webhook secret needs at least 16 characters", "secret")
    value = secret or secrets_mod.token_urlsafe(32)
    with svc.writing() as s:
        tenant_id = s.scalar(select(TenantRow.id).where(TenantRow.name == tenant))
        if tenant_id is None:
            raise NotFoundError(f"no tenant {tenant!r}", "tenant")
        row = s.scalars(
            select(IngestSourceRow).where(
                IngestSourceRow.tenant_id == tenant_id, IngestSourceRow.source == source
            )
        ).first()
        if row is None:
            s.add(
                IngestSourceRow(
                    tenant_id=tenant_id, source=source, secret=value, created_us=svc.clock()
                )
            )
        else:
            row.secret = value
    return value


def _signed_principal(
    svc: Services, *, tenant: str | None, source: str, headers: Mapping[str, str], body: bytes
) -> Principal:
    refused = AuthenticationError(
        "unknown tenant, or no webhook secret registered for this source "
        "(slaguard sources set SOURCE --tenant NAME)"
    )
    if not tenant:
        raise AuthenticationError(
            "say which tenant: ?tenant=NAME with a signed request, or an API key"
        )
    with svc.reading() as s:
        row = s.execute(
            select(TenantRow.id, IngestSourceRow.secret)
            .join(IngestSourceRow, IngestSourceRow.tenant_id == TenantRow.id)
            .where(TenantRow.name == tenant, IngestSourceRow.source == source)
        ).first()
    if row is None:
        raise refused
    verify_signature(source, headers, body, row.secret, now=from_us(svc.clock()))
    return Principal(tenant_id=row.id, tenant=tenant, role=Role.AGENT)


def ingest_webhook(
    svc: Services,
    *,
    source: str,
    headers: Mapping[str, str],
    body: bytes,
    principal: Principal | None = None,
    tenant: str | None = None,
) -> IngestResult:
    """Authenticate, map and apply one webhook delivery (idempotent: keys come from the
    vendor's ids, so a redelivery adds nothing)."""
    if source not in SOURCES:
        raise UnknownSourceError(f"unknown webhook source {source!r} (known: {', '.join(SOURCES)})")
    if principal is None:
        principal = _signed_principal(svc, tenant=tenant, source=source, headers=headers, body=body)
    else:
        require(principal, Role.AGENT)
    mapped = parse_webhook(source, body)
    ticket_id = str(mapped.ticket["id"])
    events = list(mapped.events)
    tenant_id = principal.tenant_id
    for attempt in range(2):
        try:
            if tickets.ticket_exists(svc, tenant_id=tenant_id, ticket_id=ticket_id):
                if not events:
                    view = tickets.get_ticket(svc, principal=principal, ticket_id=ticket_id)
                    view.pop("events", None)
                    return IngestResult(False, tickets.AppendResult(view, []))
                return IngestResult(
                    False,
                    tickets.add_events(
                        svc, principal=principal, ticket_id=ticket_id, events=events
                    ),
                )
            document = {**mapped.ticket, "events": events}
            return IngestResult(
                True,
                tickets.create_ticket(svc, principal=principal, document=document, source=source),
            )
        except ConflictError:
            # Another delivery created the ticket between our check and our write.
            if attempt == 1 or not tickets.ticket_exists(
                svc, tenant_id=tenant_id, ticket_id=ticket_id
            ):
                raise
    raise AssertionError("unreachable")
