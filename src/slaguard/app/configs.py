"""Configuration versions: validate, freeze holidays, store, and load for evaluation.

Each accepted configuration is a new version. Public holidays are expanded when the
version is stored (for the years around it) and kept with it, so that upgrading the
`holidays` package never moves a deadline that was already computed: a stored version
is evaluated with its stored dates, never with the package's current tables.
"""

from __future__ import annotations

import copy
import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from slaguard.app import audit
from slaguard.app.services import Services
from slaguard.config.files import parse_text
from slaguard.config.model import parse_config
from slaguard.db.tables import ConfigVersionRow
from slaguard.domain.calendar import from_us
from slaguard.domain.errors import ConfigError, ErrorDetail, NotFoundError
from slaguard.domain.policy import DEFAULT_BREACH_REASONS, SlaConfig
from slaguard.domain.public_holidays import CountryHolidays
from slaguard.schemas.storable import check_storable

__all__ = [
    "FROZEN_YEARS",
    "VersionInfo",
    "apply_config",
    "breach_taxonomy",
    "config_diff",
    "config_history",
    "config_source",
    "config_version",
    "frozen_mapping",
    "latest_version",
    "latest_version_in",
    "read_config_text",
    "sla_config",
    "validate_config",
]

# Holidays are frozen for this many years either side of the year a version is stored.
FROZEN_YEARS = 10


def expand_holidays(mapping: Mapping[str, Any], year: int) -> dict[str, list[str]]:
    """calendar name -> ISO dates of its country's public holidays around `year`."""
    out: dict[str, list[str]] = {}
    for name, cal in (mapping.get("calendars") or {}).items():
        hol = (cal or {}).get("holidays") or {}
        country = hol.get("country")
        if not country:
            continue
        source = CountryHolidays(str(country), hol.get("subdivision"))
        days: set[date] = set()
        for y in range(year - FROZEN_YEARS, year + FROZEN_YEARS + 1):
            days |= source(y)
        out[str(name)] = sorted(d.isoformat() for d in days)
    return out


def frozen_mapping(
    document: Mapping[str, Any], holidays: Mapping[str, list[str]]
) -> dict[str, Any]:
    """The document with each calendar's country holidays replaced by the stored dates."""
    doc = copy.deepcopy(dict(document))
    for name, dates in holidays.items():
        hol = doc["calendars"][name]["holidays"]
        hol.pop("country", None)
        hol.pop("subdivision", None)
        hol["dates"] = sorted({*map(str, hol.get("dates") or []), *dates})
    return doc


def config_environ(svc: Services) -> Mapping[str, str]:
    """The environment variables a configuration may read with `${NAME}`: those the
    operator allowed (SLAGUARD_CONFIG_ENV, glob patterns; default every name), never
    the service's own SLAGUARD_* settings (database URL, keys, passwords)."""
    patterns = [p.strip() for p in svc.config_env.split(",") if p.strip()]
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("SLAGUARD_") and any(fnmatchcase(name, p) for p in patterns)
    }


def read_config_text(text: str) -> dict[str, Any]:
    """A configuration document from YAML or JSON text, with the checks of the API's
    `PUT /config` on a YAML body: well-formed, a mapping, storable."""
    document = parse_text(text, "text")
    check_storable(document, ConfigError)
    return document


def validate_config(svc: Services, *, document: Mapping[str, Any]) -> SlaConfig:
    """The checks a new version passes before it is stored, without storing it: a
    ConfigError naming every bad path."""
    config = parse_config(document, config_environ(svc))
    _check_names(config)
    return config


def apply_config(
    svc: Services, *, tenant_id: int, document: Mapping[str, Any], source_text: str | None = None
) -> int:
    """Validate and store a new version; returns its number. Nothing is stored if invalid."""
    environ = config_environ(svc)
    validate_config(svc, document=document)  # raises ConfigError naming every bad path
    year = from_us(svc.clock()).year
    holidays = expand_holidays(document, year)
    config = parse_config(frozen_mapping(document, holidays), environ)
    with svc.writing() as s:
        latest = s.scalar(
            select(func.max(ConfigVersionRow.version)).where(
                ConfigVersionRow.tenant_id == tenant_id
            )
        )
        version = (latest or 0) + 1
        s.add(
            ConfigVersionRow(
                tenant_id=tenant_id,
                version=version,
                created_us=svc.clock(),
                document=dict(document),
                holidays=holidays,
                source_text=source_text,
            )
        )
        audit.record(
            s,
            tenant_id,
            "config.applied",
            f"version {version}",
            {"version": version, "document": dict(document), "holidays": holidays},
            now=svc.clock(),
        )
    svc.configs.put((tenant_id, version), config)
    return version


