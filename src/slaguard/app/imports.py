"""Bulk import of ticket history from JSON lines or CSV, resumable and all-or-nothing per ticket.

The file is read twice. The first pass (`_scan`) only finds which ticket each line belongs
to and the last line of each ticket, so that the second pass can hand a ticket on as soon
as all of its lines (which may be spread over the file) have been read, without holding
the whole file in memory. Tickets then go through in batches: each ticket is validated
whole, exactly as `create_ticket` does it (idempotency keys, `parse_ticket` against the
tenant's current configuration, link rules), its clocks are evaluated as of now, and one
transaction per batch writes tickets, events, clocks and the clock log in bulk (COPY on
PostgreSQL, executemany on SQLite). A bad ticket is left out with every reason and the
file's line numbers; the rest of its batch goes in.

Progress is the database itself: a ticket that is already stored with the file's fields
and events is skipped ("already imported"), one stored with other fields or events is a
conflict (never merged). So an import interrupted at any point is completed by running
the same command again, and running it twice changes nothing.

Validation and evaluation are CPU-bound, so large files are split across worker
processes, each with its own connection and transactions. Tickets with link events
(duplicate_of, caused_by) are held back and written last, by this process alone, so that
their targets are already stored and the link rules are checked against one graph.
"""

from __future__ import annotations

import csv
import gc
import json
import multiprocessing as mp
import multiprocessing.util as mp_util
import os
import re
import signal
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import ColumnElement, String, any_, bindparam, insert, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from slaguard.app import audit, backlog, breaches
from slaguard.app.configs import latest_version, sla_config
from slaguard.app.services import Services
from slaguard.app.tenants import Principal, Role, require
from slaguard.app.tickets import _SEVERITY, _check_lengths, _keyed, _parse
from slaguard.db import rollups
from slaguard.db.engine import make_engine, writer
from slaguard.db.rollups import REPORT_COLUMNS, TICKET_DIMS, dim_value
from slaguard.db.statements import insert_many
from slaguard.db.tables import (
    Base,
    BreachRow,
    ClockLogRow,
    ClockRow,
    EventRow,
    LinkRow,
    TicketRow,
)
from slaguard.domain.engine import Clock, Evaluation, evaluate_us
from slaguard.domain.errors import ConfigError, ConflictError, LinkError, SlaError, TicketError
from slaguard.domain.links import CAUSED_BY, DUPLICATE_OF, LinkGraph
from slaguard.domain.policy import SlaConfig
from slaguard.domain.tickets import TICKET_FIELDS, Ticket
from slaguard.schemas.event_keys import canonical
from slaguard.schemas.storable import check_storable, printable
from slaguard.schemas.ticket import ticket_id_problem

__all__ = [
    "CSV_EVENT_COLUMNS",
    "CSV_TICKET_COLUMNS",
    "BatchReport",
    "ImportFormat",
    "ImportProgress",
    "ImportSummary",
    "Problem",
    "Rejection",
    "guess_format",
    "import_file",
]

SOURCE = "import"  # tickets.source of imported tickets

# CSV: one row per event. These columns become the event's fields (`event` is its type).
CSV_EVENT_COLUMNS = (
    "ticket",
    "event",
    "at",
    "id",
    "status",
    "priority",
    "tier",
    "team",
    "assignee",
    "public",
    "name",
    "value",
    "original",
    "cause",
    "score",
)
# Ticket fields, in columns named `ticket.<field>` (and `ticket.custom.<name>`).
CSV_TICKET_COLUMNS = (
    *(f for f in TICKET_FIELDS if f != "status"),  # the status comes from events
    "subject",
    "description",
    "created_at",
)
_REQUIRED_CSV = ("ticket", "event", "at")
_TRUE = frozenset({"true", "t", "yes", "y", "on", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "off", "0"})
_LINKS = {"duplicate_of": (DUPLICATE_OF, "original"), "caused_by": (CAUSED_BY, "cause")}
# Keep SQL parameter lists well under SQLite's and PostgreSQL's limits.
_IN_CHUNK = 5_000
_EVENT_PATH = re.compile(r"events\[(\d+)\]")
# A JSON line whose first key is "ticket": its ticket, without parsing the whole line.
_TICKET_PREFIX = re.compile(rb'\s*\{\s*"ticket"\s*:\s*"([^"\\]{1,200})"')


class ImportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


_EXTENSIONS = {
    ".csv": ImportFormat.csv,
    ".jsonl": ImportFormat.jsonl,
    ".ndjson": ImportFormat.jsonl,
}


def guess_format(path: Path, given: str | None = None) -> ImportFormat:
    """The format named, else the one the file's extension says (.csv, .jsonl, .ndjson)."""
    if given is not None:
        try:
            return ImportFormat(given)
        except ValueError:
            raise ConfigError(f"unknown format {given!r} (csv or jsonl)", "--format") from None
    found = _EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise ConfigError(
            f"cannot tell the format of {path.name} from its extension "
            "(.csv, .jsonl, .ndjson): give --format csv|jsonl",
            "--format",
        )
    return found


# ---------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a ticket (or a line) was not imported. `lines` are the file's lines."""

    lines: tuple[int, ...]
    path: str
    message: str


@dataclass(frozen=True, slots=True)
class Rejection:
    """A ticket left out (`invalid` or `conflict`), or a line no ticket can be read from
    (`malformed`, with `ticket` None). `lines` are all the file's lines of the ticket."""

    ticket: str | None
    reason: str
    lines: tuple[int, ...]
    problems: tuple[Problem, ...]

    def text(self) -> list[str]:
        """`line 17 (ticket T-9, events[2].at): no time zone offset`, one per problem."""
        out = []
        for p in self.problems:
            where = _lines_text(p.lines or self.lines)
            inside = ", ".join(
                x for x in (f"ticket {self.ticket}" if self.ticket else "", p.path) if x
            )
            line = f"{where} ({inside}): {p.message}" if inside else f"{where}: {p.message}"
            out.append(printable(line))
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "ticket": self.ticket,
            "reason": self.reason,
            "lines": list(self.lines),
            "errors": [
                {"lines": list(p.lines or self.lines), "path": p.path, "message": p.message}
                for p in self.problems
            ],
        }


def _lines_text(lines: Sequence[int]) -> str:
    if len(lines) == 1:
        return f"line {lines[0]}"
    return "lines " + ", ".join(map(str, lines))


@dataclass(slots=True)
class BatchReport:
    """What one committed batch did (given to `after_batch` and folded into the summary)."""

    number: int
    imported: int = 0
    events: int = 0
    already_imported: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    deferred: list[_Unit] = field(default_factory=list)  # tickets with links, written last
    retried: bool = False


@dataclass(slots=True)
class ImportProgress:
    """Where an import is; `phase` is "scan" (finding each ticket's lines) or "import"."""

    phase: str
    bytes_read: int = 0
    bytes_total: int = 0
    tickets_total: int = 0
    tickets_done: int = 0
    events_imported: int = 0


