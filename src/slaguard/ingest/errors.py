"""The errors of webhook ingestion, in slaguard's one error tree (`SlaError`).

    SlaError
    ├── WebhookAuthError      401 invalid_signature: a missing, malformed or wrong signature
    ├── WebhookPayloadError   422 invalid_payload: a body that cannot be read as the source's
    │                         webhook (not JSON, wrong shape, missing id, bad time)
    └── UnknownSourceError    404 unknown_source: a source slaguard has no mapping for

Each names what is at fault: the header (`X-Hub-Signature: ...`) or the JSON field path
(`issue.fields.created: ...`) at the start of its message.
"""

from __future__ import annotations

from slaguard.domain.errors import ErrorDetail, SlaError

__all__ = ["UnknownSourceError", "WebhookAuthError", "WebhookPayloadError"]


class WebhookAuthError(SlaError):
    """The request is not proven to come from the source; `header` names the header at fault."""

    code = "invalid_signature"
    http_status = 401

    def __init__(self, header: str, message: str) -> None:
        self.header = header
        super().__init__(f"{header}: {message}")


class WebhookPayloadError(SlaError, ValueError):
    """The body is not a webhook slaguard can map; `path` names the JSON field ("" = the body)."""

    code = "invalid_payload"
    http_status = 422

    def __init__(self, path: str, message: str) -> None:
        self.details: tuple[ErrorDetail, ...] = (ErrorDetail(path, message),)
        super().__init__(str(self.details[0]))

    @property
    def path(self) -> str:
        return self.details[0].path


class UnknownSourceError(SlaError, ValueError):
    code = "unknown_source"
    http_status = 404
