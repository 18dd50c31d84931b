"""The whole configuration file -> SlaConfig: the example, each error with its path, folders."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from slaguard.config.model import format_loc, load_config, parse_config
from slaguard.domain.errors import ConfigError
from slaguard.domain.policy import NEVER, PAUSE_WITH_STATUS, OnChange, WarningSpec
from slaguard.domain.workflow import BUILTIN_WORKFLOWS, StatusCategory

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "slaguard.yaml"

MINUTE = 60_000_000
HOUR = 60 * MINUTE


def base() -> dict[str, Any]:
    """A small valid configuration the error cases below break one piece at a time."""
    return {
        "calendars": {
            "berlin": {"timezone": "Europe/Berlin", "hours": {"mon": ["09:00-17:00"]}},
            "always": {"timezone": "UTC", "always_open": True},
        },
        "policies": [
            {
                "name": "vip",
                "match": {"tier": ["enterprise"]},
                "calendar": "berlin",
                "targets": {"first_response": {"P1": "10m", "P2": "15m"}},
            },
            {
                "name": "standard",
                "calendar": "berlin",
                "warnings": ["50%", "30m before"],
                "targets": {
                    "first_response": {"P1": "1h", "P2": "4h", "P3": "8h", "P4": "24h"},
                    "resolution": {"P1": "4h", "P2": "16h", "calendar": "always"},
                    "provisioning_time": {
                        "start": {"event": "created"},
                        "stop": {"status": ["provisioning"]},
                        "targets": {"P1": "4h"},
                    },
                },
            },
        ],
    }


def details(cfg: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(cfg)
    return [str(d) for d in info.value.details]


def paths(cfg: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(cfg)
    return [d.path for d in info.value.details]


# ---------------------------------------------------------------------------------------
# The example file
# ---------------------------------------------------------------------------------------


def test_the_example_loads_into_domain_objects() -> None:
    cfg = load_config(EXAMPLE)
    assert set(cfg.calendars) == {"berlin", "new_york", "always"}
    assert cfg.calendars["berlin"].name == "berlin"
    assert [p.name for p in cfg.policies.policies] == [
        "enterprise-americas",
        "implementation",
        "standard",
    ]
    assert cfg.default_type == "support"
    assert set(cfg.workflows) == {"support", "implementation"}
    assert cfg.workflows["support"].category("pending") is StatusCategory.PAUSED
    assert cfg.priorities.normalise("sev1") == "P1"
    assert cfg.priorities.normalise("critical") == "P1"


def test_the_example_standard_policy() -> None:
    standard = load_config(EXAMPLE).policies.policies[2]
    assert standard.calendar == "berlin"
    assert standard.tier_multipliers == {"enterprise": 0.5, "business": 0.75}
    assert standard.on_change is OnChange.RECOMPUTE
    assert standard.match.conditions == {}
    fr = standard.targets["first_response"]
    assert fr.durations == {"P1": HOUR, "P2": 4 * HOUR, "P3": 8 * HOUR, "P4": 24 * HOUR}
    assert fr.calendar == "berlin"
    assert fr.pause == PAUSE_WITH_STATUS
    assert fr.warnings == (
        WarningSpec("50%", fraction=0.5),
        WarningSpec("75%", fraction=0.75),
        WarningSpec("30m before", before_us=30 * MINUTE),
    )
    assert standard.targets["periodic_update"].durations == {"P1": 30 * MINUTE}
    # a per-target calendar overrides the policy's
    assert standard.targets["resolution"].calendar == "always"
    assert standard.target_us("resolution", "P1", "Enterprise") == 2 * HOUR


def test_the_example_milestone_and_match() -> None:
    cfg = load_config(EXAMPLE)
    americas, impl, _ = cfg.policies.policies
    assert americas.match.conditions == {"tier": ("enterprise",), "region": ("amer",)}
    assert americas.targets["periodic_update"].calendar == "always"
    assert americas.targets["callback"].calendar == "new_york"
    assert impl.on_change is OnChange.RESTART
    ms = impl.targets["provisioning_time"]
    assert ms.is_milestone
    assert ms.start is not None and ms.start.events == frozenset({"created"})
    assert ms.stop is not None and ms.stop.statuses == frozenset({"provisioning"})
    assert ms.pause.statuses == frozenset({"pending_approval"})
    assert ms.durations["P1"] == 4 * HOUR
    assert ms.warnings == (
        WarningSpec("50%", fraction=0.5),
        WarningSpec("1h before", before_us=HOUR),
    )
    # targets without warnings of their own take the policy's
    assert impl.targets["resolution"].warnings == (WarningSpec("80%", fraction=0.8),)
    assert not impl.targets["resolution"].is_milestone


def test_the_example_selects_policies_and_classifies() -> None:
    cfg = load_config(EXAMPLE)
    pick = cfg.policies.select
    enterprise_amer = {"tier": "enterprise", "region": "amer", "type": "support"}
    assert pick(enterprise_amer) is cfg.policies.policies[0]
    assert pick({"type": "implementation", "tier": "enterprise"}) is cfg.policies.policies[1]
    assert pick({"type": "support", "tier": "business"}) is cfg.policies.policies[2]
    assert cfg.classify("Hello\nI need a new setup for Berlin", {})[0] == "implementation"
    assert cfg.classify("Printer broken", {"channel": "portal", "category": "order"})[0] == (
        "implementation"
    )
    assert cfg.classify("Printer broken", {"channel": "email"}) == ("support", None)


# ---------------------------------------------------------------------------------------
# Building details
# ---------------------------------------------------------------------------------------


def test_the_base_config_is_valid_and_workflows_default_to_the_builtins() -> None:
    cfg = parse_config(base())
    assert dict(cfg.workflows) == dict(BUILTIN_WORKFLOWS)
    assert cfg.classification == ()
    assert cfg.policies.policies[0].targets["first_response"].durations == {
        "P1": 10 * MINUTE,
        "P2": 15 * MINUTE,
    }


def test_priority_names_in_targets_and_match_are_normalised() -> None:
    cfg = base()
    cfg["priorities"] = {"aliases": {"sev1": "P1"}}
    cfg["policies"][0]["match"] = {"priority": ["critical", "sev1", 2]}
    cfg["policies"][0]["targets"]["first_response"] = {"critical": "10m", "high": "15m", 3: "1h"}
    policy = parse_config(cfg).policies.policies[0]
    assert policy.match.conditions["priority"] == ("P1", "P1", "P2")
    assert policy.match.fits({"priority": "P1"})
    assert not policy.match.fits({"priority": "P3"})
    assert dict(policy.targets["first_response"].durations) == {
        "P1": 10 * MINUTE,
        "P2": 15 * MINUTE,
        "P3": HOUR,
    }


def test_match_accepts_one_value_or_a_list_of_scalars() -> None:
    cfg = base()
    cfg["policies"][0]["match"] = {"channel": "phone", "vip": True, "tags": ["a", "b"], "n": 3}
    match = parse_config(cfg).policies.policies[0].match
    assert match.conditions == {
        "channel": ("phone",),
        "vip": (True,),
        "tags": ("a", "b"),
        "n": (3,),
    }


def test_target_pause_options() -> None:
    cfg = base()
    targets = cfg["policies"][1]["targets"]
    targets["first_response"]["pause"] = False
    targets["resolution"]["pause"] = {"status": ["on_hold"], "status_category": "paused"}
    targets["provisioning_time"]["pause"] = {"match": {"vip": True}}
    policy = parse_config(cfg).policies.policies[1]
    assert policy.targets["first_response"].pause == NEVER
    pause = policy.targets["resolution"].pause
    assert pause.statuses == frozenset({"on_hold"})
    assert pause.categories == frozenset({StatusCategory.PAUSED})
    assert policy.targets["provisioning_time"].pause.match.conditions == {"vip": (True,)}


def test_target_warnings_override_the_policys() -> None:
    cfg = base()
    cfg["policies"][1]["targets"]["resolution"]["warnings"] = ["90%"]
    policy = parse_config(cfg).policies.policies[1]
    assert policy.targets["resolution"].warnings == (WarningSpec("90%", fraction=0.9),)
    assert policy.targets["first_response"].warnings[1] == WarningSpec(
        "30m before", before_us=30 * MINUTE
    )


def test_a_policy_may_leave_the_calendar_to_its_targets() -> None:
    cfg = base()
    del cfg["policies"][0]["calendar"]
    cfg["policies"][0]["targets"]["first_response"]["calendar"] = "always"
    policy = parse_config(cfg).policies.policies[0]
    assert policy.calendar == "always"
    assert policy.targets["first_response"].calendar == "always"


def test_configured_workflows_replace_builtins_and_add_types() -> None:
    cfg = base()
    cfg["workflows"] = {
        "support": {"statuses": {"new": "active", "waiting": "paused", "done": "done"}},
        "change": {"statuses": {"requested": "active", "approved": "active", "done": "done"}},
    }
    cfg["classification"] = [
        {"name": "changes", "text_contains": "please change", "type": "change"},
        {"type": "implementation", "match": {"channel": ["portal"]}},
    ]
    cfg["default_type"] = "change"
    parsed = parse_config(cfg)
    assert parsed.workflows["support"].statuses == {
        "new": StatusCategory.ACTIVE,
        "waiting": StatusCategory.PAUSED,
        "done": StatusCategory.DONE,
    }
    assert parsed.workflows["implementation"] == BUILTIN_WORKFLOWS["implementation"]
    assert parsed.workflows["change"].first(StatusCategory.DONE) == "done"
    assert parsed.default_type == "change"
    assert parsed.classification[0].text_contains == ("please change",)
    assert parsed.classify("Please change my plan", {})[0] == "change"
    assert parsed.classify("x", {"channel": "portal"})[0] == "implementation"
    assert parsed.classify("x", {"channel": "email"})[0] == "change"


def test_escalation_sections_are_validated() -> None:
    cfg = base()
    cfg["channels"] = {"slack": {"url": "https://example.invalid/hook"}}
    cfg["triggers"] = "later"
    assert paths(cfg) == ["triggers", "channels.slack.type"]


def test_empty_sections_are_the_same_as_none() -> None:
    cfg = base()
    cfg["workflows"] = None
    cfg["classification"] = None
    assert parse_config(cfg).classification == ()


# ---------------------------------------------------------------------------------------
# Each error, with its path
# ---------------------------------------------------------------------------------------


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(cfg: dict[str, Any]) -> None:
        node: Any = cfg
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return apply


def _delete(path: tuple[Any, ...]) -> Callable[[dict[str, Any]], None]:
    def apply(cfg: dict[str, Any]) -> None:
        node: Any = cfg
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return apply


P1 = ("policies", 1)
FR1 = (*P1, "targets", "first_response")
MS1 = (*P1, "targets", "provisioning_time")

ERROR_CASES: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    (
        "duration over ten years",
        _set((*FR1, "P1"), "87600h1s"),
        "policies[1].targets.first_response.P1",
        "at most 87600h (ten years)",
    ),
    (
        "duration beyond what a timedelta holds",
        _set((*FR1, "P1"), "99999999999h"),
        "policies[1].targets.first_response.P1",
        "at most 87600h (ten years), got '99999999999h'",
    ),
    (
        "milestone duration over ten years",
        _set((*MS1, "targets", "P1"), "1000000h"),
        "policies[1].targets.provisioning_time.targets.P1",
        "at most 87600h",
    ),
    (
        "warning offset over ten years",
        _set((*P1, "warnings"), ["50%", "90000h before"]),
        "policies[1].warnings[1]",
        "at most 87600h",
    ),
    (
        "tier multiplier past the duration bound",
        _set((*P1, "tier_multipliers"), {"enterprise": 1e300}),
        "policies[1].tier_multipliers.enterprise",
        "1e+300 makes the first_response target for P1 (1h) longer than 87600h (ten years)",
    ),
    (
        "tier multiplier past the bound for the longest target only",
        _set((*P1, "tier_multipliers"), {"business": 5000}),
        "policies[1].tier_multipliers.business",
        "makes the first_response target for P4 (24h) longer than 87600h",
    ),
    (
        "tier multiplier that makes a target zero",
        _set((*P1, "tier_multipliers"), {"basic": 1e-300}),
        "policies[1].tier_multipliers.basic",
        "makes the first_response target for P1 (1h) zero",
    ),
    (
        "tier multiplier of zero",
        _set((*P1, "tier_multipliers"), {"basic": 0}),
        "policies[1].tier_multipliers.basic",
        "greater than 0",
    ),
    (
        "tier multiplier that is infinite",
        _set((*P1, "tier_multipliers"), {"basic": float("inf")}),
        "policies[1].tier_multipliers.basic",
        "finite number",
    ),
    (
        "unknown priority key",
        _set((*P1, "targets", "resolution", "P5"), "1h"),
        "policies[1].targets.resolution.P5",
        "unknown priority 'P5'",
    ),
    (
        "bad duration",
        _set((*FR1, "P1"), "an hour"),
        "policies[1].targets.first_response.P1",
        "expected a duration",
    ),
    (
        "number without unit",
        _set((*FR1, "P1"), 60),
        "policies[1].targets.first_response.P1",
        "expected a duration",
    ),
    (
        "zero duration",
        _set((*FR1, "P2"), "0m"),
        "policies[1].targets.first_response.P2",
        "more than zero",
    ),
    (
        "negative duration",
        _set((*FR1, "P2"), "-1h"),
        "policies[1].targets.first_response.P2",
        "expected a duration",
    ),
    (
        "two keys naming one priority",
        _set((*FR1, "critical"), "2h"),
        "policies[1].targets.first_response.critical",
        "names the same priority as 'P1' (P1)",
    ),
    (
        "unknown policy calendar",
        _set((*P1, "calendar"), "paris"),
        "policies[1].calendar",
        "unknown calendar 'paris' (known: always, berlin)",
    ),
    (
        "unknown target calendar",
        _set((*P1, "targets", "resolution", "calendar"), "paris"),
        "policies[1].targets.resolution.calendar",
        "unknown calendar 'paris'",
    ),
    (
        "unknown milestone calendar",
        _set((*MS1, "calendar"), "paris"),
        "policies[1].targets.provisioning_time.calendar",
        "unknown calendar 'paris'",
    ),
    (
        "policy without any calendar",
        _delete((*P1, "calendar")),
        "policies[1].calendar",
        "required: targets first_response, provisioning_time name no calendar of their own",
    ),
    (
        "duplicate policy names",
        _set((*P1, "name"), "vip"),
        "policies[1].name",
        "duplicate policy name 'vip' (also policies[0])",
    ),
    (
        "policy without a name",
        _delete((*P1, "name")),
        "policies[1].name",
        "required",
    ),
    (
        "tier multiplier zero",
        _set((*P1, "tier_multipliers"), {"enterprise": 0}),
        "policies[1].tier_multipliers.enterprise",
        "greater than 0",
    ),
    (
        "tier multiplier negative",
        _set((*P1, "tier_multipliers"), {"business": -0.5}),
        "policies[1].tier_multipliers.business",
        "greater than 0",
    ),
    (
        "unknown on_change",
        _set((*P1, "on_change"), "reset"),
        "policies[1].on_change",
        "'recompute' or 'restart'",
    ),
    (
        "unknown status category",
        _set(("workflows",), {"support": {"statuses": {"new": "active", "x": "waiting"}}}),
        "workflows.support.statuses.x",
        "'active', 'paused' or 'done', got 'waiting'",
    ),
    (
        "workflow without done",
        _set(("workflows",), {"support": {"statuses": {"new": "active", "wait": "paused"}}}),
        "workflows.support.statuses",
        "no status of category done",
    ),
    (
        "workflow starting done",
        _set(("workflows",), {"x": {"statuses": {"closed": "done", "open": "active"}}}),
        "workflows.x.statuses.closed",
        "cannot be done",
    ),
    (
        "classification type without workflow",
        _set(("classification",), [{"text_contains": ["I need"], "type": "setup"}]),
        "classification[0].type",
        "no workflow for ticket type 'setup'",
    ),
    (
        "classification rule without type",
        _set(("classification",), [{"text_contains": ["I need"]}]),
        "classification[0].type",
        "required",
    ),
    (
        "default type without workflow",
        _set(("default_type",), "incident"),
        "default_type",
        "no workflow for ticket type 'incident' (known: implementation, support)",
    ),
    (
        "milestone without start",
        _delete((*MS1, "start")),
        "policies[1].targets.provisioning_time.start",
        "required",
    ),
    (
        "milestone without stop",
        _delete((*MS1, "stop")),
        "policies[1].targets.provisioning_time.stop",
        "required",
    ),
    (
        "milestone without targets",
        _delete((*MS1, "targets")),
        "policies[1].targets.provisioning_time.targets",
        "required",
    ),
    (
        "milestone with an empty condition",
        _set((*MS1, "start"), {}),
        "policies[1].targets.provisioning_time.start",
        "give at least one of event, status, status_category, match",
    ),
    (
        "milestone with an unknown event kind",
        _set((*MS1, "start"), {"event": ["resolved"]}),
        "policies[1].targets.provisioning_time.start.event[0]",
        "unknown event kind 'resolved'",
    ),
    (
        "milestone with an unknown status",
        _set((*MS1, "stop"), {"status": "provisioned"}),
        "policies[1].targets.provisioning_time.stop.status[0]",
        "no workflow has a status 'provisioned'",
    ),
    (
        "milestone with an unknown condition key",
        _set((*MS1, "stop"), {"state": "done"}),
        "policies[1].targets.provisioning_time.stop.state",
        "unknown field",
    ),
    (
        "bad warning",
        _set((*P1, "warnings"), ["50%", "soon"]),
        "policies[1].warnings[1]",
        "expected 'N%' (0 < N < 100) or '<duration> before'",
    ),
    (
        "warning of 100%",
        _set((*P1, "warnings"), ["100%"]),
        "policies[1].warnings[0]",
        "expected 'N%'",
    ),
    (
        "warning of 0%",
        _set((*FR1, "warnings"), ["0%"]),
        "policies[1].targets.first_response.warnings[0]",
        "expected 'N%'",
    ),
    (
        "warning with a bad duration",
        _set((*P1, "warnings"), ["ten minutes before"]),
        "policies[1].warnings[0]",
        "expected a duration",
    ),
    (
        "match value a mapping",
        _set((*P1, "match"), {"tier": {"is": "enterprise"}}),
        "policies[1].match.tier",
        "expected a value or a list of values",
    ),
    (
        "match list of mappings",
        _set((*P1, "match"), {"tags": ["a", ["b"]]}),
        "policies[1].match.tags[1]",
        "expected a value or a list of values",
    ),
    (
        "match with an unknown priority",
        _set((*P1, "match"), {"priority": ["P1", "P9"]}),
        "policies[1].match.priority[1]",
        "unknown priority 'P9'",
    ),
    (
        "bad pause",
        _set((*FR1, "pause"), "sometimes"),
        "policies[1].targets.first_response.pause",
        "expected true, false or a condition mapping",
    ),
    (
        "target that is not a mapping",
        _set(FR1, "1h"),
        "policies[1].targets.first_response",
        "expected a mapping of priority -> duration",
    ),
    (
        "target without priorities",
        _set(FR1, {"calendar": "always"}),
        "policies[1].targets.first_response",
        "no target for any priority",
    ),
    (
        "alias to an unknown priority",
        _set(("priorities",), {"aliases": {"sev1": "P5"}}),
        "priorities.aliases.sev1",
        "'P1', 'P2', 'P3' or 'P4'",
    ),
    (
        "alias redefining a priority",
        _set(("priorities",), {"aliases": {"p2": "P1"}}),
        "priorities.aliases.p2",
        "cannot be an alias",
    ),
    (
        "unknown top-level section",
        _set(("slas",), []),
        "slas",
        "unknown field",
    ),
    (
        "unknown key in a policy",
        _set((*P1, "calender"), "berlin"),
        "policies[1].calender",
        "unknown field",
    ),
    (
        "unknown key in a workflow",
        _set(("workflows",), {"support": {"statuses": {"a": "done"}, "colour": "red"}}),
        "workflows.support.colour",
        "unknown field",
    ),
    (
        "no policies",
        _delete(("policies",)),
        "policies",
        "required",
    ),
    (
        "bad calendar",
        _set(("calendars", "berlin", "hours"), {"mon": ["17:00-09:00"]}),
        "calendars.berlin.hours.mon[0]",
        "ends before it starts",
    ),
    (
        "calendar with an unknown zone",
        _set(("calendars", "always", "timezone"), "Mars/Olympus"),
        "calendars.always.timezone",
        "unknown time zone",
    ),
    (
        "calendar with an unknown key",
        _set(("calendars", "always", "open"), True),
        "calendars.always.open",
        "unknown field",
    ),
]


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [case[1:] for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
def test_each_error_names_its_path(
    change: Callable[[dict[str, Any]], None], path: str, message: str
) -> None:
    cfg = base()
    change(cfg)
    with pytest.raises(ConfigError) as info:
        parse_config(cfg)
    found = {d.path: d.message for d in info.value.details}
    assert path in found, info.value.details
    assert message in found[path]
    assert f"{path}: " in str(info.value)


def test_durations_and_multiplied_targets_up_to_the_bound_are_accepted() -> None:
    cfg = base()
    cfg["policies"][0]["targets"]["first_response"]["P2"] = "87600h"
    cfg["policies"][1]["tier_multipliers"] = {"business": 2.5}
    cfg["policies"][1]["targets"]["first_response"] = {"P1": "1h", "P2": "35040h"}
    policy = parse_config(cfg).policies.policies[1]
    assert policy.target_us("first_response", "P2", "business") == 87_600 * HOUR
    cfg["policies"][1]["tier_multipliers"] = {"business": 2.6}
    assert paths(cfg) == ["policies[1].tier_multipliers.business"]


def test_the_unknown_priority_message_lists_the_known_names() -> None:
    cfg = base()
    cfg["policies"][1]["targets"]["resolution"]["P5"] = "1h"
    assert details(cfg) == [
        "policies[1].targets.resolution.P5: unknown priority 'P5' "
        "(use one of P1, P2, P3, P4, critical, high, low, medium, normal, urgent)"
    ]


def test_every_problem_is_reported_at_once() -> None:
    cfg = base()
    cfg["bogus"] = 1
    cfg["calendars"]["berlin"]["timezone"] = "Nowhere/Else"
    cfg["policies"][0]["on_change"] = "reset"  # a shape error ...
    cfg["policies"][0]["targets"]["first_response"]["P9"] = "1h"  # ... and one in the same policy
    cfg["policies"][1]["calendar"] = "paris"
    cfg["policies"][1]["warnings"] = ["200%"]
    cfg["classification"] = [{"type": "nope"}]
    assert paths(cfg) == [
        "bogus",
        "calendars.berlin.timezone",
        "classification[0].type",
        "policies[0].on_change",
        "policies[0].targets.first_response.P9",
        "policies[1].calendar",
        "policies[1].warnings[0]",
    ]


def test_references_to_an_invalid_calendar_are_not_reported_again() -> None:
    cfg = base()
    cfg["calendars"]["berlin"]["hours"] = {"someday": ["09:00-17:00"]}
    assert paths(cfg) == ["calendars.berlin.hours.someday"]


def test_a_bad_section_shape_is_one_error() -> None:
    cfg = base()
    cfg["calendars"] = ["berlin"]
    cfg["policies"] = {"name": "x"}
    assert details(cfg) == [
        "calendars: expected a mapping, got ['berlin']",
        "policies: Input should be a valid list, got {'name': 'x'}",
    ]


def test_nothing_is_built_when_one_part_is_invalid() -> None:
    cfg = base()
    cfg["policies"].append({"name": "broken", "calendar": "berlin", "targets": {"callback": 5}})
    with pytest.raises(ConfigError):
        parse_config(cfg)
    # the same file without the broken policy is fine: the error was the only problem
    good = copy.deepcopy(cfg)
    good["policies"].pop()
    assert len(parse_config(good).policies.policies) == 2


def test_the_config_must_be_a_mapping() -> None:
    with pytest.raises(ConfigError, match="must be a mapping"):
        parse_config(["policies"])  # type: ignore[arg-type]


def test_config_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match=r"policies\[1\]\.calendar"):
        cfg = base()
        cfg["policies"][1]["calendar"] = "nowhere"
        parse_config(cfg)


# ---------------------------------------------------------------------------------------
# Files and folders
# ---------------------------------------------------------------------------------------


def test_a_folder_of_files_is_merged(tmp_path: Path) -> None:
    (tmp_path / "10-calendars.yaml").write_text(
        "calendars:\n  berlin: {timezone: Europe/Berlin, hours: {mon: ['09:00-17:00']}}\n",
        encoding="utf-8",
    )
    (tmp_path / "20-policies.yaml").write_text(
        "policies:\n"
        "  - name: vip\n"
        "    match: {vip: true}\n"
        "    calendar: berlin\n"
        "    targets: {first_response: {P1: 30m}}\n",
        encoding="utf-8",
    )
    (tmp_path / "30-more.json").write_text(
        '{"calendars": {"always": {"timezone": "UTC", "always_open": true}},'
        ' "policies": [{"name": "rest", "calendar": "always",'
        ' "targets": {"resolution": {"P1": "4h"}}}]}',
        encoding="utf-8",
    )
    (tmp_path / "notes.txt").write_text("not configuration", encoding="utf-8")
    cfg = load_config(tmp_path)
    assert set(cfg.calendars) == {"berlin", "always"}
    assert [p.name for p in cfg.policies.policies] == ["vip", "rest"]


def test_errors_in_a_folder_name_the_merged_path(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "calendars: {always: {timezone: UTC, always_open: true}}\n", encoding="utf-8"
    )
    (tmp_path / "b.yaml").write_text(
        "policies: [{name: x, calendar: always, targets: {resolution: {P1: 4h}}}]\n",
        encoding="utf-8",
    )
    (tmp_path / "c.yaml").write_text(
        "policies: [{name: y, calendar: nowhere, targets: {resolution: {P1: 4h}}}]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert [d.path for d in info.value.details] == ["policies[1].calendar"]


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "missing.yaml")


# ---------------------------------------------------------------------------------------
# The path formatter
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loc", "prefix", "expected"),
    [
        (("policies", 2, "targets", "resolution", "P5"), "", "policies[2].targets.resolution.P5"),
        ((), "policies[0]", "policies[0]"),
        (("at",), "events[3]", "events[3].at"),
        ((0, "name"), "classification", "classification[0].name"),
        (("aliases", 7, "[key]"), "priorities", "priorities.aliases.7"),
        (("statuses", "x"), "", "statuses.x"),
    ],
)
def test_format_loc(loc: tuple[int | str, ...], prefix: str, expected: str) -> None:
    assert format_loc(loc, prefix) == expected


def test_compliance_alert_levels_default_to_90_and_85_percent() -> None:
    levels = parse_config(base()).reports
    assert (levels.target_rate, levels.critical_rate) == (0.90, 0.85)
    cfg = base()
    cfg["reports"] = {"compliance_target": "95%", "compliance_critical": 80}
    levels = parse_config(cfg).reports
    assert (levels.target_rate, levels.critical_rate) == (0.95, 0.80)
    cfg["reports"] = {"compliance_target": "100%", "compliance_critical": "100%"}
    assert parse_config(cfg).reports.critical_rate == 1.0


@pytest.mark.parametrize(
    ("section", "path"),
    [
        ({"compliance_target": "0%"}, "reports.compliance_target"),
        ({"compliance_target": "101%"}, "reports.compliance_target"),
        ({"compliance_target": "ninety"}, "reports.compliance_target"),
        ({"compliance_target": True}, "reports.compliance_target"),
        ({"compliance_critical": "-5%"}, "reports.compliance_critical"),
        ({"compliance_critical": "95%"}, "reports.compliance_critical"),  # above 90%
        ({"compliance_target": "80%"}, "reports.compliance_critical"),  # 85% above it
        ({"target": "90%"}, "reports.target"),
    ],
)
def test_compliance_alert_levels_are_checked(section: dict[str, Any], path: str) -> None:
    cfg = base()
    cfg["reports"] = section
    assert paths(cfg) == [path]
