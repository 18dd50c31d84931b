"""Links between tickets and the rules they keep.

    duplicate-of   a ticket is a duplicate of one original only, and an original is
                   never itself a duplicate (so duplicate chains have length one)
    caused-by      any number of causes

and the links, of both kinds together, never form a cycle (B a duplicate of A and A
caused by B would make A its own cause).

`LinkGraph` holds a tenant's links; `check` refuses a new link that would break a rule
(raising LinkError, naming the field and the tickets involved) and `add` records it.
The explain command judges one ticket alone and uses only the self-link rules; the
service checks against the whole graph.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from slaguard.domain.errors import LinkError

__all__ = ["CAUSED_BY", "DUPLICATE_OF", "LinkGraph"]

DUPLICATE_OF = "duplicate_of"
CAUSED_BY = "caused_by"


@dataclass
class LinkGraph:
    duplicate_of: dict[str, str] = field(default_factory=dict)  # duplicate -> original
    caused_by: dict[str, set[str]] = field(default_factory=dict)  # effect -> causes

    @classmethod
    def of(cls, links: Iterable[tuple[str, str, str]]) -> LinkGraph:
        """A graph from (ticket, kind, other) triples, each checked as it is added."""
        g = cls()
        for ticket, kind, other in links:
            g.add(ticket, kind, other)
        return g

    @classmethod
    def stored(cls, links: Iterable[tuple[str, str, str]]) -> LinkGraph:
        """A graph of links as stored: each was checked when it was written, by the rules
        of the time, and is not judged again (a tenant's stored links never stop it from
        adding new ones that keep the rules)."""
        g = cls()
        for ticket, kind, other in links:
            if kind == DUPLICATE_OF:
                g.duplicate_of[ticket] = other
            else:
                g.caused_by.setdefault(ticket, set()).add(other)
        return g

    def originals(self) -> set[str]:
        return set(self.duplicate_of.values())

    def check(self, ticket: str, kind: str, other: str, path: str = "") -> None:
        if kind == DUPLICATE_OF:
            self._check_duplicate(ticket, other, path or "original")
        elif kind == CAUSED_BY:
            self._check_cause(ticket, other, path or "cause")
        else:
            raise LinkError(f"unknown link kind {kind!r}", "type")

    def add(self, ticket: str, kind: str, other: str, path: str = "") -> None:
        self.check(ticket, kind, other, path)
        if kind == DUPLICATE_OF:
            self.duplicate_of[ticket] = other
        else:
            self.caused_by.setdefault(ticket, set()).add(other)

    def _check_duplicate(self, ticket: str, original: str, path: str) -> None:
        if ticket == original:
            raise LinkError(f"ticket {ticket!r} cannot be a duplicate of itself", path)
        current = self.duplicate_of.get(ticket)
        if current is not None and current != original:
            raise LinkError(
                f"ticket {ticket!r} is already a duplicate of {current!r}; "
                "a ticket can be a duplicate of one original only",
                path,
            )
        if original in self.duplicate_of:
            raise LinkError(
                f"{original!r} is itself a duplicate of {self.duplicate_of[original]!r}; "
                "link to that original instead",
                path,
            )
        if ticket in self.originals():
            dups = sorted(d for d, o in self.duplicate_of.items() if o == ticket)
            raise LinkError(
                f"ticket {ticket!r} is the original of {', '.join(map(repr, dups))}; "
                "an original cannot itself be a duplicate",
                path,
            )
        self._check_cycle(ticket, original, path)

    def _check_cause(self, ticket: str, cause: str, path: str) -> None:
        if ticket == cause:
            raise LinkError(f"ticket {ticket!r} cannot be caused by itself", path)
        self._check_cycle(ticket, cause, path)

    def _check_cycle(self, ticket: str, other: str, path: str) -> None:
        """Refuse a link ticket -> other when the links already lead from other to ticket."""
        cycle = self._path(other, ticket)
        if cycle is not None:
            chain = " -> ".join([ticket, *cycle])
            raise LinkError(f"links would form a cycle: {chain}", path)

    def _linked(self, node: str) -> list[str]:
        """The tickets `node` links to: its causes and its original."""
        out = set(self.caused_by.get(node, ()))
        original = self.duplicate_of.get(node)
        if original is not None:
            out.add(original)
        return sorted(out)

    def _path(self, start: str, goal: str) -> list[str] | None:
        """A path of links start -> ... -> goal, if one exists (depth-first, iterative)."""
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        seen = {start}
        while stack:
            node, path = stack.pop()
            if node == goal:
                return path
            for nxt in self._linked(node):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
        return None
