"""Every message of the dashboard has its Swedish translation, with the same variables."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import slaguard.web
from slaguard.web.i18n import LOCALES, catalogue, choose_locale

WEB = Path(slaguard.web.__file__).parent

METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}

_VARIABLE = re.compile(r"%\((\w+)\)s")


Key = tuple[str | None, str]  # (context, msgid)


def messages() -> dict[Key, tuple[str, ...]]:
    """(context, msgid) -> (msgid, plural) of every message in the dashboard's templates
    and code."""
    found: dict[Key, tuple[str, ...]] = {}
    for _file, _line, message, _comments, context in extract_from_dir(
        WEB, METHODS, options_map=OPTIONS
    ):
        ids = (message,) if isinstance(message, str) else tuple(m for m in message if m)
        found[(context, ids[0])] = ids
    return found


def test_the_extractor_sees_the_templates() -> None:
    found = messages()
    assert (None, "Sign in") in found
    assert ("clock", "Met") in found  # with a context (pgettext)


def test_every_message_is_translated() -> None:
    for locale in LOCALES:
        if locale == "en":
            continue
        cat = catalogue(locale)
        missing = [
            key
            for key in messages()
            if (entry := cat.get(key[1], context=key[0])) is None or not entry.string
        ]
        assert not missing, f"{locale}: no translation for {missing}"


def test_a_message_has_one_translation_across_the_files() -> None:
    """Each page keeps its messages in a file of its own; a message in two files must
    read the same in both, or which one wins would depend on the files' order."""
    seen: dict[Key, dict[str, str]] = {}
    for path in sorted((WEB / "locale" / "sv").glob("*.po")):
        with path.open("rb") as f:
            for m in read_po(f, locale="sv"):
                if m.id:
                    key = (m.context, m.id if isinstance(m.id, str) else m.id[0])
                    seen.setdefault(key, {})[path.name] = str(m.string)
    differing = {k: v for k, v in seen.items() if len(set(v.values())) > 1}
    assert not differing, differing


def test_translations_keep_the_variables() -> None:
    cat = catalogue("sv")
    for (context, _), ids in messages().items():
        entry = cat.get(ids[0], context=context)
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
