"""The `channels` and `people` sections: where notifications go, and who is who.

    channels: {NAME: {type, url, secret, to, provider, digest, quiet_hours}}
    people:   {teams: {TEAM: {lead, manager, members}}, roles: {ROLE: [people]},
               quiet_hours: {PERSON: {from, to, timezone}}}

`${VAR}` in a channel's url, secret, to and provider is read from the environment given
(`$$` is a dollar sign). Messages quote those values as written, never as substituted, so
that a secret cannot reach an error message. Also the small value readers that the
escalation sections share (`Reader`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from slaguard.domain.calendar import zone_named
from slaguard.domain.errors import ConfigError, ErrorDetail
from slaguard.domain.escalation import (
    TEAMS_FORMATS,
    Channel,
    ChannelType,
    People,
    QuietHours,
    TeamPeople,
)
from slaguard.domain.match import Match
from slaguard.domain.priorities import PriorityNames

__all__ = ["BUILTIN_RECIPIENTS", "Checks", "Reader", "read_channels", "read_people", "short"]

# Recipients resolved from the ticket and `people.teams`, whatever else is configured.
BUILTIN_RECIPIENTS = ("assignee", "team_lead", "lead", "manager")

# The settings each channel type takes, besides type, digest and quiet_hours.
_SETTINGS: Mapping[ChannelType, tuple[str, ...]] = {
    ChannelType.SLACK: ("url",),
    ChannelType.TEAMS: ("url", "format"),
    ChannelType.WEBHOOK: ("url", "secret"),
    ChannelType.EMAIL: ("to",),
    ChannelType.SMS: ("to", "provider"),
}
_REQUIRED = {
    "url": "the webhook URL (http or https)",
    "to": "the addresses or numbers to send to",
    "provider": "the SMS provider (twilio)",
}
_OPTIONAL = ("secret", "format")
_SMS_PROVIDERS = ("twilio",)

_REFERENCE = re.compile(r"\$(\$|\{(?P<name>[^}]*)\}|\{)?")
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+")
_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")

_M = TypeVar("_M", bound=BaseModel)


class Checks(Protocol):
    """What the file's parser lends: its error list and the checks shared with policies."""

    errors: list[ErrorDetail]
    priorities: PriorityNames
    statuses: set[str] | None  # None: the workflows were invalid, statuses are not checked

    def error(self, path: str, message: str) -> None: ...

    def validate(self, model: type[_M], value: Any, path: str) -> tuple[_M | None, set[str]]: ...

    def match(self, raw: Mapping[str, Any], path: str) -> Match: ...

    def duration(self, value: Any, path: str) -> int | None: ...


