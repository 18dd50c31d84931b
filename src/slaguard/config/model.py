"""The whole configuration file -> a validated domain `SlaConfig`, every problem named by path.

    priorities: {aliases: {sev1: P1}}
    calendars: {NAME: <calendar mapping, see slaguard.domain.calendar_config>}
    workflows: {TYPE: {statuses: {STATUS: active | paused | done}}}
    classification: [{name, text_contains, match, type}]
    default_type: support
    policies: [{name, match, calendar, on_change, tier_multipliers, warnings, targets}]
    channels, people, escalations, triggers: see slaguard.config.escalation_model
    hub: the SLA hub's lane owners, at-risk horizon and review cadence, see
         slaguard.config.hub_model
    reports: {compliance_target: 90%, compliance_critical: 85%}

The shape of each part (types, required keys, unknown keys) is checked with pydantic;
what needs the rest of the file (calendar and workflow names, priority aliases) and the
domain's own parsers (calendars, durations, priorities) run afterwards on each part that
has the right shape. Every problem found is collected into one `ConfigError` whose
details read ``policies[2].targets.resolution.P5: unknown priority 'P5' (...)``; nothing
is returned unless the whole file is valid.

The escalation sections are read by `slaguard.config.escalation_model` with the same
collector, after the policies (they name policies, metrics, statuses and priorities).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from slaguard.config.escalation_model import metric_names, parse_escalation
from slaguard.config.files import load_mapping
from slaguard.config.hub_model import parse_hub
from slaguard.domain.calendar import BusinessCalendar, duration_us
from slaguard.domain.durations import MAX_DURATION, MAX_HOURS, format_duration, parse_duration
from slaguard.domain.errors import ConfigError, ErrorDetail
from slaguard.domain.policy import (
    BUILTIN_METRICS,
    DEFAULT_BREACH_REASONS,
    NEVER,
    PAUSE_WITH_STATUS,
    ClassificationRule,
    Condition,
    Match,
    OnChange,
    Policy,
    PolicySet,
    ReportSettings,
    SlaConfig,
    Target,
    WarningSpec,
)
from slaguard.domain.priorities import PRIORITIES, PriorityNames
from slaguard.domain.tickets import EventKind
from slaguard.domain.workflow import BUILTIN_WORKFLOWS, StatusCategory, Workflow

__all__ = [
    "error_message",
    "format_loc",
    "load_config",
    "parse_config",
    "validate_model",
    "validation_details",
]

_TARGET_OPTIONS = ("calendar", "warnings", "pause")
_SCALARS = (str, int, float, bool)

_M = TypeVar("_M", bound=BaseModel)


# ---------------------------------------------------------------------------------------
# pydantic errors -> (path, message)
# ---------------------------------------------------------------------------------------


def format_loc(loc: Iterable[int | str], prefix: str = "") -> str:
    """A pydantic `loc` as a path: ``('policies', 2, 'targets')`` -> ``policies[2].targets``.

    List indexes go in brackets, mapping keys after a dot. The ``[key]`` marker pydantic adds
    for a bad mapping key is dropped (the path then names the key itself).
    """
    parts = list(loc)
    path = prefix
    for i, part in enumerate(parts):
        if part == "[key]":
            continue
        is_key = i + 1 < len(parts) and parts[i + 1] == "[key]"
        if isinstance(part, int) and not is_key:
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def error_message(error: Mapping[str, Any]) -> str:
    """The message of one pydantic error, written for people."""
    kind = error.get("type", "")
    msg = str(error.get("msg", "invalid"))
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping, got {_short(error.get('input'))}"
    if kind == "value_error" and msg.startswith("Value error, "):
        return msg[len("Value error, ") :]
    return f"{msg}, got {_short(error.get('input'))}"


def validation_details(exc: ValidationError, prefix: str = "") -> list[ErrorDetail]:
    """Each error of a pydantic ValidationError as an ErrorDetail under `prefix`."""
    return [ErrorDetail(format_loc(e["loc"], prefix), error_message(e)) for e in exc.errors()]


def validate_model(
    model: type[_M], value: Any, path: str, errors: list[ErrorDetail]
) -> tuple[_M | None, set[str]]:
    """`value` validated as `model`, and the names of the fields found invalid.

    The errors go to `errors` (paths under `path`). When some fields are invalid the model
    is rebuilt from the others (None if a required one is among them), so that the rest
    can still be checked and every problem reported at once.
    """
    try:
        return model.model_validate(value), set()
    except ValidationError as exc:
        errors.extend(validation_details(exc, path))
        if not isinstance(value, Mapping):
            return None, set()
        bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        good = {k: v for k, v in value.items() if k in model.model_fields and k not in bad}
        try:
            return model.model_validate(good), bad
        except ValidationError:
            return None, bad


# ---------------------------------------------------------------------------------------
# The shape of each part
# ---------------------------------------------------------------------------------------


def _listify(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


OneOrMany = Annotated[list[str], BeforeValidator(_listify)]
Categories = Annotated[list[StatusCategory], BeforeValidator(_listify)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Priorities(_Strict):
    aliases: dict[str, Literal["P1", "P2", "P3", "P4"]] = Field(default_factory=dict)


class _Root(_Strict):
    priorities: _Priorities = Field(default_factory=_Priorities)
    calendars: dict[str, Any] = Field(default_factory=dict)
    workflows: dict[str, Any] = Field(default_factory=dict)
    classification: list[Any] = Field(default_factory=list)
    default_type: str = "support"
    policies: list[Any] = Field(min_length=1)
    channels: dict[str, Any] = Field(default_factory=dict)
    people: dict[str, Any] = Field(default_factory=dict)
    escalations: list[Any] = Field(default_factory=list)
    triggers: list[Any] = Field(default_factory=list)
    breach_reasons: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(
        default_factory=list
    )
    hub: dict[str, Any] = Field(default_factory=dict)
    reports: dict[str, Any] = Field(default_factory=dict)


class _Reports(_Strict):
    compliance_target: Any = "90%"
    compliance_critical: Any = "85%"


class _Workflow(_Strict):
    statuses: dict[str, StatusCategory] = Field(min_length=1)
    description: str = ""


class _Rule(_Strict):
    type: str
    name: str = ""
    text_contains: OneOrMany = Field(default_factory=list)
    match: dict[str, Any] = Field(default_factory=dict)


class _Condition(_Strict):
    event: OneOrMany = Field(default_factory=list)
    status: OneOrMany = Field(default_factory=list)
    status_category: Categories = Field(default_factory=list)
    match: dict[str, Any] = Field(default_factory=dict)


class _Policy(_Strict):
    name: str = ""
    description: str = ""
    match: dict[str, Any] = Field(default_factory=dict)
    calendar: str | None = None
    on_change: OnChange = OnChange.RECOMPUTE
    tier_multipliers: dict[str, Annotated[float, Field(gt=0, allow_inf_nan=False)]] = Field(
        default_factory=dict
    )
    warnings: list[Any] = Field(default_factory=list)
    targets: dict[str, Any] = Field(default_factory=dict)


class _TargetOptions(_Strict):
    calendar: str | None = None
    warnings: list[Any] | None = None
    pause: Any = True


class _Milestone(_Strict):
    start: Any = None
    stop: Any = None
    pause: Any = True
    calendar: str | None = None
    warnings: list[Any] | None = None
    targets: dict[Any, Any] | None = None


@dataclasses.dataclass
class _TargetDraft:
    """A target before the policy's calendar and warnings are filled in."""

    metric: str
    durations: dict[str, int]
    calendar: str | None
    warnings: tuple[WarningSpec, ...] | None
    pause: Condition
    start: Condition | None = None
    stop: Condition | None = None