@dataclass(slots=True)
class ImportSummary:
    path: str
    format: str
    tenant: str
    lines: int = 0
    tickets: int = 0  # distinct ticket ids in the file
    imported: int = 0
    events_imported: int = 0
    already_imported: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    elapsed: float = 0.0
    workers: int = 0
    interrupted: bool = False  # by Ctrl-C: run the same import again to complete it

    @property
    def rejected(self) -> int:
        return sum(1 for r in self.rejections if r.ticket is not None)

    @property
    def conflicts(self) -> int:
        return sum(1 for r in self.rejections if r.reason == "conflict")

    @property
    def malformed_lines(self) -> int:
        return sum(len(r.lines) for r in self.rejections if r.ticket is None)

    @property
    def events_per_second(self) -> float:
        return self.events_imported / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def complete(self) -> bool:
        """Everything in the file is in the database (now or from an earlier run)."""
        return not self.rejections and not self.interrupted

    def add(self, report: BatchReport) -> None:
        self.imported += report.imported
        self.events_imported += report.events
        self.already_imported += report.already_imported
        self.rejections.extend(report.rejections)

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "format": self.format,
            "tenant": self.tenant,
            "lines": self.lines,
            "tickets": self.tickets,
            "imported": self.imported,
            "events_imported": self.events_imported,
            "already_imported": self.already_imported,
            "rejected": self.rejected,
            "conflicts": self.conflicts,
            "malformed_lines": self.malformed_lines,
            "interrupted": self.interrupted,
            "workers": self.workers,
            "elapsed_seconds": round(self.elapsed, 3),
            "events_per_second": round(self.events_per_second, 1),
            "rejections": [r.as_json() for r in self.rejections],
        }


# ---------------------------------------------------------------------------------------
# reading: the first pass finds each ticket's lines, the second hands on whole tickets
# ---------------------------------------------------------------------------------------

# A ticket's lines: (line number, the raw JSON line or the CSV row).
_Line = tuple[int, Any]
_Unit = tuple[str, list[_Line]]


@dataclass(frozen=True, slots=True)
class _CsvSpec:
    width: int
    ticket: int
    event_columns: tuple[tuple[str, int], ...]  # event field (type for `event`), column
    ticket_columns: tuple[tuple[str, int], ...]  # ticket field path, column


def _csv_spec(header: Sequence[str]) -> _CsvSpec:
    names = [h.strip() for h in header]
    errors: list[str] = []
    seen: set[str] = set()
    events: list[tuple[str, int]] = []
    tickets: list[tuple[str, int]] = []
    for i, name in enumerate(names):
        if name in seen:
            errors.append(f"column {name!r} appears twice")
        seen.add(name)
        if name in CSV_EVENT_COLUMNS:
            events.append(("type" if name == "event" else name, i))
        elif name.startswith("ticket.custom.") and len(name) > len("ticket.custom."):
            tickets.append(("custom_fields." + name[len("ticket.custom.") :], i))
        elif name.startswith("ticket.") and name[len("ticket.") :] in CSV_TICKET_COLUMNS:
            tickets.append((name[len("ticket.") :], i))
        else:
            errors.append(
                f"unknown column {name!r} (event columns: {', '.join(CSV_EVENT_COLUMNS)}; "
                f"ticket columns: ticket.{', ticket.'.join(CSV_TICKET_COLUMNS)}, "
                "ticket.custom.<name>)"
            )
    missing = [c for c in _REQUIRED_CSV if c not in seen]
    if missing:
        errors.append(f"required column(s) missing: {', '.join(missing)}")
    if errors:
        raise ConfigError("; ".join(errors), "header")
    return _CsvSpec(
        width=len(names),
        ticket=names.index("ticket"),
        event_columns=tuple(e for e in events if e[0] != "ticket"),
        ticket_columns=tuple(tickets),
    )


@dataclass(slots=True)
class _Index:
    """The first pass: tickets in order of first appearance, and for each record of the
    file (line of JSON, row of CSV) the index of its ticket (-1: blank or malformed)."""

    ids: dict[str, int] = field(default_factory=dict)
    last: array[int] = field(default_factory=lambda: array("q"))  # ticket -> last record
    record_ticket: array[int] = field(default_factory=lambda: array("q"))
    malformed: list[Rejection] = field(default_factory=list)
    lines: int = 0
    spec: _CsvSpec | None = None

    def note(self, record: int, ticket: str) -> None:
        tix = self.ids.get(ticket)
        if tix is None:
            tix = self.ids[ticket] = len(self.ids)
            self.last.append(record)
        else:
            self.last[tix] = record
        self.record_ticket.append(tix)


class _Reader:
    """Reads the file as numbered records: (line number, raw record)."""

    def __init__(self, path: Path, fmt: ImportFormat) -> None:
        self.path = path
        self.fmt = fmt
        self.bytes_read = 0
        self.spec: _CsvSpec | None = None

    def records(self) -> Iterator[tuple[int, Any]]:
        self.bytes_read = 0
        with self.path.open("rb") as f:
            if self.fmt is ImportFormat.jsonl:
                for n, line in enumerate(f, 1):
                    self.bytes_read += len(line)
                    yield n, line
            else:
                yield from self._csv_records(f)

    def _csv_records(self, f: Iterable[bytes]) -> Iterator[tuple[int, list[str]]]:
        physical = [0]

        def text() -> Iterator[str]:
            for raw in f:
                physical[0] += 1
                self.bytes_read += len(raw)
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise ConfigError(f"line {physical[0]} is not UTF-8 text", "file") from None
                if physical[0] == 1:
                    line = line.removeprefix("\ufeff")
                yield line

        reader = csv.reader(text())
        try:
            header = next(reader, None)
            if header is None:
                raise ConfigError("the file is empty: expected a header row", "file")
            self.spec = _csv_spec(header)
            start = physical[0] + 1
            for row in reader:
                yield start, row
                start = physical[0] + 1
        except csv.Error as exc:
            raise ConfigError(f"line {physical[0]}: {exc}", "file") from None


def _jsonl_ticket(line: bytes) -> tuple[str | None, str | None]:
    """(ticket id, None) or (None, why the line belongs to no ticket)."""
    m = _TICKET_PREFIX.match(line)
    if m is not None:
        try:
            return m.group(1).decode(), None
        except UnicodeDecodeError:
            pass
    try:
        obj = json.loads(line)
    except ValueError as exc:
        return None, _json_error(exc, line)
    if not isinstance(obj, dict):
        return None, f"expected a JSON object (a ticket or an event), got {type(obj).__name__}"
    key = "ticket" if "ticket" in obj else "id" if "id" in obj else None
    if key is None:
        return None, 'no ticket id: a ticket line has "id", an event line "ticket"'
    tid = obj[key]
    if not isinstance(tid, str) or not tid.strip() or len(tid) > 200:
        return None, f'"{key}": a ticket id is a string of 1-200 characters, got {tid!r}'
    if printable(tid) != tid:  # a lone surrogate or a NUL: no ticket can have this id
        return None, f'"{key}": a ticket id is text that can be stored, got {tid!r}'
    return tid, None