def short(value: Any, limit: int = 60) -> str:
    """`value` as quoted in a message, cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Channel(Strict):
    type: Any = None
    url: Any = None
    secret: Any = None
    format: Any = None
    to: Any = None
    provider: Any = None
    digest: Any = None
    quiet_hours: Any = None


class _Team(Strict):
    lead: str | None = None
    manager: str | None = None
    members: Any = None


class _People(Strict):
    teams: dict[str, Any] = Field(default_factory=dict)
    roles: dict[str, Any] = Field(default_factory=dict)
    quiet_hours: dict[str, Any] = Field(default_factory=dict)


def read_channels(
    checks: Checks, raw: Mapping[str, Any], *, environ: Mapping[str, str]
) -> dict[str, Channel]:
    """The valid channels of the section; the problems of the others go to `checks`."""
    return _ChannelReader(checks, environ).channels(raw)


def read_people(
    checks: Checks, raw: Mapping[str, Any], *, channel_names: set[str] | None
) -> tuple[People, set[str] | None]:
    """The section as `People`, and its role names (None when `roles` itself is invalid,
    so that recipients naming roles cannot be checked)."""
    return _ChannelReader(checks, {}).people(raw, channel_names)


def _as_written(text: str, value: str) -> str:
    """A setting quoted as written (a substituted value may be a secret)."""
    return repr(text) if value == text else f"{text!r} once its variables are substituted"


class Reader:
    """Plain values read for a `Checks`, each problem reported under its path."""

    def __init__(self, checks: Checks) -> None:
        self.c = checks

    def error(self, path: str, message: str) -> None:
        self.c.error(path, message)

    def mark(self) -> int:
        """Compare with a later mark to learn whether errors were added in between."""
        return len(self.c.errors)

    def text(self, value: Any, path: str, what: str = "a name") -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.error(path, f"expected {what}, got {short(value)}")
            return None
        return value

    def texts(self, value: Any, path: str, what: str, empty: str) -> list[tuple[str, str]] | None:
        """A string or a list of strings, each with its path (a lone string keeps the
        path of the key, list items get ``[i]``); None after reporting what is wrong."""
        if isinstance(value, str):
            text = self.text(value, path, what)
            return None if text is None else [(text, path)]
        if not isinstance(value, list):
            self.error(path, f"expected {what} or a list of them, got {short(value)}")
            return None
        if not value:
            self.error(path, f"an empty list {empty}")
            return None
        before = self.mark()
        out = []
        for i, item in enumerate(value):
            text = self.text(item, f"{path}[{i}]", what)
            if text is not None:
                out.append((text, f"{path}[{i}]"))
        return out if self.mark() == before else None

    def each(self, value: Any, path: str, what: str, empty: str) -> list[tuple[str, str]]:
        """`texts`, or none when they are wrong (which is reported)."""
        return self.texts(value, path, what, empty) or []


class _ChannelReader(Reader):
    def __init__(self, checks: Checks, environ: Mapping[str, str]) -> None:
        super().__init__(checks)
        self.environ = environ

    def expand(self, raw: str, path: str) -> str | None:
        """`raw` with each ``${NAME}`` replaced from the environment and ``$$`` by ``$``."""
        out: list[str] = []
        pos = 0
        ok = True
        for m in _REFERENCE.finditer(raw):
            out.append(raw[pos : m.start()])
            pos = m.end()
            tail, name = m.group(1), m.group("name")
            if tail is None or tail == "$":
                out.append("$")
            elif name is None or not _VARIABLE.fullmatch(name):
                self.error(
                    path,
                    f"{m.group(0)!r} is not a reference to an environment variable "
                    "(write ${NAME}, or $$ for a dollar sign)",
                )
                ok = False
            elif name not in self.environ:
                self.error(path, f"environment variable {name} is not set")
                ok = False
            else:
                out.append(self.environ[name])
        out.append(raw[pos:])
        return "".join(out) if ok else None

    def quiet_hours(self, value: Any, path: str) -> QuietHours | None:
        if not isinstance(value, Mapping):
            self.error(
                path,
                f"expected {{from: 'HH:MM', to: 'HH:MM', timezone: IANA name}}, got {short(value)}",
            )
            return None
        before = self.mark()
        for key in value:
            if key not in ("from", "to", "timezone"):
                self.error(f"{path}.{key}", "unknown field (use from, to, timezone)")
        start, end = (self.clock_time(value.get(k), f"{path}.{k}") for k in ("from", "to"))
        zone = None
        tz = value.get("timezone")
        if tz is None:
            self.error(f"{path}.timezone", "required (an IANA name such as Europe/Berlin)")
        elif not isinstance(tz, str):
            self.error(f"{path}.timezone", f"expected an IANA name, got {short(tz)}")
        else:
            try:
                zone = zone_named(tz)
            except ConfigError as exc:
                self.error(f"{path}.timezone", exc.details[0].message)
        if start is not None and start == end:
            self.error(path, "from and to are the same time: the window is empty")
        if start is None or end is None or zone is None or self.mark() > before:
            return None
        return QuietHours(start, end, zone)

    def clock_time(self, value: Any, path: str) -> time | None:
        if value is None:
            self.error(path, "required: a time 'HH:MM'")
            return None
        m = _TIME.fullmatch(value.strip()) if isinstance(value, str) else None
        if m is None:
            hint = " (quote it: YAML reads 22:00 as a number)" if isinstance(value, int) else ""
            self.error(path, f"expected a time 'HH:MM', got {short(value)}{hint}")
            return None
        return time(int(m.group(1)), int(m.group(2)))

    # -- channels ------------------------------------------------------------------------

    def channels(self, raw: Mapping[str, Any]) -> dict[str, Channel]:
        out: dict[str, Channel] = {}
        for name, value in raw.items():
            channel = self.channel(name, value, f"channels.{name}")
            if channel is not None:
                out[name] = channel
        return out

    def channel(self, name: str, value: Any, path: str) -> Channel | None:
        model, bad = self.c.validate(_Channel, value, path)
        if model is None:
            return None
        before = self.mark()
        if name in BUILTIN_RECIPIENTS:
            self.error(path, f"{name!r} is a built-in recipient; give the channel another name")
        kind: ChannelType | None = None
        if model.type is None:
            self.error(f"{path}.type", "required: slack, webhook, email, teams or sms")
        elif model.type not in tuple(ChannelType):
            self.error(
                f"{path}.type",
                f"unknown channel type {short(model.type)} (use slack, webhook, email, "
                "teams or sms)",
            )
        else:
            kind = ChannelType(model.type)
        digest = None if model.digest is None else self.c.duration(model.digest, f"{path}.digest")
        quiet = None
        if model.quiet_hours is not None:
            quiet = self.quiet_hours(model.quiet_hours, f"{path}.quiet_hours")
        if kind is None:
            return None
        settings: dict[str, Any] = {}
        given = {k: getattr(model, k) for k in ("url", "secret", "format", "to", "provider")}
        for key, raw in given.items():
            if raw is None:
                continue
            if key not in _SETTINGS[kind]:
                takes = ", ".join([*_SETTINGS[kind], "digest", "quiet_hours"])
                self.error(f"{path}.{key}", f"not a setting of a {kind} channel (it takes {takes})")
                continue
            found = self.setting(kind, key, raw, f"{path}.{key}")
            if found is not None:
                settings[key] = found
        for key in _SETTINGS[kind]:
            if given[key] is None and key not in _OPTIONAL and key not in bad:
                self.error(f"{path}.{key}", f"required: {_REQUIRED[key]}")
        if self.mark() > before or bad:
            return None
        return Channel(name=name, type=kind, settings=settings, digest_us=digest, quiet=quiet)

    def setting(self, kind: ChannelType, key: str, raw: Any, path: str) -> Any:
        if key == "to":
            return self.destinations(kind, raw, path)
        text = self.text(raw, path, "text")
        value = None if text is None else self.expand(text, path)
        if text is None or value is None:
            return None
        got = _as_written(text, value)
        if key == "url":
            value = value.strip()
            parts = urlsplit(value)
            if (
                parts.scheme not in ("http", "https")
                or not parts.netloc
                or any(c.isspace() for c in value)
            ):
                self.error(path, f"expected an http or https URL, got {got}")
                return None
        elif key == "format" and value not in TEAMS_FORMATS:
            self.error(path, f"unknown Teams card format {got} (use {', '.join(TEAMS_FORMATS)})")
            return None
        elif key == "provider" and value not in _SMS_PROVIDERS:
            self.error(path, f"unknown SMS provider {got} (use {', '.join(_SMS_PROVIDERS)})")
            return None
        return value

    def destinations(self, kind: ChannelType, raw: Any, path: str) -> list[str] | None:
        """`to`: e-mail addresses, or phone numbers in E.164 form."""
        email = kind is ChannelType.EMAIL
        what = "an e-mail address" if email else "a phone number"
        items = self.texts(raw, path, what, "sends to nobody")
        if items is None:
            return None
        before = self.mark()
        out = []
        for text, ipath in items:
            expanded = self.expand(text, ipath)
            if expanded is None:
                continue
            value = expanded.strip()
            if email and not _ADDRESS.fullmatch(value):
                self.error(ipath, f"expected {what}, got {_as_written(text, expanded)}")
            elif not email and not _E164.fullmatch(value):
                self.error(
                    ipath,
                    f"expected {what} in E.164 form such as +4912345678, "
                    f"got {_as_written(text, expanded)}",
                )
            out.append(value)
        return out if self.mark() == before else None

    # -- people --------------------------------------------------------------------------

    def people(
        self, raw: Mapping[str, Any], channel_names: set[str] | None
    ) -> tuple[People, set[str] | None]:
        model, bad = self.c.validate(_People, raw, "people")
        if model is None:
            return People(), None
        teams: dict[str, TeamPeople] = {}
        for name, value in model.teams.items():
            path = f"people.teams.{name}"
            team, _ = self.c.validate(_Team, value, path)
            if team is None:
                continue
            members: tuple[str, ...] = ()
            if team.members is not None:
                items = self.each(team.members, f"{path}.members", "a person", "names nobody")
                members = tuple(t for t, _ in items)
            for key in ("lead", "manager"):
                if getattr(team, key) is not None:
                    self.text(getattr(team, key), f"{path}.{key}", "a person")
            teams[name] = TeamPeople(lead=team.lead, manager=team.manager, members=members)
        roles: dict[str, tuple[str, ...]] = {}
        for role, value in model.roles.items():
            path = f"people.roles.{role}"
            if role in BUILTIN_RECIPIENTS:
                self.error(path, f"{role!r} is a built-in recipient; give the role another name")
            elif channel_names is not None and role in channel_names:
                self.error(path, f"a channel is named {role!r} too; give one another name")
            roles[role] = tuple(t for t, _ in self.each(value, path, "a person", "names nobody"))
        quiet: dict[str, QuietHours] = {}
        for person, value in model.quiet_hours.items():
            hours = self.quiet_hours(value, f"people.quiet_hours.{person}")
            if hours is not None:
                quiet[person] = hours
        role_names = None if "roles" in bad else set(model.roles)
        return People(teams=teams, roles=roles, quiet=quiet), role_names
