"""The reports page on both databases, against a small dataset whose figures are worked
out by hand below: its tables, the charts' data blocks, the CSV, the filters, tenants,
time zones and Swedish."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apihelpers import FakeClock, Tenant, TestClient
from reportdata import at, four_tickets
from webhelpers import make_user, sign_in

from slaguard.app.services import Services
from slaguard.web.figure_cache import FigureCache
from slaguard.web.i18n import Formatter


@pytest.fixture
def dataset(make_tenant: Callable[..., Tenant], services: Services, clock: FakeClock) -> Tenant:
    """Four tickets created at START (Wednesday 25 November 2026, 09:00 UTC) on a 24x7
    calendar, first response due in 1h, resolution in 8h; seen at START + 3h:

        T1 team a, email: replied at 0:30 (met), resolved at 2:00 (met)
        T2 team a, chat:  replied at 2:00 (breached at 1:00); reason confirmed: staffing
        T3 team b, email: replied at 0:10 (met)
        T4 team b, chat:  no reply: breached at 1:00 (reason suggested, not confirmed)

    Counted: T1 first response and resolution, T2, T3, T4 first response: 5, 2 breached.
    By team: a 3 counted, 1 breached (66.7%); b 2 counted, 1 breached (50%).
    """
    t = four_tickets(make_tenant, services, clock)
    r = t.client.put(
        "/api/v1/tickets/T2/breaches/first_response/1",
        json={"reason": "staffing"},
        headers=t.headers("agent"),
    )
    assert r.status_code == 200, r.text
    return t


class Page(HTMLParser):
    """The tables (id -> rows of {column key: text}) and JSON blocks (id -> value) of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, list[dict[str, str]]] = {}
        self.json: dict[str, Any] = {}
        self.ids: set[str] = set()
        self._table: str | None = None
        self._cell: str | None = None
        self._script: str | None = None
        self._text = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "table":
            self._table = a.get("id")
            self.tables[str(self._table)] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append({})
        elif tag in ("td", "th") and self._table and a.get("data-col"):
            self._cell, self._text = a["data-col"], ""
        elif tag == "script" and a.get("type") == "application/json":
            self._script, self._text = a.get("id"), ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell and self._table:
            self.tables[self._table][-1][self._cell] = re.sub(
                r"[ \t\r\n]+", " ", self._text
            ).strip()
            self._cell = None
        elif tag == "table":
            self._table = None
            for rows in self.tables.values():
                rows[:] = [r for r in rows if r]
        elif tag == "script" and self._script:
            self.json[self._script] = json.loads(self._text)
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._cell or self._script:
            self._text += data


def viewer_client(services: Services, client: TestClient, tenant: str, **kw: str) -> TestClient:
    email = make_user(services, tenant, "viewer", **kw)
    assert sign_in(client, tenant, email).status_code == 303
    return client


def page(client: TestClient, **params: str) -> Page:
    r = client.get("/reports", params=params)
    assert r.status_code == 200, r.text
    return Page(r.text)


def download(client: TestClient, table: str, **params: str) -> list[dict[str, str]]:
    r = client.get("/reports.csv", params={**params, "table": table})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(r.text)))


EN = Formatter("en", ZoneInfo("UTC"))


def test_tables_show_the_rates_per_group(
    dataset: Tenant, services: Services, client: TestClient
) -> None:
    p = page(viewer_client(services, client, "acme"))
    assert {
        "report-filters",
        "chart-compliance",
        "chart-breach-rate",
        "chart-response-times",
        "chart-pareto",
        "table-compliance",
        "download-csv",
    } <= p.ids
    # lowest compliance first
    assert p.tables["table-compliance"] == [
        {
            "segment": "b",
            "counted": "2",
            "met": "1",
            "breached": "1",
            "compliance_rate": "50%",
            "breach_rate": "50%",
            "alert": "Critical",
        },
        {
            "segment": "a",
            "counted": "3",
            "met": "2",
            "breached": "1",
            "compliance_rate": "66.7%",
            "breach_rate": "33.3%",
            "alert": "Critical",
        },
    ]
    # first response: a took 0:30 and 2:00 (median 0:30, nearest-rank p90 2:00), b 0:10;
    # resolution: T1 in 2:00
    times = {(r["segment"], r["metric"]): r for r in p.tables["table-response-times"]}
    assert set(times) == {("a", "First response"), ("a", "Resolution"), ("b", "First response")}
    a_fr = times[("a", "First response")]
    assert (a_fr["count"], a_fr["business_median_s"], a_fr["business_p90_s"]) == (
        "2",
        "0:30",
        "2:00",
    )
    assert times[("b", "First response")]["business_p90_s"] == "0:10"
    assert times[("a", "Resolution")]["calendar_median_s"] == "2:00"
    # the Pareto: T2 confirmed as staffing; T4 still only suggested
    assert p.tables["table-pareto"] == [
        {
            "reason": "Staffing",
            "confirmed": "1",
            "suggested_only": "0",
            "share": "100%",
            "cumulative_share": "100%",
        },
        {
            "reason": "Unclear ownership",
            "confirmed": "0",
            "suggested_only": "1",
            "share": "0%",
            "cumulative_share": "100%",
        },
    ]
    # thirty days up to today (25 November), everything on the last one
    trend = p.tables["table-trend"]
    assert len(trend) == 30
    assert trend[0]["period"] == "Oct 27, 2026" and trend[-1]["period"] == "Nov 25, 2026"
    assert (trend[-1]["counted"], trend[-1]["breached"], trend[-1]["compliance_rate"]) == (
        "5",
        "2",
        "60%",
    )
    assert all(r["counted"] == "0" and r["compliance_rate"] == "\N{EN DASH}" for r in trend[:-1])