def _json_error(exc: ValueError, line: bytes) -> str:
    if isinstance(exc, json.JSONDecodeError):
        if exc.pos >= len(line.decode("utf-8", "replace").rstrip()):
            return f"not valid JSON: {exc.msg} at the end of the line"
        return f"not valid JSON: {exc.msg} at column {exc.pos + 1}"
    return "not UTF-8 text"


def _scan(reader: _Reader, progress: Callable[[int], None] | None, every: int = 20_000) -> _Index:
    index = _Index()
    for record, (n, raw) in enumerate(reader.records()):
        index.lines = n
        if progress is not None and record % every == 0:
            progress(reader.bytes_read)
        if reader.fmt is ImportFormat.jsonl:
            if not raw.strip():
                index.record_ticket.append(-1)
                continue
            tid, why = _jsonl_ticket(raw)
        else:
            assert reader.spec is not None
            if not raw:  # a blank line
                index.record_ticket.append(-1)
                continue
            cell = raw[reader.spec.ticket] if len(raw) > reader.spec.ticket else ""
            tid, why = (cell, None) if cell.strip() else (None, "no ticket id in column 'ticket'")
        if tid is None:
            index.record_ticket.append(-1)
            index.malformed.append(
                Rejection(None, "malformed", (n,), (Problem((n,), "", why or "unreadable"),))
            )
        else:
            index.note(record, tid)
    index.spec = reader.spec
    if progress is not None:
        progress(reader.bytes_read)
    return index


def _units(reader: _Reader, index: _Index) -> Iterator[_Unit]:
    """Each ticket with all of its lines, as soon as its last line has been read."""
    names = list(index.ids)
    open_: dict[int, list[_Line]] = {}
    record_ticket, last = index.record_ticket, index.last
    records = len(record_ticket)
    for record, (n, raw) in enumerate(reader.records()):
        if record >= records:
            break  # lines added since the first pass: not part of this import
        tix = record_ticket[record]
        if tix < 0:
            continue
        lines = open_.get(tix)
        if lines is None:
            lines = open_[tix] = []
        lines.append((n, raw))
        if last[tix] == record:
            del open_[tix]
            yield names[tix], lines
    if open_:
        raise ConfigError("the file was changed during the import: run it again", "FILE")


# ---------------------------------------------------------------------------------------
# one ticket: assemble its document from its lines, validate, evaluate
# ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Draft:
    ticket: str
    lines: tuple[int, ...]
    fields: dict[str, Any]
    events: list[Any]
    event_lines: list[int]
    field_lines: dict[str, int]  # ticket field -> its line (CSV); "" -> the ticket line
    problems: list[Problem] = field(default_factory=list)

    def problem(self, line: int | None, path: str, message: str) -> None:
        self.problems.append(Problem((line,) if line is not None else (), path, message))


def _assemble_jsonl(ticket: str, lines: list[_Line]) -> _Draft:
    d = _Draft(ticket, tuple(n for n, _ in lines), {}, [], [], {})
    fields_line: int | None = None
    for n, raw in lines:
        try:
            obj = json.loads(raw)
        except ValueError as exc:
            d.problem(n, "", _json_error(exc, raw))
            continue
        if not isinstance(obj, dict):
            d.problem(n, "", f"expected a JSON object, got {type(obj).__name__}")
            continue
        if "ticket" in obj:
            if obj.pop("ticket") != ticket:
                d.problem(n, "ticket", f"expected {ticket!r} (a key given twice?)")
            d.events.append(obj)
            d.event_lines.append(n)
            continue
        events = obj.pop("events", [])
        if not isinstance(events, list):
            d.problem(n, "events", f"expected a list of events, got {type(events).__name__}")
            events = []
        if fields_line is None:
            d.fields, fields_line = obj, n
            d.field_lines[""] = n
        elif obj != d.fields:
            d.problem(n, "", f"other ticket fields than line {fields_line} gives")
        d.events.extend(events)
        d.event_lines.extend([n] * len(events))
    if fields_line is None:
        d.fields = {"id": ticket}
    return d


def _cell_bool(text: str) -> Any:
    low = text.strip().lower()
    return True if low in _TRUE else False if low in _FALSE else text


