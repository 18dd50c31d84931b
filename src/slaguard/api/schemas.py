"""What the API's documents look like, for /openapi.json and /docs.

Requests are validated by the core (`slaguard.schemas.ticket`, `slaguard.config.model`),
which names every bad field by its path in the body (`events[0].at`); the JSON schemas
of request bodies below are derived from the same models so the documentation cannot
drift from what is accepted. Responses are built as plain mappings by the routers; the
models here describe them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from slaguard.schemas.ticket import EventDocument, TicketDocument

__all__ = [
    "ClockRead",
    "ConfigRead",
    "ConfigWritten",
    "ErrorBody",
    "Evaluation",
    "EventsWritten",
    "Health",
    "StatusLinkRead",
    "StoredEventRead",
    "TicketDetail",
    "TicketList",
    "TicketRead",
    "WebhookWritten",
    "error_responses",
    "event_body_schema",
    "ticket_body_schema",
]


class ErrorDetailRead(BaseModel):
    path: str = Field(description="Where the problem is, e.g. `events[0].at` or `query.limit`")
    message: str


class ErrorInfo(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. `invalid_ticket`")
    message: str
    details: list[ErrorDetailRead]


class ErrorBody(BaseModel):
    error: ErrorInfo


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    text = {
        400: "Malformed JSON (`invalid_json`)",
        401: "No, unknown or revoked API key",
        403: "The key's role may not do this",
        404: "No such record for this tenant",
        409: "Conflict: the record exists, an idempotency key reused, or a link rule broken",
        413: "The request body is too large",
        422: "Invalid input; every problem is named by its path",
    }
    return {s: {"model": ErrorBody, "description": text[s]} for s in statuses}


class TicketRead(BaseModel):
    id: str = Field(description="The ticket's id in its source")
    source: str
    type: str | None
    status: str | None
    priority: str | None = Field(description="P1-P4")
    team: str | None
    assignee: str | None
    policy: str | None = Field(description="The SLA policy that applies")
    sla_state: str | None = Field(
        description="The worst state among the ticket's clocks when last written "
        "(breached, running, paused, breached_met, met, cancelled)"
    )
    config_version: int = Field(description="The configuration version the ticket is judged by")
    created_at: str
    updated_at: str
    fields: dict[str, Any] = Field(description="The ticket's fields as received")


class TicketDetail(TicketRead):
    events: list[dict[str, Any]] = Field(description="The stored events in time order")


class StoredEventRead(BaseModel):
    id: str = Field(description="The idempotency key (the event's `id`, or a content hash)")
    created: bool = Field(description="False when the key was stored before (a repeat)")
    event: dict[str, Any] = Field(description="The event as stored")


class EventsWritten(BaseModel):
    ticket: TicketRead
    events: list[StoredEventRead]


class WebhookWritten(BaseModel):
    ticket: TicketRead | None
    events: list[StoredEventRead]
    skipped: str | None = Field(
        default=None,
        description="Why the delivery was not mapped: nothing was stored, no ticket created",
    )


class TicketList(BaseModel):
    items: list[TicketRead]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


class WarningRead(BaseModel):
    threshold: str
    at: str | None


class ClockRead(BaseModel):
    metric: str
    cycle: int
    state: str
    target_seconds: int | float
    started_at: str | None
    due_at: str | None
    stopped_at: str | None
    breached_at: str | None
    elapsed_seconds: int | float
    warnings: list[WarningRead]


class Evaluation(BaseModel):
    """The same document as `slaguard explain --format json`."""

    ticket: str
    policy: str | None
    clocks: list[ClockRead]


class ConfigWritten(BaseModel):
    version: int


class StatusLinkRead(BaseModel):
    url: str = Field(description="The customer view of the ticket's SLA timers; no sign-in")
    expires_at: str = Field(description="When the link stops working (ISO-8601, UTC)")


class ConfigRead(BaseModel):
    version: int
    created_at: str
    document: dict[str, Any]


class Health(BaseModel):
    status: str


# -- request bodies -----------------------------------------------------------------------

_INSTANT = {
    "type": "string",
    "format": "date-time",
    "description": "ISO-8601 with a UTC offset, e.g. 2026-11-23T09:00:00+01:00, "
    "within the years 1990 to 2099",
}


def _with_instants(node: Any) -> Any:
    """The models' time fields are validated by a function; describe them as date-times."""
    if isinstance(node, dict):
        out = {k: _with_instants(v) for k, v in node.items()}
        props = out.get("properties")
        if isinstance(props, dict):
            for name in ("at", "created_at"):
                if name in props:
                    props[name] = (
                        {"anyOf": [_INSTANT, {"type": "null"}]}
                        if name == "created_at"
                        else dict(_INSTANT)
                    )
        return out
    if isinstance(node, list):
        return [_with_instants(v) for v in node]
    return node


def _defs_to_components(schema: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A model schema with its `$defs` moved under components/schemas."""
    text = _rewrite_refs(schema)
    defs = text.pop("$defs", {})
    return text, defs


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: (
                v.replace("#/$defs/", "#/components/schemas/")
                if k == "$ref" and isinstance(v, str)
                else _rewrite_refs(v)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


def event_body_schema() -> tuple[dict[str, Any], dict[str, Any]]:
    """(schema of `one event or a list of events`, component schemas it refers to)."""
    event, defs = _defs_to_components(_with_instants(EventDocument.model_json_schema()))
    defs = {**defs, "EventIn": event}
    ref = {"$ref": "#/components/schemas/EventIn"}
    return {"anyOf": [ref, {"type": "array", "items": ref, "minItems": 1}]}, defs


def ticket_body_schema() -> tuple[dict[str, Any], dict[str, Any]]:
    ticket, defs = _defs_to_components(_with_instants(TicketDocument.model_json_schema()))
    ticket["properties"]["id"] = {
        "type": "string",
        "minLength": 1,
        "maxLength": 200,
        "pattern": "^[^/]*$",
        "description": "The ticket's id in its source: 1-200 characters without '/' "
        "(it is a segment of /api/v1/tickets/{id})",
    }
    ticket["properties"]["events"] = {
        "type": "array",
        "items": {"$ref": "#/components/schemas/EventIn"},
    }
    ticket["required"] = ["id"]
    _, event_defs = event_body_schema()
    return {"$ref": "#/components/schemas/TicketIn"}, {**defs, **event_defs, "TicketIn": ticket}
