"""Escalation: ladders of levels on clock conditions, event triggers, channels and people.

Pure and deterministic like the rest of the domain: time is passed in, nothing here
sends, stores or reads a clock.

A *ladder* applies to tickets (by policy and ticket fields) and holds *levels*. A level
fires at a point of a clock's business time, measured like the clock's own target:

    "50%"            half the target elapsed        (a warning)
    "30m before"     the target less 30 minutes     (a warning)
    "breach"         just past the due instant      (a breach)
    "4h after breach" the target plus 4 hours       (an escalation)

so a paused clock holds its levels back exactly as it holds back its due instant. Each
level fires at most once per clock cycle (the storage enforces it); `repeat_every`
re-notifies on a wall-clock cadence until somebody acknowledges.

A *trigger* reacts to an event (or to a ticket left idle) and runs its actions; triggers
run in stages: classify, then assign, then notify.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from slaguard.domain.calendar import MINUTES_PER_DAY, from_us, local_instant_us
from slaguard.domain.match import Match
from slaguard.domain.states import ClockState
from slaguard.domain.workflow import StatusCategory

if TYPE_CHECKING:
    from slaguard.domain.engine import Clock, Evaluation

__all__ = [
    "TEAMS_FORMATS",
    "TRIGGER_EVENTS",
    "Action",
    "ActionKind",
    "Channel",
    "ChannelType",
    "EscalationConfig",
    "Ladder",
    "Level",
    "LevelKind",
    "People",
    "PlannedLevel",
    "QuietHours",
    "Recipient",
    "Stage",
    "TeamPeople",
    "Trigger",
    "When",
    "level_instant",
    "plan_levels",
    "raise_priority",
    "resolve_recipients",
]


class LevelKind(StrEnum):
    PERCENT = "percent"
    BEFORE = "before"
    BREACH = "breach"
    AFTER = "after"


@dataclass(frozen=True, slots=True)
class When:
    """When a level fires, as a point of the clock's business time."""

    kind: LevelKind
    fraction: float = 0.0  # PERCENT
    offset_us: int = 0  # BEFORE / AFTER
    label: str = ""

    def threshold_us(self, target_us: int) -> int:
        """The business time elapsed at which the level fires."""
        if self.kind is LevelKind.PERCENT:
            return max(0, round(target_us * self.fraction))
        if self.kind is LevelKind.BEFORE:
            return max(0, target_us - self.offset_us)
        if self.kind is LevelKind.BREACH:
            return target_us
        return target_us + self.offset_us

    @property
    def strict(self) -> bool:
        """A breach needs the clock to run past the due instant, not merely reach it."""
        return self.kind is LevelKind.BREACH

    @property
    def notification_kind(self) -> str:
        """What the notifications of this level are: warning, breach or escalation."""
        if self.kind in (LevelKind.PERCENT, LevelKind.BEFORE):
            return "warning"
        return "breach" if self.kind is LevelKind.BREACH else "escalation"


class ActionKind(StrEnum):
    NOTIFY = "notify"
    ASSIGN = "assign"  # also written `reassign`
    PRIORITY = "priority"
    STATUS = "status"
    QUEUE = "queue"
    FOLLOWERS = "followers"
    TAG = "tag"
    TASK = "task"


@dataclass(frozen=True, slots=True)
class Action:
    """One thing to do. `value` by kind:

    notify: tuple of recipients (assignee, team_lead, manager, a role, a person's
    address, a channel name); assign: {"team": ..} / {"person": ..} / {"role": ..};
    priority: "raise" or P1-P4; status: a status; queue: a queue name; followers: tuple of
    recipients; tag: tuple of tags; task: {"title": .., "assignee": ..}.
    """

    kind: ActionKind
    value: Any


@dataclass(frozen=True, slots=True)
class Level:
    index: int  # 1-based: L1, L2, ...
    when: When
    actions: tuple[Action, ...]
    metrics: frozenset[str] | None = None  # None: every metric
    repeat_every_us: int | None = None

    @property
    def name(self) -> str:
        return f"L{self.index}"

    def applies_to_metric(self, metric: str) -> bool:
        return self.metrics is None or metric in self.metrics


