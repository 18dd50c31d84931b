"""parse_events with events parsed before: the same ticket and the same errors as parsing
every document again."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from slaguard.config.model import load_config
from slaguard.domain.errors import LinkError, TicketError
from slaguard.domain.policy import SlaConfig
from slaguard.schemas.ticket import parse_events, parse_ticket

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "examples" / "ticket.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def config() -> SlaConfig:
    return load_config(ROOT / "examples" / "slaguard.yaml")


def fields() -> dict[str, Any]:
    return {k: v for k, v in EXAMPLE.items() if k != "events"}


def split(docs: list[dict[str, Any]], n: int, config: SlaConfig) -> Any:
    known = parse_events({**fields(), "events": docs[:n]}, config).events if n else ()
    return parse_events({**fields(), "events": docs[n:]}, config, known=known)


@pytest.mark.parametrize("seed", range(8))
def test_known_events_give_the_ticket_of_a_full_parse(config: SlaConfig, seed: int) -> None:
    docs = list(EXAMPLE["events"])
    random.Random(seed).shuffle(docs)
    docs.insert(0, docs.pop(next(i for i, d in enumerate(docs) if d["type"] == "created")))
    full = parse_events({**fields(), "events": docs}, config)
    for n in range(len(docs) + 1):
        got = split(docs, n, config)
        assert got.ticket == full.ticket, n
        assert got.events == full.events, n
    assert parse_ticket({**fields(), "events": docs}, config) == full.ticket


def test_the_events_are_one_per_document_duplicates_of_created_included(
    config: SlaConfig,
) -> None:
    docs = [*EXAMPLE["events"], {**EXAMPLE["events"][0], "id": "again"}]
    parsed = split(docs, 3, config)
    assert [e.id for e in parsed.events] == [d["id"] for d in docs]
    assert len(parsed.ticket.events) == len(docs) - 1  # one copy of the created event


def errors_of(docs: list[dict[str, Any]], n: int, config: SlaConfig) -> list[tuple[str, str]]:
    with pytest.raises(TicketError) as info:
        split(docs, n, config)
    return [(d.path, d.message) for d in info.value.details]


@pytest.mark.parametrize(
    "bad",
    [
        {"id": "x", "type": "status", "at": "2026-11-24T10:00:00+01:00", "status": "nope"},
        {"id": "x", "type": "agent_reply", "at": "yesterday"},
        {"id": "x", "type": "agent_reply", "at": "2026-11-22T10:00:00+01:00"},
        {"id": "x", "type": "created", "at": "2026-11-23T08:00:00+01:00"},
        {"id": "e3", "type": "status", "at": "2026-11-23T10:40:00+01:00", "status": "open"},
        {"id": "x", "type": "duplicate_of", "at": "2026-11-24T09:00Z", "original": "T-1042"},
    ],
    ids=["status", "instant", "before-created", "second-created", "same-id", "self-link"],
)
def test_errors_name_the_same_paths_as_a_full_parse(config: SlaConfig, bad: dict[str, Any]) -> None:
    docs = [*EXAMPLE["events"], bad]
    with pytest.raises((TicketError, LinkError)) as info:
        parse_ticket({**fields(), "events": docs}, config)
    want = [(d.path, d.message) for d in info.value.details]
    for n in (1, 5, len(docs) - 1):
        assert errors_of(docs, n, config) == want, n
