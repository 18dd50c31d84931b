"""The clock engine: a ticket's events + a configuration + `now` -> every SLA clock.

Theory of operation
-------------------
Evaluation is a pure function. Events after `now` are ignored (the state at `now` is
what was knowable at `now`); the rest are deduplicated and ordered
(`tickets.ordered_events`) and applied one by one to a small ticket state (status and
its category, fields, the matching policy). Each event may start, stop, pause, resume,
cancel or restart *cycles*:

    first_response   created -> first public agent reply
    next_response    customer reply (after the first agent reply, none waiting)
                     -> next public agent reply; a new cycle each time
    periodic_update  public agent reply -> next public agent reply, while not done
    resolution       created -> done; reopening resumes the same cycle
    callback         callback_requested -> callback_made (oldest first), one cycle each
    milestones       their own start / stop / pause conditions

A done status stops every running cycle; a duplicate_of link cancels them and no
cycle starts afterwards. While a cycle's pause condition holds (by default: the
status category is `paused`) it is paused. A cycle is a list of *running spans*
in UTC microseconds; nothing else about time is stored while events are applied.

Cycles are tracked for every metric whether or not the policy promises a target for
the ticket's priority: the target is looked up afterwards, so that a later priority
change can recompute a running cycle from its original start (`on_change: recompute`)
instead of losing it. A stopped cycle keeps the target in force when it stopped.
Cycles without a target are not reported. With `on_change: restart`, a priority,
tier or policy change cancels each running cycle and starts a new one.

Only at the end is business time consulted: elapsed time is the calendar's open time
over the running spans, the due instant is where that reaches the target, warnings
where it reaches their thresholds. That keeps evaluation to a handful of binary
searches per clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from slaguard.domain.calendar import BusinessCalendar, to_us
from slaguard.domain.durations import format_duration
from slaguard.domain.errors import CalendarRangeError
from slaguard.domain.match import normalise
from slaguard.domain.policy import (
    PAUSE_WITH_STATUS,
    ClassificationRule,
    OnChange,
    Policy,
    SlaConfig,
    Target,
)
from slaguard.domain.states import ClockState, state_of
from slaguard.domain.tickets import Event, EventKind, Ticket, ordered_events
from slaguard.domain.workflow import StatusCategory, Workflow

__all__ = ["Clock", "ClockLogEntry", "Evaluation", "evaluate", "evaluate_us"]

_FIRST = "first_response"
_NEXT = "next_response"
_PERIODIC = "periodic_update"
_RESOLUTION = "resolution"
_CALLBACK = "callback"
_RECOMPUTING_KINDS = frozenset(
    {EventKind.PRIORITY, EventKind.TIER, EventKind.ASSIGNED, EventKind.FIELD}
)


@dataclass(frozen=True, slots=True)
class ClockLogEntry:
    """One thing that happened to a clock: start, pause, resume, target_change, warning,
    breach, stop, resume_reopened, cancel. `cause` is the id (or kind) of the event."""

    at: int
    metric: str
    cycle: int
    action: str
    detail: str = ""
    cause: str | None = None


class Clock(NamedTuple):
    """One clock instance as of the evaluation instant. Instants are UTC epoch microseconds.

    A NamedTuple rather than a frozen dataclass: equally immutable, and several times
    cheaper to build, which matters when a million tickets are evaluated.
    """

    metric: str
    cycle: int
    state: ClockState
    target_us: int
    started_at: int
    due_at: int | None
    stopped_at: int | None
    breached_at: int | None
    elapsed_us: int
    warnings: tuple[tuple[str, int], ...]
    calendar: BusinessCalendar
    spans: tuple[tuple[int, int | None], ...]  # running spans; None = still running
    policy: str
    priority: str | None = None  # the priority and tier the target was computed for
    tier: str | None = None
    next_at: int | None = None  # next warning, or the breach (due + 1 µs), of a running clock


@dataclass(frozen=True, slots=True)
class Evaluation:
    ticket_id: str
    now: int
    type: str
    policy: Policy | None
    classified_by: ClassificationRule | None
    clocks: tuple[Clock, ...]
    raw_log: tuple[tuple[int, str, int, str, str, str | None], ...] = ()
    status: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)

    @property
    def log(self) -> tuple[ClockLogEntry, ...]:
        """The clock-event log in time order (start, pause, resume, target_change,
        warning, breach, stop, reopen, cancel), each with the event that caused it."""
        return tuple(ClockLogEntry(*entry) for entry in self.raw_log)


class _Cycle:
    """A clock cycle while events are applied (mutable, private to one evaluation)."""

    __slots__ = (
        "cancelled",
        "cycle",
        "frozen",
        "metric",
        "open_from",
        "spans",
        "start",
        "stop",
    )

    def __init__(self, metric: str, cycle: int, start: int) -> None:
        self.metric = metric
        self.cycle = cycle
        self.start = start
        self.spans: list[tuple[int, int]] = []
        self.open_from: int | None = None  # start of the running span, if running
        self.stop: int | None = None
        self.cancelled = False
        # (policy, priority, tier) in force when the cycle stopped
        self.frozen: tuple[Policy | None, str | None, str | None] | None = None

    @property
    def live(self) -> bool:
        return self.stop is None

    def pause(self, at: int) -> None:
        if self.open_from is not None:
            self.spans.append((self.open_from, at))
            self.open_from = None

    def resume(self, at: int) -> None:
        if self.open_from is None and self.stop is None:
            self.open_from = at


class _Run:
    """The ticket state while its events are applied."""

    def __init__(self, ticket: Ticket, config: SlaConfig) -> None:
        self.ticket = ticket
        self.config = config
        self.fields: dict[str, Any] = dict(ticket.fields)
        self.type: str = str(self.fields.get("type") or config.default_type)
        self.classified_by: ClassificationRule | None = ticket.classified_by
        self.workflow: Workflow | None = None
        self.status: str = ""
        self.category: StatusCategory | None = None
        self.policy: Policy | None = None
        self.milestones: tuple[Target, ...] = ()
        self.cycles: list[_Cycle] = []
        self.live: dict[str, list[_Cycle]] = {}  # running cycles per metric, oldest first
        self.counts: dict[str, int] = {}
        self.paused_cache: dict[str, bool] = {}  # metric -> paused, for the current state
        self.custom_pause = False
        self.merged = False
        self.created = False
        self.log: list[tuple[int, str, int, str, str, str | None]] = []

    # -- cycles ---------------------------------------------------------------------

    def set_policy(self, policy: Policy | None) -> None:
        if policy is not self.policy:
            self.policy = policy
            self.milestones = policy.milestones if policy is not None else ()
            # Only pause conditions other than "the status category is paused" need the
            # per-metric cache; the default is one comparison.
            self.custom_pause = policy.custom_pause if policy is not None else False
        self.paused_cache.clear()

    def start(self, metric: str, at: int, cause: str | None) -> _Cycle:
        n = self.counts.get(metric, 0) + 1
        self.counts[metric] = n
        c = _Cycle(metric, n, at)
        self.cycles.append(c)
        self.live.setdefault(metric, []).append(c)
        if not self.paused_for(metric):
            c.open_from = at
        self.log.append((at, metric, n, "start", "", cause))
        return c

    def stop(
        self,
        c: _Cycle,
        at: int,
        cause: str | None,
        action: str = "stop",
        frozen: tuple[Policy | None, Any, Any] | None = None,
    ) -> None:
        """Stop a cycle; it keeps the target in force (`frozen`: the one before a change)."""
        c.pause(at)
        c.stop = at
        c.frozen = frozen or (self.policy, self.fields.get("priority"), self.fields.get("tier"))
        self.live[c.metric].remove(c)
        self.log.append((at, c.metric, c.cycle, action, "", cause))

    def stop_all(self, metric: str, at: int, cause: str | None) -> None:
        for c in list(self.live.get(metric, ())):
            self.stop(c, at, cause)

    def cancel(
        self,
        c: _Cycle,
        at: int,
        cause: str | None,
        why: str,
        frozen: tuple[Policy | None, Any, Any] | None = None,
    ) -> None:
        self.stop(c, at, cause, "cancel", frozen)
        c.cancelled = True
        self.log[-1] = (at, c.metric, c.cycle, "cancel", why, cause)

    def running(self, metric: str) -> bool:
        return bool(self.live.get(metric))

    def paused_for(self, metric: str) -> bool:
        if not self.custom_pause:
            return self.category is StatusCategory.PAUSED
        found = self.paused_cache.get(metric)
        if found is None:
            target = self.policy.targets.get(metric) if self.policy is not None else None
            cond = target.pause if target is not None else PAUSE_WITH_STATUS
            found = cond.holds_in_state(self.status, self.category, self.fields)
            self.paused_cache[metric] = found
        return found

    # -- applying one event --------------------------------------------------------

    def apply(self, e: Event) -> None:
        kind = e.kind
        if kind is EventKind.CREATED:
            self._created(e)
            return
        if not self.created:
            return
        at = e.at
        cause = e.id or kind.value
        if kind is EventKind.AGENT_REPLY:
            if e.data.get("public", True):
                self._agent_reply(at, cause)
        elif kind is EventKind.CUSTOMER_REPLY:
            # Before the first public agent reply, first_response covers the customer;
            # while a cycle waits, a second reply starts no second cycle.
            if (
                not self.merged
                and self.category is not StatusCategory.DONE
                and not self.running(_NEXT)
                and not self.running(_FIRST)
            ):
                self.start(_NEXT, at, cause)
        elif kind is EventKind.STATUS:
            before = self.category
            self._status(str(e.data.get("status")), at, cause)
            if self.custom_pause or before is not self.category:
                self._repause(at, cause)
        elif kind in _RECOMPUTING_KINDS:
            had_custom_pause = self.custom_pause
            self._field_change(e, at, cause)
            if self.custom_pause or had_custom_pause:
                self._repause(at, cause)
        elif kind is EventKind.CALLBACK_REQUESTED:
            if not self.merged and self.category is not StatusCategory.DONE:
                self.start(_CALLBACK, at, cause)
        elif kind is EventKind.CALLBACK_MADE:
            waiting = self.live.get(_CALLBACK)
            if waiting:
                self.stop(waiting[0], at, cause)
        elif kind is EventKind.DUPLICATE_OF:
            for c in self.cycles:
                if c.stop is None:
                    self.cancel(c, at, cause, f"duplicate of {e.data.get('original')}")
            self.merged = True
        if self.milestones:
            self._milestones(kind.value, at, cause)

    def _created(self, e: Event) -> None:
        if self.created:
            return
        self.created = True
        for k, v in e.data.items():
            if k != "status":
                self.fields[k] = v
        self.type = str(self.fields.get("type") or "")
        if not self.type:
            self.type, self.classified_by = self.config.classify(self.ticket.text, self.fields)
            self.fields["type"] = self.type
        self.workflow = self.config.workflows.get(self.type)
        first_status = next(iter(self.workflow.statuses), "") if self.workflow else ""
        self.status = str(e.data.get("status") or first_status)
        self.category = self.workflow.category(self.status) if self.workflow else None
        self.set_policy(self.config.policies.select(self.fields))
        cause = e.id or e.kind.value
        if self.category is StatusCategory.DONE:
            return
        self.start(_FIRST, e.at, cause)
        self.start(_RESOLUTION, e.at, cause)
        if self.milestones:
            self._milestones(e.kind.value, e.at, cause)

    def _status(self, status: str, at: int, cause: str) -> None:
        before = self.category
        self.status = status
        if self.workflow is not None:
            self.category = self.workflow.category(status) or self.category
        self.paused_cache.clear()
        if self.category is StatusCategory.DONE and before is not StatusCategory.DONE:
            for c in self.cycles:
                if c.stop is None:
                    self.stop(c, at, cause)
        elif before is StatusCategory.DONE and self.category is not StatusCategory.DONE:
            self._reopen(at, cause)

    def _reopen(self, at: int, cause: str) -> None:
        if self.merged:
            return
        resolution = [c for c in self.cycles if c.metric == _RESOLUTION and not c.cancelled]
        if resolution:
            c = resolution[-1]
            c.stop = None
            c.frozen = None
            self.live.setdefault(_RESOLUTION, []).append(c)
            self.log.append((at, _RESOLUTION, c.cycle, "reopen", "", cause))
            if not self.paused_for(_RESOLUTION):
                c.open_from = at
        else:
            self.start(_RESOLUTION, at, cause)

    def _field_change(self, e: Event, at: int, cause: str) -> None:
        d = e.data
        kind = e.kind
        before = (self.policy, self.fields.get("priority"), self.fields.get("tier"))
        if kind is EventKind.PRIORITY:
            self.fields["priority"] = d.get("priority")
        elif kind is EventKind.TIER:
            self.fields["tier"] = d.get("tier")
        elif kind is EventKind.ASSIGNED:
            for k in ("team", "assignee"):
                if k in d:
                    self.fields[k] = d[k]
        else:
            name = str(d.get("name"))
            self.fields[name] = d.get("value")
            if name == "type":
                self.type = str(d.get("value"))
                self.workflow = self.config.workflows.get(self.type, self.workflow)
                if self.workflow is not None:
                    self.category = self.workflow.category(self.status) or self.category
        self.set_policy(self.config.policies.select(self.fields))
        after = (self.policy, self.fields.get("priority"), self.fields.get("tier"))
        if after != before and self.category is not StatusCategory.DONE:
            self._target_changed(before, at, cause)

    def _target_changed(self, before: tuple[Policy | None, Any, Any], at: int, cause: str) -> None:
        policy = self.policy
        detail = _change_detail(
            before, (policy, self.fields.get("priority"), self.fields.get("tier"))
        )
        restart = policy is not None and policy.on_change is OnChange.RESTART
        for c in list(self.cycles):
            if c.stop is not None:
                continue
            if restart:
                # The cancelled cycle ran under the target before the change.
                self.cancel(c, at, cause, f"restarted: {detail}", frozen=before)
                self.start(c.metric, at, cause)
            else:
                self.log.append((at, c.metric, c.cycle, "target_change", detail, cause))

    def _agent_reply(self, at: int, cause: str) -> None:
        live = self.live
        if live.get(_FIRST):
            self.stop_all(_FIRST, at, cause)
        if live.get(_NEXT):
            self.stop_all(_NEXT, at, cause)
        if live.get(_PERIODIC):
            self.stop_all(_PERIODIC, at, cause)
        if not self.merged and self.category is not StatusCategory.DONE:
            self.start(_PERIODIC, at, cause)

    def _milestones(self, event_kind: str, at: int, cause: str) -> None:
        if self.merged:
            return
        for target in self.milestones:
            name = target.metric
            assert target.start is not None and target.stop is not None
            if self.live.get(name):
                if target.stop.holds(event_kind, self.status, self.category, self.fields):
                    self.stop_all(name, at, cause)
            elif self.category is not StatusCategory.DONE and target.start.holds(
                event_kind, self.status, self.category, self.fields
            ):
                self.start(name, at, cause)

    def _repause(self, at: int, cause: str) -> None:
        for c in self.cycles:
            if c.stop is not None:
                continue
            paused = self.paused_for(c.metric)
            if paused and c.open_from is not None:
                c.pause(at)
                self.log.append((at, c.metric, c.cycle, "pause", self.status, cause))
            elif not paused and c.open_from is None:
                c.resume(at)
                self.log.append((at, c.metric, c.cycle, "resume", self.status, cause))


def _change_detail(
    before: tuple[Policy | None, Any, Any], after: tuple[Policy | None, Any, Any]
) -> str:
    parts = []
    if before[0] is not after[0]:
        old = before[0].name if before[0] else None
        new = after[0].name if after[0] else None
        parts.append(f"policy {old} -> {new}")
    if before[1] != after[1]:
        parts.append(f"priority {before[1]} -> {after[1]}")
    if before[2] != after[2]:
        parts.append(f"tier {before[2]} -> {after[2]}")
    return ", ".join(parts)


def evaluate(ticket: Ticket, config: SlaConfig, now: datetime) -> Evaluation:
    """Every clock of `ticket` as of `now` (aware), under `config`."""
    return evaluate_us(ticket, config, to_us(now, "now"))


def evaluate_us(ticket: Ticket, config: SlaConfig, now: int) -> Evaluation:
    run = _Run(ticket, config)
    for e in ordered_events(ticket.events):
        if e.at > now:
            break
        run.apply(e)
    clocks: list[Clock] = []
    log = run.log
    for c in run.cycles:
        try:
            clock = _finish(c, run, config, now, log)
        except CalendarRangeError as exc:
            raise _range_error(exc, c, run, config) from None
        if clock is not None:
            clocks.append(clock)
    log.sort(key=_first)
    return Evaluation(
        ticket_id=ticket.id,
        now=now,
        type=run.type,
        policy=run.policy,
        classified_by=run.classified_by,
        clocks=tuple(clocks),
        raw_log=tuple(log),
        status=run.status or None,
        fields=run.fields,
    )


def _range_error(
    exc: CalendarRangeError, c: _Cycle, run: _Run, config: SlaConfig
) -> CalendarRangeError:
    """`exc` naming the target whose count ran past the calendar's horizon, by its path
    in the configuration (`policies[2].targets.first_response.P1`)."""
    policy, priority, tier = (
        c.frozen
        if c.frozen is not None
        else (run.policy, run.fields.get("priority"), run.fields.get("tier"))
    )
    if policy is None or priority is None:
        return exc
    index = next((i for i, p in enumerate(config.policies.policies) if p is policy), None)
    where = f"policies[{index}]" if index is not None else f"policy {policy.name!r}"
    target = format_duration((policy.target_us(c.metric, priority, tier) or 0) / 1_000_000)
    factor = policy.tier_multipliers.get(normalise(tier)) if tier is not None else None
    if factor is not None:
        target += f", x{factor:g} for tier {tier}"
    reason = "; ".join(d.message for d in exc.details) or str(exc)
    return CalendarRangeError(
        f"the {c.metric} target for {priority} ({target}) of policy {policy.name!r} "
        f"cannot be counted: {reason}",
        f"{where}.targets.{c.metric}.{priority}",
    )


def _first(entry: tuple[int, str, int, str, str, str | None]) -> int:
    return entry[0]


def _finish(
    c: _Cycle,
    run: _Run,
    config: SlaConfig,
    now: int,
    log: list[tuple[int, str, int, str, str, str | None]],
) -> Clock | None:
    policy, priority, tier = (
        c.frozen
        if c.frozen is not None
        else (run.policy, run.fields.get("priority"), run.fields.get("tier"))
    )
    if policy is None:
        return None
    target_us = policy.target_us(c.metric, priority, tier)
    if target_us is None:
        return None
    target = policy.targets[c.metric]
    cal = config.calendars[target.calendar]
    spans: list[tuple[int, int]] = list(c.spans)
    open_from = c.open_from
    end = c.stop if c.stop is not None else now
    if open_from is not None:
        spans.append((open_from, end))

    # Open time of each running span, computed once; everything below reuses it.
    counted = [cal.elapsed_us(a, b) for a, b in spans]
    elapsed = sum(counted)
    breached_at = (
        _crossing(cal, spans, counted, target_us, strict=True) if elapsed >= target_us else None
    )

    # The due instant in force: where elapsed reaches the target if the last running span
    # goes on (the open span now, or the span that was running when the clock stopped).
    due_at: int | None = breached_at
    if due_at is None:
        ran_until_stop = c.stop is not None and c.spans and c.spans[-1][1] == c.stop
        if open_from is not None or ran_until_stop:
            due_at = cal.add_us(spans[-1][0], target_us - (elapsed - counted[-1]))
    paused = c.stop is None and open_from is None
    if paused:
        due_at = None

    warnings: list[tuple[str, int]] = []
    # The next instant something happens to a running clock (a warning, the due
    # instant): what a timer wheel or a worker waits for.
    # The breach is 1 µs past the due instant: a clock at exactly due_at is still running.
    running = breached_at is None and open_from is not None
    next_at = due_at + 1 if running and due_at is not None else None
    for spec in target.warnings:
        threshold = spec.elapsed_at(target_us)
        crossed = elapsed >= threshold
        at = _crossing(cal, spans, counted, threshold, strict=False) if crossed else None
        if at is not None:
            warnings.append((spec.label, at))
            log.append((at, c.metric, c.cycle, "warning", spec.label, None))
        elif open_from is not None and c.stop is None:
            upcoming = cal.add_us(open_from, threshold - (elapsed - counted[-1]))
            next_at = upcoming if next_at is None else min(next_at, upcoming)
    if breached_at is not None:
        log.append((breached_at, c.metric, c.cycle, "breach", "", None))

    state = state_of(
        cancelled=c.cancelled,
        stopped=c.stop is not None,
        breached=breached_at is not None,
        paused=paused,
    )
    return Clock(
        metric=c.metric,
        cycle=c.cycle,
        state=state,
        target_us=target_us,
        started_at=c.start,
        due_at=due_at,
        stopped_at=c.stop,
        breached_at=breached_at,
        elapsed_us=elapsed,
        warnings=tuple(warnings),
        calendar=cal,
        spans=(*c.spans, *(((open_from, None),) if open_from is not None else ())),
        policy=policy.name,
        priority=priority,
        tier=tier,
        next_at=next_at,
    )


def _crossing(
    cal: BusinessCalendar,
    spans: list[tuple[int, int]],
    counted: list[int],
    threshold: int,
    *,
    strict: bool,
) -> int | None:
    """The instant the running spans accumulate `threshold` of open time.

    Warnings are crossed on reaching the threshold (inclusive); a breach needs the clock
    to run past the due instant (`strict`), so a span ending exactly there does not
    breach, and the crossing moves on to the next span, where it is that span's start.
    """
    used = 0
    for (a, b), e in zip(spans, counted, strict=True):
        if used + e >= threshold:
            at = cal.add_us(a, threshold - used)
            if at < b or (not strict and at <= b):
                return at
        used += e
    return None
