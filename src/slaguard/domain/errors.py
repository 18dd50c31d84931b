"""One error tree for slaguard, rendered in one place per entry point.

    SlaError (code, http_status)
    ├── ConfigError            invalid configuration; carries every (path, message) found
    ├── TicketError            an invalid ticket or event (unknown priority, bad time, ...)
    │   ├── LinkError          a link that would break the link rules (cycle, double duplicate)
    │   └── RequestError       422 `invalid_request`: a bad query or path parameter
    ├── CalendarRangeError     a computation that runs past the calendar's horizon
    ├── NotFoundError          404: no such record for this tenant (never "forbidden")
    ├── ConflictError          409: the record exists, or an idempotency key was reused
    ├── AuthenticationError    401: no, unknown or revoked API key / bad signature
    └── PermissionDenied       403: the key's role may not do this

Every error names the field at fault in its message (``policies[2].targets.resolution.P5:
unknown priority``), so that a CLI, an API response or a log line can show it as it is.
ConfigError and TicketError are also ValueErrors, so callers that only know the standard
library can still catch them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "AuthenticationError",
    "CalendarRangeError",
    "ConfigError",
    "ConflictError",
    "ErrorDetail",
    "LinkError",
    "NotFoundError",
    "PermissionDenied",
    "RequestError",
    "SlaError",
    "TicketError",
]


class SlaError(Exception):
    code: str = "sla_error"
    http_status: int = 400


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class _DetailedError(SlaError, ValueError):
    """An error made of one or more (path, message) details."""

    def __init__(self, details: Sequence[ErrorDetail] | str, path: str = "") -> None:
        if isinstance(details, str):
            details = [ErrorDetail(path, details)]
        self.details: tuple[ErrorDetail, ...] = tuple(details)
        super().__init__("; ".join(str(d) for d in self.details))

    @property
    def path(self) -> str:
        return self.details[0].path if self.details else ""

    def prefixed(self, prefix: str) -> list[ErrorDetail]:
        """The details with `prefix` put in front of each path."""
        return [ErrorDetail(_join(prefix, d.path), d.message) for d in self.details]


class ConfigError(_DetailedError):
    code = "invalid_config"
    http_status = 422

    @classmethod
    def collect(cls, details: Iterable[ErrorDetail]) -> ConfigError | None:
        found = list(details)
        return cls(found) if found else None


class TicketError(_DetailedError):
    code = "invalid_ticket"
    http_status = 422


class LinkError(TicketError):
    code = "invalid_link"
    http_status = 409


class RequestError(TicketError):
    """A query or path parameter that is not one the route takes (`at`, `cursor`, a
    filter), named as the parameter."""

    code = "invalid_request"


class CalendarRangeError(_DetailedError):
    """A count of open time that finds none within the calendar's horizon; its path names
    the calendar (`calendars.NAME`), or the target being counted once the engine knows
    it (`policies[2].targets.first_response.P1`)."""

    code = "calendar_range"
    http_status = 422


def _join(prefix: str, path: str) -> str:
    if not prefix:
        return path
    if not path:
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


class NotFoundError(_DetailedError):
    code = "not_found"
    http_status = 404


class ConflictError(_DetailedError):
    code = "conflict"
    http_status = 409


class AuthenticationError(SlaError):
    code = "unauthenticated"
    http_status = 401


class PermissionDenied(SlaError):
    code = "forbidden"
    http_status = 403
