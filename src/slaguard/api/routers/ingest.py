"""Webhooks from other help desks: `POST /api/v1/ingest/{source}`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from slaguard.api.deps import API_PREFIX, MetricsDep, ServicesDep, raw_bytes
from slaguard.api.schemas import EventsWritten, WebhookWritten, error_responses
from slaguard.app import ingest, tenants
from slaguard.app.tenants import Principal

__all__ = ["router"]

router = APIRouter(prefix=API_PREFIX + "/ingest", tags=["ingest"])

_optional_bearer = HTTPBearer(
    auto_error=False,
    description="An agent API key; without one, the request must carry its source's signature",
)


@router.post(
    "/{source}",
    summary="Receive a help desk's webhook (generic, zendesk, jira, freshdesk)",
    response_model=None,
    responses={
        200: {
            "model": WebhookWritten,
            "description": "Nothing new: a redelivery, or a delivery that is not mapped "
            "(`skipped` says why; `ticket` is null when there is no such ticket)",
        },
        201: {"model": EventsWritten, "description": "A ticket or events were stored"},
        **error_responses(400, 401, 403, 404, 409, 413, 422),
    },
)
async def receive(
    request: Request,
    svc: ServicesDep,
    metrics: MetricsDep,
    source: Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[a-z_]+$")],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)],
    tenant: Annotated[
        str | None,
        Query(max_length=63, description="The tenant, for requests signed by their source"),
    ] = None,
) -> JSONResponse:
    """Authenticated by an agent key, or by the source's signature with the secret
    registered for `tenant` (`slaguard sources set`): Zendesk's
    `X-Zendesk-Webhook-Signature` + `-Timestamp`, Jira's `X-Hub-Signature`, Freshdesk's
    shared `X-Slaguard-Secret`, and `X-Slaguard-Signature` for the generic format. The
    payload is mapped onto events whose ids come from the vendor's, so redeliveries add
    nothing. The body is read as sent (the signature is over its bytes), at most 8 MiB of
    it, before anything else is checked."""
    body = await raw_bytes(request)
    headers = dict(request.headers)

    def handle() -> ingest.IngestResult:
        principal: Principal | None = None
        if credentials is not None:
            principal = tenants.authenticate(svc, credentials.credentials)
        return ingest.ingest_webhook(
            svc, source=source, headers=headers, body=body, principal=principal, tenant=tenant
        )

    # The key check, the mapping and the write read and wait on the database: in a worker
    # thread, not on the event loop that serves every other request meanwhile.
    result = await run_in_threadpool(handle)
    written = result.result
    new = sum(e.created for e in written.events)
    metrics.events_ingested.inc(new)
    if result.ticket_created:
        metrics.tickets_created.inc()
    payload: dict[str, object] = {
        "ticket": written.ticket or None,
        "events": [
            {"id": e.key, "created": e.created, "event": e.document} for e in written.events
        ],
    }
    if result.skipped is not None:
        payload["skipped"] = result.skipped
        metrics.webhooks_skipped.labels(source=source).inc()
    return JSONResponse(payload, status_code=201 if (new or result.ticket_created) else 200)