# ---------------------------------------------------------------------------------------
# Building the domain objects
# ---------------------------------------------------------------------------------------


class _Builder:
    def __init__(self) -> None:
        self.errors: list[ErrorDetail] = []
        self.priorities = PriorityNames()
        # None: the section itself was invalid, so references to it are not checked.
        self.calendar_names: set[str] | None = set()
        self.workflow_names: set[str] | None = set(BUILTIN_WORKFLOWS)
        self.statuses: set[str] | None = set()

    def error(self, path: str, message: str) -> None:
        self.errors.append(ErrorDetail(path, message))

    def validate(self, model: type[_M], value: Any, path: str) -> tuple[_M | None, set[str]]:
        return validate_model(model, value, path, self.errors)

    # -- sections ------------------------------------------------------------------------

    def aliases(self, section: _Priorities) -> None:
        reserved = {p.lower() for p in PRIORITIES} | {p[1:] for p in PRIORITIES}
        for name in section.aliases:
            if name.strip().lower() in reserved:
                self.error(f"priorities.aliases.{name}", "a priority's own name cannot be an alias")
        aliases = {k: v for k, v in section.aliases.items() if k.strip().lower() not in reserved}
        self.priorities = PriorityNames(aliases)

    def calendars(self, raw: Mapping[str, Any]) -> dict[str, BusinessCalendar]:
        out: dict[str, BusinessCalendar] = {}
        assert self.calendar_names is not None
        for name, mapping in raw.items():
            self.calendar_names.add(name)
            try:
                out[name] = BusinessCalendar.from_config(mapping, name=name)
            except ConfigError as exc:
                self.errors.extend(exc.prefixed(f"calendars.{name}"))
        return out

    def workflows(self, raw: Mapping[str, Any]) -> dict[str, Workflow]:
        out: dict[str, Workflow] = {}
        assert self.workflow_names is not None
        for name, value in raw.items():
            path = f"workflows.{name}"
            self.workflow_names.add(name)
            model, _ = self.validate(_Workflow, value, path)
            if model is None:
                self.statuses = None  # unknown statuses are not reported against it
                continue
            categories = list(model.statuses.values())
            if StatusCategory.DONE not in categories:
                self.error(f"{path}.statuses", "no status of category done (resolved/closed)")
            if categories[0] is StatusCategory.DONE:
                first = next(iter(model.statuses))
                self.error(
                    f"{path}.statuses.{first}",
                    "the first status is where new tickets start; it cannot be done",
                )
            out[name] = Workflow(name, dict(model.statuses))
        return out

    def classification(self, raw: list[Any]) -> tuple[ClassificationRule, ...]:
        rules: list[ClassificationRule] = []
        for i, value in enumerate(raw):
            path = f"classification[{i}]"
            model, _ = self.validate(_Rule, value, path)
            if model is None:
                continue
            self.check_type(model.type, f"{path}.type")
            for j, text in enumerate(model.text_contains):
                if not text.strip():
                    self.error(f"{path}.text_contains[{j}]", "empty text matches every ticket")
            match = self.match(model.match, f"{path}.match")
            rules.append(
                ClassificationRule(
                    type=model.type,
                    text_contains=tuple(model.text_contains),
                    match=match,
                    name=model.name,
                )
            )
        return tuple(rules)

    def check_type(self, name: str, path: str) -> None:
        if self.workflow_names is not None and name not in self.workflow_names:
            known = ", ".join(sorted(self.workflow_names))
            self.error(path, f"no workflow for ticket type {name!r} (known: {known})")

    def check_calendar(self, name: str, path: str) -> None:
        if self.calendar_names is not None and name not in self.calendar_names:
            known = ", ".join(sorted(self.calendar_names)) or "none defined"
            self.error(path, f"unknown calendar {name!r} (known: {known})")

    # -- policies ------------------------------------------------------------------------

    def policies(self, raw: list[Any]) -> tuple[Policy, ...]:
        out: list[Policy] = []
        seen: dict[str, int] = {}
        for i, value in enumerate(raw):
            path = f"policies[{i}]"
            policy = self.policy(value, path)
            name = value.get("name") if isinstance(value, Mapping) else None
            if isinstance(name, str) and name:
                if name in seen:
                    self.error(
                        f"{path}.name",
                        f"duplicate policy name {name!r} (also policies[{seen[name]}])",
                    )
                else:
                    seen[name] = i
            if policy is not None:
                out.append(policy)
        return tuple(out)

    def policy(self, value: Any, path: str) -> Policy | None:
        model, bad = self.validate(_Policy, value, path)
        if model is None:
            return None
        if not model.name.strip() and "name" not in bad:
            self.error(f"{path}.name", "required: a policy needs a name")
        before = len(self.errors)
        match = self.match(model.match, f"{path}.match")
        if model.calendar is not None:
            self.check_calendar(model.calendar, f"{path}.calendar")
        warnings = self.warnings(model.warnings, f"{path}.warnings")
        multipliers: dict[str, float] = {}
        for tier, factor in model.tier_multipliers.items():
            key = tier.strip().lower()
            if key in multipliers:
                self.error(f"{path}.tier_multipliers.{tier}", f"tier {key!r} is given twice")
            multipliers[key] = factor
        drafts: list[_TargetDraft] = []
        for metric, raw in model.targets.items():
            tpath = f"{path}.targets.{metric}"
            draft = (
                self.builtin_target(metric, raw, tpath)
                if metric in BUILTIN_METRICS
                else self.milestone(metric, raw, tpath)
            )
            if draft is not None:
                drafts.append(draft)

        calendar = model.calendar
        if calendar is None and not bad & {"calendar", "targets"}:
            own = {
                metric: raw.get("calendar") if isinstance(raw, Mapping) else None
                for metric, raw in model.targets.items()
            }
            lacking = [metric for metric, name in own.items() if name is None]
            if lacking or not own:
                why = (
                    f"targets {', '.join(lacking)} name no calendar of their own"
                    if lacking
                    else "no target names a calendar"
                )
                self.error(f"{path}.calendar", f"required: {why}")
            else:
                calendar = next((d.calendar for d in drafts if d.calendar), None)
        if len(self.errors) > before or calendar is None:
            return None
        self.check_multipliers(model.tier_multipliers, drafts, path)
        if len(self.errors) > before:
            return None
        targets = {
            d.metric: Target(
                metric=d.metric,
                durations=d.durations,
                calendar=d.calendar or calendar,
                warnings=warnings if d.warnings is None else d.warnings,
                pause=d.pause,
                start=d.start,
                stop=d.stop,
            )
            for d in drafts
        }
        return Policy(
            name=model.name,
            calendar=calendar,
            targets=targets,
            match=match,
            tier_multipliers=multipliers,
            on_change=model.on_change,
        )

    def check_multipliers(
        self, given: Mapping[str, float], drafts: list[_TargetDraft], path: str
    ) -> None:
        """A tier's multiplied targets are durations too (what `Policy.target_us` gives a
        ticket of that tier): more than zero and at most MAX_DURATION. One error per tier,
        naming the first target it breaks."""
        most = duration_us(MAX_DURATION)
        targets = [(d.metric, p, us) for d in drafts for p, us in d.durations.items()]
        for tier, factor in given.items():
            for metric, priority, us in targets:
                multiplied = us * factor  # may overflow to inf
                if multiplied <= most and round(multiplied) > 0:
                    continue
                why = f"longer than {MAX_HOURS}h (ten years)" if multiplied > most else "zero"
                self.error(
                    f"{path}.tier_multipliers.{tier}",
                    f"{factor:g} makes the {metric} target for {priority} "
                    f"({format_duration(us / 1_000_000)}) {why}",
                )
                break

    def builtin_target(self, metric: str, raw: Any, path: str) -> _TargetDraft | None:
        if not isinstance(raw, Mapping):
            self.error(path, f"expected a mapping of priority -> duration, got {_short(raw)}")
            return None
        options = {k: v for k, v in raw.items() if k in _TARGET_OPTIONS}
        model, bad = self.validate(_TargetOptions, options, path)
        durations = self.durations({k: v for k, v in raw.items() if k not in _TARGET_OPTIONS}, path)
        if model is None:
            return None
        draft = self.draft(
            metric, durations or {}, model.calendar, model.warnings, model.pause, path
        )
        return None if durations is None or bad else draft

    def milestone(self, metric: str, raw: Any, path: str) -> _TargetDraft | None:
        model, bad = self.validate(_Milestone, raw, path)
        if model is None:
            return None
        conditions: dict[str, Condition | None] = {}
        for part in ("start", "stop"):
            value = getattr(model, part)
            if value is None:
                if part not in bad:
                    self.error(f"{path}.{part}", f"required: a milestone needs a {part} condition")
                conditions[part] = None
            else:
                conditions[part] = self.condition(value, f"{path}.{part}")
        durations = None
        if model.targets is None:
            if "targets" not in bad:
                self.error(f"{path}.targets", "required: the milestone's target per priority")
        else:
            durations = self.durations(model.targets, f"{path}.targets")
        draft = self.draft(
            metric, durations or {}, model.calendar, model.warnings, model.pause, path
        )
        start, stop = conditions["start"], conditions["stop"]
        if draft is None or durations is None or start is None or stop is None or bad:
            return None
        return dataclasses.replace(draft, start=start, stop=stop)

    def draft(
        self,
        metric: str,
        durations: dict[str, int],
        calendar: str | None,
        warnings: list[Any] | None,
        pause: Any,
        path: str,
    ) -> _TargetDraft | None:
        before = len(self.errors)
        if calendar is not None:
            self.check_calendar(calendar, f"{path}.calendar")
        specs = None if warnings is None else self.warnings(warnings, f"{path}.warnings")
        if pause is True:
            condition: Condition | None = PAUSE_WITH_STATUS
        elif pause is False:
            condition = NEVER
        elif isinstance(pause, Mapping):
            condition = self.condition(pause, f"{path}.pause")
        else:
            self.error(
                f"{path}.pause",
                f"expected true, false or a condition mapping, got {_short(pause)}",
            )
            condition = None
        if condition is None or len(self.errors) > before:
            return None
        return _TargetDraft(metric, durations, calendar, specs, condition)

    def durations(self, raw: Mapping[Any, Any], path: str) -> dict[str, int] | None:
        before = len(self.errors)
        out: dict[str, int] = {}
        named_by: dict[str, Any] = {}
        for key, value in raw.items():
            kpath = f"{path}.{key}"
            try:
                priority = self.priorities.normalise(key, kpath)
            except ConfigError as exc:
                self.errors.extend(exc.details)
                continue
            if priority in named_by:
                self.error(
                    kpath,
                    f"names the same priority as {named_by[priority]!r} ({priority})",
                )
                continue
            named_by[priority] = key
            us = self.duration(value, kpath)
            if us is not None:
                out[priority] = us
        if not named_by and len(self.errors) == before:
            self.error(path, "no target for any priority (give e.g. P1: 4h)")
        return out if len(self.errors) == before else None

    def duration(self, value: Any, path: str) -> int | None:
        try:
            us = duration_us(parse_duration(value, path))
        except ConfigError as exc:
            self.errors.extend(exc.details)
            return None
        if us <= 0:
            self.error(path, f"a duration must be more than zero, got {_short(value)}")
            return None
        return us

    def warnings(self, raw: list[Any], path: str) -> tuple[WarningSpec, ...]:
        out = []
        for i, value in enumerate(raw):
            spec = self.warning(value, f"{path}[{i}]")
            if spec is not None:
                out.append(spec)
        return tuple(out)

    def warning(self, value: Any, path: str) -> WarningSpec | None:
        usage = "expected 'N%' (0 < N < 100) or '<duration> before' such as '30m before'"
        if not isinstance(value, str):
            self.error(path, f"{usage}, got {_short(value)}")
            return None
        text = " ".join(value.split())
        if text.endswith("%"):
            try:
                percent = float(text[:-1])
            except ValueError:
                percent = math.nan
            if not 0 < percent < 100:
                self.error(path, f"{usage}, got {value!r}")
                return None
            return WarningSpec(text, fraction=percent / 100)
        if text.lower().endswith(" before"):
            before = self.duration(text[: -len(" before")], path)
            return None if before is None else WarningSpec(text, before_us=before)
        self.error(path, f"{usage}, got {value!r}")
        return None

    # -- conditions ------------------------------------------------------------------------

    def match(self, raw: Mapping[str, Any], path: str) -> Match:
        conditions: dict[str, tuple[Any, ...]] = {}
        for name, value in raw.items():
            fpath = f"{path}.{name}"
            items: list[tuple[Any, str]]
            if isinstance(value, list):
                if not value:
                    self.error(fpath, "an empty list matches no ticket")
                    continue
                items = [(v, f"{fpath}[{i}]") for i, v in enumerate(value)]
            else:
                items = [(value, fpath)]
            values: list[Any] = []
            for v, vpath in items:
                if not isinstance(v, _SCALARS):
                    self.error(
                        vpath,
                        "expected a value or a list of values (text, number, true/false), "
                        f"got {_short(v)}",
                    )
                elif name == "priority":
                    try:
                        values.append(self.priorities.normalise(v, vpath))
                    except ConfigError as exc:
                        self.errors.extend(exc.details)
                else:
                    values.append(v)
            conditions[name] = tuple(values)
        return Match(conditions)

    def condition(self, raw: Any, path: str) -> Condition | None:
        model, bad = self.validate(_Condition, raw, path)
        if model is None:
            return None
        before = len(self.errors)
        kinds = {k.value for k in EventKind}
        for i, event in enumerate(model.event):
            if event not in kinds:
                hint = {
                    "resolved": "; use status_category: done",
                    "closed": "; use status_category: done",
                    "reopened": "; use status or status_category",
                    "internal_note": "; internal notes are agent_reply events",
                }.get(event, "")
                self.error(
                    f"{path}.event[{i}]",
                    f"unknown event kind {event!r} (use one of {', '.join(sorted(kinds))}){hint}",
                )
        if self.statuses is not None:
            for i, status in enumerate(model.status):
                if status not in self.statuses:
                    self.error(
                        f"{path}.status[{i}]",
                        f"no workflow has a status {status!r} "
                        f"(known: {', '.join(sorted(self.statuses))})",
                    )
        match = self.match(model.match, f"{path}.match")
        condition = Condition(
            events=frozenset(model.event),
            statuses=frozenset(model.status),
            categories=frozenset(model.status_category),
            match=match,
        )
        if condition.empty and not bad:
            self.error(path, "give at least one of event, status, status_category, match")
        return None if len(self.errors) > before else condition


