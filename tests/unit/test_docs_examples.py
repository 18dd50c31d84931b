"""The examples of the user documentation (docs/*.md, README.md) work as documented.

Users copy these examples, so each fenced block is read from the documents themselves:

- every ```yaml block is a configuration or a fragment of one. A fragment is placed into
  the example configuration (examples/slaguard.yaml with the escalation sections of
  examples/escalations.yaml, so that its references resolve) and the whole is validated.
  A block that cannot be placed by its top-level sections, or that shows something the
  service refuses, is listed in PLACED or REFUSED below: a new block that is in neither
  and cannot be placed fails the test, it is never skipped;
- every ```json and ```csv block is listed in JSON_CHECKS / CSV_CHECKS with the parser
  or response it documents (request bodies must be accepted, responses must have the
  shape the code gives);
- every `$ slaguard ...` command of a ```console block, the README's commands and
  Python, and the doctests of docs/calendars.md print what the document shows.
"""

from __future__ import annotations

import copy
import doctest
import json
import re
import shlex
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from slaguard.api.errors import error_content
from slaguard.app import imports
from slaguard.app.ingest import refusal
from slaguard.cli import main
from slaguard.config.model import _Root, load_config, parse_config
from slaguard.domain.errors import ConfigError, TicketError
from slaguard.domain.hub import DEFAULT_OWNERS
from slaguard.ingest import parse_webhook
from slaguard.schemas.ticket import parse_ticket

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
EXAMPLE = ROOT / "examples" / "slaguard.yaml"
ESCALATION_EXAMPLE = ROOT / "examples" / "escalations.yaml"

# The ${...} references of the escalation examples (docs/escalations.md).
ENV = {
    "SLACK_WEBHOOK_URL": "https://hooks.slack.test/services/T0/B0/xyz",
    "HOOK_SECRET": "s3cr3t",
    "TEAMS_WEBHOOK_URL": "https://teams.test/webhook/abc",
}

SECTIONS = set(_Root.model_fields)
NOW = "2026-11-25T12:00:00+01:00"


# ---------------------------------------------------------------------------------------
# the blocks
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    doc: str  # "docs/policies.md", "README.md"
    lang: str
    line: int  # of the opening fence, from 1
    text: str  # the indentation of the fence removed

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}"


_FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
_CLOSE = re.compile(r"^\s*```\s*$")


def _read_blocks(path: Path) -> Iterator[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    name = path.relative_to(ROOT).as_posix()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        indent, lang, start = m.group(1), m.group(2), i + 1
        body = []
        i += 1
        while i < len(lines) and not _CLOSE.match(lines[i]):
            body.append(lines[i].removeprefix(indent))
            i += 1
        assert i < len(lines), f"{name}:{start}: the block is never closed"
        yield Block(name, lang, start, "\n".join(body) + "\n")
        i += 1


BLOCKS = [b for path in DOCUMENTS for b in _read_blocks(path)]


def blocks(lang: str) -> list[Block]:
    return [b for b in BLOCKS if b.lang == lang]


def the_block(doc: str, lang: str, contains: str) -> Block:
    found = [b for b in blocks(lang) if b.doc == doc and contains in b.text]
    assert len(found) == 1, f"{len(found)} {lang} blocks of {doc} contain {contains!r}"
    return found[0]


def block_after(block: Block, lang: str) -> Block:
    """The first block of `lang` after `block` in the same document."""
    later = [b for b in BLOCKS if b.doc == block.doc and b.line > block.line and b.lang == lang]
    assert later, f"no {lang} block after {block}"
    return later[0]


def ids(items: list[Block]) -> list[str]:
    return [str(b) for b in items]


def test_the_documents_have_examples() -> None:
    """A guard against the extraction silently finding nothing."""
    assert len(blocks("yaml")) >= 12
    assert len(blocks("json")) >= 6
    assert len(blocks("console")) >= 3


# ---------------------------------------------------------------------------------------
# YAML: configurations and fragments of them
# ---------------------------------------------------------------------------------------


def base_config() -> dict[str, Any]:
    """The complete example configuration, with channels, people, ladders and triggers."""
    doc: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    escalation = yaml.safe_load(ESCALATION_EXAMPLE.read_text(encoding="utf-8"))
    for section in ("channels", "people", "escalations", "triggers"):
        doc.setdefault(section, escalation[section])
    return doc


def merge(config: dict[str, Any], fragment: dict[str, Any]) -> dict[str, Any]:
    """`config` with the sections of `fragment`: a named entry of a mapping section
    (a calendar, a workflow, a channel, ...) is added or replaced, any other section
    (the policy list, the ladders, `reports`, ...) replaced whole."""
    out = copy.deepcopy(config)
    for section, value in fragment.items():
        if isinstance(value, dict) and isinstance(out.get(section), dict) and section != "hub":
            out[section] = {**out[section], **value}
        else:
            out[section] = value
    return out


def _milestone(config: dict[str, Any], fragment: dict[str, Any]) -> dict[str, Any]:
    """A custom milestone: a target of a policy, placed in the `implementation` policy
    of the example (whose workflow has the statuses it names)."""
    out = copy.deepcopy(config)
    (policy,) = [p for p in out["policies"] if p["name"] == "implementation"]
    policy["targets"].update(fragment)
    return out


# Blocks that are not whole sections: (document, a substring of exactly one of its yaml
# blocks) -> how the fragment is placed into the configuration.
PLACED: dict[tuple[str, str], Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]] = {
    ("docs/policies.md", "provisioning_time:"): _milestone,
}

