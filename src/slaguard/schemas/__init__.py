"""Documents that come from outside (ticket JSON) -> validated domain objects."""

from __future__ import annotations

from slaguard.schemas.ticket import EventDocument, TicketDocument, parse_ticket

__all__ = ["EventDocument", "TicketDocument", "parse_ticket"]
