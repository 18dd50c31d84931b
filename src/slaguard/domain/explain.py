"""An Evaluation as the `explain` contract: JSON for scripts, a readable timeline for people.

JSON shape (times ISO-8601 with the offset of the clock's calendar zone):

    {"ticket": id, "policy": name | null,
     "clocks": [{"metric", "cycle", "state", "target_seconds", "started_at", "due_at",
                 "stopped_at", "breached_at", "elapsed_seconds",
                 "warnings": [{"threshold": "75%", "at": ISO}, ...]}, ...]}
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from slaguard.domain.calendar import US_PER_SECOND, from_us
from slaguard.domain.durations import format_duration
from slaguard.domain.engine import Clock, Evaluation
from slaguard.domain.policy import SlaConfig

__all__ = ["clock_json", "clock_text", "evaluation_json", "evaluation_text", "policy_text"]


def _iso(us: int | None, tz: ZoneInfo) -> str | None:
    return None if us is None else from_us(us, tz).isoformat()


def _seconds(us: int) -> int | float:
    q, r = divmod(us, US_PER_SECOND)
    return q if r == 0 else us / US_PER_SECOND


def clock_json(c: Clock) -> dict[str, Any]:
    tz = c.calendar.tz
    return {
        "metric": c.metric,
        "cycle": c.cycle,
        "state": c.state.value,
        "target_seconds": _seconds(c.target_us),
        "started_at": _iso(c.started_at, tz),
        "due_at": _iso(c.due_at, tz),
        "stopped_at": _iso(c.stopped_at, tz),
        "breached_at": _iso(c.breached_at, tz),
        "elapsed_seconds": _seconds(c.elapsed_us),
        "warnings": [{"threshold": label, "at": _iso(at, tz)} for label, at in c.warnings],
    }


def evaluation_json(ev: Evaluation) -> dict[str, Any]:
    return {
        "ticket": ev.ticket_id,
        "policy": ev.policy.name if ev.policy is not None else None,
        "clocks": [clock_json(c) for c in ev.clocks],
    }


def _hm(us: int, tz: ZoneInfo) -> str:
    return from_us(us, tz).strftime("%a %Y-%m-%d %H:%M:%S%z")


def evaluation_text(ev: Evaluation, config: SlaConfig) -> str:
    """The readable timeline: why this policy, and the arithmetic behind each due time."""
    utc = ZoneInfo("UTC")
    lines = [f"Ticket {ev.ticket_id} as of {from_us(ev.now, utc).isoformat()}"]
    lines.extend(policy_text(ev, config))
    if ev.policy is None:
        return "\n".join(lines) + "\n"
    for c in ev.clocks:
        lines.append("")
        lines.extend(clock_text(c, ev))
    if ev.log:
        lines.append("")
        lines.append("Clock events")
        for entry in ev.log:
            detail = f" ({entry.detail})" if entry.detail else ""
            cause = f" <- {entry.cause}" if entry.cause else ""
            lines.append(
                f"  {from_us(entry.at, utc).isoformat()}  {entry.metric}#{entry.cycle} "
                f"{entry.action}{detail}{cause}"
            )
    return "\n".join(lines) + "\n"


def policy_text(ev: Evaluation, config: SlaConfig) -> list[str]:
    """Why this type and policy: the policies skipped and the one that applies."""
    lines: list[str] = []
    lines.append(f"  type {ev.type}, status {ev.status or '-'}")
    if ev.classified_by is not None:
        rule = ev.classified_by
        lines.append(f"  type set by classification rule {rule.name or rule.type!r}")
    for p in config.policies.policies:
        if p is ev.policy:
            lines.append(
                f"Policy {p.name!r} applies: the first whose match fits ({p.match.describe()})"
            )
            break
        lines.append(f"  policy {p.name!r} skipped: " + "; ".join(p.match.misses(ev.fields)))
    if ev.policy is None:
        lines.append("No policy matches this ticket: it has no SLA clocks.")
    return lines


def clock_text(c: Clock, ev: Evaluation) -> list[str]:
    """The arithmetic behind one clock's due time: target, running and paused spans with
    the open hours counted, elapsed, remaining, due, warnings, breach, stop."""
    cal = c.calendar
    tz = cal.tz
    head = f"{c.metric} #{c.cycle}: {c.state.value.upper()}"
    out = [head, f"  calendar {cal.name or '?'} ({tz.key}), policy {c.policy!r}"]
    out.append(f"  target {format_duration(c.target_us / US_PER_SECOND)}{_target_note(c, ev)}")
    out.append(f"  started {_hm(c.started_at, tz)}")
    if not cal.is_open_us(c.started_at):
        out.append(
            f"    outside hours: counting starts at {_hm(cal.next_open_us(c.started_at), tz)}"
        )
    end = c.stopped_at if c.stopped_at is not None else ev.now
    used = 0
    prev_end = c.started_at
    for a, b in c.spans:
        if a > prev_end:
            out.append(f"  paused   {_hm(prev_end, tz)} -> {_hm(a, tz)}")
        b_end = end if b is None else b
        if b_end == a:
            continue  # resumed and stopped at the same instant
        counted = cal.elapsed_us(a, b_end)
        used += counted
        label = "running " if b is not None else "running*"
        total = format_duration(used / US_PER_SECOND)
        out.append(
            f"  {label} {_hm(a, tz)} -> {_hm(b_end, tz)}: counted "
            f"{format_duration(counted / US_PER_SECOND)} (total {total})"
        )
        for oa, ob in cal.open_intervals_us(a, b_end)[:12]:
            out.append(f"      open {_hm(oa, tz)} -> {_hm(ob, tz)}")
        prev_end = b_end
    if c.stopped_at is None and (not c.spans or c.spans[-1][1] is not None):
        out.append(f"  paused   {_hm(prev_end, tz)} -> now")
    remaining = c.target_us - c.elapsed_us
    out.append(
        f"  elapsed {format_duration(c.elapsed_us / US_PER_SECOND)} of "
        f"{format_duration(c.target_us / US_PER_SECOND)}; remaining "
        f"{format_duration(remaining / US_PER_SECOND)}"
    )
    if c.due_at is not None:
        out.append(f"  due {_hm(c.due_at, tz)}")
    elif c.stopped_at is None:
        out.append("  due: none while paused")
    for label, at in c.warnings:
        out.append(f"  warning {label} crossed {_hm(at, tz)}")
    if c.breached_at is not None:
        out.append(f"  breached {_hm(c.breached_at, tz)}")
    if c.stopped_at is not None:
        out.append(f"  stopped {_hm(c.stopped_at, tz)}")
    return out


def _target_note(c: Clock, ev: Evaluation) -> str:
    """Where the target comes from: the priority's duration and the tier multiplier."""
    policy = ev.policy
    if policy is None or policy.name != c.policy or c.priority is None:
        return ""
    target = policy.targets.get(c.metric)
    if target is None or c.priority not in target.durations:
        return ""
    base = target.durations[c.priority]
    note = f" ({c.priority}: {format_duration(base / US_PER_SECOND)}"
    mult = policy.tier_multipliers.get(c.tier.lower()) if c.tier is not None else None
    if mult is not None:
        note += f" x {mult:g} for tier {c.tier}"
    return note + ")"
