"""The idempotency key of an event document sent without an `id`.

The API (`POST /api/v1/tickets`, `.../events`), the generic webhook and the importer
all key an id-less event here, so the same event sent any of those ways is stored once:
`h:` (`GENERATED_ID_PREFIX`) and a hash of its ticket's id and its content in
`canonical` form. Such a key deduplicates the event but does not order it
(`domain/tickets.py`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from slaguard.domain.tickets import GENERATED_ID_PREFIX

__all__ = ["canonical", "content_key"]


def canonical(doc: Any) -> str:
    """One text per JSON content, whatever the order of its keys or its spacing."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)


def content_key(ticket_id: str, doc: Mapping[str, Any]) -> str:
    """The key of event `doc` (as received, without an id) of ticket `ticket_id`."""
    digest = hashlib.sha256(f"{ticket_id}\n{canonical(doc)}".encode()).hexdigest()
    return f"{GENERATED_ID_PREFIX}{digest[:40]}"
