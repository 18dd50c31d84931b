"""Daily clock rollups: what each clock instance contributes, and how they are written.

Theory of operation. A report window counts a clock instance when it *ended* in the
window (met or breached_met, by `stopped_us`) or *breached* in it (`breached_us`), and
counts it as breached when it breached before the window's end (`app/reports.py`). Both
only need the two instants, so a clock instance is summarised by the pair of UTC epoch
days they fall on, `(e_day, b_day)` (`NO_DAY` for "none"). For a window made of whole
days, counting the rows of `clock_rollups` by that pair gives exactly what counting the
clocks would; `app/rollups.py` counts the partial days at a window's edges from the
clocks themselves. A running clock past its due instant that nothing has re-judged yet
(`breached_us` still empty) contributes nothing here: reports add those from the clocks.
A cancelled instance (a duplicate ticket, a restarted cycle) never counts, whatever it
stored before it was cancelled: it contributes nothing either.

Each instance contributes `n = 1` to one row per grouping in `DIMS` (`all`, the ticket
columns, and the clock's own `policy`), so a report grouped by any of them reads its own
rows. The write path (`app/clock_rows.py`, `app/imports.py`) takes the old contribution
of every stored clock of a ticket away and adds the new one, in the transaction that
changes the clocks or the ticket's columns: the sum is unchanged when nothing moved, and
only the rows that differ are written (one upsert, in key order so that two writers lock
rows in the same order). `rebuild` recomputes a tenant's rows from the clocks.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

__all__ = [
    "CANCELLED",
    "DAY_US",
    "DIMS",
    "ENDED_STATES",
    "KEY_COLUMNS",
    "NONE",
    "NO_DAY",
    "REPORT_COLUMNS",
    "SHARDS",
    "TICKET_DIMS",
    "Key",
    "add_clock",
    "apply",
    "day_of",
    "dim_value",
    "rebuild",
    "sql_day",
]

DAY_US = 86_400_000_000
NO_DAY = -(2**31)  # "no such instant" in e_day / b_day (NULL would defeat the upsert key)
SHARDS = 8
# Per account and per assignee, concurrent writers seldom share a row; sharding those
# would multiply the table's largest groupings by SHARDS for nothing.
_UNSHARDED = frozenset({"account", "assignee"})
NONE = "(none)"  # the segment of rows without the field, as reports name it
ENDED_STATES = ("met", "breached_met")
CANCELLED = "cancelled"  # never counted (its breach, if any, included)
# Ticket columns reports group by, as stored on `tickets`.
TICKET_DIMS = (
    "team",
    "queue",
    "category",
    "product",
    "channel",
    "tier",
    "priority",
    "assignee",
    "account",
)
DIMS = ("all", *TICKET_DIMS, "policy")
# Those of them stored for reports only (`dim_value` of the ticket's current field).
REPORT_COLUMNS = ("queue", "category", "product", "channel", "tier", "account")
_COLUMN_MOST = 200
KEY_COLUMNS = ("tenant_id", "dim", "value", "metric", "e_day", "b_day", "warned", "shard")

Key = tuple[str, str, str, int, int, int, int]  # dim value metric e_day b_day warned shard

_ROLLUPS = sa.table(
    "clock_rollups",
    sa.column("id", sa.BigInteger),
    sa.column("tenant_id", sa.BigInteger),
    sa.column("dim", sa.String),
    sa.column("value", sa.String),
    sa.column("metric", sa.String),
    sa.column("e_day", sa.Integer),
    sa.column("b_day", sa.Integer),
    sa.column("warned", sa.Integer),
    sa.column("shard", sa.Integer),
    sa.column("n", sa.BigInteger),
)
_CLOCKS = sa.table(
    "clocks",
    sa.column("tenant_id", sa.BigInteger),
    sa.column("ticket_id", sa.BigInteger),
    sa.column("metric", sa.String),
    sa.column("state", sa.String),
    sa.column("policy", sa.String),
    sa.column("stopped_us", sa.BigInteger),
    sa.column("breached_us", sa.BigInteger),
    sa.column("warnings", sa.JSON),
)
_TICKETS = sa.table(
    "tickets",
    sa.column("id", sa.BigInteger),
    *(sa.column(name, sa.String) for name in TICKET_DIMS),
)


def dim_value(value: Any) -> str | None:
    """A ticket field as its report column holds it: strings as they are, other values
    as JSON text, at most 200 characters."""
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return text[:_COLUMN_MOST]


def day_of(us: int) -> int:
    return us // DAY_US


def add_clock(
    counts: Counter[Key],
    *,
    ticket_id: int,
    dims: Mapping[str, str | None],
    metric: str,
    state: str,
    policy: str | None,
    stopped_us: int | None,
    breached_us: int | None,
    warned: bool,
    sign: int,
) -> None:
    """Add (`sign` 1) or take away (-1) one clock instance's contribution; `warned`: it
    crossed a warning threshold (its `warnings` are not empty). A cancelled instance
    contributes nothing."""
    if state == CANCELLED:
        return
    e_day = day_of(stopped_us) if state in ENDED_STATES and stopped_us is not None else NO_DAY
    b_day = day_of(breached_us) if breached_us is not None else NO_DAY
    if e_day == NO_DAY and b_day == NO_DAY:
        return
    shard, w = ticket_id % SHARDS, int(warned)
    counts["all", "all", metric, e_day, b_day, w, shard] += sign
    counts["policy", NONE if policy is None else policy, metric, e_day, b_day, w, shard] += sign
    for dim in TICKET_DIMS:
        value = dims.get(dim)
        key = (dim, NONE if value is None else value, metric, e_day, b_day, w)
        counts[(*key, 0 if dim in _UNSHARDED else shard)] += sign


# The upsert of `apply`, as the driver's SQL: many rows in one statement on PostgreSQL
# (one JSON parameter, read with `json_to_recordset`), an executemany of plain tuples on
# SQLite. Through SQLAlchemy, the rows as dicts cost more than the rest of an import:
# parameters built and bound per row, and on PostgreSQL one statement per row in the
# pipeline (measured: 43% of `slaguard import`'s time, 14,000 rows a batch of 500
# tickets).
_ADDED = ", ".join((*KEY_COLUMNS[1:], "n"))
_ON_CONFLICT = (
    f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET n = clock_rollups.n + excluded.n"
)
_POSTGRES_UPSERT = (
    f"INSERT INTO clock_rollups (tenant_id, {_ADDED}) "  # noqa: S608 - constant names
    f"SELECT %(tenant_id)s::bigint, {_ADDED} FROM json_to_recordset(%(rows)s::json) AS r("
    "dim text, value text, metric text, e_day integer, b_day integer, warned integer, "
    f"shard integer, n bigint) {_ON_CONFLICT}"
)
_SQLITE_UPSERT = (
    f"INSERT INTO clock_rollups (tenant_id, {_ADDED}) "  # noqa: S608 - constant names
    f"VALUES ({', '.join('?' * (len(KEY_COLUMNS) + 1))}) {_ON_CONFLICT}"
)
_FIELDS = KEY_COLUMNS[1:]


def apply(conn: Connection, tenant_id: int, counts: Counter[Key]) -> None:
    """Write the non-zero differences in `counts` (one upsert, in key order)."""
    changed = [(*k, n) for k, n in sorted(counts.items()) if n]
    if not changed:
        return
    if conn.dialect.name == "postgresql":
        rows = json.dumps([dict(zip((*_FIELDS, "n"), r, strict=True)) for r in changed])
        conn.exec_driver_sql(_POSTGRES_UPSERT, {"tenant_id": tenant_id, "rows": rows})
    else:
        conn.exec_driver_sql(_SQLITE_UPSERT, [(tenant_id, *r) for r in changed])


def sql_day(us: Any) -> Any:
    """`floor(us / day)` in SQL for any sign (integer division truncates on both)."""
    day = sa.literal(DAY_US, sa.BigInteger)
    return sa.case((us >= 0, us // day), else_=-((-us - 1) // day) - 1)


def sql_warned(warnings: Any, dialect: str) -> Any:
    """1 when a clock's stored `warnings` (a JSON list) is not empty, else 0."""
    if dialect == "postgresql":  # the stored text: the write path stores none as []
        not_empty = sa.cast(warnings, sa.Text) != "[]"
    else:
        not_empty = sa.func.json_array_length(warnings) > 0
    return sa.case((not_empty, 1), else_=0)


