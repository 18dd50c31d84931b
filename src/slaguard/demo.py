"""Demo data: a `demo` tenant with a realistic configuration and a few hundred tickets.

The tickets are made deterministically relative to `now` (the same `now` gives the same
tickets), through the same use cases as the API, so that every list, clock and
explanation of a fresh install has something to show: new tickets, answered ones,
tickets waiting on the customer, breached ones, solved and reopened ones,
implementation requests moving through their workflow, and callbacks.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slaguard.app import configs, tenants, tickets
from slaguard.app.services import Services
from slaguard.domain.calendar import from_us

__all__ = ["DEMO_TENANT", "create_demo", "demo_tickets"]

DEMO_TENANT = "demo"

_STORIES = (
    "new",
    "answered",
    "pending",
    "customer_waiting",
    "breached",
    "solved",
    "reopened",
    "implementation",
    "callback",
    "escalated",
)
# How old each story's tickets are, in hours (open ones young, done ones older).
_AGE_HOURS = {
    "new": (0.1, 3),
    "answered": (0.5, 48),
    "pending": (1, 96),
    "customer_waiting": (1, 36),
    "breached": (48, 144),
    "solved": (24, 14 * 24),
    "reopened": (24, 10 * 24),
    "implementation": (24, 10 * 24),
    "callback": (0.5, 36),
    "escalated": (1, 60),
}
_PRIORITIES = ("critical", "high", "high", "medium", "medium", "medium", "low", "low")
_TIERS = ("enterprise", "business", "business", "standard", "standard", "standard")
_CHANNELS = ("email", "email", "portal", "chat", "phone", "api")
_TEAMS = ("tier1", "tier1", "tier2", "billing", "network")
_AGENTS = {
    "tier1": ("li", "sam", "noor"),
    "tier2": ("ben", "ines"),
    "billing": ("marta", "tom"),
    "network": ("kofi", "anna"),
    "onboarding": ("yuki", "pavel"),
}
_CATEGORIES = {
    "tier1": ("login", "how-to", "account"),
    "tier2": ("bug", "performance", "integration"),
    "billing": ("invoice", "refund", "plan-change"),
    "network": ("outage", "latency", "dns"),
    "onboarding": ("setup", "migration"),
}
_SUBJECTS = {
    "login": "Cannot log in after password reset",
    "how-to": "How do I export last month's report?",
    "account": "Please add two seats to our account",
    "bug": "Dashboard totals do not match the export",
    "performance": "Search takes more than 20 seconds",
    "integration": "Webhook deliveries fail with 401",
    "invoice": "Invoice shows the wrong VAT rate",
    "refund": "Charged twice for the annual plan",
    "plan-change": "Downgrade to the team plan",
    "outage": "API returns 503 for all requests",
    "latency": "Requests from Frankfurt are slow",
    "dns": "Custom domain stopped resolving",
    "setup": "I need a new account setup for our Madrid office",
    "migration": "Onboarding: migrate 40 users from our old tool",
}
_ACCOUNTS = ("acme-gmbh", "globex", "initech", "umbrella", "hooli", "stark-ind", "wayne-ent")
_REGIONS = ("emea", "emea", "amer", "apac")


@dataclass
class _Story:
    """One ticket being written: its fields and events, all times before `now`."""

    id: str
    created: datetime
    now: datetime
    fields: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)

    def at(self, minutes: float) -> str:
        t = min(self.created + timedelta(minutes=minutes), self.now - timedelta(seconds=1))
        return t.isoformat()

    def add(self, minutes: float, type_: str, **data: Any) -> None:
        n = len(self.events) + 1
        self.events.append({"id": f"{self.id}-e{n}", "type": type_, "at": self.at(minutes), **data})

    def document(self) -> dict[str, Any]:
        return {**self.fields, "created_at": self.created.isoformat(), "events": self.events}


def demo_tickets(now: datetime, count: int = 300, seed: int = 2026) -> Iterator[dict[str, Any]]:
    """`count` ticket documents with their events, every time in the 14 days before `now`."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    for i in range(count):
        story = _STORIES[i % len(_STORIES)]
        yield _ticket(rng, now, f"DEMO-{1001 + i}", story).document()


def _ticket(rng: random.Random, now: datetime, tid: str, story: str) -> _Story:
    implementation = story == "implementation"
    team = "onboarding" if implementation else rng.choice(_TEAMS)
    category = rng.choice(_CATEGORIES[team])
    priority = "critical" if story == "breached" and rng.random() < 0.5 else rng.choice(_PRIORITIES)
    lo_hours, hi_hours = _AGE_HOURS[story]
    age_minutes = rng.uniform(lo_hours * 60, hi_hours * 60)
    created = (now - timedelta(minutes=age_minutes)).replace(microsecond=0)
    fields: dict[str, Any] = {
        "id": tid,
        "priority": priority,
        "tier": rng.choice(_TIERS),
        "vip": rng.random() < 0.08,
        "channel": "portal" if implementation else rng.choice(_CHANNELS),
        "team": team,
        "assignee": rng.choice(_AGENTS[team]) if rng.random() < 0.85 else None,
        "category": category,
        "product": rng.choice(("core", "reports", "api", "billing")),
        "account": rng.choice(_ACCOUNTS),
        "tags": sorted(rng.sample(("vip-watch", "renewal", "churn-risk", "beta", "eu"), k=1)),
        "custom_fields": {"region": rng.choice(_REGIONS)},
        "subject": _SUBJECTS[category],
    }
    if implementation:
        fields["type"] = "implementation"
    s = _Story(tid, created, now, fields)
    s.add(0, "created", status="received" if implementation else "new")
    _STORY_WRITERS[story](s, rng, age_minutes)
    return s