def _cell_number(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _assemble_csv(ticket: str, lines: list[_Line], spec: _CsvSpec) -> _Draft:
    d = _Draft(ticket, tuple(n for n, _ in lines), {"id": ticket}, [], [], {})
    custom: dict[str, Any] = {}
    for n, row in lines:
        if len(row) != spec.width:
            d.problem(n, "", f"expected {spec.width} columns, found {len(row)}")
            continue
        event: dict[str, Any] = {}
        for name, i in spec.event_columns:
            cell = row[i]
            if cell.strip():
                if name == "public":
                    event[name] = _cell_bool(cell)
                elif name == "score":
                    event[name] = _cell_number(cell)
                else:
                    event[name] = cell
        d.events.append(event)
        d.event_lines.append(n)
        for name, i in spec.ticket_columns:
            cell = row[i]
            if not cell.strip() or name in d.field_lines:
                continue
            d.field_lines[name] = n
            if name.startswith("custom_fields."):
                custom[name[len("custom_fields.") :]] = cell
            elif name == "tags":
                d.fields["tags"] = [t.strip() for t in cell.split(";") if t.strip()]
            elif name == "vip":
                d.fields["vip"] = _cell_bool(cell)
            else:
                d.fields[name] = cell
    if custom:
        d.fields["custom_fields"] = custom
    return d


@dataclass(slots=True)
class _Ready:
    """A valid ticket, evaluated, waiting to be written."""

    ticket: str
    lines: tuple[int, ...]
    fields: dict[str, Any]
    docs: list[dict[str, Any]]  # keyed event documents, repeats removed
    doc_lines: list[int]
    doc_index: list[int]  # each doc's index among the ticket's events in the file
    row: dict[str, Any]  # the tickets row, but for tenant_id
    # events, clocks and clock_log rows, but for (tenant_id, ticket_id) in front
    events: list[tuple[Any, ...]]
    clocks: list[tuple[Any, ...]]
    log: list[tuple[Any, ...]]
    breached: _Breached | None  # the clocks breached, for their breaches rows
    links: list[tuple[int, str, str]]  # (doc index, kind, other ticket)


@dataclass(slots=True)
class _Keyed:
    """A ticket's event documents with their idempotency keys (as `create_ticket` keys
    them), repeats removed; each with its line and its index among the file's events."""

    docs: list[dict[str, Any]]
    lines: list[int]
    index: list[int]
    problems: list[Problem]
    # some text no column can hold (`check_storable`): the ticket is not parsed at all
    unstorable: bool = False


def _key_events(draft: _Draft) -> _Keyed:
    k = _Keyed([], [], [], list(draft.problems))
    tid = draft.ticket
    problem = ticket_id_problem(tid)
    if problem is not None:
        k.problems.append(Problem((), "id", problem))
    unstorable = _unstorable_fields(draft)
    k.problems.extend(unstorable)
    k.unstorable = bool(unstorable)
    seen: dict[str, int] = {}
    for i, (raw, n) in enumerate(zip(draft.events, draft.event_lines, strict=True)):
        try:
            # what the API refuses in a request body, this ticket alone is refused for
            check_storable(raw, prefix=f"events[{i}]")
        except TicketError as exc:
            k.problems.extend(Problem((n,), d.path, d.message) for d in exc.details)
            k.unstorable = True
            continue
        try:
            doc = _keyed(tid, raw, i)
        except TicketError as exc:
            k.problems.extend(Problem((n,), d.path, d.message) for d in exc.details)
            continue
        j = seen.get(doc["id"])
        if j is None:
            seen[doc["id"]] = len(k.docs)
            k.docs.append(doc)
            k.lines.append(n)
            k.index.append(i)
        elif canonical(k.docs[j]) != canonical(doc):
            k.problems.append(
                Problem(
                    (n,),
                    f"events[{i}].id",
                    f"{doc['id']!r} is used by events[{k.index[j]}] (line {k.lines[j]}) "
                    "with different content",
                )
            )
        # else: the same event twice in the file, stored once
    return k


def _unstorable_fields(draft: _Draft) -> list[Problem]:
    """Text in the ticket's fields no column can hold (NUL, lone surrogates), each on the
    line that gives the field."""
    try:
        check_storable(draft.fields)
    except TicketError as exc:
        problems = []
        for d in exc.details:
            top = d.path.split(".")[0].split("[")[0]
            key = ".".join(d.path.split(".")[:2]) if top == "custom_fields" else top
            line = draft.field_lines.get(key, draft.field_lines.get(""))
            problems.append(Problem((line,) if line is not None else (), d.path, d.message))
        return problems
    return []


def _differences(
    fields: Mapping[str, Any], k: _Keyed, document: Mapping[str, Any], have: Mapping[str, str]
) -> list[Problem]:
    """Why a stored ticket (its fields, its events' canonical JSON by key) is not the
    file's: nothing when every event of the file is stored as it is there."""
    problems = []
    if canonical(document) != canonical(fields):
        problems.append(
            Problem((), "", "the ticket is already stored with other fields (not merged)")
        )
    for doc, n, i in zip(k.docs, k.lines, k.index, strict=True):
        canon = have.get(doc["id"])
        if canon is None:
            problems.append(
                Problem(
                    (n,),
                    f"events[{i}]",
                    "the ticket is already stored without this event (not merged)",
                )
            )
        elif canon != canonical(doc):
            problems.append(
                Problem(
                    (n,),
                    f"events[{i}].id",
                    f"the stored ticket has event {doc['id']!r} with other content",
                )
            )
    return problems


def _prepare(draft: _Draft, k: _Keyed, config: SlaConfig, now: int) -> _Ready | Rejection:
    """The ticket validated whole, as `create_ticket` does, and its clocks evaluated."""
    tid = draft.ticket
    problems = list(k.problems)
    docs, doc_lines, doc_index = k.docs, k.lines, k.index
    parsed: Ticket | None = None
    evaluation: Evaluation | None = None
    if k.unstorable:  # the rest would be judged on text that cannot even be shown
        return Rejection(tid, "invalid", draft.lines, tuple(problems))
    try:
        # what create_ticket runs: parse_ticket and the service's own checks
        parsed = _parse(draft.fields, docs, config, first_new=0)
        evaluation = evaluate_us(parsed, config, now)
        _check_lengths(evaluation.fields)
    except TicketError as exc:
        problems.extend(
            _located(d.path, d.message, draft, doc_lines, doc_index) for d in exc.details
        )
    except SlaError as exc:  # e.g. a deadline beyond the calendar's range
        details = getattr(exc, "details", ())
        problems.extend(Problem((), d.path, d.message) for d in details)
        if not details:
            problems.append(Problem((), "", str(exc)))
    except (ValueError, ArithmeticError) as exc:
        # A ticket the checks above let through and the evaluation could not handle: it
        # alone is left out, the rest of the file goes in.
        problems.append(Problem((), "", f"cannot be evaluated: {exc}"))
    if problems or parsed is None or evaluation is None:
        return Rejection(tid, "invalid", draft.lines, tuple(problems))
    links = []
    for j, doc in enumerate(docs):
        link = _LINKS.get(str(doc.get("type")))
        if link is not None:
            links.append((j, link[0], str(doc[link[1]])))
    return _Ready(
        tid,
        draft.lines,
        draft.fields,
        docs,
        doc_lines,
        doc_index,
        *ticket_rows(draft.fields, docs, parsed, evaluation, now),
        links,
    )


_Breached = tuple[Ticket, tuple[Clock, ...]]


def ticket_rows(
    fields: dict[str, Any], docs: list[dict[str, Any]], parsed: Ticket, ev: Evaluation, now: int
) -> tuple[
    dict[str, Any],
    list[tuple[Any, ...]],
    list[tuple[Any, ...]],
    list[tuple[Any, ...]],
    _Breached | None,
]:
    """What `create_ticket` writes (`_insert_events` and `_recompute`), as plain rows;
    JSON columns already serialised. Last the ticket and its breached clocks, if any
    (their suggested reasons read the team's backlog, so are found as they are written);
    the audit records are made from the fields and event documents as they are written."""
    values = ev.fields
    states = {c.state for c in ev.clocks}
    row = {
        "external_id": parsed.id,
        "source": SOURCE,
        "document": fields,
        "type": ev.type,
        "status": ev.status,
        "priority": values.get("priority"),
        "team": values.get("team"),
        "assignee": values.get("assignee"),
        **{name: dim_value(values.get(name)) for name in REPORT_COLUMNS},
        "policy": ev.policy.name if ev.policy is not None else None,
        "sla_state": next((st.value for st in _SEVERITY if st in states), None),
        "created_us": min((e.at for e in parsed.events), default=now),
        "updated_us": now,
    }
    at = {e.id: e.at for e in parsed.events if e.id is not None}
    dumps = json.dumps
    events = [(d["id"], str(d.get("type")), at.get(d["id"], now), dumps(d), now) for d in docs]
    clocks = [
        (
            c.metric,
            c.cycle,
            c.state.value,
            c.policy,
            c.target_us,
            c.started_at,
            c.due_at,
            c.stopped_at,
            c.breached_at,
            c.elapsed_us,
            dumps([[label, t] for label, t in c.warnings]),
            c.next_at,
        )
        for c in ev.clocks
    ]
    log = [
        (t, metric, cycle, action, detail[:300], cause)
        for t, metric, cycle, action, detail, cause in ev.raw_log
    ]
    breached = tuple(c for c in ev.clocks if c.breached_at is not None)
    return row, events, clocks, log, ((parsed, breached) if breached else None)


def _located(
    path: str, message: str, draft: _Draft, doc_lines: list[int], doc_index: list[int]
) -> Problem:
    """A problem of `parse_ticket` with the file's line and the ticket's own event index."""

    def renumber(m: re.Match[str]) -> str:
        j = int(m.group(1))
        return f"events[{doc_index[j]}]" if j < len(doc_index) else m.group(0)

    m = _EVENT_PATH.match(path)
    if m is not None and int(m.group(1)) < len(doc_lines):
        lines: tuple[int, ...] = (doc_lines[int(m.group(1))],)
    else:
        top = path.split(".")[0].split("[")[0]
        key = ".".join(path.split(".")[:2]) if top == "custom_fields" else top
        line = draft.field_lines.get(key, draft.field_lines.get(""))
        lines = (line,) if line is not None else ()
    return Problem(lines, _EVENT_PATH.sub(renumber, path), _EVENT_PATH.sub(renumber, message))


# ---------------------------------------------------------------------------------------
# one batch: check against what is stored, then write everything in one transaction
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Job:
    number: int
    now: int
    units: list[_Unit]
    links_now: bool  # write tickets with links (the last phase) rather than defer them


class _Race(Exception):
    """COPY found a unique key taken (an event key of a stored ticket, of another ticket of
    the batch, or one a concurrent writer took): the batch runs again, checked first."""


def _chunks(items: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class _Batches:
    """Validates and writes batches for one tenant (in this process or in a worker)."""

    def __init__(
        self,
        svc: Services,
        *,
        tenant_id: int,
        version: int,
        config: SlaConfig,
        fmt: ImportFormat,
        spec: _CsvSpec | None,
    ) -> None:
        self.svc = svc
        self.tenant_id = tenant_id
        self.version = version
        self.config = config
        self.fmt = fmt
        self.spec = spec
        self.postgres = not svc.is_sqlite
        self.in_file: set[str] = set()  # the file's tickets (names them in link errors)
        # Workers writing one SQLite file take turns on this lock: a writer waiting on
        # SQLite's own lock polls it with sleeps of up to 100 ms, one waiting here is
        # woken as soon as the other is done.
        self.turn: AbstractContextManager[Any] = nullcontext()
        self.actor = ""  # who imports: the `ticket.created` records' actor

    def draft(self, unit: _Unit) -> _Draft:
        ticket, lines = unit
        if self.fmt is ImportFormat.jsonl:
            return _assemble_jsonl(ticket, lines)
        assert self.spec is not None
        return _assemble_csv(ticket, lines, self.spec)

    def run(self, job: _Job) -> BatchReport:
        # A batch makes many short-lived containers and hardly any garbage cycles: the
        # cyclic collector would mostly rescan long-lived objects (6% of the time).
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._run(job)
        finally:
            if enabled:
                gc.enable()

    def _run(self, job: _Job) -> BatchReport:
        report = BatchReport(job.number)
        ready: list[_Ready] = []
        drafts = [(unit, self.draft(unit)) for unit in job.units]
        keyed = [_key_events(d) for _, d in drafts]
        # Tickets stored already (by an earlier run) are judged without the cost of
        # validating and evaluating them again; the transaction checks again below.
        found_stored = self._stored_events([d.ticket for _, d in drafts])
        for (unit, draft), k in zip(drafts, keyed, strict=True):
            have = found_stored.get(draft.ticket)
            if have is not None and not k.problems:
                problems = _differences(draft.fields, k, *have)
                if problems:
                    report.rejections.append(
                        Rejection(draft.ticket, "conflict", draft.lines, tuple(problems))
                    )
                else:
                    report.already_imported += 1
                continue
            found = _prepare(draft, k, self.config, job.now)
            if isinstance(found, Rejection):
                report.rejections.append(found)
            elif found.links and not job.links_now:
                report.deferred.append(unit)
            else:
                ready.append(found)
        if ready:
            try:
                # Event keys are unique per tenant; the database checks that as it
                # inserts, so look them up first only when it says one is taken.
                self._write(ready, report, check_keys=False)
            except (_Race, ConflictError, IntegrityError):
                # A key is taken (or another writer stored one of these tickets after we
                # looked): the transaction was rolled back; check everything this time.
                report.retried = True
                self._write(ready, report, check_keys=True)
        return report

    # -- the transaction -------------------------------------------------------------------

    def _write(self, ready: list[_Ready], report: BatchReport, *, check_keys: bool) -> None:
        """Check and insert in one transaction; `report` changes only once it commits."""
        outcome: list[Rejection] = []
        with self.turn, self.svc.writing() as s:
            fresh, skipped = self._skip_stored(s, ready, outcome)
            if check_keys:
                fresh = self._check_keys(s, fresh, outcome)
            if any(r.links for r in fresh):
                fresh = self._check_links(s, fresh, outcome)
            if fresh:
                self._insert(s, fresh)
        report.rejections.extend(outcome)
        report.already_imported += skipped
        report.imported += len(fresh)
        report.events += sum(len(r.docs) for r in fresh)

    def _stored_events(
        self, tickets: Sequence[str], s: Session | None = None
    ) -> dict[str, tuple[dict[str, Any], dict[str, str]]]:
        """Stored tickets among these: ticket -> (fields, canonical JSON of each event by
        key). One query for the tickets and one for their events (in `s`, else reading)."""
        if s is None:
            with self.svc.reading() as reading:
                return self._stored_events(tickets, reading)
        found: dict[int, tuple[str, dict[str, Any]]] = {}
        for part in _chunks(tickets):
            for pk, ext, document in s.execute(
                select(TicketRow.id, TicketRow.external_id, TicketRow.document).where(
                    TicketRow.tenant_id == self.tenant_id,
                    self._among(TicketRow.external_id, part),
                )
            ):
                found[pk] = (ext, document)
        events: dict[int, dict[str, str]] = {pk: {} for pk in found}
        for part in _chunks(list(found)):
            for pk, key, data in s.execute(
                select(EventRow.ticket_id, EventRow.key, EventRow.data).where(
                    EventRow.ticket_id.in_(part)
                )
            ):
                events[pk][key] = canonical(data)
        return {ext: (document, events[pk]) for pk, (ext, document) in found.items()}

    def _skip_stored(
        self, s: Session, ready: list[_Ready], outcome: list[Rejection]
    ) -> tuple[list[_Ready], int]:
        """Tickets stored since the batch was read (by a concurrent writer) are skipped
        when the file adds nothing to them, and are conflicts when they differ."""
        stored = self._stored_events([r.ticket for r in ready], s)
        if not stored:
            return ready, 0
        fresh = []
        skipped = 0
        for r in ready:
            have = stored.get(r.ticket)
            if have is None:
                fresh.append(r)
                continue
            k = _Keyed(r.docs, r.doc_lines, r.doc_index, [])
            problems = _differences(r.fields, k, *have)
            if problems:
                outcome.append(Rejection(r.ticket, "conflict", r.lines, tuple(problems)))
            else:
                skipped += 1
        return fresh, skipped

    def _check_keys(
        self, s: Session, fresh: list[_Ready], outcome: list[Rejection]
    ) -> list[_Ready]:
        """Event keys are unique per tenant: not stored yet, and not used by two tickets."""
        keys = [d["id"] for r in fresh for d in r.docs]
        taken: set[str] = set()
        for part in _chunks(keys):
            taken.update(
                s.scalars(
                    select(EventRow.key).where(
                        EventRow.tenant_id == self.tenant_id, self._among(EventRow.key, part)
                    )
                )
            )
        owner: dict[str, tuple[str, int]] = {}
        kept = []
        for r in fresh:
            problems = []
            for doc, n, i in zip(r.docs, r.doc_lines, r.doc_index, strict=True):
                key = doc["id"]
                if key in taken:
                    problems.append(
                        Problem(
                            (n,), f"events[{i}].id", f"{key!r} is already used by another ticket"
                        )
                    )
                elif key in owner and owner[key][0] != r.ticket:
                    other, line = owner[key]
                    problems.append(
                        Problem(
                            (n,),
                            f"events[{i}].id",
                            f"{key!r} is already used by ticket {other!r} (line {line})",
                        )
                    )
            if problems:
                outcome.append(Rejection(r.ticket, "conflict", r.lines, tuple(problems)))
                continue
            for doc, n in zip(r.docs, r.doc_lines, strict=True):
                owner[doc["id"]] = (r.ticket, n)
            kept.append(r)
        return kept

    def _check_links(
        self, s: Session, fresh: list[_Ready], outcome: list[Rejection]
    ) -> list[_Ready]:
        """Links name stored tickets (or earlier ones of this batch) and keep the rules."""
        targets = sorted({other for r in fresh for _, _, other in r.links})
        known: set[str] = set()
        for part in _chunks(targets):
            known.update(
                s.scalars(
                    select(TicketRow.external_id).where(
                        TicketRow.tenant_id == self.tenant_id,
                        self._among(TicketRow.external_id, part),
                    )
                )
            )
        graph = LinkGraph.stored(
            (t, k, o)
            for t, k, o in s.execute(
                select(LinkRow.ticket, LinkRow.kind, LinkRow.other).where(
                    LinkRow.tenant_id == self.tenant_id
                )
            )
        )
        kept = []
        for r in fresh:
            problems = []
            before = (graph.duplicate_of.get(r.ticket), set(graph.caused_by.get(r.ticket, ())))
            for j, kind, other in r.links:
                path = f"events[{r.doc_index[j]}].{_LINKS[kind][1]}"
                line = (r.doc_lines[j],)
                if other not in known:
                    hint = " (it is in the file, but was not imported)" * (other in self.in_file)
                    problems.append(
                        Problem(line, path, f"no ticket {other!r} in this tenant{hint}")
                    )
                    continue
                try:
                    graph.add(r.ticket, kind, other, path)
                except LinkError as exc:
                    problems.extend(Problem(line, d.path, d.message) for d in exc.details)
            if problems:
                # undo this ticket's links in the graph
                if before[0] is None:
                    graph.duplicate_of.pop(r.ticket, None)
                else:
                    graph.duplicate_of[r.ticket] = before[0]
                graph.caused_by[r.ticket] = before[1]
                outcome.append(Rejection(r.ticket, "invalid", r.lines, tuple(problems)))
                continue
            known.add(r.ticket)
            kept.append(r)
        return kept

    # -- bulk writes -------------------------------------------------------------------------

    def _insert(self, s: Session, fresh: list[_Ready]) -> None:
        tenant = self.tenant_id
        s.execute(
            insert(_TICKETS),
            [{**r.row, "tenant_id": tenant, "config_version": self.version} for r in fresh],
        )
        pk_of: dict[str, int] = {}
        for part in _chunks([r.ticket for r in fresh]):
            rows = s.execute(
                select(TicketRow.external_id, TicketRow.id).where(
                    TicketRow.tenant_id == tenant, self._among(TicketRow.external_id, part)
                )
            )
            pk_of.update((ext, pk) for ext, pk in rows)
        events: list[tuple[Any, ...]] = []
        clocks: list[tuple[Any, ...]] = []
        log: list[tuple[Any, ...]] = []
        links: list[dict[str, Any]] = []
        for r in fresh:
            head = (tenant, pk_of[r.ticket])
            events.extend(head + e for e in r.events)
            clocks.extend(head + c for c in r.clocks)
            log.extend(head + x for x in r.log)
            links.extend(
                {"tenant_id": tenant, "ticket": r.ticket, "kind": kind, "other": other}
                for kind, other in sorted({(kind, other) for _, kind, other in r.links})
            )
        if self.postgres:
            _copy_postgres(s, events, clocks, log)
        else:
            _insert_sqlite(s, events, clocks, log)
        _add_rollups(s, tenant, fresh, pk_of)
        if links:
            s.execute(insert(LinkRow), links)
        self._add_breaches(s, fresh, pk_of)
        self._add_audit(s, fresh)

    def _add_breaches(self, s: Session, fresh: list[_Ready], pk_of: dict[str, int]) -> None:
        """The breaches rows `note_breaches` writes, in one statement. A team's backlog
        at a breach is read only when the team has samples from before it: an import of
        history older than the service's samples reads none."""
        rows: list[dict[str, Any]] = []
        first_sample: dict[str, int | None] = {}
        levels: dict[tuple[str, int], tuple[int, int] | None] = {}

        def load(team: str, at: int) -> tuple[int, int] | None:
            if team not in first_sample:
                first_sample[team] = backlog.first_sample(s, self.tenant_id, team)
            first = first_sample[team]
            if first is None or first > at:
                return None
            if (team, at) not in levels:
                levels[team, at] = backlog.level(s, self.tenant_id, team, at)
            return levels[team, at]

        for r in fresh:
            if r.breached is None:
                continue
            parsed, clocks = r.breached
            head = {"tenant_id": self.tenant_id, "ticket_id": pk_of[r.ticket]}
            rows.extend(
                {**head, **values, "evidence": json.dumps(values["evidence"])}
                for values in breaches.suggested(parsed, clocks, load, self.config)
            )
        insert_many(s, _BREACHES, rows, json_text=["evidence"])

    def _add_audit(self, s: Session, fresh: list[_Ready]) -> None:
        """The audit records `create_ticket` writes (`ticket.created`, then a
        `ticket.event` for each event), in one statement."""
        by_now: dict[int, list[audit.Entry]] = {}
        for r in fresh:
            entries = by_now.setdefault(r.row["updated_us"], [])
            entries.append(
                audit.Entry("ticket.created", r.ticket, {"fields": r.fields}, self.actor)
            )
            entries.extend(
                audit.Entry("ticket.event", r.ticket, d, str(d.get("actor") or "")) for d in r.docs
            )
        for now, entries in by_now.items():
            audit.record_many(s, self.tenant_id, entries, now=now)

    def _among(
        self, column: InstrumentedAttribute[str], values: Sequence[str]
    ) -> ColumnElement[bool]:
        """`column IN (values)`; on PostgreSQL one array parameter (`= ANY(:values)`)
        rather than thousands of parameters to render and parse."""
        if self.postgres:
            return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(String)))
        return column.in_(values)


