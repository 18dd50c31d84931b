"""The HTTP stack alone: FastAPI endpoints that take an event's JSON and do nothing with it.

`bench/ingest.py` measures them with the same clients as the service, as the ceiling any
endpoint built on this stack can reach on the machine: one with a plain `def` (run in
the worker-thread pool, as FastAPI runs those) and one with `async def`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

app = FastAPI()


@app.post("/threaded/tickets/{ticket_id}/events")
def threaded(ticket_id: str, event: dict[str, Any]) -> dict[str, Any]:
    return {"ticket": ticket_id, "created": True}


@app.post("/awaited/tickets/{ticket_id}/events")
async def awaited(ticket_id: str, event: dict[str, Any]) -> dict[str, Any]:
    return {"ticket": ticket_id, "created": True}