def _reply_after(rng: random.Random, age: float, lo: float, hi: float) -> float:
    return min(rng.uniform(lo, hi), age * 0.5)


def _new(s: _Story, rng: random.Random, age: float) -> None:
    if rng.random() < 0.3:
        s.add(age * 0.3, "internal_note")


def _answered(s: _Story, rng: random.Random, age: float) -> None:
    t = _reply_after(rng, age, 10, 600)
    s.add(t, "agent_reply")
    s.add(t, "status", status="open")


def _pending(s: _Story, rng: random.Random, age: float) -> None:
    t = _reply_after(rng, age, 10, 600)
    s.add(t, "agent_reply")
    s.add(t, "status", status="pending")


def _customer_waiting(s: _Story, rng: random.Random, age: float) -> None:
    t = _reply_after(rng, age, 10, 300)
    s.add(t, "agent_reply")
    s.add(t, "status", status="pending")
    t2 = t + (age - t) * rng.uniform(0.2, 0.8)
    s.add(t2, "customer_reply")
    s.add(t2, "status", status="open")


def _breached(s: _Story, rng: random.Random, age: float) -> None:
    if rng.random() < 0.5:
        s.add(rng.uniform(600, age * 0.8), "agent_reply")  # late first answer
        s.add(age * 0.9, "customer_reply")


def _solved(s: _Story, rng: random.Random, age: float) -> None:
    t = _reply_after(rng, age, 10, 400)
    s.add(t, "agent_reply")
    done = t + (age - t) * rng.uniform(0.3, 0.9)
    s.add(done, "resolved")
    if rng.random() < 0.6:
        s.add(done + (age - done) * 0.5, "csat", score=rng.choice((3, 4, 5, 5, 5)))


def _reopened(s: _Story, rng: random.Random, age: float) -> None:
    t = _reply_after(rng, age, 10, 300)
    s.add(t, "agent_reply")
    done = t + (age - t) * 0.4
    s.add(done, "resolved")
    back = done + (age - done) * 0.5
    s.add(back, "customer_reply")
    s.add(back, "reopened")
    if rng.random() < 0.5:
        s.add(back + (age - back) * 0.5, "agent_reply")


def _implementation(s: _Story, rng: random.Random, age: float) -> None:
    t = _reply_after(rng, age, 30, 480)
    s.add(t, "agent_reply")
    stage = rng.randrange(5)
    if stage == 0:
        return
    s.add(t, "status", status="pending_approval")
    approved = t + (age - t) * 0.4
    if stage == 1:
        return
    s.add(approved, "customer_reply")
    s.add(approved, "status", status="provisioning")
    if stage >= 3:
        s.add(approved + (age - approved) * 0.5, "status", status="testing")
    if stage >= 4:
        s.add(approved + (age - approved) * 0.8, "status", status="completed")


def _callback(s: _Story, rng: random.Random, age: float) -> None:
    t = _reply_after(rng, age, 5, 120)
    s.add(t, "agent_reply")
    asked = t + (age - t) * 0.3
    s.add(asked, "callback_requested")
    if rng.random() < 0.5:
        s.add(asked + (age - asked) * rng.uniform(0.1, 0.6), "callback_made")


def _escalated(s: _Story, rng: random.Random, age: float) -> None:
    s.add(age * 0.2, "priority", priority="critical")
    s.add(age * 0.2, "assigned", team="tier2", assignee=rng.choice(_AGENTS["tier2"]))
    if rng.random() < 0.6:
        s.add(age * 0.4, "agent_reply")


_STORY_WRITERS = {
    "new": _new,
    "answered": _answered,
    "pending": _pending,
    "customer_waiting": _customer_waiting,
    "breached": _breached,
    "solved": _solved,
    "reopened": _reopened,
    "implementation": _implementation,
    "callback": _callback,
    "escalated": _escalated,
}


def create_demo(
    svc: Services, *, config: Mapping[str, Any], source_text: str | None = None, count: int = 300
) -> str:
    """The demo tenant with `config` and `count` tickets; returns its admin key."""
    _, key = tenants.create_tenant(svc, name=DEMO_TENANT)
    principal = tenants.authenticate(svc, key)
    configs.apply_config(
        svc, tenant_id=principal.tenant_id, document=config, source_text=source_text
    )
    for doc in demo_tickets(from_us(svc.clock()), count):
        tickets.create_ticket(svc, principal=principal, document=doc, source="demo")
    return key
