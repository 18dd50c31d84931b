"""Abrupt stops at named points, for crash-safety tests: with SLAGUARD_CRASH_AT=fired,
claimed or sent, the worker process exits at once (like kill -9: no cleanup, no
commit) the first time it reaches that point."""

from __future__ import annotations

import os
from collections.abc import Callable

__all__ = ["checkpoint_from_env"]


def checkpoint_from_env() -> Callable[[str], None]:
    point = os.environ.get("SLAGUARD_CRASH_AT")
    if not point:
        return lambda _name: None

    def checkpoint(name: str) -> None:
        if name == point:
            os._exit(137)

    return checkpoint
