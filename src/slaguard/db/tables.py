"""The schema. Instants are BIGINT UTC epoch microseconds (`*_us`).

Why integers rather than DateTime(timezone=True): the same exact values on SQLite (which
has no time zone type) and PostgreSQL, no rounding, cheap ordering and arithmetic in
report SQL, and they are what the domain computes with. The API renders ISO-8601.

Every row belongs to a tenant (`tenant_id`), and every query filters by it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from slaguard.domain.states import ClockState

__all__ = [
    "ENDED_MET",
    "TIMED_CLOCKS",
    "TIMED_METRICS",
    "ApiKeyRow",
    "AuditRow",
    "BacklogSampleRow",
    "Base",
    "BreachRow",
    "ClockLogRow",
    "ClockRollupRow",
    "ClockRow",
    "ConfigVersionRow",
    "EscalationRow",
    "EventRow",
    "IngestSourceRow",
    "InstanceRow",
    "LinkRow",
    "OutboxRow",
    "TenantRow",
    "TicketRow",
    "TimerRow",
    "TriggerRunRow",
    "UserRow",
    "WebSessionRow",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER keys only


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class TenantRow(Base):
    __tablename__ = "tenants"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_us: Mapped[int] = mapped_column(BigInteger)


class ApiKeyRow(Base):
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex
    prefix: Mapped[str] = mapped_column(String(16))  # shown to people, never enough to use
    created_us: Mapped[int] = mapped_column(BigInteger)
    revoked_us: Mapped[int | None] = mapped_column(BigInteger)


class ConfigVersionRow(Base):
    """A tenant's configuration as accepted, and each calendar's expanded holiday dates."""

    __tablename__ = "config_versions"
    __table_args__ = (UniqueConstraint("tenant_id", "version"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    created_us: Mapped[int] = mapped_column(BigInteger)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    holidays: Mapped[dict[str, Any]] = mapped_column(JSON)  # calendar -> ["YYYY-MM-DD", ...]
    source_text: Mapped[str | None] = mapped_column(Text)


class TicketRow(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_id"),
        Index("ix_tickets_tenant_state", "tenant_id", "sla_state", "id"),
        Index("ix_tickets_tenant_team", "tenant_id", "team", "id"),
        Index("ix_tickets_tenant_created", "tenant_id", "created_us"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(40), default="api")
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # ticket fields as received
    type: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[str | None] = mapped_column(String(60))
    priority: Mapped[str | None] = mapped_column(String(4))
    team: Mapped[str | None] = mapped_column(String(200))
    assignee: Mapped[str | None] = mapped_column(String(200))
    # Report groupings, as the ticket's current fields hold them (`app/ticket_dims.py`).
    queue: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(200))
    product: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(200))
    tier: Mapped[str | None] = mapped_column(String(200))
    account: Mapped[str | None] = mapped_column(String(200))
    policy: Mapped[str | None] = mapped_column(String(200))
    sla_state: Mapped[str | None] = mapped_column(String(20))  # the worst clock state
    config_version: Mapped[int] = mapped_column(Integer)
    created_us: Mapped[int] = mapped_column(BigInteger)
    updated_us: Mapped[int] = mapped_column(BigInteger)


class EventRow(Base):
    """Append-only ticket history. `key` is the idempotency key, unique per tenant."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "key"),
        Index("ix_events_ticket", "ticket_id", "occurred_us"),
        # CSAT received in a window (the hub's follow-up lane); partial: only CSAT rows
        Index(
            "ix_events_csat",
            "tenant_id",
            "occurred_us",
            postgresql_where=text("kind = 'csat'"),
            sqlite_where=text("kind = 'csat'"),
        ),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    occurred_us: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_us: Mapped[int] = mapped_column(BigInteger)


# The clocks whose times `response-times` reports (`app/reports.py` reads them by this
# condition, so that the planner can use `ix_clocks_timed`).
TIMED_METRICS = ("first_response", "resolution")
ENDED_MET = (ClockState.MET.value, ClockState.BREACHED_MET.value)
TIMED_CLOCKS = (
    f"metric IN ({', '.join(repr(m) for m in TIMED_METRICS)})"
    f" AND state IN ({', '.join(repr(st) for st in ENDED_MET)})"
)