def test_the_charts_have_the_tables_numbers(
    dataset: Tenant, services: Services, client: TestClient
) -> None:
    p = page(viewer_client(services, client, "acme"))
    bars = p.json["chart-breach-rate-data"]
    assert bars["labels"] == ["b", "a"]
    assert bars["table"] == "table-compliance"
    rates = {d["label"]: d["data"] for d in bars["datasets"]}
    assert rates == {"Compliance rate": [0.5, 0.6667], "Breach rate": [0.5, 0.3333]}
    assert [EN.percent(x) for x in rates["Compliance rate"]] == [
        r["compliance_rate"] for r in p.tables["table-compliance"]
    ]
    line = p.json["chart-compliance-data"]
    assert len(line["labels"]) == 30 and line["labels"][-1] == "Nov 25, 2026"
    assert line["datasets"][0]["data"][-1] == 0.6 and line["datasets"][0]["data"][0] is None
    times = p.json["chart-response-times-data"]
    assert times["labels"] == ["a", "b"]
    series = {d["label"]: d["data"] for d in times["datasets"]}
    assert series["First response: median"] == [1800, 600]
    assert series["First response: p90"] == [7200, 600]
    assert series["Resolution: median"] == [7200, None]
    pareto = p.json["chart-pareto-data"]
    assert pareto["labels"] == ["Staffing", "Unclear ownership"]
    assert [d["data"] for d in pareto["datasets"]] == [[1, 0], [1.0, 1.0]]


def test_the_csv_is_the_table(dataset: Tenant, services: Services, client: TestClient) -> None:
    c = viewer_client(services, client, "acme")
    params = {"group_by": "channel"}
    p = page(c, **params)
    rows = download(c, "compliance", **params)
    assert list(rows[0]) == [
        "segment",
        "counted",
        "met",
        "breached",
        "compliance_rate",
        "breach_rate",
        "alert",
    ]
    # chat: T2 and T4 breached; email: T1 (both clocks) and T3 met
    assert rows == [
        {
            "segment": "chat",
            "counted": "2",
            "met": "0",
            "breached": "2",
            "compliance_rate": "0.0",
            "breach_rate": "1.0",
            "alert": "critical",
        },
        {
            "segment": "email",
            "counted": "3",
            "met": "3",
            "breached": "0",
            "compliance_rate": "1.0",
            "breach_rate": "0.0",
            "alert": "ok",
        },
    ]
    table = p.tables["table-compliance"]
    assert [r["segment"] for r in table] == [r["segment"] for r in rows]
    for shown, raw in zip(table, rows, strict=True):
        for key in ("counted", "met", "breached"):
            assert shown[key] == raw[key]
        for key in ("compliance_rate", "breach_rate"):
            assert shown[key] == EN.percent(float(raw[key]))
    trend = download(c, "trend", **params)
    assert len(trend) == 30 and trend[-1]["period"] == "2026-11-25"
    assert (trend[-1]["counted"], trend[-1]["compliance_rate"]) == ("5", "0.6")
    assert trend[0]["compliance_rate"] == ""
    times = download(c, "response-times", **params)
    email = {r["metric"]: r for r in times if r["segment"] == "email"}
    assert float(email["first_response"]["business_median_s"]) == 600  # T1 30m, T3 10m
    assert float(email["first_response"]["business_p90_s"]) == 1800
    reasons = download(c, "breach-reasons", **params)
    assert [(r["reason"], r["confirmed"], r["suggested_only"]) for r in reasons] == [
        ("staffing", "1", "0"),
        ("unclear_ownership", "0", "1"),
    ]
    assert c.get("/reports.csv", params={"table": "nope"}).status_code == 422


