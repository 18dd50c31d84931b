"""The reports page's tables and charts, made from the report rows for one viewer.

Every table is a list of columns (a key, a heading, a kind) and rows of raw values; the
page shows each value formatted for the viewer (`Formatter`), the CSV writes it raw, and
the charts' JSON carries the same raw numbers (rates from 0 to 1, durations in seconds):
`static/reports.js` scales them for the axes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from slaguard.app import reports
from slaguard.domain.policy import ReportSettings
from slaguard.web.render import Viewer

if TYPE_CHECKING:
    from slaguard.web.pages.reports import Filters

__all__ = ["GROUP_LABELS", "Figures", "View", "build_view", "csv_rows"]

Kind = Literal["segment", "metric", "reason", "count", "rate", "duration", "day", "alert"]
NUMERIC = ("count", "rate", "duration")


def N_(message: str) -> str:  # the extractor's keyword for "translate when shown"
    return message


METRICS = {
    "first_response": N_("First response"),
    "next_response": N_("Next response"),
    "periodic_update": N_("Periodic update"),
    "resolution": N_("Resolution"),
    "callback": N_("Callback"),
}
REASONS = {
    "misrouting": N_("Misrouting"),
    "backlog": N_("Backlog"),
    "unclear_ownership": N_("Unclear ownership"),
    "waiting_on_customer": N_("Waiting on customer"),
    "dependency_delay": N_("Dependency delay"),
    "staffing": N_("Staffing"),
    "other": N_("Other"),
}
ALERTS = {
    "ok": N_("On target"),
    "below_target": N_("Below target"),
    "critical": N_("Critical"),
}
ALERT_CLASS = {"ok": "ok", "below_target": "warning", "critical": "critical"}
SEGMENTS = {"(none)": N_("(none)"), "all": N_("All")}


@dataclass(frozen=True)
class Figures:
    """The report rows behind one view."""

    compliance: list[dict[str, Any]]  # by group and metric
    over_time: list[dict[str, Any]]  # by period and metric
    response_times: list[dict[str, Any]]  # by group and metric
    reasons: list[dict[str, Any]]  # by reason (segment "all", or the metric)
    as_of_us: int
    levels: ReportSettings = field(default_factory=ReportSettings)  # compliance alert levels


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: Kind

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC


@dataclass
class Table:
    name: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    cells: list[list[tuple[str, str]]] = field(default_factory=list)  # (text, css class)


@dataclass
class View:
    tables: dict[str, Table]
    charts: dict[str, dict[str, Any]]
    summary: dict[str, Any]
    metrics: list[str]  # the metrics to choose from
    metric_names: dict[str, str]
    as_of_us: int
    empty: bool


def _label(v: Viewer, names: dict[str, str], value: str) -> str:
    if value in names:
        return v.gettext(names[value])
    return value.replace("_", " ")


def _rate(part: int, whole: int) -> float | None:
    return None if not whole else round(part / whole, 4)


def _sum(rows: Iterable[dict[str, Any]], metric: str, key: str) -> dict[Any, dict[str, Any]]:
    """counted/met/breached per `key`, over every metric or the one asked for."""
    out: dict[Any, dict[str, Any]] = {}
    for r in rows:
        if metric and r["metric"] != metric:
            continue
        acc = out.setdefault(r[key], {"counted": 0, "met": 0, "breached": 0})
        for k in ("counted", "met", "breached"):
            acc[k] += r[k]
    for acc in out.values():
        acc["compliance_rate"] = _rate(acc["met"], acc["counted"])
        acc["breach_rate"] = _rate(acc["breached"], acc["counted"])
    return out


def _cell(v: Viewer, column: Column, value: Any) -> tuple[str, str]:
    fmt = v.fmt
    if value is None:
        return ("\N{EN DASH}", "num" if column.numeric else "")
    match column.kind:
        case "count":
            return (fmt.number(value), "num")
        case "rate":
            return (fmt.percent(value), "num")
        case "duration":
            return (fmt.clock(round(value * 1_000_000)), "num")
        case "day":
            return (fmt.date(value), "")
        case "metric":
            return (_label(v, METRICS, value), "")
        case "reason":
            return (_label(v, REASONS, value), "")
        case "alert":
            return (v.gettext(ALERTS[value]), f"badge {ALERT_CLASS[value]}")
        case _:
            return (_label(v, SEGMENTS, str(value)), "")


def _table(v: Viewer, name: str, columns: list[Column], rows: list[dict[str, Any]]) -> Table:
    t = Table(name, columns, rows)
    t.cells = [[_cell(v, c, r.get(c.key)) for c in columns] for r in rows]
    return t


def csv_rows(table: Table, tz: ZoneInfo) -> tuple[list[str], list[list[Any]]]:
    """The table's column keys and its rows, raw (days as the viewer's ISO dates)."""

    def raw(c: Column, value: Any) -> Any:
        if value is None:
            return ""
        if c.kind == "day":
            return datetime.fromtimestamp(value / 1_000_000, tz).date().isoformat()
        return value

    keys = [c.key for c in table.columns]
    return keys, [[raw(c, r.get(c.key)) for c in table.columns] for r in table.rows]


def build_view(data: Figures, f: Filters, v: Viewer) -> View:
    _ = v.gettext
    metric = f.metric
    rate_cols = [
        Column("counted", _("Counted"), "count"),
        Column("met", _("Met"), "count"),
        Column("breached", _("Breached"), "count"),
        Column("compliance_rate", _("Compliance rate"), "rate"),
        Column("breach_rate", _("Breach rate"), "rate"),
    ]

    # compliance and breach rate by segment: worst first
    by_segment = _sum(data.compliance, metric, "segment")
    seg_rows = [{"segment": s, **acc} for s, acc in by_segment.items()]
    for r in seg_rows:
        r["alert"] = reports.alert(r["met"], r["counted"], data.levels)
    seg_rows.sort(key=lambda r: (r["compliance_rate"], r["segment"]))
    group_label = _(GROUP_LABELS[f.group_by])
    compliance = _table(
        v,
        "compliance",
        [
            Column("segment", group_label, "segment"),
            *rate_cols,
            Column("alert", _("Alert"), "alert"),
        ],
        seg_rows,
    )

    # over time: every period, also those where nothing counted
    by_period = _sum(data.over_time, metric, "from_us")
    nothing: dict[str, Any] = {
        "counted": 0,
        "met": 0,
        "breached": 0,
        "compliance_rate": None,
        "breach_rate": None,
    }
    period_rows = [{"period": e, **by_period.get(e, nothing)} for e in f.edges[:-1]]
    period_label = _("Week from") if f.weekly else _("Day")
    trend = _table(v, "trend", [Column("period", period_label, "day"), *rate_cols], period_rows)

    # response times: first response and resolution (one of them when it is the metric)
    times = [
        r
        for r in data.response_times
        if not metric or metric not in ("first_response", "resolution") or r["metric"] == metric
    ]
    response = _table(
        v,
        "response-times",
        [
            Column("segment", group_label, "segment"),
            Column("metric", _("Metric"), "metric"),
            Column("count", _("Stopped"), "count"),
            Column("business_median_s", _("Median (business time)"), "duration"),
            Column("business_p90_s", _("90th percentile (business time)"), "duration"),
            Column("calendar_median_s", _("Median (calendar time)"), "duration"),
            Column("calendar_p90_s", _("90th percentile (calendar time)"), "duration"),
        ],
        times,
    )

    # breach reasons: the Pareto of the window (of the metric, when one is chosen)
    reasons_rows = [
        {k: r[k] for k in ("reason", "confirmed", "suggested_only", "share", "cumulative_share")}
        for r in data.reasons
        if (r["segment"] == metric if metric else True)
    ]
    pareto = _table(
        v,
        "breach-reasons",
        [
            Column("reason", _("Reason"), "reason"),
            Column("confirmed", _("Confirmed breaches"), "count"),
            Column("suggested_only", _("Not yet confirmed"), "count"),
            Column("share", _("Share"), "rate"),
            Column("cumulative_share", _("Cumulative share"), "rate"),
        ],
        reasons_rows,
    )

    totals = _sum(data.compliance, metric, "metric")
    counted = sum(t["counted"] for t in totals.values())
    breached = sum(t["breached"] for t in totals.values())
    summary = {
        "counted": counted,
        "breached": breached,
        "compliance_rate": _rate(counted - breached, counted),
        "confirmed": sum(r["confirmed"] for r in reasons_rows),
        "unconfirmed": sum(r["suggested_only"] for r in reasons_rows),
    }
    seen = {r["metric"] for r in data.compliance} | {r["metric"] for r in data.over_time}
    metrics = sorted(seen | ({metric} if metric else set()))
    names = {m: _label(v, METRICS, m) for m in metrics}
    charts = _charts(v, compliance, trend, response, pareto)
    return View(
        tables={t.name: t for t in (compliance, trend, response, pareto)},
        charts=charts,
        summary=summary,
        metrics=metrics,
        metric_names=names,
        as_of_us=data.as_of_us,
        empty=counted == 0 and not response.rows and not pareto.rows,
    )


GROUP_LABELS = {
    "team": N_("Team"),
    "queue": N_("Queue"),
    "category": N_("Category"),
    "product": N_("Product"),
    "channel": N_("Channel"),
    "tier": N_("Tier"),
    "priority": N_("Priority"),
}


def _series(label: str, data: list[Any], unit: str, kind: str = "bar") -> dict[str, Any]:
    return {"label": label, "data": data, "unit": unit, "kind": kind}


def _chart(
    kind: str,
    table: str,
    labels: list[str],
    datasets: list[dict[str, Any]],
    *,
    horizontal: bool = False,
    stacked: bool = False,
    axis: str = "",
) -> dict[str, Any]:
    return {
        "type": kind,
        "table": table,
        "labels": labels,
        "datasets": datasets,
        "horizontal": horizontal,
        "stacked": stacked,
        "axis": axis,
    }


def _charts(
    v: Viewer, compliance: Table, trend: Table, response: Table, pareto: Table
) -> dict[str, dict[str, Any]]:
    """What reports.js draws: labels as shown in the tables, and the tables' raw numbers."""
    _ = v.gettext

    def labels(t: Table) -> list[str]:
        return [row[0][0] for row in t.cells]

    def col(t: Table, key: str) -> list[Any]:
        return [r.get(key) for r in t.rows]

    segments = list(dict.fromkeys(cells[0][0] for cells in response.cells))
    times: list[dict[str, Any]] = []
    for m in dict.fromkeys(r["metric"] for r in response.rows):
        name = _label(v, METRICS, m)
        of = {
            cells[0][0]: r
            for r, cells in zip(response.rows, response.cells, strict=True)
            if r["metric"] == m
        }
        for key, what in (("business_median_s", _("median")), ("business_p90_s", _("p90"))):
            data = [of[s][key] if s in of else None for s in segments]
            times.append(_series(f"{name}: {what}", data, "seconds"))
    return {
        "compliance": _chart(
            "line",
            "table-trend",
            labels(trend),
            [
                _series(_("Compliance rate"), col(trend, "compliance_rate"), "rate", "line"),
                _series(_("Breach rate"), col(trend, "breach_rate"), "rate", "line"),
            ],
        ),
        "breach-rate": _chart(
            "bar",
            "table-compliance",
            labels(compliance),
            [
                _series(_("Compliance rate"), col(compliance, "compliance_rate"), "rate"),
                _series(_("Breach rate"), col(compliance, "breach_rate"), "rate"),
            ],
            horizontal=True,
            stacked=True,
        ),
        "response-times": _chart(
            "bar",
            "table-response-times",
            segments,
            times,
            axis=_("Hours (business time)"),
        ),
        "pareto": _chart(
            "pareto",
            "table-pareto",
            labels(pareto),
            [
                _series(_("Confirmed breaches"), col(pareto, "confirmed"), "count"),
                _series(_("Cumulative share"), col(pareto, "cumulative_share"), "rate", "line"),
            ],
        ),
    }