_EVENT_COLUMNS = ("tenant_id", "ticket_id", "key", "kind", "occurred_us", "data", "received_us")
_CLOCK_COLUMNS = (
    "tenant_id",
    "ticket_id",
    "metric",
    "cycle",
    "state",
    "policy",
    "target_us",
    "started_us",
    "due_us",
    "stopped_us",
    "breached_us",
    "elapsed_us",
    "warnings",
    "next_us",
)
_LOG_COLUMNS = ("tenant_id", "ticket_id", "at_us", "metric", "cycle", "action", "detail", "cause")
_TICKETS = Base.metadata.tables[TicketRow.__tablename__]
_BREACHES = Base.metadata.tables[BreachRow.__tablename__]
_BULK = (
    (EventRow.__tablename__, _EVENT_COLUMNS),
    (ClockRow.__tablename__, _CLOCK_COLUMNS),
    (ClockLogRow.__tablename__, _LOG_COLUMNS),
)
_SQLITE_INSERTS = tuple(
    f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"  # noqa: S608 - constant names
    for table, cols in _BULK
)
_POSTGRES_COPIES = tuple(f"COPY {table} ({', '.join(cols)}) FROM STDIN" for table, cols in _BULK)


def _add_rollups(s: Session, tenant: int, fresh: list[_Ready], pk_of: dict[str, int]) -> None:
    """The new tickets' clocks added to the daily rollups (`db/rollups.py`)."""
    counts: Counter[rollups.Key] = Counter()
    for r in fresh:
        dims = {d: r.row.get(d) for d in TICKET_DIMS}
        for c in r.clocks:
            # (metric, cycle, state, policy, target, started, due, stopped, breached, ...)
            rollups.add_clock(
                counts,
                ticket_id=pk_of[r.ticket],
                dims=dims,
                metric=c[0],
                state=c[2],
                policy=c[3],
                stopped_us=c[7],
                breached_us=c[8],
                warned=c[10] != "[]",  # serialised already
                sign=1,
            )
    rollups.apply(s.connection(), tenant, counts)