def test_filters_change_the_result(dataset: Tenant, services: Services, client: TestClient) -> None:
    c = viewer_client(services, client, "acme")
    # one metric: resolution (only T1, met)
    p = page(c, metric="resolution")
    assert p.tables["table-compliance"] == [
        {
            "segment": "a",
            "counted": "1",
            "met": "1",
            "breached": "0",
            "compliance_rate": "100%",
            "breach_rate": "0%",
            "alert": "On target",
        }
    ]
    assert {r["metric"] for r in p.tables["table-response-times"]} == {"Resolution"}
    assert "table-pareto" not in p.tables  # no resolution breach
    # first response: T2 (confirmed staffing) and T4
    fr = page(c, metric="first_response")
    assert [r["reason"] for r in fr.tables["table-pareto"]] == ["Staffing", "Unclear ownership"]
    # seven days: still all five; a window that ends the day before: nothing
    assert len(page(c, days="7").tables["table-trend"]) == 7
    before = page(c, days="custom", **{"from": "2026-11-01", "to": "2026-11-24"})
    assert "report-empty" in before.ids and "table-compliance" not in before.tables
    # ninety days: by week, the last week holding the day
    weeks = page(c, days="90").tables["table-trend"]
    assert len(weeks) == 13 and weeks[-1]["counted"] == "5"
    assert weeks[-1]["period"] == "Nov 20, 2026"
    # the priority grouping: one segment for all four P2 tickets
    assert [r["segment"] for r in page(c, group_by="priority").tables["table-compliance"]] == ["P2"]


@pytest.mark.parametrize(
    "params",
    [
        {"group_by": "planet"},
        {"days": "12"},
        {"days": "custom", "from": "2026-11-20", "to": "2026-11-01"},
        {"days": "custom", "from": "yesterday", "to": "2026-11-01"},
        {"days": "custom", "from": "2024-01-01", "to": "2026-11-01"},
        {"metric": "<script>"},
    ],
)
def test_bad_filters_are_explained_on_the_page(
    dataset: Tenant, services: Services, client: TestClient, params: dict[str, str]
) -> None:
    c = viewer_client(services, client, "acme")
    r = c.get("/reports", params=params)
    assert r.status_code == 422
    p = Page(r.text)
    assert "report-error" in p.ids and "report-filters" in p.ids
    assert "<script>" not in r.text.split("</head>")[1].replace(
        '<script type="application/json"', ""
    )


def test_a_viewer_sees_only_their_tenant(
    dataset: Tenant,
    services: Services,
    client: TestClient,
    make_tenant: Callable[..., Tenant],
) -> None:
    globex = make_tenant("globex")
    body = {
        "id": "G1",
        "priority": "P1",
        "team": "zeta",
        "events": [{"id": "G1-c", "type": "created", "at": at(0)}],
    }
    assert globex.post("/api/v1/tickets", body).status_code == 201
    # acme's figures first (so that they are remembered), then globex's viewer
    acme_page = page(viewer_client(services, client, "acme"))
    assert "zeta" not in {r["segment"] for r in acme_page.tables["table-compliance"]}
    client.cookies.clear()
    other = page(viewer_client(services, client, "globex"))
    assert {r["segment"] for r in other.tables["table-compliance"]} == {"zeta"}
    assert "Staffing" not in {r["reason"] for r in other.tables.get("table-pareto", [])}
    assert {r["segment"] for r in download(client, "compliance")} == {"zeta"}


