"""The user guide (docs/guide/<lang>.md): one per language, linked from the README, every
picture it shows present, the same pictures in each language, made by tools/screenshots.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guide"
LANGUAGES = ("en", "nl", "fr")
_PICTURE = re.compile(r"!\[[^\]]+\]\(([^)]+)\)")


def pictures(language: str) -> list[str]:
    return _PICTURE.findall((GUIDE / f"{language}.md").read_text(encoding="utf-8"))


def test_the_readme_links_every_guide() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for language in LANGUAGES:
        assert f"(docs/guide/{language}.md)" in readme


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_picture_of_the_guide_exists_in_its_language(language: str) -> None:
    shown = pictures(language)
    assert len(shown) >= 15
    for link in shown:
        assert link.startswith(f"img/{language}/"), link
        assert (GUIDE / link).is_file(), f"{link}: run make screenshots"


def test_the_three_guides_show_the_same_pictures() -> None:
    names = {lang: [Path(p).name for p in pictures(lang)] for lang in LANGUAGES}
    assert names["nl"] == names["en"]
    assert names["fr"] == names["en"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_guide_covers_the_three_daily_jobs(language: str) -> None:
    shown = {Path(p).stem for p in pictures(language)}
    assert {"editor-new", "editor-sources", "consent-form"} <= shown
    assert {"requests-register", "access-report-1", "letter"} <= shown
    assert {"cleanup-1-scan", "cleanup-2-review", "cleanup-4-done"} <= shown


@pytest.mark.slow
def test_the_screenshot_tool_draws_real_windows(tmp_path: Path) -> None:
    """A small run (French list and editor): the tool works and the pictures are not empty."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QT_")}
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "screenshots.py"),
            "--lang",
            "fr",
            "--count",
            "40",
            "--out",
            str(tmp_path),
            "--only",
            "main-window",
            "editor-new",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    from PySide6.QtGui import QImage

    for name in ("main-window", "editor-new"):
        image = QImage(str(tmp_path / "fr" / f"{name}.png"))
        assert not image.isNull()
        assert image.width() >= 900
        assert image.colorCount() > 16  # drawn, not a blank rectangle
    assert sorted(p.name for p in (tmp_path / "fr").iterdir()) == [
        "editor-new.png",
        "main-window.png",
    ]