def _insert_sqlite(
    s: Session,
    events: list[tuple[Any, ...]],
    clocks: list[tuple[Any, ...]],
    log: list[tuple[Any, ...]],
) -> None:
    """One executemany per table on the session's connection (so in its transaction).

    The rows are plain tuples with JSON already serialised, handed to the driver as they
    are: a Core `insert()` with a list of dicts spends twice as long per row compiling
    parameters and running bind processors (measured: 8.4 against 3.8 us a row)."""
    conn = s.connection()
    for sql, rows in zip(_SQLITE_INSERTS, (events, clocks, log), strict=True):
        if rows:
            conn.exec_driver_sql(sql, rows)


def _copy_postgres(
    s: Session,
    events: list[tuple[Any, ...]],
    clocks: list[tuple[Any, ...]],
    log: list[tuple[Any, ...]],
) -> None:
    """COPY on the session's own connection, so the rows are part of its transaction."""
    raw = s.connection().connection.driver_connection
    assert isinstance(raw, psycopg.Connection)
    try:
        with raw.cursor() as cur:
            for sql, rows in zip(_POSTGRES_COPIES, (events, clocks, log), strict=True):
                if rows:
                    with cur.copy(sql) as cp:
                        for row in rows:
                            cp.write_row(row)
    except psycopg.errors.UniqueViolation as exc:
        raise _Race(str(exc)) from None