# Names that tickets and clocks keep in columns of their own, and the most they may hold.
_TYPE_OR_STATUS, _POLICY, _METRIC = 60, 200, 60


def _check_names(config: SlaConfig) -> None:
    errors: list[ErrorDetail] = []

    def fits(name: str, most: int, path: str) -> None:
        if len(name) > most:
            errors.append(ErrorDetail(path, f"a name of at most {most} characters"))

    for wf in config.workflows.values():
        fits(wf.type, _TYPE_OR_STATUS, f"workflows.{wf.type}")
        for status in wf.statuses:
            fits(status, _TYPE_OR_STATUS, f"workflows.{wf.type}.statuses.{status}")
    for i, policy in enumerate(config.policies.policies):
        fits(policy.name, _POLICY, f"policies[{i}].name")
        for metric in policy.targets:
            fits(metric, _METRIC, f"policies[{i}].targets.{metric}")
    if errors:
        raise ConfigError(errors)


def config_version(
    svc: Services, *, tenant_id: int, version: int | None = None
) -> ConfigVersionRow:
    """A stored version (the latest when `version` is None)."""
    with svc.reading() as s:
        q = select(ConfigVersionRow).where(ConfigVersionRow.tenant_id == tenant_id)
        q = (
            q.where(ConfigVersionRow.version == version)
            if version is not None
            else q.order_by(ConfigVersionRow.version.desc()).limit(1)
        )
        row = s.scalars(q).first()
    if row is None:
        what = f"version {version}" if version is not None else "configuration"
        raise NotFoundError(f"no {what} for this tenant: PUT /api/v1/config first", "config")
    return row


def sla_config(svc: Services, *, tenant_id: int, version: int) -> SlaConfig:
    """The parsed configuration of a stored version (cached: versions never change)."""
    found = svc.configs.get((tenant_id, version))
    if found is not None:
        return found
    row = config_version(svc, tenant_id=tenant_id, version=version)
    config = parse_config(frozen_mapping(row.document, row.holidays), config_environ(svc))
    svc.configs.put((tenant_id, version), config)
    return config


def latest_version(svc: Services, *, tenant_id: int) -> int | None:
    with svc.reading() as s:
        return latest_version_in(s, tenant_id)


def latest_version_in(s: Session, tenant_id: int) -> int | None:
    """`latest_version` in the caller's transaction."""
    return s.scalar(
        select(func.max(ConfigVersionRow.version)).where(ConfigVersionRow.tenant_id == tenant_id)
    )


def breach_taxonomy(svc: Services, *, tenant_id: int) -> tuple[str, ...]:
    """The tenant's breach reasons as its latest configuration lists them: what a person
    chooses from when confirming a reason, whichever version a ticket is judged by (a
    reason added to the taxonomy can be given to earlier breaches)."""
    version = latest_version(svc, tenant_id=tenant_id)
    if version is None:
        return DEFAULT_BREACH_REASONS
    return sla_config(svc, tenant_id=tenant_id, version=version).breach_reasons


# ---------------------------------------------------------------------------------------
# history and differences (the dashboard's configuration page)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VersionInfo:
    version: int
    created_us: int
    has_source: bool


def config_history(svc: Services, *, tenant_id: int, limit: int = 200) -> list[VersionInfo]:
    """The tenant's stored versions, newest first (at most `limit`)."""
    with svc.reading() as s:
        rows = s.execute(
            select(
                ConfigVersionRow.version,
                ConfigVersionRow.created_us,
                ConfigVersionRow.source_text.is_not(None),
            )
            .where(ConfigVersionRow.tenant_id == tenant_id)
            .order_by(ConfigVersionRow.version.desc())
            .limit(limit)
        )
        return [VersionInfo(v, c, bool(h)) for v, c, h in rows]


def config_source(row: ConfigVersionRow) -> str:
    """A version as text: the text it was stored from, or else a stable YAML dump of
    its document (keys sorted), so that two versions compare line by line."""
    if row.source_text is not None:
        return row.source_text
    return yaml.safe_dump(row.document, sort_keys=True, allow_unicode=True, width=100)


def config_diff(svc: Services, *, tenant_id: int, old: int, new: int) -> list[str]:
    """The unified diff from version `old` to version `new` (lines without endings)."""
    a = config_source(config_version(svc, tenant_id=tenant_id, version=old))
    b = config_source(config_version(svc, tenant_id=tenant_id, version=new))
    return list(
        difflib.unified_diff(
            a.splitlines(),
            b.splitlines(),
            fromfile=f"version {old}",
            tofile=f"version {new}",
            lineterm="",
        )
    )