def test_the_page_needs_a_session(dataset: Tenant, client: TestClient) -> None:
    r = client.get("/reports?days=7", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/signin?next=%2Freports%3Fdays%3D7"
    assert client.get("/reports.csv", follow_redirects=False).status_code == 303


def test_days_follow_the_viewers_time_zone(
    dataset: Tenant, services: Services, client: TestClient
) -> None:
    """In Auckland (UTC+13) 12:00 UTC on 25 November is already 26 November; T1's
    resolution and T2's late reply at 11:00 UTC fall on the 26th there. T2 counts on the
    25th (breached at 10:00 UTC) and again on the 26th (ended, breached): as each day's
    own report would count it."""
    c = viewer_client(services, client, "acme", timezone="Pacific/Auckland")
    trend = page(c).tables["table-trend"]
    assert trend[-1]["period"] == "Nov 26, 2026"
    assert (trend[-2]["counted"], trend[-2]["breached"]) == ("4", "2")
    assert (trend[-1]["counted"], trend[-1]["breached"]) == ("2", "1")
    # the same as the API's compliance report over each of those days
    for day, row in (("2026-11-25", trend[-2]), ("2026-11-26", trend[-1])):
        start = f"{day}T00:00:00+13:00"
        end = f"2026-11-{int(day[-2:]) + 1}T00:00:00+13:00"
        api = dataset.get("/api/v1/reports/compliance", params={"from": start, "to": end})
        counted = sum(x["counted"] for x in api.json()["rows"])
        breached = sum(x["breached"] for x in api.json()["rows"])
        assert (str(counted), str(breached)) == (row["counted"], row["breached"])
    assert download(c, "trend")[-1]["period"] == "2026-11-26"


def test_swedish(dataset: Tenant, services: Services, client: TestClient) -> None:
    c = viewer_client(services, client, "acme", locale="sv")
    r = c.get("/reports")
    assert r.status_code == 200 and r.headers["content-language"] == "sv"
    assert "<h1>Rapporter</h1>" in r.text
    assert "Efterlevnad och andel överträdda per team" in r.text
    p = Page(r.text)
    a = p.tables["table-compliance"][1]
    assert a["compliance_rate"] == Formatter("sv", ZoneInfo("UTC")).percent(0.6667)
    assert a["compliance_rate"].startswith("66,7")
    assert a["alert"] == "Kritisk"
    assert p.tables["table-trend"][-1]["period"] == "25 nov. 2026"
    assert p.json["chart-breach-rate-data"]["datasets"][0]["label"] == "Efterlevnad"
    # the CSV stays machine-readable
    assert download(c, "compliance")[1]["compliance_rate"] == "0.6667"


def test_weeks_across_a_change_of_daylight_saving_time(
    dataset: Tenant, services: Services, client: TestClient
) -> None:
    """Stockholm left summer time on 25 October 2026: the week holding that day is an
    hour longer, and the periods still start at the viewer's midnights."""
    c = viewer_client(services, client, "acme", timezone="Europe/Stockholm")
    weeks = page(c, days="90").tables["table-trend"]
    assert len(weeks) == 13
    assert [w["period"] for w in weeks[-2:]] == ["Nov 13, 2026", "Nov 20, 2026"]
    assert (weeks[-1]["counted"], weeks[-1]["breached"]) == ("5", "2")
    assert all(w["counted"] == "0" for w in weeks[:-1])
    rows = download(c, "trend", days="90")
    assert rows[-1]["period"] == "2026-11-20" and rows[-1]["compliance_rate"] == "0.6"


def test_figures_are_remembered_then_refreshed_in_the_background() -> None:
    now = [0.0]
    jobs: list[Callable[[], None]] = []
    cache = FigureCache(300, 3600, monotonic=lambda: now[0], background=jobs.append)
    computed = iter(range(100))
    clock = iter(range(1000, 2000))

    def get() -> tuple[int, Any]:
        return cache.get("k", lambda: next(computed), lambda: next(clock))

    assert get() == (1000, 0)
    now[0] = 299
    assert get() == (1000, 0) and not jobs  # fresh
    now[0] = 301
    assert get() == (1000, 0)  # stale: served, and computed again in the background
    assert len(jobs) == 1
    jobs.pop()()
    assert get() == (1001, 1)
    now[0] = 301 + 300 + 3600
    assert get() == (1002, 2) and not jobs  # too old to serve: computed by the request


def test_links_keep_the_view(dataset: Tenant, services: Services, client: TestClient) -> None:
    c = viewer_client(services, client, "acme")
    r = c.get(
        "/reports",
        params={"days": "custom", "from": "2026-11-20", "to": "2026-11-25", "group_by": "tier"},
    )
    assert r.status_code == 200
    csv_link = re.search(r'id="download-csv" href="([^"]+)"', r.text)
    assert csv_link is not None
    assert csv_link.group(1).replace("&amp;", "&") == (
        "/reports.csv?days=custom&group_by=tier&from=2026-11-20&to=2026-11-25&table=compliance"
    )
    preset = re.search(r'href="([^"]+)" data-testid="preset-7"', r.text)
    assert preset is not None and preset.group(1).replace("&amp;", "&") == (
        "/reports?days=7&group_by=tier"
    )


def test_the_alert_column_follows_the_tenants_levels(
    dataset: Tenant, services: Services, client: TestClient
) -> None:
    """Team b at 50%, team a at 66.7%: with a target of 60% and critical below 55%, b
    is critical and a on target."""
    from reportdata import CONFIG

    r = dataset.put_config(CONFIG + "reports: {compliance_target: 60%, compliance_critical: 55%}\n")
    assert r.status_code == 201, r.text
    p = page(viewer_client(services, client, "acme"))
    alerts = {row["segment"]: row["alert"] for row in p.tables["table-compliance"]}
    assert alerts == {"b": "Critical", "a": "On target"}
