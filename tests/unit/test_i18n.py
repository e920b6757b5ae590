"""The nl and fr catalogues cover every message the code uses (docs/architecture.md,
Internationalisation).

When a test here fails after new strings were added: run ``make catalogues-update`` (or
``.venv/bin/python tools/update_catalogues.py``), translate the empty msgstr entries in
resources/locale/{nl,fr}/LC_MESSAGES/privacycrm.po and run it again.
"""

from __future__ import annotations

import gettext
import importlib
import re
import shutil
import string
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALE_DIR = ROOT / "resources" / "locale"
TRANSLATED = ("nl", "fr")
PLURAL_FORMS = {"nl": "nplurals=2; plural=(n != 1);", "fr": "nplurals=2; plural=(n > 1);"}
# tr_in(language, message, **params): the message is the second argument.
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "tr_in": (2,)}


def _tool(name: str) -> ModuleType:
    tools = str(ROOT / "tools")
    if tools not in sys.path:
        sys.path.insert(0, tools)
    return importlib.import_module(name)


def _used_messages() -> dict[str | tuple[str, ...], list[str]]:
    """Every msgid marked in src/ (singular or (singular, plural)) -> where it is used."""
    used: dict[str | tuple[str, ...], list[str]] = {}
    src = ROOT / "src"
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(src), [("privacycrm_desktop/**.py", "python")], keywords=KEYWORDS
    ):
        if message and (isinstance(message, str) or message[0]):
            used.setdefault(message, []).append(f"src/{Path(filename).as_posix()}:{lineno}")
    return used


_USED = _used_messages()
_CATALOGUES: dict[str, Catalog] = {}


def _catalogue(language: str) -> Catalog:
    if language not in _CATALOGUES:
        path = LOCALE_DIR / language / "LC_MESSAGES" / "privacycrm.po"
        assert path.exists(), f"{path} is missing: run make catalogues-update"
        with path.open("rb") as handle:
            _CATALOGUES[language] = read_po(handle, locale=language)
    return _CATALOGUES[language]


