"""The escalation sections of the configuration -> a validated domain `EscalationConfig`.

    channels:    see slaguard.config.channels_model
    people:      see slaguard.config.channels_model
    escalations: [{name, applies_to, levels: [{when, metrics, notify, do, repeat_every}]}]
    triggers:    [{name, stage, when: {event | idle, status, status_category, FIELD}, do}]

Checked like the rest of the file (`slaguard.config.model`): the shape with pydantic, then
names against the other sections (policies, metrics, statuses, priority aliases, channels,
roles), every problem collected under its path. Channels and people are read first, since
recipients name them; a section whose shape is wrong leaves its names unchecked rather
than reporting every reference to it as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from slaguard.config.channels_model import (
    BUILTIN_RECIPIENTS,
    Checks,
    Reader,
    Strict,
    read_channels,
    read_people,
    short,
)
from slaguard.domain.errors import ConfigError
from slaguard.domain.escalation import (
    STAGE_ORDER,
    TRIGGER_EVENTS,
    Action,
    ActionKind,
    EscalationConfig,
    Ladder,
    Level,
    LevelKind,
    People,
    Stage,
    Trigger,
    When,
)
from slaguard.domain.match import Match
from slaguard.domain.policy import BUILTIN_METRICS
from slaguard.domain.workflow import StatusCategory

__all__ = ["metric_names", "parse_escalation"]

_TEAM_ROLES = ("team_lead", "lead", "manager")  # assign {role: ...} from people.teams

_ACTIONS: Mapping[str, ActionKind] = {
    "notify": ActionKind.NOTIFY,
    "reassign": ActionKind.ASSIGN,
    "assign": ActionKind.ASSIGN,
    "priority": ActionKind.PRIORITY,
    "status": ActionKind.STATUS,
    "queue": ActionKind.QUEUE,
    "followers": ActionKind.FOLLOWERS,
    "tag": ActionKind.TAG,
    "task": ActionKind.TASK,
}
_ASSIGN_KEYS = ("team", "person", "role")
_TRIGGER_KEYS = ("event", "idle", "status", "status_category")

_WHEN_USAGE = "expected '50%', '30m before', 'breach' or '4h after breach'"
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_BEFORE = re.compile(r"(.+?)\s+before", re.IGNORECASE)
_AFTER = re.compile(r"(.+?)\s+after\s+breach", re.IGNORECASE)
_MAX_PERCENT = 1000


class _Ladder(Strict):
    name: str = ""
    applies_to: dict[str, Any] = Field(default_factory=dict)
    levels: list[Any] | None = None


class _Level(Strict):
    when: Any = None
    metrics: Any = None
    notify: Any = None
    do: list[Any] | None = None
    repeat_every: Any = None


class _Trigger(Strict):
    name: str = ""
    stage: Stage = Stage.NOTIFY
    when: dict[str, Any] | None = None
    do: list[Any] | None = None


class _Task(Strict):
    title: str
    assignee: str | None = None


@dataclass(frozen=True, slots=True)
class _TriggerWhen:
    events: frozenset[str]
    idle_us: int | None
    categories: frozenset[StatusCategory]
    statuses: frozenset[str]
    match: Match


def parse_escalation(
    checks: Checks,
    *,
    channels: Mapping[str, Any] | None,
    people: Mapping[str, Any] | None,
    escalations: list[Any],
    triggers: list[Any],
    policies: set[str] | None,
    metrics: set[str] | None,
    environ: Mapping[str, str],
) -> EscalationConfig:
    """The four sections as domain objects, their problems added to `checks.errors`.

    `channels` / `people` None: the section's shape was wrong (already reported), so the
    names it would define are not checked. `policies` / `metrics`: the file's policy
    names and metric names (built in and milestones), None when unknown. What is returned
    is only meaningful when no error was added.
    """
    channel_names = None if channels is None else set(channels)
    parsed_channels = read_channels(checks, channels or {}, environ=environ)
    parsed_people, roles = (
        (People(), None)
        if people is None
        else read_people(checks, people, channel_names=channel_names)
    )
    p = _Parser(checks, policies=policies, metrics=metrics, channels=channel_names, roles=roles)
    return EscalationConfig(
        channels=parsed_channels,
        people=parsed_people,
        ladders=p.ladders(escalations),
        triggers=p.triggers(triggers),
    )


def metric_names(policies: Iterable[Any]) -> set[str] | None:
    """The built-in metrics and the target names of raw policy entries; None when some
    policy's targets are not a mapping (so that metric names cannot be checked)."""
    out = set(BUILTIN_METRICS)
    for policy in policies:
        targets = policy.get("targets", {}) if isinstance(policy, Mapping) else None
        if not isinstance(targets, Mapping):
            return None
        out.update(str(k) for k in targets)
    return out


