"""Breach reasons: a taxonomy per tenant, and a suggestion for every breach drawn from
the ticket's own history, with the evidence that led to it.

Rules, in order (the first that holds is the suggestion; every rule that holds is
evidence):

    misrouting          the ticket was with two or more teams before the breach
    unclear_ownership   it had no assignee for more than a quarter of the target
                        (business time of the clock's calendar, counted only while
                        the clock ran: time paused is not counted)
    dependency_delay    it waited on a linked ticket (caused_by) or a third party (a
                        paused status such as on_hold) for more than a quarter of the
                        target (calendar time)
    backlog             the team's open backlog at the breach was above its normal
                        level (the caller measures that; the domain only judges it)
    other               nothing above holds

A person confirms or changes the suggestion; reports count confirmed reasons.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from slaguard.domain.engine import Clock
from slaguard.domain.policy import DEFAULT_BREACH_REASONS
from slaguard.domain.tickets import EventKind, Ticket, ordered_events

__all__ = ["DEFAULT_REASONS", "DEPENDENCY_STATUSES", "Suggestion", "suggest", "team_at"]

DEFAULT_REASONS = DEFAULT_BREACH_REASONS
# Paused statuses that mean waiting on someone other than the customer.
DEPENDENCY_STATUSES = frozenset(
    {"on_hold", "waiting_on_third_party", "waiting_on_vendor", "blocked", "pending_approval"}
)


@dataclass(frozen=True, slots=True)
class Suggestion:
    reason: str
    evidence: tuple[str, ...]


def _minutes(us: int) -> str:
    return f"{us / 60_000_000:.0f}m"


def team_at(ticket: Ticket, at: int) -> str | None:
    """The ticket's team at the instant `at` (events at `at` included)."""
    team = ticket.fields.get("team")
    for e in ordered_events(ticket.events):
        if e.at > at:
            break
        if (e.kind is EventKind.CREATED or e.kind is EventKind.ASSIGNED) and "team" in e.data:
            team = e.data["team"]
    return team if isinstance(team, str) else None


def _running_time(clock: Clock, spans: list[tuple[int, int]], until: int) -> int:
    """Business time of `clock`'s calendar within `spans` while the clock ran, up to
    `until` (both lists are in time order and without overlaps)."""
    cal = clock.calendar
    total = 0
    for run_from, run_to in clock.spans:
        run_end = until if run_to is None else min(run_to, until)
        for a, b in spans:
            lo, hi = max(a, run_from), min(b, run_end)
            if lo < hi:
                total += cal.elapsed_us(lo, hi)
    return total


def suggest(
    ticket: Ticket,
    clock: Clock,
    *,
    backlog: tuple[int, int] | None = None,
    taxonomy: Iterable[str] = DEFAULT_REASONS,
) -> Suggestion:
    """The suggested reason for `clock`'s breach. `backlog` is (open tickets of the
    team at the breach, its normal level), when the caller knows them."""
    breach = clock.breached_at if clock.breached_at is not None else clock.due_at
    if breach is None:
        return Suggestion("other", ("the clock has not breached",))
    quarter = clock.target_us // 4
    found: list[tuple[str, str]] = []

    teams: list[str] = []
    team = ticket.fields.get("team")
    assignee = ticket.fields.get("assignee")
    status: str | None = None
    if isinstance(team, str):
        teams.append(team)
    unassigned_since: int | None = clock.started_at if not assignee else None
    unassigned_spans: list[tuple[int, int]] = []
    dependency_since: int | None = None
    dependency = 0
    linked = False

    for e in ordered_events(ticket.events):
        if e.at > breach:
            break
        at = max(e.at, clock.started_at)
        data = e.data
        if e.kind is EventKind.CREATED or e.kind is EventKind.ASSIGNED:
            new_team = data.get("team")
            if isinstance(new_team, str) and (not teams or teams[-1] != new_team):
                teams.append(new_team)
            if "assignee" in data:
                if data["assignee"] and unassigned_since is not None:
                    unassigned_spans.append((unassigned_since, at))
                    unassigned_since = None
                elif not data["assignee"] and unassigned_since is None:
                    unassigned_since = at
        if e.kind is EventKind.CREATED or e.kind is EventKind.STATUS:
            new_status = data.get("status")
            if isinstance(new_status, str) and new_status != status:
                if dependency_since is not None:
                    dependency += at - dependency_since
                    dependency_since = None
                if new_status in DEPENDENCY_STATUSES:
                    dependency_since = at
                status = new_status
        if e.kind is EventKind.CAUSED_BY:
            linked = True
    if unassigned_since is not None:
        unassigned_spans.append((unassigned_since, breach))
    unassigned = _running_time(clock, unassigned_spans, breach)
    if dependency_since is not None:
        dependency += breach - dependency_since

    distinct = list(dict.fromkeys(teams))
    if len(distinct) >= 2:
        found.append(
            ("misrouting", f"with {len(distinct)} teams before the breach: " + " -> ".join(teams))
        )
    if unassigned > quarter:
        found.append(
            (
                "unclear_ownership",
                f"unassigned for {_minutes(unassigned)} of business time while the "
                f"clock ran, more than a quarter of the {_minutes(clock.target_us)} target",
            )
        )
    if linked or dependency > quarter:
        why = "caused by another ticket" if linked else ""
        if dependency > quarter:
            why = (why + "; " if why else "") + (
                f"waiting on a third party for {_minutes(dependency)}"
            )
        found.append(("dependency_delay", why))
    if backlog is not None and backlog[0] > backlog[1]:
        found.append(
            (
                "backlog",
                f"{backlog[0]} open tickets in the team at the breach, "
                f"above its normal {backlog[1]}",
            )
        )
    allowed = set(taxonomy)
    for reason, _ in found:
        if reason in allowed:
            return Suggestion(reason, tuple(e for _, e in found))
    fallback = "other" if "other" in allowed else next(iter(taxonomy), "other")
    return Suggestion(fallback, tuple(e for _, e in found) or ("no pattern in the history",))
