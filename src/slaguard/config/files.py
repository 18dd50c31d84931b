"""Reading configuration files: one YAML/JSON file, or a folder of them merged by section."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from slaguard.domain.errors import ConfigError

__all__ = ["load_mapping"]

_SUFFIXES = {".yaml", ".yml", ".json"}


def load_mapping(path: str | Path) -> dict[str, Any]:
    """The configuration mapping in `path`; a folder's files are merged section by section
    (in name order; the same calendar, workflow or escalation name twice is an error,
    policy lists are concatenated)."""
    p = Path(path)
    if p.is_dir():
        merged: dict[str, Any] = {}
        files = sorted(f for f in p.iterdir() if f.suffix in _SUFFIXES and f.is_file())
        if not files:
            raise ConfigError(f"no .yaml, .yml or .json files in {p}")
        for f in files:
            _merge(merged, _load_file(f), f.name)
        return merged
    if not p.exists():
        raise ConfigError(f"no such file: {p}")
    return _load_file(p)


def parse_text(text: str, source: str = "<config>") -> dict[str, Any]:
    """A configuration mapping from YAML or JSON text (JSON is YAML, but its errors read better)."""
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{source}: not valid YAML/JSON: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping")
    return data


def _load_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    return parse_text(text, str(path))


def _merge(into: dict[str, Any], data: dict[str, Any], source: str) -> None:
    for key, value in data.items():
        if key not in into:
            into[key] = value
        elif isinstance(into[key], list) and isinstance(value, list):
            into[key] = into[key] + value
        elif isinstance(into[key], dict) and isinstance(value, dict):
            for name in value:
                if name in into[key]:
                    raise ConfigError(f"{source}: {key}.{name} is defined twice", f"{key}.{name}")
            into[key] = {**into[key], **value}
        else:
            raise ConfigError(f"{source}: section {key!r} cannot be merged", key)
