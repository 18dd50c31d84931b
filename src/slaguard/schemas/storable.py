"""What a database column can hold: the check every document from outside passes
before it is stored (the API's bodies, the webhooks' bodies, the dashboard's
configuration editor)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from slaguard.domain.errors import ConfigError, ErrorDetail, TicketError

__all__ = ["MAX_BODY_DEPTH", "check_storable", "printable"]

# Deeper than any ticket or configuration document needs; keeps parsing bounded.
MAX_BODY_DEPTH = 64


def printable(text: str) -> str:
    """`text` as it can be shown and sent as UTF-8: a lone surrogate becomes `\\udXXX` and
    a NUL `\\u0000` (written out with a backslash); other text is unchanged."""
    if "\x00" not in text:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            pass
        else:
            return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\u0000")


def check_storable(
    value: Any,
    invalid: type[TicketError | ConfigError]
    | Callable[[Sequence[ErrorDetail]], Exception] = TicketError,
    prefix: str = "",
) -> None:
    """Refuses what no database column can hold: NUL characters, lone surrogates, numbers
    too large to be anything but infinite (JSON's `1e400`), and documents nested deeper
    than MAX_BODY_DEPTH. The error is `invalid(details)`, each detail naming a path
    (`events[0].team`) that starts at `prefix`; an object key that is refused is written
    in it with `printable`, so that the error itself can be sent."""
    errors: list[ErrorDetail] = []

    def text_ok(s: str, path: str) -> None:
        if "\x00" in s:
            errors.append(ErrorDetail(path, "text may not contain NUL (\\u0000) characters"))
            return
        try:
            s.encode("utf-8")
        except UnicodeEncodeError:
            errors.append(ErrorDetail(path, "text may not contain unpaired surrogates"))

    def walk(v: Any, path: str, depth: int) -> None:
        if depth > MAX_BODY_DEPTH:
            errors.append(ErrorDetail(path, f"nested deeper than {MAX_BODY_DEPTH} levels"))
        elif isinstance(v, str):
            text_ok(v, path)
        elif isinstance(v, float) and not math.isfinite(v):
            errors.append(ErrorDetail(path, "a number too large to store (it reads as infinite)"))
        elif isinstance(v, dict):
            for k, item in v.items():
                key = printable(k) if isinstance(k, str) else str(k)
                sub = f"{path}.{key}" if path else key
                if isinstance(k, str):
                    text_ok(k, sub)
                walk(item, sub, depth + 1)
        elif isinstance(v, list):
            for i, item in enumerate(v):
                walk(item, f"{path}[{i}]", depth + 1)

    walk(value, prefix, 0)
    if errors:
        raise invalid(errors[:20])