@dataclass(frozen=True, slots=True)
class Ladder:
    name: str
    levels: tuple[Level, ...]
    policies: frozenset[str] = frozenset()  # empty: any policy
    match: Match = field(default_factory=Match)  # ticket fields

    def applies(self, policy: str, fields: Mapping[str, Any]) -> bool:
        if self.policies and policy not in self.policies:
            return False
        return self.match.fits(fields)


class Stage(StrEnum):
    CLASSIFY = "classify"
    ASSIGN = "assign"
    NOTIFY = "notify"


STAGE_ORDER = {Stage.CLASSIFY: 0, Stage.ASSIGN: 1, Stage.NOTIFY: 2}

# The event kinds a trigger reacts to: the ticket's own event kinds, and moments read from
# them (internal_note: an agent reply that is not public; resolved, closed, reopened: status
# changes).
TRIGGER_EVENTS = frozenset(
    {
        "created",
        "status",
        "priority",
        "tier",
        "assigned",
        "field",
        "agent_reply",
        "customer_reply",
        "internal_note",
        "callback_requested",
        "callback_made",
        "csat",
        "resolved",
        "closed",
        "reopened",
        "duplicate_of",
        "caused_by",
    }
)


@dataclass(frozen=True, slots=True)
class Trigger:
    """An event rule. `events`: the event kinds it reacts to (`created`, `customer_reply`,
    ...); `idle_us`: instead, fire once a ticket has had no event for that long. Ticket
    fields must fit `match`, the status category be among `categories` and the status
    among `statuses` (each if given)."""

    name: str
    stage: Stage
    actions: tuple[Action, ...]
    events: frozenset[str] = frozenset()
    idle_us: int | None = None
    match: Match = field(default_factory=Match)
    categories: frozenset[StatusCategory] = frozenset()
    statuses: frozenset[str] = frozenset()

    def fits(
        self,
        fields: Mapping[str, Any],
        category: StatusCategory | None,
        status: str | None = None,
    ) -> bool:
        if self.categories and category not in self.categories:
            return False
        if self.statuses and status not in self.statuses:
            return False
        return self.match.fits(fields)

    def reacts_to(self, event_kind: str) -> bool:
        return self.idle_us is None and event_kind in self.events


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily window (in a time zone) in which non-P1 notifications are held back.

    `start` > `end` spans midnight (22:00-07:00)."""

    start: time
    end: time
    zone: ZoneInfo

    def release_at(self, at_us: int) -> int | None:
        """The instant the quiet window holding `at_us` ends; None when not quiet.

        The window of a local date D runs from D at `start` to `end` (on D + 1 when it
        spans midnight), each wall time made an instant by the calendars' DST rules: an
        ambiguous time is its first occurrence, a skipped one the transition."""
        if self.start == self.end:
            return None
        start = self.start.hour * 60 + self.start.minute
        end = self.end.hour * 60 + self.end.minute
        if end < start:
            end += MINUTES_PER_DAY
        today = from_us(at_us, self.zone).date()
        for day in (today - timedelta(days=1), today):
            release = local_instant_us(self.zone, day, end)
            if local_instant_us(self.zone, day, start) <= at_us < release:
                return release
        return None


# How a Teams channel's message is laid out: an Adaptive Card (the default: what Teams
# Workflows webhooks post, and connectors take too) or an Office 365 connector MessageCard.
TEAMS_FORMATS = ("adaptive", "message")


class ChannelType(StrEnum):
    SLACK = "slack"
    WEBHOOK = "webhook"
    EMAIL = "email"
    TEAMS = "teams"
    SMS = "sms"


@dataclass(frozen=True, slots=True)
class Channel:
    """A configured destination. `settings` by type: url (slack, teams, webhook), secret
    (webhook), to (email, sms: addresses or numbers), provider (sms)."""

    name: str
    type: ChannelType
    settings: Mapping[str, Any] = field(repr=False)  # may hold secrets
    digest_us: int | None = None
    quiet: QuietHours | None = None


@dataclass(frozen=True, slots=True)
class TeamPeople:
    lead: str | None = None
    manager: str | None = None
    members: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class People:
    teams: Mapping[str, TeamPeople] = field(default_factory=dict)
    roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # role -> people
    quiet: Mapping[str, QuietHours] = field(default_factory=dict)  # person -> quiet hours


@dataclass(frozen=True, slots=True)
class EscalationConfig:
    channels: Mapping[str, Channel] = field(default_factory=dict)
    people: People = field(default_factory=People)
    ladders: tuple[Ladder, ...] = ()
    triggers: tuple[Trigger, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.ladders or self.triggers)


# ---------------------------------------------------------------------------------------
# when levels fire
# ---------------------------------------------------------------------------------------


def level_instant(clock: Clock, when: When) -> int | None:
    """The instant the clock's business time reaches the level's threshold: when already
    reached, the instant it was; when the clock runs, the instant it will be if it goes
    on running; otherwise (paused, stopped or cancelled before) None."""
    threshold = when.threshold_us(clock.target_us)
    cal = clock.calendar
    used = 0
    for a, b in clock.spans:
        if b is None:  # the open span: where the threshold falls if it goes on
            return cal.add_us(a, threshold - used)
        counted = cal.elapsed_us(a, b)
        if used + counted >= threshold:
            at = cal.add_us(a, threshold - used)
            if at < b or (not when.strict and at <= b):
                return at
        used += counted
    return None


@dataclass(frozen=True, slots=True)
class PlannedLevel:
    """A level of a ladder due for one clock cycle at `at` (UTC epoch microseconds)."""

    ladder: str
    level: int
    metric: str
    cycle: int
    at: int


_LIVE = frozenset({ClockState.RUNNING, ClockState.BREACHED})


def plan_levels(
    evaluation: Evaluation, ladders: Iterable[Ladder], *, breach_grace_us: int = 1
) -> list[PlannedLevel]:
    """Every level of every applying ladder, for each live clock, with the instant it
    fires. A breach level fires `breach_grace_us` after the due instant (a clock is
    breached only once past it). Stopped, cancelled and paused clocks plan nothing:
    what they have not reached they will not reach until they run again (and a new
    evaluation plans it then)."""
    out: list[PlannedLevel] = []
    fields = evaluation.fields
    for clock in evaluation.clocks:
        if clock.state not in _LIVE or not clock.spans or clock.spans[-1][1] is not None:
            continue
        for ladder in ladders:
            if not ladder.applies(clock.policy, fields):
                continue
            for level in ladder.levels:
                if not level.applies_to_metric(clock.metric):
                    continue
                at = level_instant(clock, level.when)
                if at is None:
                    continue
                if level.when.strict:
                    at += breach_grace_us
                out.append(PlannedLevel(ladder.name, level.index, clock.metric, clock.cycle, at))
    return out


# ---------------------------------------------------------------------------------------
# who is told, and what actions change
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recipient:
    """Where one notification goes: a channel by name, or a person (by address).

    `via` names what the recipient was written as in the configuration (assignee,
    team_lead, a role, ...), for the record."""

    channel: str | None
    person: str | None
    via: str

    @property
    def key(self) -> str:
        return f"channel:{self.channel}" if self.channel is not None else f"person:{self.person}"


def resolve_recipients(
    names: Iterable[str],
    fields: Mapping[str, Any],
    config: EscalationConfig,
) -> tuple[list[Recipient], list[str]]:
    """Recipients for `notify` names, and a note for each name that resolves to nobody
    (no assignee, a team without a lead, ...). Each recipient once."""
    out: dict[str, Recipient] = {}
    missing: list[str] = []
    team = fields.get("team")
    team_people = config.people.teams.get(team) if isinstance(team, str) else None
    for name in names:
        found: list[Recipient] = []
        if name in config.channels:
            found.append(Recipient(name, None, name))
        elif name == "assignee":
            assignee = fields.get("assignee")
            if isinstance(assignee, str) and assignee:
                found.append(Recipient(None, assignee, name))
        elif name in ("team_lead", "lead", "manager"):
            who = None
            if team_people is not None:
                who = team_people.manager if name == "manager" else team_people.lead
            if who:
                found.append(Recipient(None, who, name))
        elif name in config.people.roles:
            found.extend(Recipient(None, p, name) for p in config.people.roles[name])
        elif "@" in name or name.startswith("+"):
            found.append(Recipient(None, name, name))
        if not found:
            missing.append(name)
        for r in found:
            out.setdefault(r.key, r)
    return list(out.values()), missing


_PRIORITIES = ("P1", "P2", "P3", "P4")


def raise_priority(current: str | None) -> str:
    """One step more urgent: P4 -> P3 -> P2 -> P1, which stays. A ticket without a
    priority is raised to P3 (one above the lowest)."""
    if current not in _PRIORITIES:
        return "P3"
    i = _PRIORITIES.index(current)
    return _PRIORITIES[max(0, i - 1)]


def assignee_for(
    spec: Mapping[str, Any], fields: Mapping[str, Any], people: People
) -> dict[str, Any] | None:
    """The `assigned` event data for an assign/reassign action, or None when the role
    names nobody. `team` moves the ticket to the team and clears the assignee; `person`
    assigns a person; `role` assigns the role's first person."""
    if "team" in spec:
        return {"team": spec["team"], "assignee": None}
    if "person" in spec:
        return {"assignee": spec["person"]}
    role = spec.get("role")
    team = fields.get("team")
    if role in ("team_lead", "lead", "manager") and isinstance(team, str):
        tp = people.teams.get(team)
        who = None if tp is None else (tp.manager if role == "manager" else tp.lead)
        return {"assignee": who} if who else None
    members = people.roles.get(str(role), ())
    return {"assignee": members[0]} if members else None