class ClockRow(Base):
    """One clock instance as last computed; `next_us` is when something next happens to it."""

    __tablename__ = "clocks"
    __table_args__ = (
        UniqueConstraint("ticket_id", "metric", "cycle"),
        Index("ix_clocks_next", "next_us"),
        Index("ix_clocks_tenant_state_due", "tenant_id", "state", "due_us"),
        Index("ix_clocks_tenant_stopped", "tenant_id", "stopped_us"),
        Index("ix_clocks_tenant_breached", "tenant_id", "breached_us"),
        # the hub's breached list, oldest breach first; partial: only breached clocks
        Index(
            "ix_clocks_breached",
            "tenant_id",
            text("coalesce(breached_us, due_us)"),
            postgresql_where=text("state = 'breached'"),
            sqlite_where=text("state = 'breached'"),
        ),
        # response times (`app/reports.py`): the timed clocks that were met, by stop
        # instant, with what the report reads (PostgreSQL reads them from the index
        # alone); partial: the report's own conditions, word for word
        Index(
            "ix_clocks_timed",
            "tenant_id",
            "stopped_us",
            postgresql_include=["metric", "ticket_id", "elapsed_us", "started_us"],
            postgresql_where=text(TIMED_CLOCKS),
            sqlite_where=text(TIMED_CLOCKS),
        ),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(60))
    cycle: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    policy: Mapped[str] = mapped_column(String(200))
    target_us: Mapped[int] = mapped_column(BigInteger)
    started_us: Mapped[int] = mapped_column(BigInteger)
    due_us: Mapped[int | None] = mapped_column(BigInteger)
    stopped_us: Mapped[int | None] = mapped_column(BigInteger)
    breached_us: Mapped[int | None] = mapped_column(BigInteger)
    elapsed_us: Mapped[int] = mapped_column(BigInteger)
    warnings: Mapped[list[Any]] = mapped_column(JSON)
    next_us: Mapped[int | None] = mapped_column(BigInteger)


