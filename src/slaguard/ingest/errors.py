"""The errors of webhook ingestion, in slaguard's one error tree (`SlaError`).

    SlaError
    ├── WebhookAuthError      401 invalid_signature: a missing, malformed or wrong signature
    │   └── WebhookReplayError    a valid signature on a request signed too long ago
    ├── WebhookPayloadError   422 invalid_payload: a body that cannot be read as the source's
    │   │                     webhook (wrong shape, missing id, bad time, text no column
    │   │                     can hold)
    │   └── WebhookJsonError  400 invalid_json: a body that is not JSON at all (empty,
    │                         malformed, not UTF-8), as the ticket routes answer it
    └── UnknownSourceError    404 unknown_source: a source slaguard has no mapping for

Each names what is at fault: the header (`X-Hub-Signature: ...`) or the JSON field path
(`issue.fields.created: ...`) at the start of its message.
"""

from __future__ import annotations

from collections.abc import Sequence

from slaguard.domain.errors import ErrorDetail, SlaError

__all__ = [
    "UnknownSourceError",
    "WebhookAuthError",
    "WebhookJsonError",
    "WebhookPayloadError",
    "WebhookReplayError",
]


class WebhookAuthError(SlaError):
    """The request is not proven to come from the source; `header` names the header at fault."""

    code = "invalid_signature"
    http_status = 401

    def __init__(self, header: str, message: str) -> None:
        self.header = header
        super().__init__(f"{header}: {message}")


class WebhookReplayError(WebhookAuthError):
    """The signature matches the secret, but its signing time is too far from now: only a
    holder of the secret (or of a request it signed) gets this far."""


class WebhookPayloadError(SlaError, ValueError):
    """The body is not a webhook slaguard can map; `path` names the JSON field ("" = the body)
    (the first of `details`, when there are several)."""

    code = "invalid_payload"
    http_status = 422

    def __init__(self, path: str, message: str, *more: ErrorDetail) -> None:
        self.details: tuple[ErrorDetail, ...] = (ErrorDetail(path, message), *more)
        super().__init__("; ".join(str(d) for d in self.details))

    @classmethod
    def of(cls, details: Sequence[ErrorDetail]) -> WebhookPayloadError:
        """One error of several (path, message) details (at least one)."""
        first, *more = details
        return cls(first.path, first.message, *more)

    @property
    def path(self) -> str:
        return self.details[0].path


class WebhookJsonError(WebhookPayloadError):
    """The body is not JSON: 400 invalid_json, like a malformed body on the ticket routes."""

    code = "invalid_json"
    http_status = 400


class UnknownSourceError(SlaError, ValueError):
    code = "unknown_source"
    http_status = 404