# Blocks shown as configurations that are refused: (document, substring) -> the document
# and substring of the block that shows the error, as the command line prints it.
REFUSED: dict[tuple[str, str], tuple[str, str]] = {
    ("docs/calendars.md", "Europe/Berlni"): ("console", "error: calendars.broken."),
}


def _key(block: Block, table: dict[tuple[str, str], Any]) -> tuple[str, str] | None:
    keys = [k for k in table if k[0] == block.doc and k[1] in block.text]
    assert len(keys) <= 1, f"{block}: matched by {keys}"
    return keys[0] if keys else None


def place(block: Block) -> dict[str, Any]:
    fragment = yaml.safe_load(block.text)
    assert isinstance(fragment, dict), f"{block}: not a mapping"
    key = _key(block, PLACED)
    if key is not None:
        return PLACED[key](base_config(), fragment)
    unknown = set(fragment) - SECTIONS
    assert not unknown, (
        f"{block}: {sorted(unknown)} are not sections of a configuration: "
        "say in PLACED how this fragment is placed"
    )
    return merge(base_config(), fragment)


def test_the_base_configuration_is_valid() -> None:
    parse_config(base_config(), ENV)
    load_config(EXAMPLE)
    load_config(ESCALATION_EXAMPLE, ENV)


def test_every_table_entry_names_one_block() -> None:
    for doc, contains in [*PLACED, *REFUSED]:
        the_block(doc, "yaml", contains)


@pytest.mark.parametrize("block", blocks("yaml"), ids=ids(blocks("yaml")))
def test_yaml_example(block: Block) -> None:
    config = place(block)
    key = _key(block, REFUSED)
    if key is None:
        parsed = parse_config(config, ENV)
        # what the block defines is what was validated
        fragment = yaml.safe_load(block.text)
        assert set(fragment.get("calendars", {})) <= set(parsed.calendars)
        if "policies" in fragment:
            assert [p.name for p in parsed.policies.policies] == [
                p["name"] for p in fragment["policies"]
            ]
        assert set(fragment.get("channels", {})) <= set(parsed.escalation.channels)
        return
    lang, contains = REFUSED[key]
    shown = the_block(block.doc, lang, contains)
    (line,) = [x for x in shown.text.splitlines() if contains in x]
    with pytest.raises(ConfigError) as info:
        parse_config(config, ENV)
    assert f"error: {info.value}" == line


def test_the_calendar_example_is_the_example_file() -> None:
    """docs/calendars.md: "This is `examples/calendars.yaml`"."""
    block = the_block("docs/calendars.md", "yaml", "new-york-nights:")
    assert block.text == (ROOT / "examples" / "calendars.yaml").read_text(encoding="utf-8")