# ---------------------------------------------------------------------------------------
# the import
# ---------------------------------------------------------------------------------------

_WORKER: _Batches | None = None


def _worker_init(
    url: str,
    is_sqlite: bool,
    tenant_id: int,
    version: int,
    fmt: ImportFormat,
    spec: _CsvSpec | None,
    turn: AbstractContextManager[Any] | None,
    actor: str,
) -> None:
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C stops
    engine = make_engine(url, pool_size=1, max_overflow=1)
    mp_util.Finalize(None, engine.dispose, exitpriority=10)  # close the connection on exit
    svc = Services(engine=engine, write_engine=writer(engine), is_sqlite=is_sqlite)
    config = sla_config(svc, tenant_id=tenant_id, version=version)
    _WORKER = _Batches(svc, tenant_id=tenant_id, version=version, config=config, fmt=fmt, spec=spec)
    if turn is not None:
        _WORKER.turn = turn
    _WORKER.actor = actor


def _worker_run(job: _Job) -> BatchReport:
    assert _WORKER is not None
    return _WORKER.run(job)


# Default workers: one per CPU, at most this many (each holds a database connection; on
# SQLite they take turns to write, so more would only wait).
MAX_DEFAULT_WORKERS = 8


def _default_workers() -> int:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(cpus or 1, MAX_DEFAULT_WORKERS)


def import_file(
    svc: Services,
    *,
    principal: Principal,
    path: Path,
    fmt: str | None = None,
    batch: int = 500,
    workers: int | None = None,
    progress: Callable[[ImportProgress], None] | None = None,
    after_batch: Callable[[BatchReport], None] | None = None,
) -> ImportSummary:
    """Import every ticket of the file; see the module docstring and docs/import.md.

    `workers` processes validate and write batches in parallel (default: one per CPU, at
    most 8; 0 or 1: all in this process). `after_batch` is called after each batch commits.
    Ctrl-C stops after the batches being written commit; the summary then says
    `interrupted`, and running the same import again completes it.
    """
    require(principal, Role.AGENT)
    form = guess_format(path, fmt)
    if batch < 1:
        raise ConfigError("the batch size is at least 1", "--batch")
    if not path.is_file():
        raise ConfigError(f"no such file: {path}", "FILE")
    version = latest_version(svc, tenant_id=principal.tenant_id)
    if version is None:
        raise ConflictError("this tenant has no configuration yet: apply one before importing")
    config = sla_config(svc, tenant_id=principal.tenant_id, version=version)

    started = time.perf_counter()
    summary = ImportSummary(str(path), form.value, principal.tenant)
    run = _ImportRun(svc, principal.tenant_id, version, config, summary, progress, after_batch)
    run.actor = principal.actor  # as create_ticket has it
    try:
        run.all(_Reader(path, form), batch, workers)
    except KeyboardInterrupt:
        summary.interrupted = True
    summary.elapsed = time.perf_counter() - started
    return summary