def _forms(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def _placeholders(text: str) -> set[str]:
    """``{name}`` fields of a str.format template, with conversion and format spec."""
    fields = set()
    for _literal, name, spec, conversion in string.Formatter().parse(text):
        if name is not None:
            fields.add(
                "{"
                + name
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
    return fields


def test_extraction_finds_the_messages_and_matches_the_tool() -> None:
    assert _tool("update_catalogues").KEYWORDS == KEYWORDS
    assert "Your role does not allow this." in _USED  # N_ in domain/errors.py
    assert len(_USED) > 50


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_used_in_code_is_translated(language: str) -> None:
    catalogue = _catalogue(language)
    problems = []
    for msgid, places in _USED.items():
        singular = msgid if isinstance(msgid, str) else msgid[0]
        entry = catalogue.get(singular)
        where = places[0]
        if entry is None:
            problems.append(f"missing: {singular!r} ({where})")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {singular!r} ({where})")
        elif isinstance(msgid, tuple) != entry.pluralizable:
            problems.append(f"singular/plural mismatch: {singular!r} ({where})")
        elif not all(_forms(entry)):
            problems.append(f"untranslated: {singular!r} ({where})")
    assert not problems, (
        f"{len(problems)} message(s) lack a {language} translation; run make catalogues-update "
        "and translate them:\n" + "\n".join(problems)
    )


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders(language: str) -> None:
    problems = []
    for entry in _catalogue(language):
        if not entry.id:
            continue
        ids = (entry.id,) if isinstance(entry.id, str) else tuple(entry.id)
        for index, text in enumerate(_forms(entry)):
            if not text:
                continue
            try:
                found = _placeholders(text)
            except ValueError as error:
                problems.append(f"{text!r}: not a valid format string ({error})")
                continue
            # Form 0 is the singular; the others (and, in French, form 0 for n = 0) plural.
            allowed = [_placeholders(ids[min(index, len(ids) - 1)])]
            if index == 0 and len(ids) > 1:
                allowed.append(_placeholders(ids[1]))
            if found not in allowed:
                problems.append(f"{ids[0]!r} -> {text!r}: {sorted(found)} != {sorted(allowed[0])}")
    assert not problems, "placeholders differ from the msgid:\n" + "\n".join(problems)


def _mnemonics(text: str) -> int:
    """How many Qt mnemonics (``&X``; ``&&`` is a literal ampersand) *text* holds."""
    return len(re.findall(r"&[^&\s]", text.replace("&&", "")))


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_mnemonics_and_trailing_space(language: str) -> None:
    problems = []
    for entry in _catalogue(language):
        if not entry.id:
            continue
        msgid = entry.id if isinstance(entry.id, str) else entry.id[0]
        for text in _forms(entry):
            if not text:
                continue
            if _mnemonics(text) != _mnemonics(msgid):
                problems.append(f"{msgid!r} -> {text!r}: keyboard mnemonic (&) differs")
            if text[-1:].isspace() != msgid[-1:].isspace():
                problems.append(f"{msgid!r} -> {text!r}: trailing space differs")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", TRANSLATED)
def test_plural_forms_header(language: str) -> None:
    assert _catalogue(language).plural_forms == PLURAL_FORMS[language]


@pytest.fixture
def compiled_i18n(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """privacycrm_desktop.i18n reading catalogues freshly compiled into a temporary copy."""
    from privacycrm_desktop import i18n

    shutil.copytree(LOCALE_DIR, tmp_path / "locale", ignore=shutil.ignore_patterns("*.mo"))
    written = _tool("compile_catalogues").compile_all(tmp_path / "locale")
    assert {p.parent.parent.name for p in written} >= set(TRANSLATED)
    monkeypatch.setattr(i18n, "resources_dir", lambda: tmp_path)
    previous = i18n.current_language()
    i18n.translations.cache_clear()
    yield i18n
    i18n.translations.cache_clear()
    i18n.set_language(previous)


def test_tr_in_translates_from_the_compiled_catalogue(compiled_i18n: ModuleType) -> None:
    msgid = "Your role does not allow this."
    dutch = compiled_i18n.tr_in("nl", msgid)
    assert dutch == _catalogue("nl")[msgid].string
    assert dutch != msgid
    assert compiled_i18n.tr_in("en", msgid) == msgid

    template = "{value} is not a valid phone number."
    filled = compiled_i18n.tr_in("nl", template, value="+32 999")
    assert filled == _catalogue("nl")[template].string.format(value="+32 999")
    assert "+32 999" in filled


def test_domain_errors_are_described_in_french(compiled_i18n: ModuleType) -> None:
    from privacycrm_desktop.domain.errors import SourceMissing

    error = SourceMissing()
    french = compiled_i18n.describe_error(error, "fr")
    assert french == _catalogue("fr")[error.message].string
    assert french != error.message


def test_compiled_plural_rules(compiled_i18n: ModuleType) -> None:
    nl, fr = compiled_i18n.translations("nl"), compiled_i18n.translations("fr")
    assert isinstance(nl, gettext.GNUTranslations)
    assert isinstance(fr, gettext.GNUTranslations)
    # French uses the singular for 0 and 1, Dutch for 1 only.
    assert [fr.plural(n) for n in (0, 1, 2)] == [0, 0, 1]
    assert [nl.plural(n) for n in (0, 1, 2)] == [1, 0, 1]
    for language, translations in (("nl", nl), ("fr", fr)):
        for entry in _catalogue(language):
            if entry.id and entry.pluralizable and all(_forms(entry)):
                singular, plural = entry.id[0], entry.id[1]
                assert translations.ngettext(singular, plural, 1) == entry.string[0]
                assert translations.ngettext(singular, plural, 2) == entry.string[1]


def test_the_english_catalogue_holds_no_translations() -> None:
    """English is the msgid: a msgstr there (another language's text) would show instead."""
    path = LOCALE_DIR / "en" / "LC_MESSAGES" / "privacycrm.po"
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale="en")
    filled = [entry.id for entry in catalogue if entry.id and any(_forms(entry))]
    assert not filled, f"run make catalogues-update; translated in en: {filled[:5]}"


def test_a_birthday_without_a_year_is_written_without_one() -> None:
    import datetime as dt

    from privacycrm_desktop.i18n import format_birthday

    assert format_birthday(dt.date(1604, 5, 17), "nl") == "17 mei"
    assert format_birthday(dt.date(1604, 5, 17), "fr") == "17 mai"
    assert format_birthday(dt.date(1850, 5, 17), "nl") == "17 mei 1850"
