"""PUT/GET /api/v1/config: YAML or JSON in, a new version out; invalid means nothing stored."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import yaml
from apihelpers import EXAMPLE_CONFIG, Tenant, ticket_doc


@pytest.fixture
def bare(make_tenant: Callable[..., Tenant]) -> Tenant:
    return make_tenant("bare", config=False)


@pytest.mark.parametrize("content_type", ["application/yaml", "text/yaml", "text/plain"])
def test_put_yaml(bare: Tenant, content_type: str) -> None:
    r = bare.put_config(EXAMPLE_CONFIG.read_text(), content_type)
    assert r.status_code == 201
    assert r.json() == {"version": 1}
    got = bare.get("/api/v1/config").json()
    assert got["version"] == 1
    assert got["created_at"] == "2026-11-25T09:00:00+00:00"
    assert got["document"] == yaml.safe_load(EXAMPLE_CONFIG.read_text())


def test_put_json_makes_new_versions(bare: Tenant) -> None:
    document = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    text = json.dumps(document)
    assert bare.put_config(text, "application/json").json() == {"version": 1}
    assert bare.put_config(text, "application/json; charset=utf-8").json() == {"version": 2}
    assert bare.get("/api/v1/config").json()["version"] == 2
    assert bare.get("/api/v1/config", params={"version": 1}).json()["version"] == 1
    assert bare.get("/api/v1/config", params={"version": 3}).status_code == 404


def test_tickets_keep_the_version_they_were_created_under(acme: Tenant) -> None:
    acme.post("/api/v1/tickets", ticket_doc("T-1"))
    acme.put_config(EXAMPLE_CONFIG.read_text())
    acme.post("/api/v1/tickets", ticket_doc("T-2"))
    assert acme.get("/api/v1/tickets/T-1").json()["config_version"] == 1
    assert acme.get("/api/v1/tickets/T-2").json()["config_version"] == 2


def test_invalid_configuration_names_every_path_and_stores_nothing(acme: Tenant) -> None:
    document = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    document["calendars"]["berlin"]["timezone"] = "Mars/Olympus"
    document["policies"][2]["targets"]["first_response"]["P9"] = "1h"
    document["policies"][0]["calendar"] = "nowhere"
    before = acme.get("/api/v1/config").json()

    r = acme.put_config(json.dumps(document), "application/json")
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "invalid_config"
    paths = [d["path"] for d in error["details"]]
    assert any(p.startswith("calendars.berlin.timezone") for p in paths), paths
    assert any("policies[2].targets.first_response" in p for p in paths), paths
    assert any(p.startswith("policies[0].calendar") for p in paths), paths

    assert acme.get("/api/v1/config").json() == before


@pytest.mark.parametrize(
    ("text", "content_type", "status", "code"),
    [
        ("{not json", "application/json", 400, "invalid_json"),
        ("[1, 2]", "application/json", 422, "invalid_config"),
        ("", "application/json", 400, "invalid_json"),
        ("calendars: [unclosed", "application/yaml", 422, "invalid_config"),
        ("- a list", "application/yaml", 422, "invalid_config"),
        ("", "application/yaml", 422, "invalid_config"),
        ('{"policies": NaN}', "application/json", 400, "invalid_json"),
    ],
)
def test_malformed_bodies_are_4xx(
    acme: Tenant, text: str, content_type: str, status: int, code: str
) -> None:
    r = acme.put_config(text, content_type)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code
    assert acme.get("/api/v1/config").json()["version"] == 1


def test_not_utf8_is_refused(acme: Tenant) -> None:
    r = acme.client.put(
        "/api/v1/config",
        content=b"calendars: \xff\xfe",
        headers={**acme.headers("admin"), "Content-Type": "application/yaml"},
    )
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_json"


@pytest.mark.parametrize(
    ("text", "content_type", "path"),
    [
        ('{"\\ud800": 1}', "application/json", "\\ud800"),
        ('{"calendars": {"x\\udc00": {}}}', "application/json", "calendars.x\\udc00"),
        ('calendars: {"x\\ud800": {}}', "application/yaml", "calendars.x\\ud800"),
    ],
)
def test_a_lone_surrogate_in_a_key_is_422_naming_it_escaped(
    acme: Tenant, text: str, content_type: str, path: str
) -> None:
    r = acme.put_config(text, content_type)
    assert r.status_code == 422, r.text
    assert path in [d["path"] for d in r.json()["error"]["details"]], r.text
    assert acme.get("/api/v1/config").json()["version"] == 1


@pytest.mark.parametrize("duration", ["99999999999h", "1000000h", "87601h"])
def test_a_duration_over_ten_years_is_422_naming_its_path(acme: Tenant, duration: str) -> None:
    text = EXAMPLE_CONFIG.read_text()
    assert "P1: 4h, P2: 16h, P3: 40h, P4: 80h" in text
    r = acme.put_config(text.replace("P1: 4h, P2: 16h", f"P1: {duration}, P2: 16h"))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"] == [
        {
            "path": "policies[2].targets.resolution.P1",
            "message": f"at most 87600h (ten years), got '{duration}'",
        }
    ]
    assert acme.get("/api/v1/config").json()["version"] == 1


@pytest.mark.parametrize("factor", [1e300, 1e6, 1e-300])
def test_a_tier_multiplier_that_breaks_a_target_is_422_naming_its_path(
    acme: Tenant, factor: float
) -> None:
    document = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    document["policies"][2]["tier_multipliers"] = {"enterprise": factor}
    r = acme.put_config(json.dumps(document), "application/json")
    assert r.status_code == 422, r.text
    assert [d["path"] for d in r.json()["error"]["details"]] == [
        "policies[2].tier_multipliers.enterprise"
    ]
    assert acme.get("/api/v1/config").json()["version"] == 1
    r = acme.post("/api/v1/tickets", ticket_doc("T-1", priority="P1", tier="enterprise"))
    assert r.status_code == 201, r.text


def test_a_target_a_calendar_cannot_count_names_it_on_each_ticket(acme: Tenant) -> None:
    """A target within the bound on a calendar open one minute a week runs past the
    calendars' horizon: the ticket is refused naming the target, and nothing is stored."""
    document = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    document["calendars"]["berlin"] = {
        "timezone": "Europe/Berlin",
        "hours": {"mon": ["09:00-09:01"]},
    }
    document["policies"][2]["targets"]["first_response"] = {"P1": "300h", "P2": "1h"}
    assert acme.put_config(json.dumps(document), "application/json").status_code == 201
    r = acme.post("/api/v1/tickets", ticket_doc("T-1", priority="P1"))
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "calendar_range"
    assert error["details"] == [
        {
            "path": "policies[2].targets.first_response.P1",
            "message": "the first_response target for P1 (300h) of policy 'standard' cannot "
            "be counted: calendar berlin: no open time within 200 years",
        }
    ]
    assert acme.get("/api/v1/tickets").json()["items"] == []
