"""The escalation sections (channels, people, escalations, triggers) -> EscalationConfig:
the example, each error with its path, every error at once, and the level thresholds."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import time
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from slaguard.config.model import load_config, parse_config
from slaguard.domain.errors import ConfigError
from slaguard.domain.escalation import (
    Action,
    ActionKind,
    ChannelType,
    EscalationConfig,
    LevelKind,
    QuietHours,
    Stage,
    TeamPeople,
    When,
)
from slaguard.domain.workflow import StatusCategory

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "escalations.yaml"

SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

ENV = {
    "SLACK_WEBHOOK_URL": "https://hooks.slack.test/services/T0/B0/xyz",
    "HOOK_SECRET": "s3cr3t",
    "TEAMS_WEBHOOK_URL": "https://teams.test/webhook/abc",
}


def example() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    return doc


def details(doc: dict[str, Any], environ: dict[str, str] = ENV) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as info:
        parse_config(doc, environ)
    return [(d.path, d.message) for d in info.value.details]


# ---------------------------------------------------------------------------------------
# The example file
# ---------------------------------------------------------------------------------------


def test_the_example_parses_into_domain_objects() -> None:
    esc = load_config(EXAMPLE, ENV).escalation

    (ladder,) = esc.ladders
    assert ladder.name == "standard-ladder"
    assert ladder.policies == frozenset({"standard"})
    assert ladder.match.conditions == {}
    first, second, third = ladder.levels
    assert [lv.index for lv in ladder.levels] == [1, 2, 3]

    assert first.when == When(LevelKind.PERCENT, fraction=0.5, label="50%")
    assert first.metrics == frozenset({"first_response", "resolution"})
    assert first.actions == (Action(ActionKind.NOTIFY, ("assignee", "ops-slack")),)
    assert first.repeat_every_us is None

    assert second.when == When(LevelKind.BREACH, label="breach")
    assert second.metrics is None
    assert second.actions == (
        Action(ActionKind.ASSIGN, {"team": "tier2"}),
        Action(ActionKind.PRIORITY, "raise"),
        Action(ActionKind.NOTIFY, ("team_lead", "sla-hook")),
    )

    assert third.when == When(LevelKind.AFTER, offset_us=4 * HOUR, label="4h after breach")
    assert third.actions == (Action(ActionKind.NOTIFY, ("manager", "leads-mail")),)
    assert third.repeat_every_us == HOUR

    # classify, assign, notify; in the order written within a stage
    assert [(t.name, t.stage) for t in esc.triggers] == [
        ("critical-to-oncall", Stage.ASSIGN),
        ("vip-to-account-manager", Stage.ASSIGN),
        ("reopen-on-reply", Stage.ASSIGN),
        ("idle-4h", Stage.ASSIGN),
        ("security-parallel", Stage.NOTIFY),
    ]
    by_name = {t.name: t for t in esc.triggers}
    critical = by_name["critical-to-oncall"]
    assert critical.events == frozenset({"created"})
    assert critical.idle_us is None
    assert critical.match.conditions == {"priority": ("P1",)}
    assert critical.actions == (
        Action(ActionKind.ASSIGN, {"team": "oncall"}),
        Action(ActionKind.NOTIFY, ("oncall-sms",)),
    )
    assert by_name["vip-to-account-manager"].match.conditions == {"vip": (True,)}
    assert by_name["vip-to-account-manager"].actions == (
        Action(ActionKind.ASSIGN, {"role": "account_manager"}),
    )
    assert by_name["security-parallel"].actions == (
        Action(ActionKind.NOTIFY, ("legal", "security")),
    )
    reopen = by_name["reopen-on-reply"]
    assert reopen.events == frozenset({"customer_reply"})
    assert reopen.categories == frozenset({StatusCategory.DONE})
    assert reopen.actions == (
        Action(ActionKind.STATUS, "open"),
        Action(ActionKind.ASSIGN, {"role": "senior"}),
    )
    idle = by_name["idle-4h"]
    assert idle.events == frozenset()
    assert idle.idle_us == 4 * HOUR
    assert idle.categories == frozenset({StatusCategory.ACTIVE})
    assert idle.reacts_to("created") is False
    assert idle.actions == (
        Action(ActionKind.PRIORITY, "raise"),
        Action(ActionKind.ASSIGN, {"team": "tier2"}),
    )


def test_the_example_channels_after_substitution() -> None:
    channels = load_config(EXAMPLE, ENV).escalation.channels
    assert {name: (c.type, dict(c.settings)) for name, c in channels.items()} == {
        "ops-slack": (ChannelType.SLACK, {"url": ENV["SLACK_WEBHOOK_URL"]}),
        "sla-hook": (
            ChannelType.WEBHOOK,
            {"url": "https://example.test/sla", "secret": "s3cr3t"},
        ),
        "leads-mail": (ChannelType.EMAIL, {"to": ["support-leads@example.com"]}),
        "digest-mail": (ChannelType.EMAIL, {"to": ["support-leads@example.com"]}),
        "teams-room": (ChannelType.TEAMS, {"url": ENV["TEAMS_WEBHOOK_URL"]}),
        "oncall-sms": (ChannelType.SMS, {"provider": "twilio", "to": ["+4912345678"]}),
    }
    assert channels["ops-slack"].digest_us is None
    assert channels["digest-mail"].digest_us == 15 * MINUTE
    assert channels["digest-mail"].quiet == QuietHours(time(20), time(7), ZoneInfo("Europe/Berlin"))


def test_a_teams_channel_may_ask_for_a_message_card() -> None:
    doc = example()
    doc["channels"]["teams-room"]["format"] = "message"
    config = parse_config(doc, environ=ENV)
    settings = config.escalation.channels["teams-room"].settings
    assert dict(settings) == {"url": ENV["TEAMS_WEBHOOK_URL"], "format": "message"}


def test_the_example_people() -> None:
    people = load_config(EXAMPLE, ENV).escalation.people
    assert people.teams == {
        "tier1": TeamPeople("ana@example.com", "max@example.com", ("li@example.com",)),
        "tier2": TeamPeople("ben@example.com", "max@example.com", ()),
    }
    assert people.roles["legal"] == ("legal@example.com",)  # a single person
    assert people.roles["security"] == ("sec-oncall@example.com", "+4915112345678")
    assert set(people.roles) == {"account_manager", "senior", "legal", "security"}
    assert people.quiet["max@example.com"] == QuietHours(
        time(22), time(7), ZoneInfo("Europe/Berlin")
    )


def test_the_documented_sections_parse() -> None:
    doc = example()
    text = (ROOT / "docs" / "escalations.md").read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```yaml\n")[1:]]
    assert len(blocks) == 4
    for block in blocks:
        doc.update(yaml.safe_load(block))
    esc = parse_config(doc, ENV).escalation
    assert len(esc.channels) == 6
    assert len(esc.ladders[0].levels) == 3
    assert len(esc.triggers) == 5


def test_the_process_environment_is_read_when_none_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    channels = load_config(EXAMPLE).escalation.channels
    assert channels["sla-hook"].settings["secret"] == "s3cr3t"


def test_dollar_signs_and_references_within_text() -> None:
    doc = example()
    doc["channels"]["sla-hook"]["secret"] = "$$a$$${HOOK_SECRET}$b"
    doc["channels"]["ops-slack"]["url"] = "https://x.test/${SLACK_TOKEN}/post"
    channels = parse_config(doc, {**ENV, "SLACK_TOKEN": "tok"}).escalation.channels
    assert channels["sla-hook"].settings["secret"] == "$a$s3cr3t$b"
    assert channels["ops-slack"].settings["url"] == "https://x.test/tok/post"


def test_absent_sections_give_an_empty_escalation_config() -> None:
    doc = example()
    for section in ("channels", "people", "escalations", "triggers"):
        del doc[section]
    assert parse_config(doc).escalation == EscalationConfig()
    doc["channels"] = None  # an empty section is no section
    doc["triggers"] = None
    assert parse_config(doc).escalation.empty


def test_when_forms_and_their_labels() -> None:
    doc = example()
    doc["escalations"][0]["levels"] = [
        {"when": w, "notify": ["assignee"]}
        for w in ("12.5%", "150%", "30m before", "1h30m  after   breach", "BREACH")
    ]
    levels = parse_config(doc, ENV).escalation.ladders[0].levels
    assert [lv.when for lv in levels] == [
        When(LevelKind.PERCENT, fraction=0.125, label="12.5%"),
        When(LevelKind.PERCENT, fraction=1.5, label="150%"),
        When(LevelKind.BEFORE, offset_us=30 * MINUTE, label="30m before"),
        When(LevelKind.AFTER, offset_us=90 * MINUTE, label="1h30m after breach"),
        When(LevelKind.BREACH, label="BREACH"),
    ]


def test_every_action_form() -> None:
    doc = example()
    doc["priorities"] = {"aliases": {"sev2": "P2"}}
    doc["escalations"][0]["levels"] = [
        {
            "when": "breach",
            "notify": "leads-mail",
            "do": [
                {"notify": "someone@example.com"},
                {"assign": {"person": "li@example.com"}},
                {"reassign": {"role": "manager"}},
                {"priority": "sev2"},
                {"priority": "critical"},
                {"status": "on_hold"},
                {"queue": "High Attention"},
                {"followers": ["team_lead", "+4912345678"]},
                {"tag": "escalated"},
                {"tag": ["sla", "vip"]},
                {"task": "Call the customer"},
                {"task": {"title": "Review", "assignee": "ben@example.com"}},
            ],
        }
    ]
    (level,) = parse_config(doc, ENV).escalation.ladders[0].levels
    assert level.actions == (
        Action(ActionKind.NOTIFY, ("leads-mail",)),  # `notify:` comes first
        Action(ActionKind.NOTIFY, ("someone@example.com",)),
        Action(ActionKind.ASSIGN, {"person": "li@example.com"}),
        Action(ActionKind.ASSIGN, {"role": "manager"}),
        Action(ActionKind.PRIORITY, "P2"),
        Action(ActionKind.PRIORITY, "P1"),
        Action(ActionKind.STATUS, "on_hold"),
        Action(ActionKind.QUEUE, "High Attention"),
        Action(ActionKind.FOLLOWERS, ("team_lead", "+4912345678")),
        Action(ActionKind.TAG, ("escalated",)),
        Action(ActionKind.TAG, ("sla", "vip")),
        Action(ActionKind.TASK, {"title": "Call the customer", "assignee": None}),
        Action(ActionKind.TASK, {"title": "Review", "assignee": "ben@example.com"}),
    )


def test_applies_to_ticket_fields_and_milestone_metrics() -> None:
    doc = example()
    doc["policies"][1]["targets"]["handover"] = {
        "start": {"event": "created"},
        "stop": {"status": ["solved"]},
        "targets": {"P1": "2h"},
    }
    ladder = doc["escalations"][0]
    ladder["applies_to"] = {"policy": "standard", "tier": ["enterprise"], "priority": "critical"}
    ladder["levels"][0]["metrics"] = "handover"
    parsed = parse_config(doc, ENV).escalation.ladders[0]
    assert parsed.policies == frozenset({"standard"})
    assert parsed.match.conditions == {"tier": ("enterprise",), "priority": ("P1",)}
    assert parsed.levels[0].metrics == frozenset({"handover"})
    assert parsed.applies("standard", {"tier": "Enterprise", "priority": "P1"})
    assert not parsed.applies("critical", {"tier": "enterprise", "priority": "P1"})


def test_trigger_status_and_default_stage() -> None:
    doc = example()
    doc["triggers"] = [
        {
            "name": "a",
            "when": {"event": ["status", "reopened"], "status": "open"},
            "do": [{"tag": "x"}],
        },
        {"name": "b", "stage": "classify", "when": {"event": "created"}, "do": [{"tag": "y"}]},
    ]
    a, b = parse_config(doc, ENV).escalation.triggers[::-1]
    assert (b.name, b.stage) == ("b", Stage.CLASSIFY)
    assert (a.name, a.stage) == ("a", Stage.NOTIFY)
    assert a.events == frozenset({"status", "reopened"})
    assert a.statuses == frozenset({"open"})
    assert a.fits({}, StatusCategory.ACTIVE, "open")
    assert not a.fits({}, StatusCategory.ACTIVE, "new")


# ---------------------------------------------------------------------------------------
# Each error, with its path
# ---------------------------------------------------------------------------------------

Edit = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Edit:
    """An edit that sets (or, with `...`, deletes) the value at a dotted/indexed path."""

    def edit(doc: dict[str, Any]) -> None:
        keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split("/")]
        node: Any = doc
        for k in keys[:-1]:
            node = node[k]
        if value is ...:
            del node[keys[-1]]
        else:
            node[keys[-1]] = copy.deepcopy(value)

    return edit


def _append(path: str, value: Any) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        node: Any = doc
        for k in path.split("/"):
            node = node[int(k) if k.isdigit() else k]
        node.append(copy.deepcopy(value) if value is not None else copy.deepcopy(node[0]))

    return edit


L0 = "escalations/0/levels/0"
L1 = "escalations/0/levels/1"
NO_SLACK_URL = {k: v for k, v in ENV.items() if k != "SLACK_WEBHOOK_URL"}

BAD: list[tuple[str, Edit, dict[str, str], str, str]] = [
    # channels
    (
        "unknown channel type",
        _set("channels/ops-slack/type", "pager"),
        ENV,
        "channels.ops-slack.type",
        "unknown channel type 'pager' (use slack, webhook, email, teams or sms)",
    ),
    (
        "channel without type",
        _set("channels/ops-slack/type", ...),
        ENV,
        "channels.ops-slack.type",
        "required",
    ),
    (
        "missing url",
        _set("channels/teams-room/url", ...),
        ENV,
        "channels.teams-room.url",
        "required: the webhook URL",
    ),
    (
        "bad url scheme",
        _set("channels/sla-hook/url", "ftp://example.test/sla"),
        ENV,
        "channels.sla-hook.url",
        "expected an http or https URL, got 'ftp://example.test/sla'",
    ),
    (
        "to on slack",
        _set("channels/ops-slack/to", ["a@example.com"]),
        ENV,
        "channels.ops-slack.to",
        "not a setting of a slack channel",
    ),
    (
        "secret on teams",
        _set("channels/teams-room/secret", "x"),
        ENV,
        "channels.teams-room.secret",
        "not a setting of a teams channel",
    ),
    (
        "unknown teams card format",
        _set("channels/teams-room/format", "hero"),
        ENV,
        "channels.teams-room.format",
        "unknown Teams card format 'hero' (use adaptive, message)",
    ),
    (
        "format on slack",
        _set("channels/ops-slack/format", "message"),
        ENV,
        "channels.ops-slack.format",
        "not a setting of a slack channel",
    ),
    (
        "unknown channel key",
        _set("channels/ops-slack/colour", "red"),
        ENV,
        "channels.ops-slack.colour",
        "unknown field",
    ),
    (
        "unset environment variable",
        lambda doc: None,
        NO_SLACK_URL,
        "channels.ops-slack.url",
        "environment variable SLACK_WEBHOOK_URL is not set",
    ),
    (
        "malformed reference",
        _set("channels/sla-hook/secret", "${HOOK SECRET}"),
        ENV,
        "channels.sla-hook.secret",
        "'${HOOK SECRET}' is not a reference to an environment variable",
    ),
    (
        "email to without @",
        _set("channels/leads-mail/to", ["support-leads"]),
        ENV,
        "channels.leads-mail.to[0]",
        "expected an e-mail address, got 'support-leads'",
    ),
    (
        "email to empty",
        _set("channels/leads-mail/to", []),
        ENV,
        "channels.leads-mail.to",
        "an empty list sends to nobody",
    ),
    (
        "sms number not E.164",
        _set("channels/oncall-sms/to", ["0171 1234567"]),
        ENV,
        "channels.oncall-sms.to[0]",
        "E.164",
    ),
    (
        "sms without provider",
        _set("channels/oncall-sms/provider", ...),
        ENV,
        "channels.oncall-sms.provider",
        "required: the SMS provider (twilio)",
    ),
    (
        "unknown sms provider",
        _set("channels/oncall-sms/provider", "nexmo"),
        ENV,
        "channels.oncall-sms.provider",
        "unknown SMS provider 'nexmo' (use twilio)",
    ),
    (
        "bad digest duration",
        _set("channels/digest-mail/digest", "a while"),
        ENV,
        "channels.digest-mail.digest",
        "expected a duration such as '4h'",
    ),
    (
        "unknown time zone",
        _set("channels/digest-mail/quiet_hours/timezone", "Mars/Olympus"),
        ENV,
        "channels.digest-mail.quiet_hours.timezone",
        "unknown time zone 'Mars/Olympus'",
    ),
    (
        "bad quiet hours time",
        _set("people/quiet_hours/max@example.com/from", "25:00"),
        ENV,
        "people.quiet_hours.max@example.com.from",
        "expected a time 'HH:MM', got '25:00'",
    ),
    (
        "unquoted quiet hours time",
        _set("people/quiet_hours/max@example.com/to", 420),
        ENV,
        "people.quiet_hours.max@example.com.to",
        "quote it",
    ),
    (
        "channels not a mapping",
        _set("channels", ["ops-slack"]),
        ENV,
        "channels",
        "expected a mapping",
    ),
    # people
    (
        "role with a built-in name",
        _set("people/roles/manager", ["boss@example.com"]),
        ENV,
        "people.roles.manager",
        "'manager' is a built-in recipient",
    ),
    (
        "role naming nobody",
        _set("people/roles/legal", []),
        ENV,
        "people.roles.legal",
        "an empty list names nobody",
    ),
    (
        "unknown key in a team",
        _set("people/teams/tier1/boss", "x@example.com"),
        ENV,
        "people.teams.tier1.boss",
        "unknown field",
    ),
    # ladders and levels
    (
        "bad when",
        _set(f"{L1}/when", "soon"),
        ENV,
        "escalations[0].levels[1].when",
        "expected '50%', '30m before', 'breach' or '4h after breach', got 'soon'",
    ),
    (
        "0%",
        _set(f"{L0}/when", "0%"),
        ENV,
        "escalations[0].levels[0].when",
        "expected a percentage above 0 and at most 1000, got '0%'",
    ),
    (
        "above 1000%",
        _set(f"{L0}/when", "1000.5%"),
        ENV,
        "escalations[0].levels[0].when",
        "above 0 and at most 1000, got '1000.5%'",
    ),
    (
        "zero offset",
        _set(f"{L0}/when", "0m before"),
        ENV,
        "escalations[0].levels[0].when",
        "a duration must be more than zero",
    ),
    (
        "when missing",
        _set(f"{L0}/when", ...),
        ENV,
        "escalations[0].levels[0].when",
        "required",
    ),
    (
        "unknown metric",
        _set(f"{L0}/metrics", ["first_response", "frist_response"]),
        ENV,
        "escalations[0].levels[0].metrics[1]",
        "unknown metric 'frist_response'",
    ),
    (
        "unknown policy in applies_to",
        _set("escalations/0/applies_to/policy", ["standard", "gold"]),
        ENV,
        "escalations[0].applies_to.policy[1]",
        "unknown policy 'gold' (known: critical, standard)",
    ),
    (
        "bad applies_to match",
        _set("escalations/0/applies_to/priority", "P7"),
        ENV,
        "escalations[0].applies_to.priority",
        "unknown priority 'P7'",
    ),
    (
        "unknown recipient",
        _set(f"{L0}/notify", ["assignee", "oncall-pager"]),
        ENV,
        "escalations[0].levels[0].notify[1]",
        "unknown recipient 'oncall-pager': not a channel, a role in people.roles, "
        "assignee, team_lead, manager or an address",
    ),
    (
        "unknown recipient in followers",
        _set(f"{L1}/do/0", {"followers": "nobody"}),
        ENV,
        "escalations[0].levels[1].do[0].followers",
        "unknown recipient 'nobody'",
    ),
    (
        "assign with two keys",
        _set(f"{L1}/do/0", {"reassign": {"team": "tier2", "person": "li@example.com"}}),
        ENV,
        "escalations[0].levels[1].do[0].reassign",
        "give exactly one of team, person, role, got team, person",
    ),
    (
        "assign to an unknown role",
        _set("triggers/1/do/0", {"assign": {"role": "director"}}),
        ENV,
        "triggers[1].do[0].assign.role",
        "unknown role 'director'",
    ),
    (
        "bad priority",
        _set(f"{L1}/do/1", {"priority": "P9"}),
        ENV,
        "escalations[0].levels[1].do[1].priority",
        "unknown priority 'P9'",
    ),
    (
        "unknown status",
        _set("triggers/3/do/0", {"status": "reopened"}),
        ENV,
        "triggers[3].do[0].status",
        "no workflow has a status 'reopened'",
    ),
    (
        "unknown action",
        _set(f"{L1}/do/0", {"escalate": True}),
        ENV,
        "escalations[0].levels[1].do[0].escalate",
        "unknown action (use one of notify, reassign, assign,",
    ),
    (
        "two actions in one entry",
        _set(f"{L1}/do/0", {"tag": "x", "queue": "y"}),
        ENV,
        "escalations[0].levels[1].do[0]",
        "expected one action as a single-key mapping",
    ),
    (
        "empty levels",
        _set("escalations/0/levels", []),
        ENV,
        "escalations[0].levels",
        "a ladder needs at least one level",
    ),
    (
        "level without actions",
        _set(L0, {"when": "50%"}),
        ENV,
        "escalations[0].levels[0]",
        "a level needs at least one action",
    ),
    (
        "zero repeat",
        _set("escalations/0/levels/2/repeat_every", "0m"),
        ENV,
        "escalations[0].levels[2].repeat_every",
        "a duration must be more than zero",
    ),
    (
        "unknown level key",
        _set(f"{L0}/escalate_to", "x"),
        ENV,
        "escalations[0].levels[0].escalate_to",
        "unknown field",
    ),
    (
        "duplicate ladder name",
        _append("escalations", None),
        ENV,
        "escalations[1].name",
        "duplicate ladder name 'standard-ladder' (also escalations[0])",
    ),
    (
        "ladder without name",
        _set("escalations/0/name", ...),
        ENV,
        "escalations[0].name",
        "required",
    ),
    # triggers
    (
        "duplicate trigger name",
        _set("triggers/2/name", "critical-to-oncall"),
        ENV,
        "triggers[2].name",
        "duplicate trigger name 'critical-to-oncall' (also triggers[0])",
    ),
    (
        "trigger with both event and idle",
        _set("triggers/4/when/event", "created"),
        ENV,
        "triggers[4].when",
        "give either event or idle, not both",
    ),
    (
        "trigger with neither event nor idle",
        _set("triggers/0/when", {"priority": ["P1"]}),
        ENV,
        "triggers[0].when",
        "required: event (an event kind or a list) or idle (a duration)",
    ),
    (
        "unknown event kind",
        _set("triggers/0/when/event", ["created", "opened"]),
        ENV,
        "triggers[0].when.event[1]",
        "unknown event kind 'opened'",
    ),
    (
        "bad idle duration",
        _set("triggers/4/when/idle", "4d"),
        ENV,
        "triggers[4].when.idle",
        "expected a duration",
    ),
    (
        "unknown status category",
        _set("triggers/3/when/status_category", "closed"),
        ENV,
        "triggers[3].when.status_category",
        "unknown status category 'closed' (use active, paused or done)",
    ),
    (
        "unknown status in when",
        _set("triggers/3/when/status", ["solved", "finished"]),
        ENV,
        "triggers[3].when.status[1]",
        "no workflow has a status 'finished'",
    ),
    (
        "unknown stage",
        _set("triggers/0/stage", "route"),
        ENV,
        "triggers[0].stage",
        "'classify', 'assign' or 'notify'",
    ),
    (
        "trigger without actions",
        _set("triggers/0/do", []),
        ENV,
        "triggers[0].do",
        "a trigger needs at least one action",
    ),
]


@pytest.mark.parametrize(
    ("edit", "environ", "path", "message"),
    [pytest.param(*row[1:], id=row[0]) for row in BAD],
)
def test_each_error_names_its_path(
    edit: Edit, environ: dict[str, str], path: str, message: str
) -> None:
    doc = example()
    edit(doc)
    found = details(doc, environ)
    assert [p for p, _ in found] == [path], found
    assert message in found[0][1]


def test_every_error_is_reported_at_once() -> None:
    doc = example()
    doc["channels"]["ops-slack"]["type"] = "pager"
    doc["triggers"][0]["when"]["event"] = "opened"
    doc["policies"][0]["targets"]["first_response"]["P9"] = "1h"
    found = details(doc)
    assert [p for p, _ in found] == [
        "policies[0].targets.first_response.P9",
        "channels.ops-slack.type",
        "triggers[0].when.event",
    ]


def test_messages_never_show_a_substituted_value() -> None:
    doc = example()
    doc["channels"]["ops-slack"]["url"] = "${SLACK_WEBHOOK_URL}"
    found = details(doc, {**ENV, "SLACK_WEBHOOK_URL": "postgresql://u:hunter2@db/x"})
    assert found == [
        (
            "channels.ops-slack.url",
            "expected an http or https URL, got '${SLACK_WEBHOOK_URL}' once its variables "
            "are substituted",
        )
    ]


def test_references_to_an_invalid_section_are_not_reported_again() -> None:
    doc = example()
    doc["channels"] = "all of them"
    doc["people"]["roles"] = ["legal"]
    found = details(doc)
    assert [p for p, _ in found] == ["channels", "people.roles"]


# ---------------------------------------------------------------------------------------
# Level thresholds
# ---------------------------------------------------------------------------------------

_THRESHOLD_DOC: dict[str, Any] = {
    "calendars": {"always": {"timezone": "UTC", "always_open": True}},
    "policies": [{"name": "p", "calendar": "always", "targets": {"resolution": {"P1": "1h"}}}],
    "escalations": [{"name": "l", "levels": []}],
}


def _when(text: str) -> When:
    doc = copy.deepcopy(_THRESHOLD_DOC)
    doc["escalations"][0]["levels"] = [{"when": text, "notify": "assignee"}]
    return parse_config(doc, {}).escalation.ladders[0].levels[0].when


hundredths = st.integers(1, 1000 * 100)  # N% with 0 < N <= 1000, to two decimals
targets = st.integers(1, 1000 * HOUR)
durations = st.tuples(st.integers(0, 200), st.integers(0, 59), st.integers(0, 59)).filter(
    lambda hms: any(hms)
)


@settings(max_examples=100, deadline=None)
@given(k=hundredths, target=targets)
def test_percent_threshold_is_that_share_of_the_target(k: int, target: int) -> None:
    whole, cents = divmod(k, 100)
    text = f"{whole}%" if not cents else f"{whole}.{cents:02d}%"
    when = _when(text)
    assert when.kind is LevelKind.PERCENT
    assert when.label == text
    exact = Fraction(target) * Fraction(k, 100) / 100
    # to the microsecond (a float fraction rounds once)
    assert abs(when.threshold_us(target) - exact) <= Fraction(51, 100)


@settings(max_examples=100, deadline=None)
@given(hms=durations, target=targets, after=st.booleans())
def test_offset_thresholds_are_target_less_or_plus_the_offset(
    hms: tuple[int, int, int], target: int, after: bool
) -> None:
    h, m, s = hms
    text = "".join(f"{v}{u}" for v, u in zip(hms, "hms", strict=True) if v)
    offset = (h * 3600 + m * 60 + s) * SECOND
    when = _when(f"{text} after breach" if after else f"{text} before")
    assert when.offset_us == offset
    if after:
        assert when.kind is LevelKind.AFTER
        assert when.threshold_us(target) == target + offset
    else:
        assert when.kind is LevelKind.BEFORE
        assert when.threshold_us(target) == max(0, target - offset)
    assert _when("breach").threshold_us(target) == target