# ---------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------


def parse_config(mapping: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> SlaConfig:
    """The validated configuration of a whole file (or merged folder).

    `environ` gives the values of the ``${VAR}`` references in channels (None: the
    process environment). Raises one ConfigError listing every problem found; builds
    nothing otherwise.
    """
    if not isinstance(mapping, Mapping):
        raise ConfigError(f"the configuration must be a mapping, got {type(mapping).__name__}")
    # An empty section (`calendars:` with nothing under it) is the same as no section.
    mapping = {k: v for k, v in mapping.items() if v is not None or k == "policies"}
    b = _Builder()
    bad: set[str] = set()
    try:
        _Root.model_validate(mapping)
    except ValidationError as exc:
        b.errors.extend(validation_details(exc))
        bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}

    def section(name: str, default: Any) -> Any:
        return default if name in bad else mapping.get(name, default)

    if "priorities" in mapping and "priorities" not in bad:
        b.aliases(_Priorities.model_validate(mapping["priorities"]))

    if "calendars" in bad:
        b.calendar_names = None
    calendars = b.calendars(section("calendars", {})) if b.calendar_names is not None else {}

    if "workflows" in bad:
        b.workflow_names = None
        b.statuses = None
    configured = b.workflows(section("workflows", {})) if b.workflow_names is not None else {}
    workflows = {**BUILTIN_WORKFLOWS, **configured}
    if b.statuses is not None:
        b.statuses = {s for w in workflows.values() for s in w.statuses}

    classification = b.classification(section("classification", []))
    default_type = section("default_type", "support")
    if isinstance(default_type, str):
        b.check_type(default_type, "default_type")
    raw_policies = section("policies", [])
    policies = b.policies(raw_policies)
    escalation = parse_escalation(
        b,
        channels=None if "channels" in bad else mapping.get("channels", {}),
        people=None if "people" in bad else mapping.get("people", {}),
        escalations=section("escalations", []),
        triggers=section("triggers", []),
        policies=None if "policies" in bad else _policy_names(raw_policies),
        metrics=None if "policies" in bad else metric_names(raw_policies),
        environ=os.environ if environ is None else environ,
    )

    hub = parse_hub(b, None if "hub" in bad else mapping.get("hub"))
    report_settings = _report_settings(b, section("reports", {}))

    reasons = tuple(section("breach_reasons", []) or DEFAULT_BREACH_REASONS)
    for i, name in enumerate(reasons):
        if name in reasons[:i]:
            b.error(f"breach_reasons[{i}]", f"{name!r} is listed twice")

    if b.errors:
        raise ConfigError(b.errors)
    return SlaConfig(
        calendars=calendars,
        policies=PolicySet(policies),
        workflows=workflows,
        classification=classification,
        priorities=b.priorities,
        default_type=default_type,
        escalation=escalation,
        breach_reasons=reasons,
        hub=hub,
        reports=report_settings,
    )


