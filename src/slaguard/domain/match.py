"""Matching ticket fields against accepted values: the `match:` of policies, rules,
ladders and triggers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Match", "normalise"]


def normalise(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _member(value: Any, wanted: frozenset[Any]) -> bool:
    try:
        return normalise(value) in wanted
    except TypeError:  # an unhashable custom field value (an object) equals no scalar
        return False


@dataclass(frozen=True, slots=True)
class Match:
    """Field -> accepted values; every field must accept (an empty Match fits all).

    Strings compare case-insensitively. `tags` accepts when any tag is among the values.
    A field the ticket lacks never accepts.
    """

    conditions: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    # field -> the accepted values normalised once (matching runs on every field change)
    _accepted: tuple[tuple[str, frozenset[Any]], ...] = field(
        default=(), init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        accepted = tuple(
            (name, frozenset(normalise(v) for v in values))
            for name, values in self.conditions.items()
        )
        object.__setattr__(self, "_accepted", accepted)

    def fits(self, fields: Mapping[str, Any]) -> bool:
        for name, wanted in self._accepted:
            value = fields.get(name)
            if value is None:
                return False
            if isinstance(value, list | tuple | set | frozenset):
                if not any(_member(v, wanted) for v in value):
                    return False
            elif not _member(value, wanted):
                return False
        return True

    def misses(self, fields: Mapping[str, Any]) -> list[str]:
        """The conditions that do not accept, written for people."""
        return [
            f"{name} is {fields.get(name)!r}, not one of {list(self.conditions[name])}"
            for name in self.conditions
            if not Match({name: self.conditions[name]}).fits(fields)
        ]

    def describe(self) -> str:
        if not self.conditions:
            return "every ticket"
        return ", ".join(f"{k} in {list(v)}" for k, v in self.conditions.items())
