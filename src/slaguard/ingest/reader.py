"""Reading a vendor's JSON with every problem named by its field path.

`Node` wraps one JSON object and its path (`issue.fields`); its accessors return plain
Python values or raise `WebhookPayloadError` naming the field (`issue.fields.created`).
Times become aware datetimes; `iso` writes them back for event documents and `key_time`
writes the UTC form used inside idempotency keys.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from slaguard.domain.calendar import to_us
from slaguard.ingest.errors import WebhookJsonError, WebhookPayloadError
from slaguard.schemas.json_kinds import json_kind
from slaguard.schemas.ticket import EARLIEST_US, LATEST_US, OUTSIDE_YEARS, ticket_id_problem

__all__ = [
    "Node",
    "iso",
    "join",
    "key_time",
    "load_json",
    "lookup",
    "normal_name",
    "parse_time",
]

_TIME_EXAMPLE = "an ISO-8601 time with an offset, such as 2026-11-23T09:00:00Z"


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def load_json(body: bytes) -> Any:
    """The JSON value of a request body (UTF-8, -16 or -32); NaN and Infinity are refused.

    A body that is not JSON at all (empty, malformed, not text) is a WebhookJsonError
    (400 invalid_json, as on the ticket routes).
    """
    if not body.strip():
        raise WebhookJsonError("", "the body is empty: expected a JSON document")
    try:
        return json.loads(body, parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise WebhookJsonError("", f"the body is not UTF-8 text: {exc.reason}") from None
    except json.JSONDecodeError as exc:
        raise WebhookJsonError(
            "", f"the body is not valid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise WebhookJsonError("", f"the body is not valid JSON: {exc}") from None


def parse_time(value: Any, path: str, *, epoch_millis: bool = False) -> datetime:
    """An aware datetime from ISO-8601 (or RFC 2822) text with an offset, within the
    years the service accepts (1990 to 2099).

    With `epoch_millis`, a number is read as milliseconds since 1970 (Jira's `timestamp`).
    """
    if epoch_millis and isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise WebhookPayloadError(path, f"expected epoch milliseconds, got {value!r}")
        try:
            t = datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            raise WebhookPayloadError(
                path, f"{value!r} is out of range for epoch milliseconds"
            ) from None
        return _within_years(t, path)
    if not isinstance(value, str):
        raise WebhookPayloadError(path, f"expected {_TIME_EXAMPLE}, got {json_kind(value)}")
    text = value.strip()
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        try:
            t = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            raise WebhookPayloadError(path, f"expected {_TIME_EXAMPLE}, got {value!r}") from None
    if t.tzinfo is None or t.utcoffset() is None:
        raise WebhookPayloadError(
            path, f"{value!r} has no time zone offset: an offset is required (e.g. Z or +01:00)"
        )
    return _within_years(t, path)


def _within_years(t: datetime, path: str) -> datetime:
    if not EARLIEST_US <= to_us(t) < LATEST_US:
        raise WebhookPayloadError(path, OUTSIDE_YEARS)
    return t


def iso(t: datetime) -> str:
    """ISO-8601 with the source's offset (UTC written as Z), as event documents take it."""
    text = t.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def key_time(t: datetime) -> str:
    """The instant in UTC, for idempotency keys: the same instant always gives the same key."""
    return iso(t.astimezone(UTC))


class Node:
    """One JSON object of a payload and its path."""

    __slots__ = ("data", "path")

    def __init__(self, data: Any, path: str = "") -> None:
        if not isinstance(data, dict):
            what = "expected" if path else "the body must be"
            raise WebhookPayloadError(path, f"{what} a JSON object, got {json_kind(data)}")
        self.data: Mapping[str, Any] = data
        self.path = path

    def at(self, key: str) -> str:
        return join(self.path, key)

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raw(self, key: str) -> Any:
        return self.data.get(key)

    def node(self, key: str) -> Node:
        if key not in self.data:
            raise WebhookPayloadError(self.at(key), "required: a JSON object")
        return Node(self.data[key], self.at(key))

    def maybe_node(self, key: str) -> Node | None:
        value = self.data.get(key)
        return None if value is None else Node(value, self.at(key))

    def nodes(self, key: str) -> Iterator[Node]:
        """The objects of an optional list."""
        value = self.data.get(key)
        if value is None:
            return
        if not isinstance(value, list):
            raise WebhookPayloadError(self.at(key), f"expected a list, got {json_kind(value)}")
        for i, item in enumerate(value):
            yield Node(item, join(self.at(key), i))

    def text(self, key: str) -> str | None:
        """Optional text: a string or a number, stripped; blank (or null) is None."""
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise WebhookPayloadError(self.at(key), f"expected text, got {json_kind(value)}")
        text = str(value).strip()
        return text or None

    def ticket_id(self, key: str, what: str) -> str:
        """A ticket's id: an `ident` that is a ticket id (`schemas.ticket.TICKET_ID_RULE`)."""
        value = self.ident(key, what)
        problem = ticket_id_problem(value)
        if problem is not None:
            raise WebhookPayloadError(self.at(key), problem)
        return value

    def ident(self, key: str, what: str) -> str:
        """A required id (a non-empty string or an integer), as text."""
        value = self.data.get(key)
        if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
            if key not in self.data:
                got = "nothing"
            elif isinstance(value, str):
                got = "an empty string"
            else:
                got = json_kind(value)
            raise WebhookPayloadError(
                self.at(key), f"required: {what} (a non-empty string or an integer), got {got}"
            )
        return str(value).strip()

    def flag(self, key: str) -> bool | None:
        """An optional boolean; "true"/"false" text (what placeholders render) is accepted."""
        value = self.data.get(key)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
            return value.strip().lower() == "true"
        raise WebhookPayloadError(self.at(key), f"expected true or false, got {value!r}")

    def words(self, key: str, sep: str | None = None) -> list[str] | None:
        """An optional list of strings, or one string split at `sep` (None: whitespace)."""
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            return [w.strip() for w in value.split(sep) if w.strip()]
        if isinstance(value, list):
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    raise WebhookPayloadError(
                        join(self.at(key), i), f"expected a string, got {json_kind(item)}"
                    )
            return [w.strip() for w in value if w.strip()]
        raise WebhookPayloadError(
            self.at(key), f"expected a list of strings or a string, got {json_kind(value)}"
        )

    def time(self, key: str, *, epoch_millis: bool = False) -> datetime:
        if self.data.get(key) is None:
            raise WebhookPayloadError(self.at(key), f"required: {_TIME_EXAMPLE}")
        return parse_time(self.data[key], self.at(key), epoch_millis=epoch_millis)

    def maybe_time(self, key: str, *, epoch_millis: bool = False) -> datetime | None:
        if self.data.get(key) is None:
            return None
        return parse_time(self.data[key], self.at(key), epoch_millis=epoch_millis)


def lookup(table: Mapping[str, str], value: str, path: str, what: str) -> str:
    """`table[key]` for `value` compared case-insensitively, with spaces and dashes as `_`.

    Refused with the known names when absent.
    """
    found = table.get(normal_name(value))
    if found is None:
        known = ", ".join(sorted({k.replace("_", " ") for k in table}))
        raise WebhookPayloadError(path, f"unknown {what} {value!r} (known: {known})")
    return found


def normal_name(value: str) -> str:
    """'On-hold' -> 'on_hold', 'Waiting for customer' -> 'waiting_for_customer'."""
    return "_".join(value.strip().lower().replace("-", " ").replace("_", " ").split())