def test_the_hub_defaults_are_the_documented_ones() -> None:
    """docs/policies.md: each lane's default owner, in brackets."""
    block = the_block("docs/policies.md", "yaml", "hub:")
    written = dict(re.findall(r"^\s+(\w+): \{owner: [^}]*\}\s+# \[([^\]]+)\]", block.text, re.M))
    assert written == dict(DEFAULT_OWNERS)
    without = {k: v for k, v in base_config().items() if k != "hub"}
    owners = parse_config(without, ENV).hub.owners
    assert dict(owners) == written


# The error messages the documents show in plain blocks, with the change that causes them.


def _with(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    config = base_config()
    change(config)
    return config


def _target(metric: str, priority: str, value: str) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        config["policies"][2]["targets"][metric][priority] = value

    return change


def _ladder(config: dict[str, Any]) -> None:
    levels = config["escalations"][0]["levels"]
    levels[1]["when"] = "soon"
    levels[0]["notify"] = ["assignee", "oncall-pager"]


SHOWN_ERRORS = [
    ("docs/policies.md", "P5", _target("resolution", "P5", "1h")),
    ("docs/policies.md", "1000000h", _target("resolution", "P1", "1000000h")),
    ("docs/escalations.md", "'soon'", _ladder),
]


@pytest.mark.parametrize(("doc", "contains", "change"), SHOWN_ERRORS)
def test_the_errors_shown_are_the_errors_given(
    doc: str, contains: str, change: Callable[[dict[str, Any]], None]
) -> None:
    shown = the_block(doc, "", contains)
    with pytest.raises(ConfigError) as info:
        parse_config(_with(change), ENV)
    given = [f"{d.path}: {d.message}" for d in info.value.details]
    for line in shown.text.splitlines():
        line = line.split("error: ", 1)[-1]
        if not line or line.startswith("$"):
            continue
        # "..." stands for the rest of a long message
        pattern = ".*".join(re.escape(part) for part in line.split("..."))
        assert any(re.fullmatch(pattern, g) for g in given), (line, given)


# ---------------------------------------------------------------------------------------
# JSON: request bodies and responses
# ---------------------------------------------------------------------------------------


def like(shown: Any, real: Any) -> None:
    """`shown` is `real`, where "..." in a shown text stands for any text."""
    if isinstance(shown, dict):
        assert isinstance(real, dict)
        assert shown.keys() == real.keys()
        for k in shown:
            like(shown[k], real[k])
    elif isinstance(shown, list):
        assert isinstance(real, list)
        assert len(shown) == len(real)
        for a, b in zip(shown, real, strict=True):
            like(a, b)
    elif isinstance(shown, str) and "..." in shown:
        pattern = ".*".join(re.escape(part) for part in shown.split("..."))
        assert isinstance(real, str)
        assert re.fullmatch(pattern, real), (shown, real)
    else:
        assert shown == real


def _api_error(block: Block) -> None:
    """docs/api.md: the error shape, for an event time without an offset."""
    shown = json.loads(block.text)
    with pytest.raises(TicketError) as info:
        parse_ticket(
            {"id": "T-1", "events": [{"type": "created", "at": "2026-11-23T09:00:00"}]},
            load_config(EXAMPLE),
        )
    exc = info.value
    like(shown, error_content(exc.code, str(exc), exc.details))


def _refusal(block: Block) -> None:
    """docs/ingest.md: the one 401 of a signed webhook that is not accepted."""
    exc = refusal("jira")
    assert json.loads(block.text) == error_content(exc.code, str(exc))


def _skipped(block: Block) -> None:
    """docs/ingest.md: a Jira issue deleted is answered 200, nothing stored."""
    deleted = {
        "webhookEvent": "jira:issue_deleted",
        "timestamp": 1795417200000,
        "issue": {"key": "SUP-1", "fields": {}},
    }
    mapped = parse_webhook("jira", json.dumps(deleted).encode())
    assert json.loads(block.text) == {"ticket": None, "events": [], "skipped": mapped.skipped}


def _generic(block: Block) -> None:
    """docs/ingest.md: the generic format's three shapes, each line one body; the ticket
    schema takes the ticket and all their events."""
    bodies = [line for line in block.text.splitlines() if line.strip()]
    assert [type(json.loads(b)).__name__ for b in bodies] == ["dict", "list", "dict"]
    ticket: dict[str, Any] = {}
    events: list[dict[str, Any]] = []
    for body in bodies:
        mapped = parse_webhook("generic", body.encode())
        assert mapped.skipped is None
        ticket.update(mapped.ticket)
        events.extend(mapped.events)
    shown = [e["id"] for b in map(json.loads, bodies) for e in _events_of(b)]
    assert [e["id"] for e in events] == shown  # the events keep their own keys
    parse_ticket({**ticket, "events": events}, load_config(EXAMPLE))


def _events_of(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, list):
        return body
    return body["events"] if isinstance(body["ticket"], dict) else [body]


def _imported(tmp_path: Path, block: Block, fmt: str) -> list[imports._Ready]:
    """The tickets of an import file as the import validates and evaluates them (every
    step of `slaguard import` but the writes), all accepted."""
    path = tmp_path / f"tickets.{fmt}"
    path.write_text(block.text, encoding="utf-8")
    reader = imports._Reader(path, imports.guess_format(path))
    index = imports._scan(reader, None)
    assert index.malformed == []
    config = load_config(EXAMPLE)
    ready = []
    for ticket, lines in imports._units(reader, index):
        if fmt == "csv":
            assert index.spec is not None
            draft = imports._assemble_csv(ticket, lines, index.spec)
        else:
            draft = imports._assemble_jsonl(ticket, lines)
        found = imports._prepare(draft, imports._key_events(draft), config, 0)
        assert isinstance(found, imports._Ready), found
        ready.append(found)
    return ready


def _import_lines(block: Block, tmp_path: Path) -> None:
    """docs/import.md: the JSON-lines example imports whole; T-2, made of its events
    alone, is stored as just its id."""
    ready = {r.ticket: r for r in _imported(tmp_path, block, "jsonl")}
    assert set(ready) == {"T-1", "T-2"}
    assert ready["T-2"].fields == {"id": "T-2"}
    assert len(ready["T-1"].docs) == 3
    assert len(ready["T-2"].docs) == 2


def _import_summary(block: Block) -> None:
    """docs/import.md: the fields of `slaguard import --json`."""
    shown = json.loads(block.text)
    problem = imports.Problem((15,), "events[2].at", "...")
    summary = imports.ImportSummary("tickets.jsonl", "jsonl", "acme")
    summary.rejections = [
        imports.Rejection("T-900", "invalid", (4, 8, 15), (problem,)),
        imports.Rejection(None, "malformed", (6,), (imports.Problem((6,), "", "..."),)),
    ]
    real = summary.as_json()
    assert list(shown) == list(real)
    for a, b in zip(shown["rejections"], real["rejections"], strict=True):
        assert list(a) == list(b)
        assert [list(e) for e in a["errors"]] == [list(e) for e in b["errors"]]


# (document, a substring of exactly one of its json blocks) -> its check.
JSON_CHECKS: dict[tuple[str, str], Callable[..., None]] = {
    ("docs/api.md", '"invalid_ticket"'): _api_error,
    ("docs/ingest.md", '"invalid_signature"'): _refusal,
    ("docs/ingest.md", '"skipped"'): _skipped,
    ("docs/ingest.md", '"customer_reply"'): _generic,
    ("docs/import.md", '"T-1", "type": "support"'): _import_lines,
    ("docs/import.md", '"rejections"'): _import_summary,
}


@pytest.mark.parametrize("block", blocks("json"), ids=ids(blocks("json")))
def test_json_example(block: Block, tmp_path: Path) -> None:
    key = _key(block, JSON_CHECKS)
    assert key is not None, f"{block}: no check in JSON_CHECKS for this json block"
    check = JSON_CHECKS[key]
    if "tmp_path" in check.__code__.co_varnames[: check.__code__.co_argcount]:
        check(block, tmp_path)
    else:
        check(block)


def test_every_json_check_names_one_block() -> None:
    for doc, contains in JSON_CHECKS:
        the_block(doc, "json", contains)


def test_csv_examples(tmp_path: Path) -> None:
    """docs/import.md: the CSV example imports whole, with the ticket fields of the
    first row that has them."""
    (block,) = blocks("csv")
    assert block.doc == "docs/import.md"
    ready = {r.ticket: r for r in _imported(tmp_path, block, "csv")}
    assert set(ready) == {"T-1", "T-2"}
    assert ready["T-1"].fields == {
        "id": "T-1",
        "priority": "high",
        "tier": "enterprise",
        "channel": "email",
        "tags": ["vat", "billing"],
        "custom_fields": {"region": "emea"},
    }
    assert len(ready["T-1"].docs) == 4


# ---------------------------------------------------------------------------------------
# commands and Python
# ---------------------------------------------------------------------------------------


def slaguard(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """Run the `slaguard` command in this process: (exit code, stdout and stderr)."""
    monkeypatch.setattr(sys, "argv", ["slaguard", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 0 if code is None else 1), out.out + out.err


def console_commands() -> list[tuple[str, str, str]]:
    """(block, command, what it prints) of each `$ slaguard ...` in a console block."""
    found: list[tuple[str, str, list[str]]] = []
    for block in blocks("console"):
        for line in block.text.splitlines():
            if line.startswith("$ "):
                found.append((str(block), line[2:], []))
            else:
                assert found, f"{block}: output before any command"
                found[-1][2].append(line)
    return [(where, cmd, "\n".join(out)) for where, cmd, out in found]


@pytest.mark.parametrize(("where", "command", "shown"), console_commands())
def test_console_example(
    where: str,
    command: str,
    shown: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each command, run beside the repository's examples (and the document's broken.yaml),
    prints what the document shows; an `error:` exits 2, anything else 0."""
    args = shlex.split(command)
    assert args[0] == "slaguard", where
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    broken = the_block("docs/calendars.md", "yaml", "Europe/Berlni")
    (tmp_path / "broken.yaml").write_text(broken.text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out = slaguard(args[1:], monkeypatch, capsys)
    assert out.rstrip("\n") == shown
    assert code == (2 if shown.startswith("error:") else 0)


def test_the_readme_commands(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """README.md: the calendar and explain commands run as written, in a checkout."""
    block = the_block("README.md", "sh", "calendar add")
    monkeypatch.chdir(ROOT)
    commands = block.text.replace("\\\n", " ").splitlines()
    assert len(commands) == 2
    for command in commands:
        shown = command.split("# -> ", 1)[1].strip() if "# -> " in command else None
        args = shlex.split(command, comments=True)
        assert args[0] == ".venv/bin/slaguard"
        code, out = slaguard(args[1:], monkeypatch, capsys)
        assert code == 0, out
        if shown is not None:
            assert out.strip() == shown
        else:
            assert "first_response" in out


def test_the_readme_python() -> None:
    block = the_block("README.md", "python", "BusinessCalendar")
    *body, last, comment = block.text.strip().splitlines()
    namespace: dict[str, Any] = {}
    exec("\n".join(body), namespace)  # noqa: S102 - the document's own example
    result = eval(last, namespace)  # noqa: S307 - the document's own example
    assert comment.startswith("# -> ")
    assert f"{result:%Y-%m-%d %H:%M%z}".replace("+0100", "+01:00") in comment


def test_the_calendar_doctests() -> None:
    """docs/calendars.md: its Python sessions print what they show."""
    result = doctest.testfile(
        str(ROOT / "docs" / "calendars.md"), module_relative=False, verbose=False
    )
    assert result.attempted > 30
    assert result.failed == 0


def test_the_signature_check_for_receivers() -> None:
    """docs/notifications.md: a receiver's check accepts what slaguard signs, and only that."""
    from slaguard.notify.webhook import sign

    block = the_block("docs/notifications.md", "python", "def is_from_slaguard")
    namespace: dict[str, Any] = {}
    exec(block.text, namespace)  # noqa: S102 - the document's own example
    check = namespace["is_from_slaguard"]
    body = b'{"delivery":"d-1","kind":"breach"}'
    assert check(body, sign(body, "s3cr3t"), "s3cr3t")
    assert not check(body, sign(body, "other"), "s3cr3t")
    assert not check(body + b" ", sign(body, "s3cr3t"), "s3cr3t")
    assert not check(body, None, "s3cr3t")
