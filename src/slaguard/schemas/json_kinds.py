"""What a JSON value is, in words, for the messages that refuse it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["json_kind"]


def json_kind(value: Any) -> str:
    """ "null", "a boolean", "a number", "a string", "a list", "an object" (or the Python
    type's name for anything else)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
