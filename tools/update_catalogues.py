"""Extract translatable messages from the code and merge them into the catalogues.

One command (``make catalogues-update``, or ``python tools/update_catalogues.py``):

1. extracts every message marked with ``_``, ``N_``, ``ngettext`` or ``tr_in`` (2nd
   argument) from ``src/privacycrm_desktop/**.py`` (mapping in ``babel.cfg``) into
   ``resources/locale/privacycrm.pot``;
2. updates ``resources/locale/{nl,fr,en}/LC_MESSAGES/privacycrm.po`` from it (creating
   missing ones), without fuzzy matching: a changed msgid needs a fresh translation.
   Translations of msgids that disappeared are kept as obsolete (``#~``) entries and come
   back if the msgid reappears;
3. compiles the catalogues (.mo, build products) with tools/compile_catalogues.py;
4. lists the nl and fr msgids still untranslated or fuzzy (``--check``: exit 1 if any).

``--translations FILE.json`` fills translations in the same run: the file maps a msgid to
``{"nl": "...", "fr": "..."}`` (a list of two forms for an ``ngettext`` message), so that
several people adding messages at once need not edit the .po files by hand. The whole
command holds a lock on the locale folder, so two runs at the same moment do not lose each
other's work. ``--missing-json FILE`` writes the untranslated msgids in that shape.

Files are rewritten only when something other than their dates changed, so re-running
the command does not produce noise in ``git diff``.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import fcntl
import io
import json
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

ROOT = Path(__file__).resolve().parents[1]
LOCALE_DIR = ROOT / "resources" / "locale"
MAPPING_FILE = ROOT / "babel.cfg"
DOMAIN = "privacycrm"
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
LANGUAGES = ("nl", "fr", "en")
# Languages whose every msgid needs a translation (English falls back to the msgid).
TRANSLATED_LANGUAGES = ("nl", "fr")
# gettext's two-form rules (Babel's CLDR data would give French three forms).
PLURAL_FORMS = {"nl": "nplurals=2; plural=(n != 1);", "fr": "nplurals=2; plural=(n > 1);"}
LANGUAGE_TEAMS = {"nl": "Dutch (Belgium)", "fr": "French (Belgium)", "en": "English"}
PROJECT = "PrivacyCRM Desktop"
# tr_in(language, message, **params): the message is the second argument.
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "_": None,
    "N_": None,
    "ngettext": (1, 2),
    "tr_in": (2,),
}
COMMENT_TAGS = ("Translators:",)
HEADER_COMMENT = (
    "# {language} messages of PrivacyCRM Desktop (gettext domain privacycrm).\n"
    "# Updated by tools/update_catalogues.py (make catalogues-update); msgids come from\n"
    "# the code, translations are edited here."
)
# Header lines that change on every run and must not by themselves cause a rewrite.
_VOLATILE = (b'"POT-Creation-Date:', b'"PO-Revision-Date:', b'"Generated-By:')

if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))


def _version() -> str:
    import tomllib

    with (ROOT / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def _method_map(root: Path) -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    from babel.messages.frontend import parse_mapping_cfg

    with (root / MAPPING_FILE.name).open(encoding="utf-8") as handle:
        return parse_mapping_cfg(handle, filename=str(MAPPING_FILE.name))


def extract_messages(
    root: Path = ROOT,
) -> Iterable[tuple[str, int, str | tuple[str, ...], list[str], str | None]]:
    """Yield ``(path, line, message, comments, context)`` for every marked message.

    *message* is a tuple ``(singular, plural)`` for ``ngettext``. Only ``src/`` is
    searched (the mapping file says which files, ``KEYWORDS`` which calls).
    """
    from babel.messages.extract import extract_from_dir

    method_map, options_map = _method_map(root)
    src = root / "src"

    def in_src(dirpath: str) -> bool:
        path = Path(dirpath).resolve()
        return path == src or src in path.parents or path in src.parents

    yield from extract_from_dir(
        str(root),
        method_map,
        options_map,
        keywords=KEYWORDS,
        comment_tags=COMMENT_TAGS,
        strip_comment_tags=True,
        directory_filter=in_src,
    )


def build_template(root: Path = ROOT) -> Catalog:
    """A Babel catalogue (the .pot) holding every message marked in the code."""
    from babel.messages.catalog import Catalog as _Catalog

    template = _Catalog(
        project=PROJECT,
        version=_version(),
        header_comment=HEADER_COMMENT.format(language="Template"),
        copyright_holder="",
        charset="utf-8",
        fuzzy=False,
    )
    for path, line, message, comments, context in extract_messages(root):
        template.add(
            message,
            None,
            [(Path(path).as_posix(), line)],
            auto_comments=comments,
            context=context,
        )
    return template


def _render(catalog: Catalog) -> bytes:
    from babel.messages.pofile import write_po

    buffer = io.BytesIO()
    write_po(buffer, catalog, width=90, include_lineno=False)
    return buffer.getvalue()


def _stable(content: bytes) -> list[bytes]:
    return [line for line in content.splitlines() if not line.startswith(_VOLATILE)]


def _write_if_changed(path: Path, content: bytes) -> bool:
    if path.exists() and _stable(path.read_bytes()) == _stable(content):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return True


def _load_or_create(po_path: Path, language: str, template: Catalog) -> Catalog:
    from babel.messages.catalog import Catalog as _Catalog
    from babel.messages.pofile import read_po

    if po_path.exists():
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=language, domain=DOMAIN)
    else:
        catalog = _Catalog(
            locale=language,
            domain=DOMAIN,
            project=PROJECT,
            charset="utf-8",
            creation_date=template.creation_date,
            revision_date=datetime.now().astimezone(),
            fuzzy=False,
        )
    catalog.project = PROJECT
    catalog.version = _version()
    catalog.header_comment = HEADER_COMMENT.format(language=LANGUAGE_TEAMS[language])
    catalog.last_translator = "PrivacyCRM Desktop team"
    catalog.language_team = LANGUAGE_TEAMS.get(language, language)
    if language in PLURAL_FORMS:
        catalog.mime_headers = [("Plural-Forms", PLURAL_FORMS[language])]
    # Bring back translations of msgids that were obsolete and are used again.
    for message in list(catalog.obsolete.values()):
        if message.id and message.id not in catalog:
            catalog[message.id] = message
    catalog.obsolete.clear()
    return catalog


def missing_translations(catalog: Catalog) -> list[str]:
    """Msgids of *catalog* with an empty or fuzzy translation."""
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


Translations = dict[str, dict[str, "str | list[str]"]]


@contextlib.contextmanager
def _locked(locale_dir: Path) -> Iterator[None]:
    locale_dir.mkdir(parents=True, exist_ok=True)
    with (locale_dir / ".update.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _apply(catalog: Catalog, language: str, translations: Translations) -> list[str]:
    """Fill *catalog* from *translations*; return the msgids it does not know."""
    unknown = []
    for msgid, by_language in translations.items():
        text = by_language.get(language)
        if text is None:
            continue
        message = catalog.get(msgid)
        if message is None:
            unknown.append(msgid)
            continue
        if isinstance(message.id, tuple):
            forms = [text] * 2 if isinstance(text, str) else list(text)
            message.string = tuple(forms)
        else:
            message.string = text if isinstance(text, str) else text[0]
        message.flags.discard("fuzzy")
    return unknown


def update(
    root: Path = ROOT,
    *,
    drop_obsolete: bool = False,
    translations: Translations | None = None,
) -> dict[str, list[str]]:
    """Extract, update every catalogue, compile; return the missing msgids per language."""
    with _locked(root / LOCALE_DIR.relative_to(ROOT)):
        return _update(root, drop_obsolete=drop_obsolete, translations=translations or {})


def _update(root: Path, *, drop_obsolete: bool, translations: Translations) -> dict[str, list[str]]:
    from compile_catalogues import compile_all

    locale_dir = root / LOCALE_DIR.relative_to(ROOT)
    template = build_template(root)
    if _write_if_changed(locale_dir / TEMPLATE.name, _render(template)):
        print(f"wrote {TEMPLATE.name} ({len(template)} msgids)")

    missing: dict[str, list[str]] = {}
    for language in LANGUAGES:
        po_path = locale_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        catalog = _load_or_create(po_path, language, template)
        # A copy per language: Catalog.update inserts the template's own Message objects,
        # so one language's translation would otherwise end up in the next catalogue.
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True, update_header_comment=False)
        if language not in TRANSLATED_LANGUAGES:
            # English is the msgid itself: its catalogue holds no translations.
            for message in catalog:
                if message.id:
                    message.string = ("", "") if message.pluralizable else ""
        if drop_obsolete:
            catalog.obsolete.clear()
        for msgid in _apply(catalog, language, translations):
            print(f"{language}: not in the code, not applied: {msgid!r}")
        if _write_if_changed(po_path, _render(catalog)):
            print(f"updated {po_path.relative_to(root)}")
        if language in TRANSLATED_LANGUAGES:
            missing[language] = missing_translations(catalog)

    for path in compile_all(locale_dir):
        print(f"compiled {path.relative_to(root)}")
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if an nl or fr translation is missing"
    )
    parser.add_argument(
        "--drop-obsolete", action="store_true", help="remove translations no longer used"
    )
    parser.add_argument(
        "--translations", type=Path, help="JSON file of translations to fill in (see above)"
    )
    parser.add_argument(
        "--missing-json", type=Path, help="write the untranslated msgids to this JSON file"
    )
    args = parser.parse_args(argv)
    translations: Translations = {}
    if args.translations:
        translations = json.loads(args.translations.read_text(encoding="utf-8"))
    missing = update(drop_obsolete=args.drop_obsolete, translations=translations)
    if args.missing_json:
        todo = sorted({msgid for msgids in missing.values() for msgid in msgids})
        args.missing_json.write_text(
            json.dumps(
                {msgid: {"nl": "", "fr": ""} for msgid in todo}, ensure_ascii=False, indent=1
            ),
            encoding="utf-8",
        )
    for language, msgids in missing.items():
        if msgids:
            print(f"{language}: {len(msgids)} msgid(s) untranslated or fuzzy:")
            for msgid in msgids:
                print(f"  {msgid!r}")
    return 1 if args.check and any(missing.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
