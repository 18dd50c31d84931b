"""A ticket's stored events as the domain events they parsed to, kept between writes.

Validating the whole history with pydantic on every append cost more than the rest of
the append and grew with the history. So each process keeps, per ticket, the events
`parse_events` made of its stored documents, and an append validates only the
documents it has not parsed yet (`parse_events(..., known=...)`).

Why a kept entry is right:
- a ticket's fields and configuration version never change once it is created, and a
  stored event's parse depends only on its document, those fields and that version;
- events are append-only, and every writer adds a ticket's events under the ticket's
  row lock (creation aside, when nobody else can see it), so one ticket's event ids
  grow in commit order: the first n events in id order stay the same n events;
- an entry is stored only once the transaction that read or wrote those events has
  committed (`on_commit`), so it always describes a committed prefix of the history.
A reader takes the documents after the entry by count (`OFFSET n`), which covers the
events other processes appended since. A shorter entry is never stored over a longer
one; an entry for another ticket, tenant or version under the same key is ignored.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from slaguard.db.tables import EventRow, TicketRow
from slaguard.domain.tickets import Event

__all__ = ["HistoryCache", "Key", "Stored", "documents", "key_of", "stored"]

# An entry's key: the ticket's primary key, tenant, external id and configuration version
# (values, not the row object: entries are stored after its session has closed).
Key = tuple[int, int, str, int]


def key_of(row: TicketRow) -> Key:
    return (row.id, row.tenant_id, row.external_id, row.config_version)


class HistoryCache:
    """Parsed events of recently written tickets, least recently used first out; holds
    at most `max_events` events in all (each about 0.5 kB)."""

    def __init__(self, max_events: int = 50_000) -> None:
        self._items: OrderedDict[int, tuple[Key, tuple[Event, ...]]] = OrderedDict()
        self._held = 0
        self._max = max_events
        self._lock = threading.Lock()

    def get(self, key: Key) -> tuple[Event, ...]:
        with self._lock:
            found = self._items.get(key[0])
            if found is None or found[0] != key:
                return ()
            self._items.move_to_end(key[0])
            return found[1]

    def put(self, key: Key, events: tuple[Event, ...]) -> None:
        """Keep `events`: the parse of the ticket's first len(events) stored documents."""
        with self._lock:
            found = self._items.get(key[0])
            if found is not None:
                if found[0] == key and len(found[1]) > len(events):
                    return
                self._held -= len(found[1])
                del self._items[key[0]]
            if len(events) > self._max // 4:
                return  # one huge history would push out everything else
            self._items[key[0]] = (key, events)
            self._held += len(events)
            while self._held > self._max:
                _, (_, dropped) = self._items.popitem(last=False)
                self._held -= len(dropped)


@dataclass(frozen=True, slots=True)
class Stored:
    """A ticket's stored events: the first ones parsed before, the documents after them."""

    known: tuple[Event, ...]
    docs: list[dict[str, Any]]

    @property
    def count(self) -> int:
        return len(self.known) + len(self.docs)


_EVENTS = EventRow.metadata.tables[EventRow.__tablename__]
# Built once (SQLAlchemy reuses the cache key and compiled form): the ticket's events in
# id order, from the `offset`-th on.
_STORED = (
    select(_EVENTS.c.key, _EVENTS.c.data)
    .where(_EVENTS.c.ticket_id == bindparam("ticket_id"))
    .order_by(_EVENTS.c.id)
)
_STORED_FROM = _STORED.offset(bindparam("offset"))


def stored(s: Session, cache: HistoryCache, row: TicketRow) -> Stored:
    """The stored events of a ticket whose row lock `s` holds (or that nobody else writes)."""
    known = cache.get(key_of(row))
    if known:
        # From the last known event on: that it is still the n-th stored event is a
        # cheap check of the reasoning above (should it fail, all is read afresh).
        rows = s.execute(_STORED_FROM, {"ticket_id": row.id, "offset": len(known) - 1}).all()
        if rows and rows[0].key == known[-1].id:
            return Stored(known, [r.data for r in rows[1:]])
    return Stored((), documents(s, row))


def documents(s: Session, row: TicketRow) -> list[dict[str, Any]]:
    """Every stored event document of the ticket in the order stored, with nothing taken
    from the cache: for a parse from scratch (under another configuration version)."""
    return [r.data for r in s.execute(_STORED, {"ticket_id": row.id})]