class _ImportRun:
    """One import: the scan, the batches, the linked tickets, and what they added up to."""

    def __init__(
        self,
        svc: Services,
        tenant_id: int,
        version: int,
        config: SlaConfig,
        summary: ImportSummary,
        progress: Callable[[ImportProgress], None] | None,
        after_batch: Callable[[BatchReport], None] | None,
    ) -> None:
        self.svc = svc
        self.tenant_id = tenant_id
        self.version = version
        self.config = config
        self.summary = summary
        self.progress = progress
        self.after_batch = after_batch
        self.state = ImportProgress("scan")
        self.deferred: list[_Unit] = []
        self.analyze_at = 0  # PostgreSQL: imported tickets at which to run _analyze
        self.actor = ""

    def all(self, reader: _Reader, batch: int, workers: int | None) -> None:
        svc, summary, state = self.svc, self.summary, self.state
        state.bytes_total = reader.path.stat().st_size
        index = _scan(reader, self.scanned)
        summary.lines = index.lines
        summary.tickets = len(index.ids)
        summary.rejections.extend(index.malformed)
        state.phase, state.tickets_total = "import", len(index.ids)
        importer = _Batches(
            svc,
            tenant_id=self.tenant_id,
            version=self.version,
            config=self.config,
            fmt=reader.fmt,
            spec=index.spec,
        )
        importer.in_file = set(index.ids)
        importer.actor = self.actor
        self.analyze_at = 0 if svc.is_sqlite else batch
        jobs = _jobs(svc, _units(reader, index), batch, links_now=False)
        count = _pool_size(svc, workers, -(-len(index.ids) // batch))
        summary.workers = max(count, 1)
        if count > 1:
            _run_parallel(svc, importer, jobs, count, self.done)
        else:
            for job in jobs:
                self.done(importer.run(job), len(job.units))
        _run_linked(svc, importer, self.deferred, batch, self.done)

    def scanned(self, done: int) -> None:
        self.state.bytes_read = done
        if self.progress is not None:
            self.progress(self.state)

    def done(self, report: BatchReport, units: int) -> None:
        summary, state = self.summary, self.state
        summary.add(report)
        if self.analyze_at and summary.imported >= self.analyze_at:
            _analyze(self.svc)
            self.analyze_at = 2 * summary.imported
        self.deferred.extend(report.deferred)
        state.tickets_done += units - len(report.deferred)
        state.events_imported = summary.events_imported
        if self.progress is not None:
            self.progress(state)
        if self.after_batch is not None:
            self.after_batch(report)


def _analyze(svc: Services) -> None:
    """Fresh planner statistics for `tickets` (PostgreSQL).

    The batches look tickets up by `tenant_id = :t AND external_id = ANY(:ids)`. Until
    the table has statistics the planner guesses that few rows have the tenant and may
    read all of them through another (tenant_id, ...) index instead of the unique one:
    a full scan of the tenant per batch, quadratic over an import. Autovacuum analyses
    too late for a table that grows this fast, so the import does it after its first
    batch and whenever its count of imported tickets has doubled (~30,000 sampled rows,
    well under a second). Without the right to (not the table's owner), PostgreSQL only
    warns and skips it.
    """
    with svc.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE tickets")


def _jobs(svc: Services, units: Iterable[_Unit], size: int, *, links_now: bool) -> Iterator[_Job]:
    number = 0
    chunk: list[_Unit] = []
    for unit in units:
        chunk.append(unit)
        if len(chunk) >= size:
            number += 1
            yield _Job(number, svc.clock(), chunk, links_now)
            chunk = []
    if chunk:
        yield _Job(number + 1, svc.clock(), chunk, links_now)


def _pool_size(svc: Services, workers: int | None, batches: int) -> int:
    if svc.is_sqlite and svc.write_engine.url.database in (None, "", ":memory:"):
        return 0  # an in-memory database exists in this process only
    wanted = _default_workers() if workers is None else workers
    return max(0, min(wanted, batches))


def _run_parallel(
    svc: Services,
    importer: _Batches,
    jobs: Iterator[_Job],
    count: int,
    done: Callable[[BatchReport, int], None],
) -> None:
    # Workers are forked: they start at once, whatever the caller's __main__ does. They
    # must not share this process's pooled connections, so the pool is emptied first.
    svc.engine.dispose()
    gc.collect()  # nothing left for a child to finalise (and close) behind our back
    ctx = mp.get_context("fork")
    pool = ProcessPoolExecutor(
        max_workers=count,
        mp_context=ctx,
        initializer=_worker_init,
        initargs=(
            svc.write_engine.url.render_as_string(hide_password=False),
            svc.is_sqlite,
            importer.tenant_id,
            importer.version,
            importer.fmt,
            importer.spec,
            ctx.Lock() if svc.is_sqlite else None,
            importer.actor,
        ),
    )
    pending: dict[Future[BatchReport], int] = {}
    try:
        for job in jobs:
            while len(pending) >= 2 * count:
                _collect(pending, done)
            pending[pool.submit(_worker_run, job)] = len(job.units)
        while pending:
            _collect(pending, done)
    except KeyboardInterrupt:
        # Let the batches being written finish, and count those that committed.
        pool.shutdown(wait=True, cancel_futures=True)
        for fut, units in pending.items():
            if not fut.cancelled() and fut.exception() is None:
                done(fut.result(), units)
        raise
    finally:
        # On an error or Ctrl-C: batches not started are dropped, running ones finish
        # (each commits whole or not at all); the next run skips what was committed.
        pool.shutdown(wait=True, cancel_futures=True)


def _collect(
    pending: dict[Future[BatchReport], int], done: Callable[[BatchReport, int], None]
) -> None:
    finished, _ = wait(pending, return_when=FIRST_COMPLETED)
    for fut in finished:
        units = pending.pop(fut)
        done(fut.result(), units)


def _link_targets(draft: _Draft) -> set[str]:
    return {
        str(e[name])
        for e in draft.events
        if isinstance(e, Mapping)
        for name in ("original", "cause")
        if name in e
    }


def _run_linked(
    svc: Services,
    importer: _Batches,
    units: list[_Unit],
    size: int,
    done: Callable[[BatchReport, int], None],
) -> None:
    """Tickets with links, last and in this process. A ticket whose target is another
    ticket of this phase waits for it; rounds go on until nothing more can go in."""
    number = 1_000_000
    while units:
        waiting = {ticket for ticket, _ in units}
        now_units: list[_Unit] = []
        later: list[_Unit] = []
        for unit in units:
            targets = _link_targets(importer.draft(unit)) - {unit[0]}
            (later if targets & waiting else now_units).append(unit)
        if not now_units:  # only cycles are left: the link checks name them
            now_units, later = later, []
        for chunk in _chunks(now_units, size):
            number += 1
            job = _Job(number, svc.clock(), list(chunk), links_now=True)
            done(importer.run(job), len(chunk))
        units = later
