"""The tenant's configuration: calendars, workflows and SLA policies, versioned."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from slaguard.api.deps import (
    API_PREFIX,
    AdminPrincipal,
    ServicesDep,
    TextBody,
    ViewerPrincipal,
    check_storable,
    parse_json,
)
from slaguard.api.schemas import ConfigRead, ConfigWritten, error_responses
from slaguard.app import configs
from slaguard.config.files import parse_text
from slaguard.domain.calendar import from_us
from slaguard.domain.errors import ConfigError

__all__ = ["router"]

router = APIRouter(prefix=API_PREFIX + "/config", tags=["configuration"])

_DOCUMENT = {"type": "object", "description": "A configuration document (see docs/)"}


@router.put(
    "",
    status_code=201,
    summary="Store a new configuration version",
    response_model=None,
    responses={201: {"model": ConfigWritten}, **error_responses(400, 401, 403, 413, 422)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": _DOCUMENT},
                "application/yaml": {"schema": {"type": "string"}},
                "text/yaml": {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}},
            },
        }
    },
)
def put_config(
    request: Request, principal: AdminPrincipal, svc: ServicesDep, text: TextBody
) -> JSONResponse:
    """YAML or JSON (by `Content-Type`). The document is checked as a whole: when it is
    invalid, every problem is named by its path and nothing is stored. Tickets keep the
    version they were created under; new tickets use this one."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        document: Any = parse_json(text, ConfigError)
        if not isinstance(document, dict):
            raise ConfigError("the top level must be a mapping")
    else:
        document = parse_text(text, "body")
        check_storable(document, ConfigError)
    version = configs.apply_config(
        svc, tenant_id=principal.tenant_id, document=document, source_text=text
    )
    return JSONResponse({"version": version}, status_code=201)


@router.get(
    "",
    summary="The current configuration (or a given version)",
    response_model=None,
    responses={200: {"model": ConfigRead}, **error_responses(401, 404, 422)},
)
def get_config(
    principal: ViewerPrincipal,
    svc: ServicesDep,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> JSONResponse:
    row = configs.config_version(svc, tenant_id=principal.tenant_id, version=version)
    return JSONResponse(
        {
            "version": row.version,
            "created_at": from_us(row.created_us).isoformat(),
            "document": row.document,
        }
    )
