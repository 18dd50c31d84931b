"""Every message of the dashboard has its Swedish translation, with the same variables."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir

import slaguard.web
from slaguard.web.i18n import LOCALES, catalogue, choose_locale

WEB = Path(slaguard.web.__file__).parent

METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}

_VARIABLE = re.compile(r"%\((\w+)\)s")


def messages() -> dict[str, tuple[str, ...]]:
    """msgid -> (msgid, plural) of every message in the dashboard's templates and code."""
    found: dict[str, tuple[str, ...]] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
        WEB, METHODS, options_map=OPTIONS
    ):
        ids = (message,) if isinstance(message, str) else tuple(m for m in message if m)
        found[ids[0]] = ids
    return found


def test_the_extractor_sees_the_templates() -> None:
    assert "Sign in" in messages()


def test_every_message_is_translated() -> None:
    for locale in LOCALES:
        if locale == "en":
            continue
        cat = catalogue(locale)
        missing = [m for m in messages() if cat.get(m) is None or not cat.get(m).string]
        assert not missing, f"{locale}: no translation for {missing}"


def test_translations_keep_the_variables() -> None:
    cat = catalogue("sv")
    for ids in messages().values():
        entry = cat.get(ids[0])
        assert entry is not None
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        wanted = set(_VARIABLE.findall(" ".join(ids)))
        for s in strings:
            assert set(_VARIABLE.findall(s)) == wanted, (ids, s)


def test_language_negotiation() -> None:
    assert choose_locale(None, "sv-SE,sv;q=0.9,en;q=0.8") == "sv"
    assert choose_locale(None, "de-DE, en;q=0.3, sv;q=0.2") == "en"
    assert choose_locale(None, "de-DE, sv;q=0.4, en;q=0.3") == "sv"
    assert choose_locale(None, "sv;q=0") == "en"
    assert choose_locale(None, None) == "en"
    assert choose_locale("sv", "en") == "sv"
    assert choose_locale("xx", "sv") == "sv"