class ClockLogRow(Base):
    """The clock-event log: start, pause, resume, target change, warning, breach, met, cancel."""

    __tablename__ = "clock_log"
    __table_args__ = (
        Index("ix_clock_log_ticket", "ticket_id", "at_us"),
        # reopenings in a window (the hub's reopen-risk lane); partial: only those rows
        Index(
            "ix_clock_log_reopen",
            "tenant_id",
            "at_us",
            postgresql_where=text("action = 'reopen'"),
            sqlite_where=text("action = 'reopen'"),
        ),
        Index("ix_clock_log_tenant_action", "tenant_id", "metric", "action", "at_us"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    at_us: Mapped[int] = mapped_column(BigInteger)
    metric: Mapped[str] = mapped_column(String(60))
    cycle: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(String(300), default="")
    cause: Mapped[str | None] = mapped_column(String(200))


class LinkRow(Base):
    """duplicate_of and caused_by links between a tenant's tickets (by external id)."""

    __tablename__ = "links"
    __table_args__ = (UniqueConstraint("tenant_id", "ticket", "kind", "other"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    ticket: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    other: Mapped[str] = mapped_column(String(200))


class IngestSourceRow(Base):
    """A help desk allowed to post webhooks for a tenant, and the secret they are signed with.

    The secret is kept as given: verifying an HMAC needs it (unlike API keys, which are
    only ever compared by hash)."""

    __tablename__ = "ingest_sources"
    __table_args__ = (UniqueConstraint("tenant_id", "source"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(40))
    secret: Mapped[str] = mapped_column(String(200))
    created_us: Mapped[int] = mapped_column(BigInteger)


class TimerRow(Base):
    """Something the worker must do at `fire_us`: a ladder level of a clock cycle
    (`level`), a re-notification (`repeat`) or an idle check (`idle`).

    `key` names what the timer is for, unique per ticket, so re-planning replaces a
    timer instead of adding a second one. The worker reads timers by `fire_us` only."""

    __tablename__ = "timers"
    __table_args__ = (
        UniqueConstraint("ticket_id", "key"),
        Index("ix_timers_fire", "fire_us"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(300))
    fire_us: Mapped[int] = mapped_column(BigInteger)


class EscalationRow(Base):
    """A ladder level that fired for one clock cycle. The unique constraint is what makes
    each level fire at most once per cycle, whatever crashes or retries happen."""

    __tablename__ = "escalations"
    __table_args__ = (
        UniqueConstraint("ticket_id", "ladder", "level", "metric", "cycle"),
        Index("ix_escalations_tenant_fired", "tenant_id", "fired_us"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    ladder: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(60))
    cycle: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # warning, breach, escalation
    when: Mapped[str] = mapped_column(String(60))  # the level's `when`, as configured
    planned_us: Mapped[int] = mapped_column(BigInteger)  # the instant it was due to fire
    fired_us: Mapped[int] = mapped_column(BigInteger)
    due_us: Mapped[int | None] = mapped_column(BigInteger)  # the clock's due instant then
    repeats: Mapped[int] = mapped_column(Integer, default=0)
    acked_us: Mapped[int | None] = mapped_column(BigInteger)
    acked_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(String(500), default="")


class TriggerRunRow(Base):
    """A trigger that ran for one cause (an event's key, or an idle period): once each."""

    __tablename__ = "trigger_runs"
    __table_args__ = (UniqueConstraint("ticket_id", "trigger", "cause"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(200))
    cause: Mapped[str] = mapped_column(String(300))
    fired_us: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(500), default="")


class OutboxRow(Base):
    """A notification to deliver, written in the transaction that decided to send it.

    `delivery_id` is stable: derived from what is notified, so a re-send after a crash
    carries the same id. States: pending (due at `next_us`), held (waiting for its
    channel's digest window, until `next_us`), sending is not a state — a claimed row is
    pending with `next_us` pushed past a lease — sent, dead (retries exhausted or a
    permanent failure; `slaguard outbox retry` makes it pending again), digested (folded
    into the digest `digest_id`)."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "state", "next_us"),
        Index("ix_outbox_tenant", "tenant_id", "id"),
        Index("ix_outbox_ticket", "ticket_id", "id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(64), unique=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    # The fired level it tells of; not a foreign key (see the migration c4e8a2f19d37):
    # written with it, and deleted with the ticket like it.
    escalation_id: Mapped[int | None] = mapped_column(BigInteger)
    channel: Mapped[str | None] = mapped_column(String(200))  # a configured channel, or
    person: Mapped[str | None] = mapped_column(String(200))  # a person's address
    channel_type: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str | None] = mapped_column(String(4))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_us: Mapped[int] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_us: Mapped[int] = mapped_column(BigInteger)
    sent_us: Mapped[int | None] = mapped_column(BigInteger)
    digest_id: Mapped[str | None] = mapped_column(String(64))


class InstanceRow(Base):
    """Values of this installation, shared by all its processes (e.g. the key that
    signs links when none is configured)."""

    __tablename__ = "instance"
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))


class AuditRow(Base):
    """The audit trail: appended unsealed (`seq`, `prev_hash`, `hash` empty) in the
    transaction of the change, chained by the sealer (`app/audit.py`)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        UniqueConstraint("tenant_id", "seq"),
        Index("ix_audit_log_unsealed", "tenant_id", "seq", "id"),
        # the sealer's `DISTINCT tenant_id WHERE seq IS NULL`: only the unsealed few
        Index(
            "ix_audit_log_pending",
            "tenant_id",
            "id",
            postgresql_where=text("seq IS NULL"),
            sqlite_where=text("seq IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    at_us: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int | None] = mapped_column(BigInteger)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class BreachRow(Base):
    """A breached clock instance, its suggested reason with the evidence, and the reason
    a person confirmed (reports count confirmed reasons)."""

    __tablename__ = "breaches"
    __table_args__ = (
        UniqueConstraint("ticket_id", "metric", "cycle"),
        Index("ix_breaches_tenant_breached", "tenant_id", "breached_us"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(60))
    cycle: Mapped[int] = mapped_column(Integer)
    breached_us: Mapped[int] = mapped_column(BigInteger)
    suggested: Mapped[str] = mapped_column(String(60))
    evidence: Mapped[list[Any]] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(String(60))  # confirmed by a person
    confirmed_by: Mapped[str | None] = mapped_column(String(200))
    confirmed_us: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(1000), default="")


class BacklogSampleRow(Base):
    """A team's open tickets at an instant, sampled by the worker (hourly): the normal
    level a breach's backlog is compared with."""

    __tablename__ = "backlog_samples"
    __table_args__ = (Index("ix_backlog_samples_team", "tenant_id", "team", "at_us"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    team: Mapped[str] = mapped_column(String(200))
    at_us: Mapped[int] = mapped_column(BigInteger)
    open_tickets: Mapped[int] = mapped_column(Integer)


class UserRow(Base):
    """A person who signs in to the dashboard: one tenant, one role, an argon2 password
    hash, and their choice of language and time zone (None: from the browser)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(10))
    timezone: Mapped[str | None] = mapped_column(String(60))
    created_us: Mapped[int] = mapped_column(BigInteger)
    disabled_us: Mapped[int | None] = mapped_column(BigInteger)


class WebSessionRow(Base):
    """A signed-in browser: the cookie carries a random token, stored here as its SHA-256
    hash, with the session's CSRF token and its expiry."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_us: Mapped[int] = mapped_column(BigInteger)
    expires_us: Mapped[int] = mapped_column(BigInteger)


class ClockRollupRow(Base):
    """How many clock instances stopped and breached on each day, per report grouping:
    what trend and compliance read instead of scanning clocks (`app/rollups.py`).

    A clock instance contributes `n = 1` to one row per grouping (`dim`: `all`, a ticket
    field or `policy`), keyed by the epoch day (UTC) it ended on (`e_day`: met or
    breached_met) and the day its stored breach instant falls on (`b_day`); `NO_DAY`
    where it has none, and whether it crossed a warning threshold (`warned`, for
    coverage). Instances with neither day contribute nothing. `shard` (ticket id
    modulo `SHARDS`; 0 per account and assignee) spreads the busiest rows so concurrent
    writers seldom wait on one; readers sum over it."""

    __tablename__ = "clock_rollups"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id",
            "dim",
            "value",
            "metric",
            "e_day",
            "b_day",
            "warned",
            "shard",
            name="uq_clock_rollups_key",
        ),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    dim: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(60))
    e_day: Mapped[int] = mapped_column(Integer)
    b_day: Mapped[int] = mapped_column(Integer)
    warned: Mapped[int] = mapped_column(Integer)  # 1: it crossed a warning threshold
    shard: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(BigInteger)
