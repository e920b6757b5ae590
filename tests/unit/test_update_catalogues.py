"""tools/update_catalogues.py keeps each language's translations in its own catalogue."""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def test_translations_of_a_new_message_stay_in_their_language(tmp_path: Path) -> None:
    tools = str(ROOT / "tools")
    if tools not in sys.path:
        sys.path.insert(0, tools)
    tool = importlib.import_module("update_catalogues")
    shutil.copyfile(ROOT / "babel.cfg", tmp_path / "babel.cfg")
    package = tmp_path / "src" / "privacycrm_desktop"
    package.mkdir(parents=True)
    (package / "sample.py").write_text(
        'from privacycrm_desktop.i18n import _\n\nTEXT = _("Hello there")\n', encoding="utf-8"
    )
    tool.update(tmp_path, translations={"Hello there": {"nl": "Hallo daar", "fr": "Bonjour"}})
    strings = {}
    for language in ("nl", "fr", "en"):
        path = tmp_path / "resources" / "locale" / language / "LC_MESSAGES" / "privacycrm.po"
        with path.open("rb") as handle:
            strings[language] = read_po(handle)["Hello there"].string
    # English is the msgid: its catalogue never takes the French text of the same run.
    assert strings == {"nl": "Hallo daar", "fr": "Bonjour", "en": ""}
