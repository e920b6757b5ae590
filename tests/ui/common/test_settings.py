"""UI settings: before any language was chosen, the app speaks the system's language."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

_PROBE = """
import sys
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
app = QApplication([])
from privacycrm_desktop.ui.common.settings import UiSettings
settings = UiSettings(QSettings(sys.argv[1], QSettings.Format.IniFormat))
print(settings.language())
settings.set_language("en")
print(settings.language())
"""


@pytest.mark.parametrize(
    ("lang", "first"),
    [("fr_BE.UTF-8", "fr"), ("nl_BE.UTF-8", "nl"), ("de_DE.UTF-8", "en"), ("C.UTF-8", "en")],
)
def test_a_first_start_speaks_the_systems_language(tmp_path: Path, lang: str, first: str) -> None:
    env = {
        **os.environ,
        "LANG": lang,
        "LC_ALL": "",
        "LC_MESSAGES": "",
        "QT_QPA_PLATFORM": "offscreen",
    }
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tmp_path / "ui.ini")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    # The system's language first; a language chosen once wins from then on.
    assert done.stdout.split() == [first, "en"]
