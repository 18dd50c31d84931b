"""Priorities P1 (most urgent) to P4, and the names help desks use for them."""

from __future__ import annotations

from collections.abc import Mapping

from slaguard.domain.errors import ConfigError

__all__ = ["DEFAULT_ALIASES", "PRIORITIES", "PriorityNames"]

PRIORITIES = ("P1", "P2", "P3", "P4")

DEFAULT_ALIASES: Mapping[str, str] = {
    "critical": "P1",
    "urgent": "P1",
    "high": "P2",
    "medium": "P3",
    "normal": "P3",
    "low": "P4",
}


class PriorityNames:
    """Turns 'P1', 'p1', '1', 'critical' (or a configured alias) into 'P1'."""

    def __init__(self, aliases: Mapping[str, str] | None = None) -> None:
        table = {p.lower(): p for p in PRIORITIES}
        table.update({p[1:]: p for p in PRIORITIES})
        for name, target in {**DEFAULT_ALIASES, **(aliases or {})}.items():
            if target not in PRIORITIES:
                raise ConfigError(f"alias {name!r} maps to unknown priority {target!r}", name)
            table[name.lower()] = target
        self._table = table
        self.aliases = {**DEFAULT_ALIASES, **(aliases or {})}

    def normalise(self, value: object, path: str = "priority") -> str:
        key = str(value).strip().lower() if isinstance(value, str | int) else None
        found = self._table.get(key) if key is not None else None
        if found is None:
            known = ", ".join([*PRIORITIES, *sorted(self.aliases)])
            raise ConfigError(f"unknown priority {value!r} (use one of {known})", path)
        return found

    def is_known(self, value: object) -> bool:
        return isinstance(value, str | int) and str(value).strip().lower() in self._table