def _percent(b: _Builder, value: Any, path: str) -> float | None:
    """A percentage, `"90%"` or `90`, as a fraction in (0, 1]; None (and an error) if not."""
    number: float | None = None
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            number = float(value.strip()[:-1])
        except ValueError:
            number = None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    if number is None or not math.isfinite(number):
        b.error(path, f"expected a percentage such as '90%', got {_short(value)}")
        return None
    if not 0 < number <= 100:
        b.error(path, f"must be above 0% and at most 100%, got {_short(value)}")
        return None
    return number / 100


def _report_settings(b: _Builder, raw: Any) -> ReportSettings:
    """The `reports:` section: the compliance alert's levels (0 < critical <= target)."""
    model, _ = b.validate(_Reports, raw, "reports")
    if model is None:
        return ReportSettings()
    target = _percent(b, model.compliance_target, "reports.compliance_target")
    critical = _percent(b, model.compliance_critical, "reports.compliance_critical")
    if target is None or critical is None:
        return ReportSettings()
    if critical > target:
        b.error(
            "reports.compliance_critical",
            f"must not be above compliance_target ({_short(model.compliance_target)})",
        )
    return ReportSettings(target_rate=target, critical_rate=critical)


def _policy_names(raw: list[Any]) -> set[str]:
    return {p["name"] for p in raw if isinstance(p, Mapping) and isinstance(p.get("name"), str)}


def load_config(path: str | Path, environ: Mapping[str, str] | None = None) -> SlaConfig:
    """The validated configuration in a YAML/JSON file or a folder of them."""
    return parse_config(load_mapping(path), environ)