ACTOR = "slaguard"  # the actor of events that escalations and triggers write


def action_events(
    actions: Iterable[Action],
    fields: Mapping[str, Any],
    people: People,
    *,
    at: str,
    id_prefix: str,
) -> tuple[list[dict[str, Any]], list[str], dict[str, Any]]:
    """The ticket events that carry out the actions (everything but notify), as event
    documents of the ticket API, with ids `{id_prefix}:{n}`; a note for each action
    that could not be carried out (a role that names nobody); and the fields as the
    events leave them. `fields` are the ticket's fields now; list fields (followers,
    tags) are extended, not replaced."""
    docs: list[dict[str, Any]] = []
    notes: list[str] = []
    current = dict(fields)

    def add(doc: dict[str, Any]) -> None:
        docs.append({"id": f"{id_prefix}:{len(docs) + 1}", "at": at, "actor": ACTOR, **doc})

    for action in actions:
        v = action.value
        if action.kind is ActionKind.ASSIGN:
            data = assignee_for(v, current, people)
            if data is None:
                notes.append(f"assign: {dict(v)} names nobody")
                continue
            add({"type": "assigned", **data})
            current.update(data)
        elif action.kind is ActionKind.PRIORITY:
            new = raise_priority(current.get("priority")) if v == "raise" else str(v)
            if new != current.get("priority"):
                add({"type": "priority", "priority": new})
                current["priority"] = new
        elif action.kind is ActionKind.STATUS:
            if v != current.get("status"):
                add({"type": "status", "status": v})
                current["status"] = v
        elif action.kind is ActionKind.QUEUE:
            if v != current.get("queue"):
                add({"type": "field", "name": "queue", "value": v})
                current["queue"] = v
        elif action.kind in (ActionKind.FOLLOWERS, ActionKind.TAG):
            name = "followers" if action.kind is ActionKind.FOLLOWERS else "tags"
            before = list(current.get(name) or ())
            after = before + [x for x in v if x not in before]
            if after != before:
                add({"type": "field", "name": name, "value": after})
                current[name] = tuple(after)
        elif action.kind is ActionKind.TASK:
            title = v.get("title", "") if isinstance(v, Mapping) else str(v)
            owner = v.get("assignee") if isinstance(v, Mapping) else None
            text = f"Task: {title}" + (f" (for {owner})" if owner else "")
            add({"type": "internal_note", "text": text})
    return docs, notes, current


def notify_names(actions: Iterable[Action]) -> list[str]:
    """Every recipient named by the notify actions, in order."""
    out: list[str] = []
    for action in actions:
        if action.kind is ActionKind.NOTIFY:
            out.extend(n for n in action.value if n not in out)
    return out