class _Parser(Reader):
    def __init__(
        self,
        checks: Checks,
        *,
        policies: set[str] | None,
        metrics: set[str] | None,
        channels: set[str] | None,
        roles: set[str] | None,
    ) -> None:
        super().__init__(checks)
        # None: unknown (that section was invalid), so references to it are not checked.
        self.policies = policies
        self.metrics = metrics
        self.channel_names = channels
        self.roles = roles

    # -- recipients and actions ----------------------------------------------------------

    def recipients(self, value: Any, path: str) -> tuple[str, ...] | None:
        items = self.texts(value, path, "a recipient", "notifies nobody")
        if items is None:
            return None
        before = self.mark()
        for name, ipath in items:
            self.recipient(name, ipath)
        return tuple(dict.fromkeys(n for n, _ in items)) if self.mark() == before else None

    def recipient(self, name: str, path: str) -> None:
        if name in BUILTIN_RECIPIENTS or "@" in name or name.startswith("+"):
            return
        if self.channel_names is None or self.roles is None:
            return
        if name not in self.channel_names and name not in self.roles:
            self.error(
                path,
                f"unknown recipient {name!r}: not a channel, a role in people.roles, "
                "assignee, team_lead, manager or an address",
            )

    def actions(self, raw: list[Any], path: str) -> list[Action]:
        out: list[Action] = []
        for i, item in enumerate(raw):
            ipath = f"{path}[{i}]"
            if not isinstance(item, Mapping) or len(item) != 1:
                got = (
                    f"got {', '.join(map(str, item))}"
                    if isinstance(item, Mapping) and item
                    else f"got {short(item)}"
                )
                self.error(
                    ipath,
                    "expected one action as a single-key mapping such as "
                    f"{{notify: [assignee]}}, {got}",
                )
                continue
            ((key, value),) = item.items()
            apath = f"{ipath}.{key}"
            kind = _ACTIONS.get(key) if isinstance(key, str) else None
            if kind is None:
                self.error(apath, f"unknown action (use one of {', '.join(_ACTIONS)})")
                continue
            found = self.action_value(kind, value, apath)
            if found is not None:
                out.append(Action(kind, found))
        return out

    def action_value(self, kind: ActionKind, value: Any, path: str) -> Any:
        if kind in (ActionKind.NOTIFY, ActionKind.FOLLOWERS):
            return self.recipients(value, path)
        if kind is ActionKind.ASSIGN:
            return self.assignment(value, path)
        if kind is ActionKind.PRIORITY:
            return self.priority(value, path)
        if kind is ActionKind.STATUS:
            status = self.text(value, path, "a status")
            return status if status is not None and self.status_known(status, path) else None
        if kind is ActionKind.QUEUE:
            return self.text(value, path, "a queue name")
        if kind is ActionKind.TAG:
            items = self.texts(value, path, "a tag", "adds no tag")
            return None if items is None else tuple(t for t, _ in items)
        return self.task(value, path)

    def status_known(self, status: str, path: str) -> bool:
        if self.c.statuses is None or status in self.c.statuses:
            return True
        known = ", ".join(sorted(self.c.statuses))
        self.error(path, f"no workflow has a status {status!r} (known: {known})")
        return False

    def assignment(self, value: Any, path: str) -> dict[str, str] | None:
        usage = "expected {team: NAME}, {person: NAME} or {role: NAME}"
        if not isinstance(value, Mapping) or not value:
            self.error(path, f"{usage}, got {short(value)}")
            return None
        before = self.mark()
        for key in value:
            if key not in _ASSIGN_KEYS:
                self.error(f"{path}.{key}", "unknown field (use team, person or role)")
        keys = [k for k in _ASSIGN_KEYS if k in value]
        if len(keys) > 1:
            self.error(path, f"give exactly one of team, person, role, got {', '.join(keys)}")
        if self.mark() > before or not keys:
            return None
        key = keys[0]
        name = self.text(value[key], f"{path}.{key}", f"a {key}")
        if name is None:
            return None
        if (
            key == "role"
            and name not in _TEAM_ROLES
            and self.roles is not None
            and name not in self.roles
        ):
            self.error(
                f"{path}.role",
                f"unknown role {name!r}: not in people.roles, nor team_lead or manager",
            )
            return None
        return {key: name}

    def priority(self, value: Any, path: str) -> str | None:
        if isinstance(value, str) and value.strip().lower() == "raise":
            return "raise"
        try:
            return self.c.priorities.normalise(value, path)
        except ConfigError as exc:
            self.error(path, f"{exc.details[0].message}, or raise")
            return None

    def task(self, value: Any, path: str) -> dict[str, str | None] | None:
        if isinstance(value, str):
            title = self.text(value, path, "a title")
            return None if title is None else {"title": title, "assignee": None}
        if not isinstance(value, Mapping):
            self.error(path, f"expected a title or {{title, assignee}}, got {short(value)}")
            return None
        model, _ = self.c.validate(_Task, value, path)
        if model is None or self.text(model.title, f"{path}.title", "a title") is None:
            return None
        return {"title": model.title, "assignee": model.assignee}

    # -- ladders -------------------------------------------------------------------------

    def ladders(self, raw: list[Any]) -> tuple[Ladder, ...]:
        out: list[Ladder] = []
        seen: dict[str, int] = {}
        for i, value in enumerate(raw):
            path = f"escalations[{i}]"
            ladder = self.ladder(value, path)
            name = value.get("name") if isinstance(value, Mapping) else None
            if isinstance(name, str) and name.strip():
                if name in seen:
                    self.error(
                        f"{path}.name",
                        f"duplicate ladder name {name!r} (also escalations[{seen[name]}])",
                    )
                else:
                    seen[name] = i
            if ladder is not None:
                out.append(ladder)
        return tuple(out)

    def ladder(self, value: Any, path: str) -> Ladder | None:
        model, bad = self.c.validate(_Ladder, value, path)
        if model is None:
            return None
        before = self.mark()
        if not model.name.strip() and "name" not in bad:
            self.error(f"{path}.name", "required: a ladder needs a name")
        fields = {k: v for k, v in model.applies_to.items() if k != "policy"}
        match = self.c.match(fields, f"{path}.applies_to")
        policies: set[str] = set()
        if "policy" in model.applies_to:
            ppath = f"{path}.applies_to.policy"
            raw_policies = model.applies_to["policy"]
            for name, npath in self.each(raw_policies, ppath, "a policy", "applies to none"):
                if self.policies is not None and name not in self.policies:
                    known = ", ".join(sorted(self.policies)) or "none defined"
                    self.error(npath, f"unknown policy {name!r} (known: {known})")
                policies.add(name)
        levels: list[Level] = []
        if model.levels is None:
            if "levels" not in bad:
                self.error(f"{path}.levels", "required: a ladder needs at least one level")
        elif not model.levels:
            self.error(f"{path}.levels", "a ladder needs at least one level")
        for j, raw in enumerate(model.levels or ()):
            level = self.level(raw, f"{path}.levels[{j}]", j + 1)
            if level is not None:
                levels.append(level)
        if self.mark() > before or bad:
            return None
        return Ladder(
            name=model.name, levels=tuple(levels), policies=frozenset(policies), match=match
        )

    def level(self, value: Any, path: str, index: int) -> Level | None:
        model, bad = self.c.validate(_Level, value, path)
        if model is None:
            return None
        before = self.mark()
        when = self.when(model.when, f"{path}.when")
        metrics = None
        if model.metrics is not None:
            metrics = frozenset(self.metric_names(model.metrics, f"{path}.metrics"))
        actions: list[Action] = []
        if model.notify is not None:
            recipients = self.recipients(model.notify, f"{path}.notify")
            if recipients is not None:
                actions.append(Action(ActionKind.NOTIFY, recipients))
        if model.do is not None:
            actions.extend(self.actions(model.do, f"{path}.do"))
        if not actions and self.mark() == before and not bad:
            self.error(path, "a level needs at least one action (notify or do)")
        repeat = None
        if model.repeat_every is not None:
            repeat = self.c.duration(model.repeat_every, f"{path}.repeat_every")
            if not any(a.kind is ActionKind.NOTIFY for a in actions) and actions:
                self.error(
                    f"{path}.repeat_every",
                    "repeats the level's notifications, but the level notifies nobody",
                )
        if when is None or self.mark() > before or bad:
            return None
        return Level(
            index=index,
            when=when,
            actions=tuple(actions),
            metrics=metrics,
            repeat_every_us=repeat,
        )

    def when(self, value: Any, path: str) -> When | None:
        if value is None:
            self.error(path, f"required: {_WHEN_USAGE[len('expected ') :]}")
            return None
        if not isinstance(value, str):
            self.error(path, f"{_WHEN_USAGE}, got {short(value)}")
            return None
        text = " ".join(value.split())
        if m := _PERCENT.fullmatch(text):
            percent = float(m.group(1))
            if not 0 < percent <= _MAX_PERCENT:
                self.error(
                    path,
                    f"expected a percentage above 0 and at most {_MAX_PERCENT}, got {value!r}",
                )
                return None
            return When(LevelKind.PERCENT, fraction=percent / 100, label=text)
        if text.lower() == "breach":
            return When(LevelKind.BREACH, label=text)
        for pattern, kind in ((_AFTER, LevelKind.AFTER), (_BEFORE, LevelKind.BEFORE)):
            if m := pattern.fullmatch(text):
                offset = self.c.duration(m.group(1), path)
                return None if offset is None else When(kind, offset_us=offset, label=text)
        self.error(path, f"{_WHEN_USAGE}, got {value!r}")
        return None

    def metric_names(self, value: Any, path: str) -> list[str]:
        out = []
        for name, ipath in self.each(value, path, "a metric", "names none (leave it out for all)"):
            if self.metrics is not None and name not in self.metrics:
                known = ", ".join(sorted(self.metrics))
                self.error(ipath, f"unknown metric {name!r} (known: {known})")
            out.append(name)
        return out

    # -- triggers ------------------------------------------------------------------------

    def triggers(self, raw: list[Any]) -> tuple[Trigger, ...]:
        out: list[Trigger] = []
        seen: dict[str, int] = {}
        for i, value in enumerate(raw):
            path = f"triggers[{i}]"
            trigger = self.trigger(value, path)
            name = value.get("name") if isinstance(value, Mapping) else None
            if isinstance(name, str) and name.strip():
                if name in seen:
                    self.error(
                        f"{path}.name",
                        f"duplicate trigger name {name!r} (also triggers[{seen[name]}])",
                    )
                else:
                    seen[name] = i
            if trigger is not None:
                out.append(trigger)
        # stable: in the order written within each stage
        return tuple(sorted(out, key=lambda t: STAGE_ORDER[t.stage]))

    def trigger(self, value: Any, path: str) -> Trigger | None:
        model, bad = self.c.validate(_Trigger, value, path)
        if model is None:
            return None
        before = self.mark()
        if not model.name.strip() and "name" not in bad:
            self.error(f"{path}.name", "required: a trigger needs a name")
        parts: _TriggerWhen | None = None
        if model.when is None:
            if "when" not in bad:
                self.error(
                    f"{path}.when", "required: {event: KIND} or {idle: DURATION}, and conditions"
                )
        else:
            parts = self.trigger_when(model.when, f"{path}.when")
        actions: list[Action] = []
        if model.do is None:
            if "do" not in bad:
                self.error(f"{path}.do", "required: a trigger needs at least one action")
        elif not model.do:
            self.error(f"{path}.do", "a trigger needs at least one action")
        else:
            actions = self.actions(model.do, f"{path}.do")
        if parts is None or self.mark() > before or bad:
            return None
        return Trigger(
            name=model.name,
            stage=model.stage,
            actions=tuple(actions),
            events=parts.events,
            idle_us=parts.idle_us,
            match=parts.match,
            categories=parts.categories,
            statuses=parts.statuses,
        )

    def trigger_when(self, raw: Mapping[str, Any], path: str) -> _TriggerWhen | None:
        before = self.mark()
        has_event, has_idle = raw.get("event") is not None, raw.get("idle") is not None
        if has_event and has_idle:
            self.error(path, "give either event or idle, not both")
        elif not (has_event or has_idle):
            self.error(path, "required: event (an event kind or a list) or idle (a duration)")
        events: list[str] = []
        if has_event:
            kinds = ", ".join(sorted(TRIGGER_EVENTS))
            for kind, kpath in self.each(
                raw["event"], f"{path}.event", "an event kind", "fits none"
            ):
                if kind not in TRIGGER_EVENTS:
                    self.error(kpath, f"unknown event kind {kind!r} (use one of {kinds})")
                events.append(kind)
        idle = self.c.duration(raw["idle"], f"{path}.idle") if has_idle else None
        categories: list[StatusCategory] = []
        if raw.get("status_category") is not None:
            cpath = f"{path}.status_category"
            for name, ipath in self.each(raw["status_category"], cpath, "a category", "fits none"):
                if name not in tuple(StatusCategory):
                    self.error(
                        ipath, f"unknown status category {name!r} (use active, paused or done)"
                    )
                else:
                    categories.append(StatusCategory(name))
        statuses: list[str] = []
        if raw.get("status") is not None:
            for name, spath in self.each(raw["status"], f"{path}.status", "a status", "fits none"):
                self.status_known(name, spath)
                statuses.append(name)
        match = self.c.match({k: v for k, v in raw.items() if k not in _TRIGGER_KEYS}, path)
        if self.mark() > before:
            return None
        return _TriggerWhen(
            events=frozenset(events),
            idle_us=idle,
            categories=frozenset(categories),
            statuses=frozenset(statuses),
            match=match,
        )
