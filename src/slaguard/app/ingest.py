"""Webhooks from other help desks: authenticate, map, then create or append.

A request is authenticated either by an API key (agent role) of the tenant, or by the
signature its source puts on it with the secret registered for the tenant
(`slaguard sources set`). An unknown tenant, a source without a secret and a missing,
malformed or wrong signature all get the same 401 (`refusal`), after the same work (a
signature checked against a stand-in secret when there is no real one), so the endpoint
tells nobody which tenants exist; the reason goes to the log. Only a request whose
signature matches can learn more: that its Zendesk signing time is too old (a replay).
"""

from __future__ import annotations

import secrets as secrets_mod
from collections.abc import Mapping
from dataclasses import dataclass

import structlog
from sqlalchemy import select

from slaguard.app import tickets
from slaguard.app.services import Services
from slaguard.app.tenants import Principal, Role, require
from slaguard.db.tables import IngestSourceRow, TenantRow
from slaguard.domain.calendar import from_us
from slaguard.domain.errors import AuthenticationError, ConfigError, ConflictError, NotFoundError
from slaguard.ingest import (
    SIGNATURE_HEADERS,
    SOURCES,
    UnknownSourceError,
    WebhookAuthError,
    WebhookReplayError,
    parse_webhook,
    verify_signature,
)

__all__ = ["IngestResult", "ingest_webhook", "refusal", "set_source"]

log = structlog.get_logger("slaguard.ingest")

# Checked against when the tenant or its secret is missing, so that an unknown tenant
# takes the time a known one does; nobody can sign with it (it is never shown).
_STAND_IN_SECRET = secrets_mod.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class IngestResult:
    ticket_created: bool
    result: tickets.AppendResult
    # Why the delivery was deliberately not mapped (nothing stored, no ticket created);
    # `result.ticket` is then the ticket as it is, or empty when there is none.
    skipped: str | None = None


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


def refusal(source: str) -> WebhookAuthError:
    """The one 401 of a signed request that is not accepted, whatever the reason: the
    same code and message for an unknown tenant, a source without a secret and a bad
    signature."""
    header = SIGNATURE_HEADERS[source]
    what = "the secret" if source == "freshdesk" else "the signature"
    return WebhookAuthError(
        header,
        "not accepted: check the tenant (?tenant=NAME), the secret registered for its "
        f"{source} webhooks (slaguard sources set {source} --tenant NAME) and {what} "
        "in this header",
    )


def _signed_principal(
    svc: Services, *, tenant: str | None, source: str, headers: Mapping[str, str], body: bytes
) -> Principal:
    if not tenant:
        raise AuthenticationError(
            "say which tenant: ?tenant=NAME with a signed request, or an API key"
        )
    row = None
    # A name with a NUL character is no tenant's (and PostgreSQL refuses it in a query):
    # refused as an unknown tenant, after the same signature check.
    if "\x00" not in tenant:
        with svc.reading() as s:
            row = s.execute(
                select(TenantRow.id, IngestSourceRow.secret)
                .join(IngestSourceRow, IngestSourceRow.tenant_id == TenantRow.id)
                .where(TenantRow.name == tenant, IngestSourceRow.source == source)
            ).first()
    secret: str | None = row.secret if row is not None and row.secret else None
    try:
        # Without a secret, the same check against the stand-in: the same work, and a
        # refusal whatever the headers say.
        verify_signature(
            source, headers, body, secret or _STAND_IN_SECRET, now=from_us(svc.clock())
        )
    except WebhookReplayError:
        if secret is None:
            raise refusal(source) from None
        raise  # the signature matched the tenant's secret: say why it is refused anyway
    except WebhookAuthError as exc:
        reason = str(exc) if secret else "unknown tenant, or no secret for this source"
        log.info("webhook_refused", tenant=tenant, source=source, reason=reason)
        raise refusal(source) from None
    if row is None or secret is None:
        log.info("webhook_refused", tenant=tenant, source=source, reason="no secret")
        raise refusal(source)
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
    tenant_id = principal.tenant_id
    if mapped.skipped is not None:
        return _skipped(svc, principal, mapped.ticket.get("id"), mapped.skipped)
    ticket_id = str(mapped.ticket["id"])
    events = list(mapped.events)
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


def _skipped(
    svc: Services, principal: Principal, ticket_id: str | None, reason: str
) -> IngestResult:
    """A delivery that is deliberately not mapped: the ticket as it is (if any), no events."""
    found = None
    if ticket_id is not None:
        found = tickets.find_ticket(svc, tenant_id=principal.tenant_id, ticket_id=ticket_id)
    log.info("webhook_skipped", tenant=principal.tenant, ticket=ticket_id, reason=reason)
    return IngestResult(False, tickets.AppendResult(found or {}, []), skipped=reason)