def rebuild(conn: Connection, tenant_ids: Iterable[int] | None = None) -> None:
    """Recompute the rollups of the given tenants (all when None) from their clocks."""
    c, t = _CLOCKS, _TICKETS
    tenants = None if tenant_ids is None else list(tenant_ids)
    delete = sa.delete(_ROLLUPS)
    if tenants is not None:
        delete = delete.where(_ROLLUPS.c.tenant_id.in_(tenants))
    conn.execute(delete)
    e_day = sa.case(
        (
            sa.and_(c.c.state.in_(ENDED_STATES), c.c.stopped_us.is_not(None)),
            sql_day(c.c.stopped_us),
        ),
        else_=NO_DAY,
    )
    b_day = sa.case((c.c.breached_us.is_not(None), sql_day(c.c.breached_us)), else_=NO_DAY)
    where = sa.and_(
        c.c.state != CANCELLED,
        sa.or_(
            sa.and_(c.c.state.in_(ENDED_STATES), c.c.stopped_us.is_not(None)),
            c.c.breached_us.is_not(None),
        ),
    )
    if tenants is not None:
        where = sa.and_(c.c.tenant_id.in_(tenants), where)
    base = (
        sa.select(
            c.c.tenant_id,
            c.c.metric,
            sa.func.coalesce(c.c.policy, NONE).label("policy"),
            e_day.label("e_day"),
            b_day.label("b_day"),
            sql_warned(c.c.warnings, conn.dialect.name).label("warned"),
            (c.c.ticket_id % SHARDS).label("shard"),
            *(sa.func.coalesce(t.c[d], NONE).label(d) for d in TICKET_DIMS),
        )
        .select_from(c.join(t, t.c.id == c.c.ticket_id))
        .where(where)
        .cte("contributions")  # one pass over clocks and tickets (materialised on PostgreSQL)
    )
    b = base.c
    per_dim = []
    for dim in DIMS:
        shard: Any = sa.literal(0) if dim in _UNSHARDED else b.shard
        keys = [b.tenant_id, b.metric, b.e_day, b.b_day, b.warned]
        value: Any = sa.literal("all")
        if dim != "all":
            value = b[dim]
            keys.append(value)
        if dim not in _UNSHARDED:
            keys.append(b.shard)
        grouped = sa.select(
            b.tenant_id,
            sa.literal(dim),
            value,
            b.metric,
            b.e_day,
            b.b_day,
            b.warned,
            shard,
            sa.func.count(),
        ).group_by(*keys)
        per_dim.append(grouped)
    conn.execute(sa.insert(_ROLLUPS).from_select([*KEY_COLUMNS, "n"], sa.union_all(*per_dim)))
